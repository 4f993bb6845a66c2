#!/usr/bin/env bash
# O32: O31 (resip_low_gated.sh with GAE's lambda at 1) with the gate narrowed to the landing and twice the envs an
# update. advantage_direction.py found the approach's signal in the draw in force as the stud reaches the bore's
# mouth: over 512 episodes of a fresh residual it correlates with the outcome less the critic's value at 0.153
# (0.089-0.217), the approach's draws as a whole at 0.042. The gate [2, 2.5, 4.5] cm lets the residual act only in
# the last 2 cm above the mouth, so the actor learns from the draws there and not from those higher up (O30's gate
# reached 6 cm above it; the residual acted in 3.6% of the steps here over 120 iterations, against O30's 3.8%: most
# of the approach's gated steps are in those last 2 cm, several draws of 6 steps). 128 envs an update see the approach's
# correlation with a standard error of about 0.04 (0.02 at 512, 0.06 at O31's 64).
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_landing (git-ignored).
set -euo pipefail
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_landing} GATE_CM="[2,2.5,4.5]" GAE_LAMBDA=1 NUM_ENVS=128
exec "$(dirname "$0")/resip_low_gated.sh"
