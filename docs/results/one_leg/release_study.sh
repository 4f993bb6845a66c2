#!/usr/bin/env bash
# Reproduces the rows O11 and O12 of docs/results/one_leg/README.md ("The insertion, measured closer"):
# 50 `low` demos of the expert of this commit, the O1 base preset (6000 steps) and 10000 more steps
# from its weights, their hand-overs at `insert` and the second stage's 256 held-out episodes. O10's rows
# are the hand-overs of this script run on a checkout of afbd43a (with this commit's handover.py),
# with --base_num_inference_steps 4, 16 and 50. Run from the repository root; about 80 minutes on
# a 2-core CPU. Outputs: outputs/one_leg_*_release* (git-ignored) and JSON files beside this script.
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
demos=outputs/one_leg_low_demos_release
base=outputs/one_leg_base/low_release
rm -rf $demos $base ${base}_stage2
.venv/bin/lerobot-resip-collect --env.type=furniture --env.task=one_leg --env.randomness=low \
  --num_episodes=50 --num_envs=16 --seed=0 --dataset.root=$demos --dataset.repo_id=local/one_leg_low
OMP_NUM_THREADS=1 .venv/bin/lerobot-train --config_path=policies/one_leg_diffusion_small.json \
  --dataset.root=$demos --dataset.repo_id=local/one_leg_low --output_dir=$base
OMP_NUM_THREADS=1 .venv/bin/lerobot-train --policy.path=$base/checkpoints/last/pretrained_model \
  --dataset.root=$demos --dataset.repo_id=local/one_leg_low --dataset.streaming=true \
  --num_workers=1 --steps=10000 --save_freq=5000 --batch_size=64 --log_freq=500 --wandb.enable=false \
  --policy.push_to_hub=false --policy.optimizer_lr=0.001 --output_dir=${base}_stage2
for ckpt in $base ${base}_stage2; do
  PYTHONPATH=. $PY $OUT/handover.py $ckpt/checkpoints/last/pretrained_model 64 insert \
    --base_noise_scale=0 --base_num_inference_steps=16
done > $OUT/handover_release.jsonl
.venv/bin/lerobot-resip-eval --policy.path=${base}_stage2/checkpoints/last/pretrained_model \
  --env.type=furniture --env.task=one_leg --env.randomness=low \
  --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 \
  --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$OUT/base_low_o12_16k_ddim16.json
