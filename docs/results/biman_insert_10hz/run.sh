#!/usr/bin/env bash
# biman_insert at 10 Hz: the scripted expert at both rates, 50 demos, the diffusion base (12000 steps),
# ResiP from it, and the evaluations (256 held-out episodes, --seed=1000), as in README.md beside this file.
#   STAGES="expert demos base resip eval" (default: all); OUT (default outputs/biman_insert_10hz) holds the
#   dataset and the checkpoints; RL_ITERATIONS (default 100) PPO iterations, resumable with a larger value.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-outputs/biman_insert_10hz}
RES=docs/results/biman_insert_10hz
STAGES=${STAGES:-expert demos base resip eval}
RL_ITERATIONS=${RL_ITERATIONS:-100}
ENV_ARGS=(--env.type=biman_insert --env.task=biman_insert --env.randomness=low --env.fps=10 --env.episode_length=200)
BASE=$OUT/base/checkpoints/last/pretrained_model
RESIP=$OUT/resip/checkpoints/best/pretrained_model
has() { [[ " $STAGES " == *" $1 "* ]]; }

if has expert; then
    $PY benchmarks/expert_success.py --task biman_insert --episodes 200 > $RES/expert_low_50hz.json
    $PY benchmarks/expert_success.py --task biman_insert --control-hz 10 --episode-length 200 --episodes 200 \
        > $RES/expert_low_10hz.json
fi
if has demos; then
    rm -rf "$OUT/dataset"
    .venv/bin/lerobot-resip-collect "${ENV_ARGS[@]}" --num_episodes=50 \
        --dataset.repo_id=local/biman_insert_10hz_demos --dataset.root="$OUT/dataset"
fi
if has base; then
    rm -rf "$OUT/base"
    OMP_NUM_THREADS=1 .venv/bin/lerobot-train --config_path=policies/biman_insert_10hz_diffusion_small.json \
        --dataset.root="$OUT/dataset" --output_dir="$OUT/base"
fi
if has resip; then
    if [ -d "$OUT/resip" ]; then
        .venv/bin/lerobot-resip-train --output_dir="$OUT/resip" --resume=true --num_iterations="$RL_ITERATIONS"
    else  # the README pipeline's PPO settings (scripts/run_demo.sh), 200-step episodes
        .venv/bin/lerobot-resip-train --policy.path="$BASE" "${ENV_ARGS[@]}" --policy.task_features=biman_insert \
            --policy.base_num_inference_steps=4 --policy.base_noise_scale=0 \
            --num_envs=64 --num_iterations="$RL_ITERATIONS" --seed=0 \
            --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant \
            --eval_every=25 --eval_episodes=128 --output_dir="$OUT/resip"
    fi
fi
if has eval; then
    for perturb in false true; do
        suffix=$([ $perturb = true ] && echo _perturbed || true)
        .venv/bin/lerobot-resip-eval --policy.path="$BASE" "${ENV_ARGS[@]}" --env.perturb=$perturb \
            --policy.base_num_inference_steps=4 --policy.base_noise_scale=0 \
            --num_episodes=256 --num_envs=256 --seed=1000 --output_path=$RES/base_low$suffix.json
        .venv/bin/lerobot-resip-eval --policy.path="$RESIP" "${ENV_ARGS[@]}" --env.perturb=$perturb \
            --num_episodes=256 --num_envs=256 --seed=1000 --output_path=$RES/resip_low$suffix.json
    done
    $PY docs/results/biman_insert_base/progress.py "$BASE" 128 10 200 > $RES/base_progress.json
    $PY docs/results/biman_insert_base/progress.py "$RESIP" 128 10 200 > $RES/resip_progress.json
    $PY docs/results/biman_insert_10hz/close_cue.py "$BASE" "$OUT/dataset" 32 10 200 > $RES/base_close_cue.txt
    cp "$OUT/resip/metrics.jsonl" $RES/metrics.jsonl
    .venv/bin/lerobot-resip-report --run_dir="$OUT/resip" --eval base=$RES/base_low.json \
        --eval resip=$RES/resip_low.json --eval base_perturbed=$RES/base_low_perturbed.json \
        --eval resip_perturbed=$RES/resip_low_perturbed.json --out_dir=$RES/report
fi
