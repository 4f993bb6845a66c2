#!/usr/bin/env bash
# O34: O33 (resip_low_task_inputs.sh: the residual actor on the five task-space offsets, x, y only, log-std -2 held for
# 6 steps, GAE's lambda 1, 128 envs an update) with O30's wider gate: the residual acts while the leg is within 2 cm of
# a hole's axis and 2.5-8.5 cm above its seated position (the stud's end from the bore's mouth to 6 cm above it), not
# only in the last 2 cm. O33 learned the landing (from `carry`, 15 of 32 against the base's 10) but the last 2 cm
# cap what a residual can add; O23's correction over these 6 cm lifts the base to 50.8%, over the last 20 mm to 43.8%
# (O23g). O30 with this gate and an actor on every input pushed the stud away from the axis (gain -0.20).
# O35 is this script from scratch with OUT_DIR=outputs/one_leg_resip/low_task_inputs_approach_epyc, over O12 rebuilt by
# release_study.sh on another CPU (its weights differ; resip_low_eval.sh's BASE_JSON names that base's file).
# O36 is this script from scratch with OUT_DIR=outputs/one_leg_resip/low_task_inputs_approach_xeon over O12 rebuilt on
# an Intel Xeon, where the rebuild gives O12's weights back (its first 12 iterations repeat O34's metrics exactly), with
# NUM_ITERATIONS=60 (the actor's learning rate is constant after its warm-up, so the total does not change the run).
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_task_inputs_approach (git-ignored).
set -euo pipefail
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_task_inputs_approach} GATE_CM="[2,2.5,8.5]" GAE_LAMBDA=1 NUM_ENVS=128
export MORE_ARGS="--policy.residual_inputs=task_features"
exec "$(dirname "$0")/resip_low_gated.sh"
