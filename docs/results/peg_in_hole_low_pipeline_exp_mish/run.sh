#!/usr/bin/env bash
# The README pipeline from nothing at f321b32's defaults (the base's Mish computed by ExpMish), stopped at 120, 200
# and 280 PPO iterations: the pipeline's stage times and its time to 90%.
exec "$(git rev-parse --show-toplevel)/docs/results/pipeline_stops.sh" docs/results/peg_in_hole_low_pipeline_exp_mish 120 200 280
