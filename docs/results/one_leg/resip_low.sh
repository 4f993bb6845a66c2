#!/usr/bin/env bash
# ResiP on one_leg `low` from the O12 base (release_study.sh): the README pipeline's PPO settings
# (scripts/run_demo.sh) with the task's own features, 700-step episodes and the base sampled with 16
# DDIM steps (O12's precision at 4 steps is not enough to ever succeed). Re-running it continues the run
# from its last checkpoint (--resume=true), so it can be stopped and restarted; NUM_ITERATIONS raises
# the total. Run from the repository root. Output: outputs/one_leg_resip/low (git-ignored).
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
out=outputs/one_leg_resip/low
iterations=${NUM_ITERATIONS:-200}
if [ -d $out/checkpoints/last ]; then
  exec .venv/bin/lerobot-resip-train --output_dir=$out --resume=true --num_iterations=$iterations
fi
.venv/bin/lerobot-resip-train \
  --policy.path=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model \
  --env.type=furniture --env.task=one_leg --env.randomness=low --policy.task_features=one_leg \
  --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 \
  --num_envs=64 --num_iterations=$iterations --seed=0 \
  --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant \
  --eval_every=20 --eval_episodes=128 --output_dir=$out
