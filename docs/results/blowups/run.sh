#!/bin/bash
# Blow-up rate of peg_in_hole rollouts (docs/results/blowups/README.md). Run from the repository root:
#   RESIP=<resip pretrained_model> BASE=<diffusion pretrained_model> docs/results/blowups/run.sh [EPISODES]
# ResiP-like rollouts (residual sampled, as PPO's training rollouts) and base rollouts (residual zero),
# 120-step episodes, 64 envs, seed 0; each writes one JSON with the rate, its 95% interval and a diagnosis
# of every blow-up. EPISODES defaults to the 10,000 per policy (hours on 2 cores).
set -euo pipefail
EPISODES="${1:-10048}"
OUT="${OUT:-outputs/blowups}"
mkdir -p "$OUT"
python benchmarks/blowup_rate.py --policy "$RESIP" --base "$BASE" --residual sample --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz" --output "$OUT/resip_sample.json"
python benchmarks/blowup_rate.py --policy "$BASE" --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz" --output "$OUT/base.json"
# S2's candidate fix on the same ResiP episodes: the arm's joint targets low-pass filtered, time constant 30 ms
python docs/results/blowups/probes/filter_rate.py 0.03 --policy "$RESIP" --base "$BASE" --residual sample \
    --episodes "$EPISODES" --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_filter30" \
    --output "$OUT/resip_sample_filter30ms.json"
