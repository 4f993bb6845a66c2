#!/usr/bin/env bash
# O18: how many of each 32-action chunk O12 executes before sampling the next (`--policy.n_action_steps`,
# the `resip` wrapper's field; LeRobot's default for this preset is 8), on the 256 held-out `low` episodes
# of seed 1000 at 16 DDIM steps without sampling noise, the chosen setting and the preset's again on 256
# fresh episodes (seed 2000), the preset's 8 at 50 DDIM steps, and O17 (the `med` base) at `med` with 24.
# Needs release_study.sh's O12 and base_med_release.sh's O17. Run from the repository root; about 27
# minutes on a 2-core CPU. Output: JSON files beside this script.
set -euo pipefail
OUT=docs/results/one_leg
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
med_base=outputs/one_leg_base/med_release/checkpoints/last/pretrained_model
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
evaluate() {  # evaluate <DDIM steps> <actions executed per chunk> <seed> <output JSON> [checkpoint] [randomness]
  .venv/bin/lerobot-resip-eval --policy.path=${5:-$base} --env.type=furniture --env.task=one_leg --env.randomness=${6:-low} \
    --policy.base_num_inference_steps=$1 --policy.n_action_steps=$2 --policy.base_noise_scale=0 \
    --num_episodes=256 --num_envs=128 --seed=$3 --output_path=$4
}
# 8 actions at seed 1000 is O12's own row, release_study.sh's base_low_o12_16k_ddim16.json.
for actions in 4 16 24 32; do
  evaluate 16 $actions 1000 $OUT/base_low_o12_ddim16_na$actions.json
done
evaluate 16 24 2000 $OUT/base_low_o12_ddim16_na24_seed2000.json
evaluate 16 8 2000 $OUT/base_low_o12_ddim16_na8_seed2000.json
evaluate 50 8 1000 $OUT/base_low_o12_ddim50.json
evaluate 16 24 1000 $OUT/base_med_o17_ddim16_na24.json $med_base med
