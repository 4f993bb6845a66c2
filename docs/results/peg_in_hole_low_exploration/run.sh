#!/usr/bin/env bash
# Is the residual's form or PPO's search what holds ResiP back on a 2-core CPU? Index rows L1-L4 of
# docs/results/README.md.
#   1. a deterministic base (--policy.base_noise_scale=0): evaluation, and the pipeline's PPO over it;
#   2. exploration noise held for a whole chunk (--exploration_hold_steps=8), same PPO otherwise;
#   3. a hand-written state-feedback correction of the residual's form (oracle_eval.py), no learning;
#   4. the same PPO with five task-space features added to the residual's input (relative_features.py).
# The base is the five-stage small base that docs/results/peg_in_hole_low_longer_cloning/run.sh makes in
# outputs/exp_s5; the mid-size base is the one peg_in_hole_low_mid_unet/run.sh makes in outputs/exp_mid.
set -e
cd "$(git rev-parse --show-toplevel)"
source .venv/bin/activate
export HF_HUB_OFFLINE=1
F=docs/results/peg_in_hole_low_exploration
D=outputs/exp_exploration
B=outputs/exp_s5/stage5/checkpoints/last/pretrained_model
MID=outputs/exp_mid/stage2/checkpoints/last/pretrained_model
ENV=(--env.type=furniture --env.task=peg_in_hole --env.randomness=low)
EV=("${ENV[@]}" --policy.base_num_inference_steps=16 --num_episodes=256 --num_envs=256 --seed=1000)
PPO=("${ENV[@]}" --policy.base_num_inference_steps=16 --policy.base_noise_scale=0 --num_envs=64
     --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant --eval_every=10 --eval_episodes=256)

# 1. deterministic base
lerobot-resip-eval --policy.path=$B "${EV[@]}" --policy.base_noise_scale=0 --output_path=$D/base_stage5_deterministic.json
lerobot-resip-eval --policy.path=$MID "${EV[@]}" --policy.base_noise_scale=0 --output_path=$D/base_mid_deterministic.json
lerobot-resip-train --policy.path=$B "${PPO[@]}" --num_iterations=50 --output_dir=$D/resip_det
lerobot-resip-eval --policy.path=$D/resip_det/checkpoints/best/pretrained_model "${EV[@]}" \
  --output_path=$D/resip_deterministic_base.json
# 2. held exploration noise (the committed metrics file stops at iteration 39: the run was stopped there)
lerobot-resip-train --policy.path=$B "${PPO[@]}" --num_iterations=50 --exploration_hold_steps=8 --output_dir=$D/resip_hold8
lerobot-resip-eval --policy.path=$D/resip_hold8/checkpoints/best/pretrained_model "${EV[@]}" --output_path=$D/resip_hold8.json
# 3. the hand-written correction over the stochastic stage-5 base (17.6% alone), three radii
for r in 10 30 60; do
  ORACLE_RADIUS_MM=$r python $F/oracle_eval.py --policy.path=$B "${EV[@]}" --output_path=$D/oracle_radius${r}mm.json
done
# 4. task-space features for the residual and the critic: 50 iterations, resumed to 100, 130, then 160
# (constant learning rate, so a resumed run is the same as one run of 160 iterations)
lerobot-resip-eval --policy.path=$B "${EV[@]}" --policy.base_noise_scale=0 --env.perturb=true \
  --output_path=$D/base_stage5_deterministic_perturbed.json
for it in 50 100 130 160; do
  resume=$([ $it -gt 50 ] && echo true || echo false)
  python $F/relative_features.py train $B --policy.path=$B "${PPO[@]}" --num_iterations=$it --resume=$resume \
    --output_dir=$D/resip_rel
  R=$D/resip_rel/checkpoints/best/pretrained_model
  python $F/relative_features.py eval $B --policy.path=$R "${EV[@]}" --output_path=$D/resip_relative_features_$it.json
  python $F/relative_features.py eval $B --policy.path=$R "${EV[@]}" --env.perturb=true \
    --output_path=$D/resip_relative_features_${it}_perturbed.json
done
lerobot-resip-report --run_dir=$D/resip_rel --out_dir=$D/report_relative_features \
  --eval base=$D/base_stage5_deterministic.json --eval resip=$D/resip_relative_features_160.json \
  --eval "base, perturbed=$D/base_stage5_deterministic_perturbed.json" \
  --eval "resip, perturbed=$D/resip_relative_features_160_perturbed.json"
