#!/usr/bin/env bash
# The README pipeline (its settings before 2026-12-03) with the base cloned through LeRobot's streaming
# reader (--dataset.streaming=true), then where the time goes: base cloning (bc_throughput) and
# residual PPO (bench_resip) with the pipeline's settings and with the paper's; then the base sampled
# with 8 and 4 DDIM steps, and the pipeline's later stages at 4. Index rows P4, P5, T3 and T5 of
# docs/results/README.md.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_streaming_base
# The defaults of the time, pinned (they changed on 2026-12-03): 16 DDIM steps, 80 iterations, evaluations every 10.
FRESH=1 BASE_DDIM_STEPS=16 RL_ITERATIONS=80 EVAL_EVERY=10 scripts/run_demo.sh 2>&1 | tee outputs/demo.log
mkdir -p $F/pipeline
cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl $F/pipeline/
cp -r outputs/demo/report/. $F/pipeline/report/
grep "===" outputs/demo.log > $F/pipeline/stages.txt
source .venv/bin/activate
export HF_HUB_OFFLINE=1
BASE=outputs/demo/base/stage2/checkpoints/last/pretrained_model
python -m benchmarks.bench_resip --base_path $BASE --num_envs 64 --steps 120 --iterations 2 --torch_threads 2 \
  --policy_overrides base_num_inference_steps=16 base_noise_scale=0 task_features=peg_in_hole \
  --ppo_overrides num_minibatches=4 actor_lr=0.001 > $F/bench_resip_pipeline.json
python -m benchmarks.bench_resip --base_path $BASE --num_envs 64 --steps 100 --iterations 2 --torch_threads 2 \
  > $F/bench_resip_paper.json
OMP_NUM_THREADS=1 python -m benchmarks.bc_throughput --dataset_root outputs/demo/dataset --policy_path $BASE \
  --torch_threads 1 --batches 32 > $F/bc_throughput.json
# The same base sampled with 8 and 4 DDIM steps, then the pipeline's later stages at 4 (demos and base
# reused: they do not depend on the sampling steps).
lerobot-resip-eval --policy.path=$BASE --env.type=furniture --env.task=peg_in_hole --env.randomness=low \
  --policy.base_num_inference_steps=8 --policy.base_noise_scale=0 --num_episodes=256 --num_envs=256 --seed=1000 \
  --output_path=$F/base_ddim8.json
mkdir -p outputs/ddim4 && cp -r outputs/demo/dataset outputs/demo/base outputs/ddim4/
OUT_ROOT=outputs/ddim4 BASE_DDIM_STEPS=4 RL_ITERATIONS=80 EVAL_EVERY=10 scripts/run_demo.sh 2>&1 | tee outputs/ddim4.log
mkdir -p $F/pipeline_ddim4
cp outputs/ddim4/eval/*.json outputs/ddim4/resip/metrics.jsonl $F/pipeline_ddim4/
cp -r outputs/ddim4/report/. $F/pipeline_ddim4/report/
grep "===" outputs/ddim4.log > $F/pipeline_ddim4/stages.txt
