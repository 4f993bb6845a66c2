#!/usr/bin/env bash
# The README pipeline from nothing at its defaults (one cloning stage, contacts with a 7.5 ms time
# constant), then the same run continued to 280 iterations by the same script (index rows P10, N4 and
# S1 of docs/results/README.md); the blow-ups recorded by both.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_pipeline_one_stage
mkdir -p outputs "$F" "${F}_280"
FRESH=1 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_120.log
cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl "$F/"
cp -r outputs/demo/report "$F/"
grep "^===" outputs/pipeline_120.log > "$F/stages.txt"
.venv/bin/python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip --evals "$F"/*.json > "$F/blowups.json"
# the continuation re-evaluates ResiP's best checkpoint when it changes
RL_ITERATIONS=280 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_280.log
cp outputs/demo/eval/resip*.json outputs/demo/resip/metrics.jsonl "${F}_280/"
cp -r outputs/demo/report "${F}_280/"
grep "^===" outputs/pipeline_280.log > "${F}_280/stages.txt"
.venv/bin/python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip \
    --evals "$F"/base*.json "${F}_280"/resip*.json > "${F}_280/blowups.json"
