#!/usr/bin/env bash
# Reproduces docs/results/gpu_h200 on a machine with an NVIDIA GPU, from the repository root, with the
# project installed (`pip install -e .`; a `python3` that has it). Needs the README pipeline's base
# (scripts/run_demo.sh, or its first two stages) and the one_leg low demos (docs/results/one_leg/run.sh).
# WHEELS=<dir>: install the project's dependencies from wheels in <dir> first, into /tmp/site (how the
# offline machine measured here got them); PyAV's wheel did not fit that transfer, so av_stub/ stands in
# for it (these runs decode no video).
set -uo pipefail
OUT=${OUT:-docs/results/gpu_h200}
if [ -n "${WHEELS:-}" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site "$WHEELS"/*.whl || exit 1
  export PYTHONPATH=$PWD/docs/results/gpu_h200/av_stub:/tmp/site:$PWD PATH=/tmp/site/bin:$PATH
fi
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl PYTHONUNBUFFERED=1
BASE=outputs/demo/base/stage1/checkpoints/last/pretrained_model
{ date -u; nvidia-smi -L; lscpu | grep -E 'Model name|^CPU\(s\)'
  python3 -c "import torch,mujoco,numpy;print('torch',torch.__version__,'mujoco',mujoco.__version__,'numpy',numpy.__version__,'cuda',torch.cuda.is_available())"; } > $OUT/machine.txt 2>&1
# The machine's bare mj_step rate and 64-env batched stepping.
python3 benchmarks/bench_sim.py --steps 50 --mj-steps 5000 --envs 64 --one-leg-envs 0 --biman-envs 0 > $OUT/bench_sim.json
# The device-generic rollout and PPO update, on cuda (the CPU runs it in the default suite).
python3 -m pytest -q -p no:cacheprovider tests/test_train_residual.py -k device_generic > $OUT/pytest_device_generic.txt 2>&1
# The residual-PPO loop at the README pipeline's settings: policy and PPO on cuda and on the CPU at 64 envs,
# and on cuda at the paper's 1024 envs; physics on all CPU cores in every case.
PIPE="--steps 120 --policy_overrides base_num_inference_steps=4 base_noise_scale=0 task_features=peg_in_hole
      --ppo_overrides num_minibatches=4 actor_lr=0.001"
for run in "cuda 64" "cpu 64" "cuda 1024"; do
  set -- $run
  python3 -m benchmarks.bench_resip --base_path $BASE $PIPE --device $1 --num_envs $2 > $OUT/bench_resip_$1_$2.json
done
# one_leg: the paper-width U-Net (policies/one_leg_diffusion_paper.json, 2000 steps of 256) on the GPU,
# then 256 held-out episodes at 4 and 16 DDIM steps and the stage counts over 64 of them.
lerobot-train --config_path=policies/one_leg_diffusion_paper.json --steps=150 --save_freq=100000 --log_freq=50 \
  --output_dir=/tmp/probe 2>&1 | tr '\r' '\n' | grep -o 'INFO.*step:.*' > $OUT/train_probe.txt
start=$(date +%s)
lerobot-train --config_path=policies/one_leg_diffusion_paper.json --output_dir=/tmp/wide
rc=$?
echo "{\"steps\": 2000, \"train_s\": $(( $(date +%s) - start )), \"rc\": $rc}" > $OUT/train_wide.json
CKPT=/tmp/wide/checkpoints/last/pretrained_model
for ddim in 4 16; do
  lerobot-resip-eval --policy.path=$CKPT --env.type=furniture --env.task=one_leg --env.randomness=low \
    --policy.base_num_inference_steps=$ddim --policy.base_noise_scale=0 --policy.device=cuda \
    --num_episodes=256 --num_envs=256 --seed=1000 --output_path=$OUT/base_wide_low_ddim$ddim.json
done
python3 docs/results/one_leg/progress.py $CKPT 64 low --base_noise_scale=0 --base_num_inference_steps=16 \
  --device=cuda > $OUT/progress_wide_low.jsonl
