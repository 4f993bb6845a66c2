#!/usr/bin/env bash
# The real-robot stack closed loop against franky-sim (a MuJoCo FR3 behind the libfranka protocol).
#   1. benchmarks/franky_sim_gap.py: the scripted expert on the bench with each controller, and in the
#      training simulator, on the same 10 episodes: tracking, tag poses, success.
#   2. benchmarks/franky_sim_closed_loop.py: a peg_in_hole resip checkpoint trained only in the simulator,
#      run by `lerobot-resip-rollout` (the real-robot command) for 20 episodes on the bench, compared with
#      lerobot-resip-eval's verdict on the same 20 episodes in the simulator.
# RESIP: the resip checkpoint; SIM_EVAL: its lerobot-resip-eval JSON with --seed=1000 (>= 20 episodes).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export MUJOCO_GL=${MUJOCO_GL:-egl} HF_HUB_OFFLINE=1 PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-outputs/franka_sim}
RESIP=${RESIP:-outputs/demo/resip/checkpoints/best/pretrained_model}
SIM_EVAL=${SIM_EVAL:-outputs/demo/eval/resip.json}
mkdir -p "$OUT"
$PY benchmarks/franky_sim_gap.py --episodes 10 --seed 1000 --output "$OUT/gap" > "$OUT/gap.json"
$PY benchmarks/franky_sim_closed_loop.py --policy "$RESIP" --episodes 20 --seed 1000 \
    --sim_eval "$SIM_EVAL" --output "$OUT/resip" > "$OUT/resip.json"
