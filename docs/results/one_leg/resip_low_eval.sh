#!/usr/bin/env bash
# The held-out evaluations of resip_low.sh's run and its learning curve: O12 (the base, executing as many
# actions per chunk as the run) and the run's best checkpoint on 256 held-out `low` episodes (seed 1000,
# 16 DDIM steps, deterministic base, the residual's mean), without and with the paper's perturbations, the
# trainer's metrics copied here, and `lerobot-resip-report` over them. Run from the repository root after
# resip_low.sh; about 10 minutes on a 2-core CPU (15 at 8 actions per chunk).
# N_ACTION_STEPS=8 OUT_DIR=outputs/one_leg_resip/low evaluates O16 (files resip_low_*); the default, O19;
# OUT_DIR=outputs/one_leg_resip/low_expert_start NAME=resip_low_expert_start, O20 (resip_low_expert_start.sh).
# The base's perturbed evaluation is skipped when its file is here (delete it to run it again). BASE_JSON names
# the base's file (without .json) for a base rebuilt on another CPU, whose weights differ.
set -euo pipefail
OUT=docs/results/one_leg
run=${OUT_DIR:-outputs/one_leg_resip/low_na24}
actions=${N_ACTION_STEPS:-24}
if [ "$actions" = 8 ]; then base_json=base_low_o12_16k_ddim16 name=resip_low
else base_json=base_low_o12_ddim16_na$actions name=resip_low_na$actions; fi
name=${NAME:-$name}
base_json=${BASE_JSON:-$base_json}
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
evaluate() {  # evaluate <checkpoint> <perturb: true|false> <output JSON>
  .venv/bin/lerobot-resip-eval --policy.path=$1 --env.type=furniture --env.task=one_leg --env.randomness=low \
    --env.perturb=$2 --policy.base_num_inference_steps=16 --policy.n_action_steps=$actions \
    --policy.base_noise_scale=0 --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$3
}
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
# The base unperturbed is release_study.sh's (8 actions) or base_horizon.sh's (16, 24, 32) file.
[ -f $OUT/${base_json}_perturbed.json ] || evaluate $base true $OUT/${base_json}_perturbed.json
evaluate $run/checkpoints/best/pretrained_model false $OUT/${name}_best.json
evaluate $run/checkpoints/best/pretrained_model true $OUT/${name}_best_perturbed.json
cp $run/metrics.jsonl $OUT/${name}_metrics.jsonl
.venv/bin/lerobot-resip-report --run_dir=$run --out_dir=$OUT/report_$name \
  --eval base=$OUT/$base_json.json --eval resip=$OUT/${name}_best.json \
  --eval base_perturbed=$OUT/${base_json}_perturbed.json --eval resip_perturbed=$OUT/${name}_best_perturbed.json
