#!/usr/bin/env bash
# The README pipeline from nothing on the gripper and wrist of S3 (fingers closing at most 0.19 m/s, wrist servos
# clamped at 12 N m), then the same run continued to 280 and 360 PPO iterations by the same script, re-evaluating ResiP's best checkpoint on the
# held-out seeds; the blow-ups of each stop counted (benchmarks/pipeline_blowups.py).
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_pipeline_fingers
mkdir -p outputs
.venv/bin/python benchmarks/bench_sim.py --steps 100 --envs 1 > "$F/bench_sim.txt" 2>&1
FRESH=1 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_120.log
for iterations in 120 280 360; do
    out="$F/$iterations"
    mkdir -p "$out"
    [ "$iterations" = 120 ] || RL_ITERATIONS=$iterations scripts/run_demo.sh 2>&1 | tee "outputs/pipeline_$iterations.log"
    cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl "$out/"
    cp -r outputs/demo/report "$out/"
    grep "^===" "outputs/pipeline_$iterations.log" > "$out/stages.txt"
    .venv/bin/python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip --evals "$out"/*.json > "$out/blowups.json"
done
