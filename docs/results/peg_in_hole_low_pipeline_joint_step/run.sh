#!/usr/bin/env bash
# The README pipeline from nothing on the controller of S4 (the IK keeps joints 1-4 at most 0.075 rad ahead of their
# targets), stopped at 120, 280 and 360 PPO iterations; the blow-ups of each stop counted.
exec "$(git rev-parse --show-toplevel)/docs/results/pipeline_stops.sh" docs/results/peg_in_hole_low_pipeline_joint_step 120 280 360
