#!/usr/bin/env bash
# O33: O32 (resip_low_landing.sh: x, y only, log-std -2 held for 6 steps, the gate on the last 2 cm above the bore's
# mouth, GAE's lambda 1, 128 envs an update) with the residual actor reading the task-space offsets only
# (`--policy.residual_inputs=task_features`: the leg's offset from the nearest hole's seated position, x, y, z, and the
# base action's tool target minus the tool, x, y, in cm); the critic still sees every input. O32's actor, reading the
# 68 normalized inputs as well, learned O23's direction (gain 0.38 at iteration 90) but pointed away from the axis at
# a third of its steps; O23's correction is a function of those five offsets alone.
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_task_inputs (git-ignored).
set -euo pipefail
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_task_inputs} MORE_ARGS="--policy.residual_inputs=task_features"
exec "$(dirname "$0")/resip_low_landing.sh"
