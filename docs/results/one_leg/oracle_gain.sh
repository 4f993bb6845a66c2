#!/usr/bin/env bash
# How much of O23's correction does a lift need? oracle_carry.py's correction scaled by ORACLE_GAIN (the share of
# the stud's lateral offset from the hole's axis that is removed), over O12 executing 24 actions a chunk (16 DDIM
# steps, deterministic base), from the reset on the 256 held-out episodes (seed 1000); and the full correction
# applied only in the last 20 mm above the bore's mouth, the region O32's gate lets the residual act in (O23 applies
# it up to 60 mm above). residual_direction.py measures the learned residual's gain on the same scale.
# Run from the repository root; about 4 minutes a line on a 2-core CPU (229-249 s on "Xeon 41.6k").
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl ORACLE_RADIUS_MM=20
OUT=docs/results/one_leg
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
run() {  # <gain> <height mm> <output file>
  ORACLE_GAIN=$1 ORACLE_HEIGHT_MM=$2 PYTHONPATH=. .venv/bin/python $OUT/oracle_carry.py eval --policy.path=$base \
    --env.type=furniture --env.task=one_leg --env.randomness=low --policy.base_num_inference_steps=16 \
    --policy.n_action_steps=24 --policy.base_noise_scale=0 --num_episodes=256 --num_envs=128 --seed=1000 \
    --output_path=$OUT/$3
}
run 0.25 60 oracle_gain025_na24.json
run 0.5 60 oracle_gain050_na24.json
run 1 20 oracle_height20mm_na24.json
