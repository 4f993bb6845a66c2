#!/usr/bin/env bash
# The held-out evaluations of resip_low.sh's run and its learning curve: O12 (the base) and the run's
# best checkpoint on 256 held-out `low` episodes (seed 1000, 16 DDIM steps, deterministic base, the
# residual's mean), without and with the paper's perturbations, and `lerobot-resip-report` over the
# trainer's metrics. Run from the repository root after resip_low.sh; about 15 minutes on a 2-core CPU.
set -euo pipefail
OUT=docs/results/one_leg
run=${OUT_DIR:-outputs/one_leg_resip/low}
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
evaluate() {  # evaluate <checkpoint> <perturb: true|false> <output JSON>
  .venv/bin/lerobot-resip-eval --policy.path=$1 --env.type=furniture --env.task=one_leg --env.randomness=low \
    --env.perturb=$2 --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 \
    --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$3
}
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
# O12 unperturbed is release_study.sh's base_low_o12_16k_ddim16.json.
evaluate $base true $OUT/base_low_o12_16k_ddim16_perturbed.json
evaluate $run/checkpoints/best/pretrained_model false $OUT/resip_low_best.json
evaluate $run/checkpoints/best/pretrained_model true $OUT/resip_low_best_perturbed.json
.venv/bin/lerobot-resip-report --run_dir=$run --out_dir=$OUT/report_resip_low \
  --eval base=$OUT/base_low_o12_16k_ddim16.json --eval resip=$OUT/resip_low_best.json \
  --eval base_perturbed=$OUT/base_low_o12_16k_ddim16_perturbed.json --eval resip_perturbed=$OUT/resip_low_best_perturbed.json
