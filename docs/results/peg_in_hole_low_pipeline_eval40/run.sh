#!/usr/bin/env bash
# The README pipeline from nothing at its defaults (the trainer evaluating every 40 iterations), then
# the same run continued to 280 iterations by the same script (index rows P1, P8 and N1 of
# docs/results/README.md). Both are compared, episode for episode and iteration by iteration, with
# the runs they must equal: the same pipeline with evaluations every 10 iterations
# (peg_in_hole_low_pipeline_ddim4_120) and the seed-0 run of peg_in_hole_low_ddim4_seeds.
set -e
cd "$(git rev-parse --show-toplevel)"
F=docs/results
FRESH=1 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_120.log
mkdir -p $F/peg_in_hole_low_pipeline_eval40 outputs/demo/eval_120
cp outputs/demo/eval/*.json outputs/demo/resip/metrics.jsonl $F/peg_in_hole_low_pipeline_eval40/
cp -r outputs/demo/report $F/peg_in_hole_low_pipeline_eval40/
grep "^===" outputs/pipeline_120.log > $F/peg_in_hole_low_pipeline_eval40/stages.txt
# the 120-iteration evaluations make way for the 280-iteration ones
mv outputs/demo/eval/resip.json outputs/demo/eval/resip_perturbed.json outputs/demo/eval_120/
RL_ITERATIONS=280 scripts/run_demo.sh 2>&1 | tee outputs/pipeline_280.log
mkdir -p $F/peg_in_hole_low_pipeline_eval40_280
cp outputs/demo/eval/resip*.json outputs/demo/resip/metrics.jsonl $F/peg_in_hole_low_pipeline_eval40_280/
cp -r outputs/demo/report $F/peg_in_hole_low_pipeline_eval40_280/
grep "^===" outputs/pipeline_280.log > $F/peg_in_hole_low_pipeline_eval40_280/stages.txt

.venv/bin/python - <<'PY'
import json
R = "docs/results/"
def same_episodes(a, b):
    a, b = json.load(open(R + a)), json.load(open(R + b))
    return a["success"] == b["success"] and a["episode_lengths"] == b["episode_lengths"]
def same_iterations(a, b):
    keys = ("train/success_rate", "ppo/policy_loss", "ppo/value_loss", "ppo/approx_kl", "env_steps")
    a, b = ([json.loads(line) for line in open(R + p)] for p in (a, b))
    return len(a) == len(b) and all(x.get(k) == y.get(k) for x, y in zip(a, b) for k in keys)
for name in ("base", "base_perturbed", "resip", "resip_perturbed"):
    print(name, "(120) same episodes:", same_episodes(f"peg_in_hole_low_pipeline_ddim4_120/{name}.json",
                                                       f"peg_in_hole_low_pipeline_eval40/{name}.json"))
for name in ("resip", "resip_perturbed"):
    print(name, "(280) same episodes:", same_episodes(f"peg_in_hole_low_ddim4_seeds/seed0/{name}.json",
                                                       f"peg_in_hole_low_pipeline_eval40_280/{name}.json"))
print("120 iterations same:", same_iterations("peg_in_hole_low_pipeline_ddim4_120/metrics.jsonl",
                                              "peg_in_hole_low_pipeline_eval40/metrics.jsonl"))
print("280 iterations same:", same_iterations("peg_in_hole_low_ddim4_seeds/seed0/metrics.jsonl",
                                              "peg_in_hole_low_pipeline_eval40_280/metrics.jsonl"))
PY
