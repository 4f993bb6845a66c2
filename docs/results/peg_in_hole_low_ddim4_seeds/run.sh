#!/usr/bin/env bash
# Two PPO seeds of a 280-iteration run over the deterministic base sampled with 4 DDIM steps (the
# paper's setting during RL). Index rows N2 and P8 of docs/results/README.md.
#   1. seed 0: the 4-step pipeline run of peg_in_hole_low_streaming_base/run.sh (outputs/ddim4: its
#      demos, streaming base and 80 PPO iterations) resumed to 280 iterations through
#      scripts/run_demo.sh (constant learning rate: the same as one long run);
#   2. seed 1: a fresh 280-iteration PPO run (RL_SEED=1) over the same base, through the same script.
# Both are evaluated by the script on the same 256 held-out episodes (seed 1000), with and without
# perturbations, against the base's evaluations.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results/peg_in_hole_low_ddim4_seeds
mkdir -p outputs/ddim4/eval80
# the 80-iteration evaluations (kept in peg_in_hole_low_streaming_base/pipeline_ddim4) make way for
# the 280-iteration ones
mv -f outputs/ddim4/eval/resip.json outputs/ddim4/eval/resip_perturbed.json outputs/ddim4/eval80/ 2>/dev/null || true
OUT_ROOT=outputs/ddim4 BASE_DDIM_STEPS=4 RL_ITERATIONS=280 EVAL_EVERY=10 scripts/run_demo.sh 2>&1 | tee outputs/ddim4_280.log
mkdir -p outputs/seed1/eval && cp -r outputs/ddim4/dataset outputs/ddim4/base outputs/seed1/
cp outputs/ddim4/eval/base.json outputs/ddim4/eval/base_perturbed.json outputs/seed1/eval/
OUT_ROOT=outputs/seed1 BASE_DDIM_STEPS=4 RL_ITERATIONS=280 RL_SEED=1 EVAL_EVERY=10 scripts/run_demo.sh 2>&1 | tee outputs/seed1.log
for run in ddim4:seed0 seed1:seed1; do
    src=outputs/${run%%:*} dst=$F/${run##*:}
    mkdir -p $dst
    cp $src/eval/*.json $src/resip/metrics.jsonl $dst/
    cp -r $src/report/. $dst/report/
done
grep "===" outputs/ddim4_280.log > $F/seed0/stages.txt
grep "===" outputs/seed1.log > $F/seed1/stages.txt
