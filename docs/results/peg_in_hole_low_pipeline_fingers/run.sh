#!/usr/bin/env bash
# The README pipeline from nothing on the gripper and wrist of S3 (fingers closing at most 0.19 m/s, wrist servos
# clamped at 12 N m), stopped at 120, 280 and 360 PPO iterations; the blow-ups of each stop counted.
exec "$(git rev-parse --show-toplevel)/docs/results/pipeline_stops.sh" docs/results/peg_in_hole_low_pipeline_fingers 120 280 360
