#!/usr/bin/env bash
# The scripted expert with the bores' mouth chamfer and the early release (483c9d8 on): its success on
# 200 seeded episodes at `low` and `med` (seeds 0-199), and its 50-demo datasets at both levels. Run
# from the repository root; about 10 minutes on a 2-core CPU. Outputs: JSON beside this script and
# outputs/one_leg_{low,med}_demos_release (git-ignored; the `low` one is release_study.sh's).
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
for level in low med; do
  $PY benchmarks/expert_success.py --task one_leg --randomness $level --episodes 200 > $OUT/expert_${level}_release.json
done
for level in low med; do
  demos=outputs/one_leg_${level}_demos_release
  rm -rf $demos
  start=$(date +%s)
  saved=$(.venv/bin/lerobot-resip-collect --env.type=furniture --env.task=one_leg --env.randomness=$level \
    --num_episodes=50 --num_envs=16 --seed=0 --dataset.root=$demos --dataset.repo_id=local/one_leg_$level \
    2>&1 | tr '\r' '\n' | grep "saved 50 episodes")  # "saved 50 episodes (F frames) to ... | A attempts finished ..."
  frames=$(echo "$saved" | sed -E 's/.*\(([0-9]+) frames\).*/\1/')
  attempts=$(echo "$saved" | sed -E 's/.*\| ([0-9]+) attempts.*/\1/')
  echo "{\"randomness\": \"$level\", \"episodes\": 50, \"attempts\": $attempts, \"frames\": $frames, \"collect_s\": $(( $(date +%s) - start ))}" \
    > $OUT/collect_${level}_release.json
done
