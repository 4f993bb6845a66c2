#!/usr/bin/env bash
# The hand-overs behind O20 (resip_low_expert_start.sh): the expert plays the first 64 held-out `low` episodes
# until the leg is upright in its hand (`carry`), then O12 executing 24 actions a chunk (16 DDIM steps,
# deterministic base) plays the rest: with the residual's mean (zero: the base alone), and with a sample of
# a fresh residual's exploration noise at log-std -2 and -3. Output: handover_carry_na24.jsonl beside this
# script. Run from the repository root; about 4 minutes on a 2-core CPU.
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
OUT=docs/results/one_leg
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
flags="--base_num_inference_steps=16 --n_action_steps=24 --base_noise_scale=0"
{
  PYTHONPATH=. .venv/bin/python $OUT/handover.py $base 64 carry $flags
  for log_std in -2 -3; do
    PYTHONPATH=. .venv/bin/python $OUT/handover.py $base 64 carry --sample_residual $flags --init_log_std=$log_std
  done
} > $OUT/handover_carry_na24.jsonl
