#!/usr/bin/env bash
# The residual's task-space inputs (--policy.task_features) in the README pipeline (its settings
# before 2026-12-03), then that pipeline's PPO run continued to 280 iterations. Index rows P3 and N3
# of docs/results/README.md.
#   1. scripts/run_demo.sh from scratch: demos, base, base evaluations, 80 PPO iterations on 120-step
#      training episodes with --policy.task_features=peg_in_hole over the deterministic base, evaluations;
#   2. a copy of its PPO run resumed to more iterations (constant learning rate: the same as one long
#      run), evaluated on the same 256 held-out episodes, with and without perturbations.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_task_features
D=outputs/exp_task_features
# SKIP_PIPELINE=1: step 2 only, on an existing outputs/demo.
# The defaults of the time, pinned (they changed on 2026-12-03); the base was then cloned through the
# random-access reader, so this base differs from the one recorded here.
[ "${SKIP_PIPELINE:-0}" = 1 ] || FRESH=1 BASE_DDIM_STEPS=16 RL_ITERATIONS=80 EVAL_EVERY=10 scripts/run_demo.sh
mkdir -p $F/pipeline $D
cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl $F/pipeline/
cp -r outputs/demo/report/. $F/pipeline/report/
source .venv/bin/activate
export HF_HUB_OFFLINE=1
ENV=(--env.type=furniture --env.task=peg_in_hole --env.randomness=low)
EV=("${ENV[@]}" --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 --num_episodes=256 --num_envs=256 --seed=1000)
rm -rf $D/resip && cp -r outputs/demo/resip $D/resip
ITERATIONS="${ITERATIONS:-280}"
lerobot-resip-train --policy.path=outputs/demo/base/stage2/checkpoints/last/pretrained_model "${ENV[@]}" --resume=true \
  --env.episode_length=120 --num_envs=64 --num_iterations=$ITERATIONS \
  --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant --eval_every=10 --eval_episodes=256 \
  --output_dir=$D/resip
R=$D/resip/checkpoints/best/pretrained_model
lerobot-resip-eval --policy.path=$R "${EV[@]}" --output_path=$F/resip_$ITERATIONS.json
lerobot-resip-eval --policy.path=$R "${EV[@]}" --env.perturb=true --output_path=$F/resip_${ITERATIONS}_perturbed.json
cp $D/resip/metrics.jsonl $F/metrics_$ITERATIONS.jsonl
lerobot-resip-report --run_dir=$D/resip --out_dir=$F/report_$ITERATIONS \
  --eval base=outputs/demo/eval/base.json --eval resip=$F/resip_$ITERATIONS.json \
  --eval "base, perturbed=outputs/demo/eval/base_perturbed.json" \
  --eval "resip, perturbed=$F/resip_${ITERATIONS}_perturbed.json"
