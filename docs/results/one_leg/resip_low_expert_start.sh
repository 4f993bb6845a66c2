#!/usr/bin/env bash
# ResiP on one_leg `low` from the O12 base (24 actions executed a chunk, O18) with expert-started episodes
# (O20): in 48 of the 64 envs of each iteration the scripted expert plays until the leg is upright in the
# hand (`--expert_start_phase=carry`), then the base and the residual carry it to the hole, insert and
# screw it; the other 16 start from the reset. From there the base assembles 20 of 64 held-out episodes
# against 27 of 256 from the reset (handover.py): the carry and the insertion, where it fails, come in
# every episode. Exploration log-std -3 (about 1 mm on the tool's target; from `carry` the sampled residual
# kept 15 of 64 against 5 of 64 at -2, handover.py with the residual sampled) and the actor's learning
# rate 1e-4 (the approximate KL per update of O19, whose noise was -3.5 at 3e-5). The trainer's
# evaluations, and resip_low_eval.sh's, start every episode from the reset, as the task's.
# HOLD_STEPS=24 holds each exploration draw for a chunk (O21; output .../low_expert_start_hold24); LOG_STD=-2
# with it is O24 (output .../low_expert_start_hold24_m2). MORE_ARGS adds trainer flags (resip_low_xy.sh). The rest
# of the run's settings are resip_low.sh's.
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_expert_start (git-ignored).
set -euo pipefail
hold=${HOLD_STEPS:-1}
log_std=${LOG_STD:--3}
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_expert_start$([ "$hold" = 1 ] || echo _hold$hold)$([ "$log_std" = -3 ] || echo _m${log_std#-})}
export INIT_LOG_STD=$log_std ACTOR_LR=${ACTOR_LR:-0.0001} EVAL_EVERY=10 N_ACTION_STEPS=24
export EXTRA_ARGS="--expert_start_phase=carry --expert_start_fraction=0.75 --exploration_hold_steps=$hold ${MORE_ARGS:-}"
exec "$(dirname "$0")/resip_low.sh"
