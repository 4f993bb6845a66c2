#!/usr/bin/env bash
# ResiP on one_leg `low` from the O12 base (24 actions executed a chunk, O18) with expert-started episodes
# (O20): in 48 of the 64 envs of each iteration the scripted expert plays until the leg is upright in the
# hand (`--expert_start_phase=carry`), then the base and the residual carry it to the hole, insert and
# screw it; the other 16 start from the reset. From there the base assembles 20 of 64 held-out episodes
# against 27 of 256 from the reset (handover.py): the carry and the insertion, where it fails, come in
# every episode. Exploration log-std -3 (about 1 mm on the tool's target; from `carry` the sampled residual
# kept 15 of 64 against 5 of 64 at -2, handover.py with the residual sampled) and the actor's learning
# rate 1e-4 (the approximate KL per update of O19, whose noise was -3.5 at 3e-5). The trainer's
# evaluations, and resip_low_eval.sh's, start every episode from the reset, as the task's.
# HOLD_STEPS=24 holds each exploration draw for a chunk (O21; output .../low_expert_start_hold24); LOG_STD=-2
# with it is O24 (output .../low_expert_start_hold24_m2).
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_expert_start (git-ignored).
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
hold=${HOLD_STEPS:-1}
log_std=${LOG_STD:--3}
out=${OUT_DIR:-outputs/one_leg_resip/low_expert_start$([ "$hold" = 1 ] || echo _hold$hold)$([ "$log_std" = -3 ] || echo _m${log_std#-})}
iterations=${NUM_ITERATIONS:-200}
if [ -d $out/checkpoints/last ]; then
  exec .venv/bin/lerobot-resip-train --output_dir=$out --resume=true --num_iterations=$iterations
fi
.venv/bin/lerobot-resip-train \
  --policy.path=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model \
  --env.type=furniture --env.task=one_leg --env.randomness=low --policy.task_features=one_leg \
  --policy.base_num_inference_steps=16 --policy.n_action_steps=24 \
  --policy.base_noise_scale=0 --policy.init_log_std=$log_std \
  --expert_start_phase=carry --expert_start_fraction=0.75 --exploration_hold_steps=$hold \
  --num_envs=64 --num_iterations=$iterations --seed=0 \
  --ppo.num_minibatches=4 --ppo.actor_lr=0.0001 --ppo.lr_schedule=constant \
  --eval_every=10 --eval_episodes=128 --output_dir=$out
