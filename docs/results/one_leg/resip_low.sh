#!/usr/bin/env bash
# ResiP on one_leg `low` from the O12 base (release_study.sh): the README pipeline's PPO settings
# (scripts/run_demo.sh) with the task's own features, 700-step episodes and the base sampled with 16
# DDIM steps (O12's precision at 4 steps is not enough to ever succeed), the residual's exploration noise
# a twelfth of the default (log-std -3.5: about 0.5 mm on the tool's target; at -1 and -2, 5-7 and 2-3 mm,
# the sampled residual succeeded in 0.8% and 0.5% of the training episodes against the base's 3.5%: O13,
# O14) and the actor's learning rate cut in proportion (a first Adam step at 1e-3 moved the mean by several
# noise widths: O14 stopped each update after one step). The base executes 24 actions of each 32-action
# chunk (N_ACTION_STEPS; O12 succeeds in 10.5% of 256 held-out episodes so, 3.5% at 8: O18), and the
# residual corrects every step. Re-running it continues the run from its last checkpoint (--resume=true),
# so it can be stopped and restarted; NUM_ITERATIONS raises the total.
# The earlier runs, each in an output folder of its own (an existing folder is resumed with its saved
# settings, whatever the variables say): N_ACTION_STEPS=8 OUT_DIR=outputs/one_leg_resip/low is O16; add
# INIT_LOG_STD=-1 ACTOR_LR=0.001 for O13, INIT_LOG_STD=-2 ACTOR_LR=0.001 for O14, INIT_LOG_STD=-6
# ACTOR_LR=0.001 NUM_ITERATIONS=2 for O15, with a new OUT_DIR each. EVAL_EVERY and EXTRA_ARGS (more trainer
# flags) serve resip_low_expert_start.sh.
# Run from the repository root. Output: outputs/one_leg_resip/low_na24 (git-ignored).
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
out=${OUT_DIR:-outputs/one_leg_resip/low_na24}
iterations=${NUM_ITERATIONS:-200}
if [ -d $out/checkpoints/last ]; then
  exec .venv/bin/lerobot-resip-train --output_dir=$out --resume=true --num_iterations=$iterations
fi
.venv/bin/lerobot-resip-train \
  --policy.path=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model \
  --env.type=furniture --env.task=one_leg --env.randomness=low --policy.task_features=one_leg \
  --policy.base_num_inference_steps=16 --policy.n_action_steps=${N_ACTION_STEPS:-24} \
  --policy.base_noise_scale=0 --policy.init_log_std=${INIT_LOG_STD:--3.5} \
  --num_envs=${NUM_ENVS:-64} --num_iterations=$iterations --seed=0 \
  --ppo.num_minibatches=4 --ppo.actor_lr=${ACTOR_LR:-0.00003} --ppo.lr_schedule=constant \
  --eval_every=${EVAL_EVERY:-20} --eval_episodes=128 --output_dir=$out ${EXTRA_ARGS:-}
