#!/usr/bin/env bash
# Main pipeline, end to end. Every output lands under outputs/demo/.
# Usage: scripts/run_demo.sh            (NUM_EPISODES=<n> to change the number of demos)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/bootstrap.sh
source "$REPO_ROOT/scripts/bootstrap.sh"
cd "$REPO_ROOT"

OUT_ROOT="outputs/demo"
TASK="peg_in_hole"
RANDOMNESS="low"
NUM_EPISODES="${NUM_EPISODES:-50}"
DATASET_REPO_ID="local/${TASK}_demos"
DATASET_ROOT="$OUT_ROOT/dataset"

stage() {
    echo
    echo "=== [$(date +%H:%M:%S)] $* ==="
}

collect_demos() {
    stage "collect $NUM_EPISODES scripted-expert demos -> $DATASET_ROOT"
    # The dataset writer refuses an existing root: start each demo run from a clean one.
    rm -rf "$DATASET_ROOT"
    lerobot-resip-collect \
        --env.type=furniture \
        --env.task="$TASK" \
        --env.randomness="$RANDOMNESS" \
        --num_episodes="$NUM_EPISODES" \
        --dataset.repo_id="$DATASET_REPO_ID" \
        --dataset.root="$DATASET_ROOT"
}

main() {
    mkdir -p "$OUT_ROOT"
    collect_demos
    stage "done: outputs in $OUT_ROOT"
}

main "$@"
