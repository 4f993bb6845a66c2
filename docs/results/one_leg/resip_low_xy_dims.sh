#!/usr/bin/env bash
# O28: O27 (resip_low_xy.sh with the task features measured from the nearest hole) with a residual that
# corrects the tool's x and y only (`--policy.residual_action_dims=[0,1]`, log-std -2, about 2 mm, each draw
# held for 6 steps); every other dimension is the base's action exactly. In O25-O27 the residual also had a
# mean on the tool's height, rotation and gripper, explored at log-std -4: under Adam those means moved as far
# as x and y's, a move there costs the base its successes, and it counted some 55 times more in the
# approximate KL, which held the actor's learning rate at 3e-5 (at 1e-4 O25's KL reached 0.78). Without them
# the learning rate is 1e-4. O23's hand-written correction, worth 40 points from the reset, is on x and y only.
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_xy_dims (git-ignored).
set -euo pipefail
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_xy_dims}
export HOLD_STEPS=6 LOG_STD=-2 ACTOR_LR=${ACTOR_LR:-0.0001}
export MORE_ARGS="--policy.residual_action_dims=[0,1]"
exec "$(dirname "$0")/resip_low_expert_start.sh"
