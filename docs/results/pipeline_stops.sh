#!/usr/bin/env bash
# The README pipeline from nothing (`FRESH=1 scripts/run_demo.sh`, 120 PPO iterations), then the same run continued
# by the same script to each further stop, each continuation re-evaluating ResiP's best checkpoint on the held-out
# seeds. Per stop, FOLDER/<iterations>/ gets the evaluation JSONs, metrics.jsonl, the report, the stage times and the
# blow-ups; FOLDER/bench_sim.txt the machine's bare mj_step rate. Run from anywhere in the repository:
#   docs/results/pipeline_stops.sh docs/results/<folder> 120 200 280
set -e
cd "$(git rev-parse --show-toplevel)"
F="$1"; shift
mkdir -p outputs
.venv/bin/python benchmarks/bench_sim.py --steps 100 --envs 1 > "$F/bench_sim.txt" 2>&1
FRESH=1 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_120.log
for iterations in "$@"; do
    out="$F/$iterations"
    mkdir -p "$out"
    [ "$iterations" = 120 ] || RL_ITERATIONS=$iterations scripts/run_demo.sh 2>&1 | tee "outputs/pipeline_$iterations.log"
    cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl "$out/"
    cp -r outputs/demo/report "$out/"
    grep "^===" "outputs/pipeline_$iterations.log" > "$out/stages.txt"
    .venv/bin/python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip --evals "$out"/*.json > "$out/blowups.json"
done
