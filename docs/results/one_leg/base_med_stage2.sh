#!/usr/bin/env bash
# Row O22: O12's recipe at `med`: O17 (base_med_release.sh: the O1 preset, 6000 steps on the 50 `med` demos)
# trained 10000 steps more from its weights (lr 1e-3, a new cosine cycle), as O12 is O11 at `low`;
# evaluated on 256 held-out `med` episodes (seed 1000, 16 DDIM steps, deterministic base), executing 8 and
# 24 actions of each chunk. Run from the repository root after base_med_release.sh; about 35 minutes on a
# 2-core CPU.
set -euo pipefail
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
demos=outputs/one_leg_med_demos_release
base=outputs/one_leg_base/med_release
rm -rf ${base}_stage2
start=$(date +%s)
OMP_NUM_THREADS=1 .venv/bin/lerobot-train --policy.path=$base/checkpoints/last/pretrained_model \
  --dataset.root=$demos --dataset.repo_id=local/one_leg_med --dataset.streaming=true \
  --num_workers=1 --steps=10000 --save_freq=5000 --batch_size=64 --log_freq=500 --wandb.enable=false \
  --policy.push_to_hub=false --policy.optimizer_lr=0.001 --output_dir=${base}_stage2
echo "{\"randomness\": \"med\", \"stage2_train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_med_stage2.json
for actions in 8 24; do
  .venv/bin/lerobot-resip-eval --policy.path=${base}_stage2/checkpoints/last/pretrained_model \
    --env.type=furniture --env.task=one_leg --env.randomness=med \
    --policy.base_num_inference_steps=16 --policy.n_action_steps=$actions --policy.base_noise_scale=0 \
    --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$OUT/base_med_o22_ddim16_na$actions.json
done
