#!/usr/bin/env bash
# O25: expert-started episodes (resip_low_expert_start.sh) exploring mostly along the tool's x and y. From
# `carry`, noise on the tool's height and rotation is what costs the base its successes (explore_dims.sh:
# 2 mm a step on x, y alone keeps 21 of 64, on every dimension 5). Log-std -2 on x, y (about 2 mm) and -4 on
# the rest (0.3 mm, about 0.1 degree), each draw held for 6 steps (on x, y alone this changes the outcome of 24
# of 64 episodes: 11 rescued, 13 lost). The actor's learning rate is 3e-5: at O20's 1e-4 the narrow dimensions
# took the approximate KL of the first updates to 0.12-0.78. GAE_LAMBDA=1 (O26; output .../low_xy_lambda1)
# credits every step's draw with the episode's outcome (less the critic's value) instead of GAE's 0.95, whose
# credit fades by a factor e every 20 steps. Re-running it continues the run from its last checkpoint.
# O27 is this script at 2a7bcd7 (task features measured from the nearest hole) with
# OUT_DIR=outputs/one_leg_resip/low_xy_nearest; O25 and O26 ran before that fix.
# Run from the repository root. Output: outputs/one_leg_resip/low_xy (git-ignored).
set -euo pipefail
lambda=${GAE_LAMBDA:-0.95}
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_xy$([ "$lambda" = 0.95 ] || echo _lambda$lambda)}
export HOLD_STEPS=6 LOG_STD=-2 ACTOR_LR=${ACTOR_LR:-0.00003}
export MORE_ARGS="--policy.init_log_std_per_dim=[-2,-2,-4,-4,-4,-4,-4,-4,-4,-4] --ppo.gae_lambda=$lambda"
exec "$(dirname "$0")/resip_low_expert_start.sh"
