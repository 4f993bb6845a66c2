#!/usr/bin/env bash
# O29: O28 (resip_low_xy_dims.sh: a residual on the tool's x and y only, log-std -2 held for 6 steps, actor lr
# 1e-4, expert-started episodes) with a penalty on the residual's squared mean (`--ppo.mean_l2_coef`, default
# 1.0 here; 0 is the paper's and O28's). In O28, PPO learned O23's correction at the hole (gain 0.56 by iteration
# 61) and also a 6 mm shift everywhere else, where the sparse outcome gives the residual no direction, and the
# successes fell (residual_direction.py). The penalty pulls the mean back toward 0 (the base's own action)
# wherever the advantages do not hold it away. Scale: the residual is in units of the normalized action / 0.1,
# one unit about 15 mm on x and y; at log-std -2 the advantage's pull on the mean is 1/sigma = 7.4 times its
# correlation with the draw, so with coefficient 1 a correlation of 0.05 holds a correction of 0.19 units
# (about 3 mm, O23's median) and a mean with no correlation decays to 0.
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_mean_l2 (git-ignored).
set -euo pipefail
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_mean_l2}
export HOLD_STEPS=6 LOG_STD=-2 ACTOR_LR=${ACTOR_LR:-0.0001}
export MORE_ARGS="--policy.residual_action_dims=[0,1] --ppo.mean_l2_coef=${MEAN_L2_COEF:-1.0}"
exec "$(dirname "$0")/resip_low_expert_start.sh"
