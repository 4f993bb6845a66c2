#!/usr/bin/env bash
# Row O17: the O1 base preset (6000 steps) on the 50 `med` demos of the chamfer/release expert
# (expert_release.sh makes them), evaluated on 256 held-out `med` episodes (seed 1000, 16 DDIM steps,
# deterministic base). Run from the repository root; about 20 minutes on a 2-core CPU.
set -euo pipefail
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
demos=outputs/one_leg_med_demos_release
base=outputs/one_leg_base/med_release
rm -rf $base
start=$(date +%s)
OMP_NUM_THREADS=1 .venv/bin/lerobot-train --config_path=policies/one_leg_diffusion_small.json \
  --dataset.root=$demos --dataset.repo_id=local/one_leg_med --output_dir=$base
echo "{\"randomness\": \"med\", \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_med_release.json
.venv/bin/lerobot-resip-eval --policy.path=$base/checkpoints/last/pretrained_model \
  --env.type=furniture --env.task=one_leg --env.randomness=med \
  --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 \
  --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$OUT/base_med_o17_6k_ddim16.json
