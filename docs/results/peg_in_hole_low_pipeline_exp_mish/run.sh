#!/usr/bin/env bash
# The README pipeline from nothing at today's defaults (the base's Mish computed by ExpMish), then the same
# run continued to 200 and to 280 PPO iterations by the same script, each continuation re-evaluating
# ResiP's best checkpoint on the held-out seeds: the pipeline's stage times and its time to 90%.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_pipeline_exp_mish
mkdir -p outputs
.venv/bin/python benchmarks/bench_sim.py --steps 100 --envs 1 > "$F/bench_sim.txt" 2>&1
FRESH=1 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_120.log
for iterations in 120 200 280; do
    out="$F/$iterations"
    mkdir -p "$out"
    [ "$iterations" = 120 ] || RL_ITERATIONS=$iterations scripts/run_demo.sh 2>&1 | tee "outputs/pipeline_$iterations.log"
    cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl "$out/"
    cp -r outputs/demo/report "$out/"
    grep "^===" "outputs/pipeline_$iterations.log" > "$out/stages.txt"
    .venv/bin/python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip --evals "$out"/*.json > "$out/blowups.json"
done
