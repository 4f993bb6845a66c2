#!/usr/bin/env bash
# Reproduces docs/results/biman_insert: the simulator's throughput next to peg_in_hole (and the bare
# mj_step rate of the machine), both arms' IK tracking, the scripted expert's success, and the
# single-arm tasks' bit-for-bit identity. Run from the repository root, with the project's venv.
# Outputs land in docs/results/biman_insert/ (JSON).
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=docs/results/biman_insert
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}  # this checkout's code, whatever the venv points at

# Throughput: bare mj_step rates of peg_in_hole's scene (the machine's figure), peg_in_hole at 64
# envs, and biman_insert at 64 envs (holding at 50 Hz and at 10 Hz, and the expert's motions).
$PY benchmarks/bench_sim.py --steps 100 --envs 64 --one-leg-envs 0 --biman-envs 64 --mj-steps 5000 > $OUT/bench_sim.json

# Both arms' IK tracking (64 environments, random targets held for 1 s).
$PY docs/results/biman_insert/ik_tracking.py > $OUT/ik_tracking.json

# Scripted expert, 200 seeded episodes (seeds 0-199), default clearance 0.5 mm, 50 envs at a time.
$PY benchmarks/expert_success.py --task biman_insert --randomness low --episodes 200 > $OUT/expert_low.json

# peg_in_hole and one_leg do not move: their fixed-action trajectories, bit for bit, against the
# recording made with the simulator before it had an arm count.
$PY -m pytest tests/test_sim_identity.py -q
