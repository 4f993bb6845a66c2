#!/usr/bin/env bash
# biman_insert's diffusion base: why the peg_in_hole-sized network did not fit, and the base that does.
#   1. benchmarks/diffusion_fit_probe.py: 200-step loss curves held in memory, varying the number of action
#      dimensions, their content and the network's width (-> probe_*.json)
#   2. lerobot-resip-collect: 50 scripted-expert demos at `low` (skipped when $OUT/dataset exists)
#   3. lerobot-train with policies/biman_insert_diffusion_small.json, 3000 steps; lerobot-resip-eval on 256
#      held-out episodes (--seed=1000) -> base.json
# PROBES_ONLY=1 runs step 1 only. Intermediate files go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export HF_HUB_OFFLINE=1 PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-outputs/biman_insert}
RES=docs/results/biman_insert_base
ENV_ARGS=(--env.type=biman_insert --env.task=biman_insert --env.randomness=low)

if [ ! -f "$OUT/dataset/.complete" ]; then
    rm -rf "$OUT/dataset"
    .venv/bin/lerobot-resip-collect "${ENV_ARGS[@]}" --num_episodes=50 \
        --dataset.repo_id=local/biman_insert_demos --dataset.root="$OUT/dataset"
    touch "$OUT/dataset/.complete"
fi

probe() {  # probe <name> <args...>
    local name="$1"
    shift
    $PY benchmarks/diffusion_fit_probe.py --preset policies/biman_insert_diffusion_small.json \
        --dataset "$OUT/dataset" --steps 200 "$@" > "$RES/probe_$name.json"
}
probe 20d_down32 --action_dims all --down_dims 32,64,128
probe left_arm_down32 --action_dims 0-9 --down_dims 32,64,128
probe right_arm_down32 --action_dims 10-19 --down_dims 32,64,128
probe left_arm_twice_down32 --action_dims 0-9,0-9 --down_dims 32,64,128
probe 20d_down64 --action_dims all --down_dims 64,64,128
probe 20d_down64_128_256 --action_dims all --down_dims 64,128,256
[ "${PROBES_ONLY:-0}" = 1 ] && exit 0

rm -rf "$OUT/base"
OMP_NUM_THREADS=1 .venv/bin/lerobot-train --config_path=policies/biman_insert_diffusion_small.json \
    --dataset.repo_id=local/biman_insert_demos --dataset.root="$OUT/dataset" --output_dir="$OUT/base"
.venv/bin/lerobot-resip-eval --policy.path="$OUT/base/checkpoints/last/pretrained_model" "${ENV_ARGS[@]}" \
    --policy.base_num_inference_steps=4 --policy.base_noise_scale=0 \
    --num_episodes=256 --num_envs=256 --seed=1000 --output_path="$RES/base.json"
