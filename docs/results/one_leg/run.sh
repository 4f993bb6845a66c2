#!/usr/bin/env bash
# Reproduces docs/results/one_leg: the scripted expert's success, the simulator's throughput next
# to peg_in_hole, and the 50-demo datasets. Run from the repository root, with the project's venv.
# Outputs land in docs/results/one_leg/ (JSON) and outputs/one_leg_{low,med}_demos (datasets).
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl

# Scripted expert, 200 seeded episodes each (seeds 0-199), default clearance 0.5 mm.
$PY benchmarks/expert_success.py --task one_leg --randomness low --episodes 200 > $OUT/expert_low.json
$PY benchmarks/expert_success.py --task one_leg --randomness med --episodes 200 > $OUT/expert_med.json
# peg_in_hole's expert, unchanged by one_leg (100%, 72.66 steps, as before it).
$PY benchmarks/expert_success.py --task peg_in_hole --randomness low --episodes 200 > $OUT/expert_peg_in_hole_low.json

# Simulator throughput: peg_in_hole as before, and one_leg's three phases at 64 envs next to it.
$PY benchmarks/bench_sim.py --steps 100 --envs 64 --one-leg-envs 64 > $OUT/bench_sim.json

# 50-demo datasets (git-ignored), timed.
for level in low med; do
  rm -rf outputs/one_leg_${level}_demos
  start=$(date +%s)
  .venv/bin/lerobot-resip-collect --env.type=furniture --env.task=one_leg --env.randomness=$level \
    --num_episodes=50 --num_envs=16 --seed=0 \
    --dataset.root=outputs/one_leg_${level}_demos --dataset.repo_id=local/one_leg_${level}
  echo "{\"randomness\": \"$level\", \"collect_s\": $(( $(date +%s) - start ))}" > $OUT/collect_${level}.json
done
