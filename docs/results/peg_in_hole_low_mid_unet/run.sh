#!/usr/bin/env bash
# A mid-size U-Net base (down dims 64, 128, 256: 4.5M parameters against the small preset's 1.4M),
# trained with exactly the README pipeline's two lerobot-train stages on its 50 demos; each stage
# evaluated on the 256 held-out episodes, the second measured with chunk_error and sampled with the
# reference code's DDIM warm start; then the pipeline's residual PPO over it, the held-out
# evaluations of its best checkpoint, the report, and a third cloning stage.
set -e
cd "$(git rev-parse --show-toplevel)"
source .venv/bin/activate
export HF_HUB_OFFLINE=1
# First run scripts/run_demo.sh at least up to its demos (outputs/demo/dataset).
D=outputs/exp_mid
DS=outputs/demo/dataset
ENV=(--env.type=furniture --env.task=peg_in_hole --env.randomness=low)
EV=("${ENV[@]}" --policy.base_num_inference_steps=16 --num_episodes=256 --num_envs=256 --seed=1000)
TRAIN=(--dataset.repo_id=local/peg_in_hole_demos --dataset.root=$DS --steps=3000 --save_freq=3000 --num_workers=2)
OMP_NUM_THREADS=1 lerobot-train --config_path=policies/peg_in_hole_diffusion_small.json \
  --policy.down_dims='[64,128,256]' "${TRAIN[@]}" --output_dir=$D/stage1
lerobot-resip-eval --policy.path=$D/stage1/checkpoints/last/pretrained_model "${EV[@]}" --output_path=$D/eval/stage1.json
OMP_NUM_THREADS=1 lerobot-train --policy.path=$D/stage1/checkpoints/last/pretrained_model --policy.optimizer_lr=0.001 \
  --policy.push_to_hub=false --batch_size=64 --log_freq=100 --wandb.enable=false "${TRAIN[@]}" --output_dir=$D/stage2
B=$D/stage2/checkpoints/last/pretrained_model
lerobot-resip-eval --policy.path=$B "${EV[@]}" --output_path=$D/eval/stage2.json
python -m benchmarks.chunk_error --policy_path $B --dataset_root $DS > $D/eval/chunk_error_stage2.json
for base in $B outputs/demo/base/stage2/checkpoints/last/pretrained_model; do  # update vs data-path cost
  OMP_NUM_THREADS=1 python -m benchmarks.bc_throughput --policy_path $base --dataset_root $DS --torch_threads 1 --batches 32
done
lerobot-resip-eval --policy.path=$B "${EV[@]}" --policy.base_warm_start_timestep=50 --output_path=$D/eval/stage2_warm50.json
lerobot-resip-train --policy.path=$B "${ENV[@]}" --policy.base_num_inference_steps=16 --num_envs=64 \
  --num_iterations=50 --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant \
  --eval_every=10 --eval_episodes=256 --output_dir=$D/resip
R=$D/resip/checkpoints/best/pretrained_model
lerobot-resip-eval --policy.path=$R "${EV[@]}" --output_path=$D/eval/resip.json
lerobot-resip-eval --policy.path=$R "${EV[@]}" --env.perturb=true --output_path=$D/eval/resip_perturbed.json
lerobot-resip-eval --policy.path=$B "${EV[@]}" --env.perturb=true --output_path=$D/eval/stage2_perturbed.json
# a third stage of the mid-size base, from the second's weights
OMP_NUM_THREADS=1 lerobot-train --policy.path=$B --policy.optimizer_lr=0.001 --policy.push_to_hub=false \
  --batch_size=64 --log_freq=100 --wandb.enable=false "${TRAIN[@]}" --output_dir=$D/stage3
lerobot-resip-eval --policy.path=$D/stage3/checkpoints/last/pretrained_model "${EV[@]}" --output_path=$D/eval/stage3.json
python -m benchmarks.chunk_error --policy_path $D/stage3/checkpoints/last/pretrained_model --dataset_root $DS \
  > $D/eval/chunk_error_stage3.json
lerobot-resip-report --run_dir=$D/resip --out_dir=$D/report --eval base=$D/eval/stage2.json \
  --eval resip=$D/eval/resip.json --eval base_perturbed=$D/eval/stage2_perturbed.json \
  --eval resip_perturbed=$D/eval/resip_perturbed.json
