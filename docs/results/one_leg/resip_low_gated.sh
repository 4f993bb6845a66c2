#!/usr/bin/env bash
# O30: O28 (resip_low_xy_dims.sh: a residual on the tool's x and y only, log-std -2 held for 6 steps, actor lr
# 1e-4, expert-started episodes) with the residual gated to the approach (`--policy.residual_gate_cm`): it acts
# only while the leg is within 2 cm of a hole's axis and 2.5-8.5 cm above its seated position (the stud's end
# from the bore's mouth to 6 cm above it), and PPO's actor learns from those steps only. residual_gate.py showed
# where O29's residual costs the base its successes: acting only above the mouth it keeps them (21 of 64 from
# `carry`, the base alone 20), acting only with the stud in the bore, during the grasp-turn cycles, it loses a
# third (14 of 64). GAE_LAMBDA=1 (O31; output .../low_gated_lambda1) credits every draw with its episode's outcome less
# the critic's value: over 512 episodes the approach's draws correlate with that at +0.042 and with GAE at 0.95
# (the default, O30) at -0.033 (advantage_direction.py).
# MORE_ARGS adds trainer flags (resip_low_task_inputs.sh, O33). GATE_CM replaces the gate for a new run; give it its
# own OUT_DIR, since a run that resumes keeps its saved gate (resip_low_landing.sh, O32).
# Re-running it continues the run from its last checkpoint; NUM_ITERATIONS raises the total.
# Run from the repository root. Output: outputs/one_leg_resip/low_gated (git-ignored).
set -euo pipefail
lambda=${GAE_LAMBDA:-0.95}
export OUT_DIR=${OUT_DIR:-outputs/one_leg_resip/low_gated$([ "$lambda" = 0.95 ] || echo _lambda$lambda)}
export HOLD_STEPS=6 LOG_STD=-2 ACTOR_LR=${ACTOR_LR:-0.0001}
export MORE_ARGS="--policy.residual_action_dims=[0,1] --policy.residual_gate_cm=${GATE_CM:-[2,2.5,8.5]} --ppo.gae_lambda=$lambda ${MORE_ARGS:-}"
exec "$(dirname "$0")/resip_low_expert_start.sh"
