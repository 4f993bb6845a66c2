#!/usr/bin/env bash
# Which exploration noise the base tolerates, and which noise changes outcomes (behind O25, resip_low_xy.sh):
# the expert plays the first 64 held-out `low` episodes until the leg is upright in its hand (`carry`), then O12
# executing 24 actions a chunk (16 DDIM steps, deterministic base) plays the rest with a sample of a fresh
# residual (handover.py --sample_residual): its mean is zero, so only the noise differs from the base alone.
# Log-std per action dimension (x, y, z, 6 of rotation, gripper); -9 is no noise. Each line of the output
# lists the episodes that succeed (`success_ids`): against the base's, the episodes the noise rescued and lost.
# Output: explore_dims.jsonl beside this script. Run from the repository root; about 11 minutes on a 2-core CPU.
set -euo pipefail
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl
OUT=docs/results/one_leg
base=outputs/one_leg_base/low_release_stage2/checkpoints/last/pretrained_model
flags="--base_num_inference_steps=16 --n_action_steps=24 --base_noise_scale=0"
probe() {  # probe <hold steps> <log-std per dimension>
  PYTHONPATH=. .venv/bin/python $OUT/handover.py $base 64 carry --sample_residual --hold=$1 $flags --init_log_std_per_dim=[$2]
}
{
  PYTHONPATH=. .venv/bin/python $OUT/handover.py $base 64 carry $flags  # the base alone
  probe 1 -2,-2,-9,-9,-9,-9,-9,-9,-9,-9    # x, y only, a fresh draw every step
  probe 1 -9,-9,-2,-2,-2,-2,-2,-2,-2,-2    # everything but x, y
  probe 24 -2,-2,-9,-9,-9,-9,-9,-9,-9,-9   # x, y only, held for a chunk
  probe 24 -1.5,-1.5,-9,-9,-9,-9,-9,-9,-9,-9
  probe 24 -2.5,-2.5,-9,-9,-9,-9,-9,-9,-9,-9
  probe 24 -3,-3,-9,-9,-9,-9,-9,-9,-9,-9
  probe 6 -2,-2,-9,-9,-9,-9,-9,-9,-9,-9    # x, y only, held for 6 steps
  probe 6 -2,-2,-3,-3,-3,-3,-3,-3,-3,-3    # and -3 on the rest
} > $OUT/explore_dims.jsonl
