#!/usr/bin/env bash
# O23: can a residual of ResiP's form lift O12 (24 actions executed a chunk, 16 DDIM steps, deterministic base)?
# oracle_carry.py adds a hand-written correction (the stud moved onto the nearest hole's axis while the upright
# leg is in the hand within 20 mm of it), with the expert handing over at `carry` (the first 64 held-out
# episodes) and from the reset (256 held-out episodes, seed 1000). Run from the repository root; about
# 4 minutes on a 2-core CPU.
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl ORACLE_RADIUS_MM=20
OUT=docs/results/one_leg
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
PYTHONPATH=. .venv/bin/python $OUT/oracle_carry.py handover.py $base 64 carry \
  --base_num_inference_steps=16 --n_action_steps=24 --base_noise_scale=0 > $OUT/oracle_carry_radius20mm_na24.jsonl
PYTHONPATH=. .venv/bin/python $OUT/oracle_carry.py eval --policy.path=$base --env.type=furniture --env.task=one_leg \
  --env.randomness=low --policy.base_num_inference_steps=16 --policy.n_action_steps=24 --policy.base_noise_scale=0 \
  --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$OUT/oracle_radius20mm_na24.json
