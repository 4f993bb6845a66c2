#!/usr/bin/env bash
# After the README pipeline: three more 3000-step cloning stages of its base (lr 1e-3, as its stage 2),
# each evaluated on the 256 held-out episodes and measured with chunk_error; then the pipeline's
# residual PPO stage over the last one, and the held-out evaluations of its best checkpoint.
set -e
cd "$(git rev-parse --show-toplevel)"
source .venv/bin/activate
export HF_HUB_OFFLINE=1
# First run scripts/run_demo.sh at least up to its base evaluations (outputs/demo/base/stage2).
D=outputs/exp_s5
DS=outputs/demo/dataset
EV=(--env.type=furniture --env.task=peg_in_hole --env.randomness=low --policy.base_num_inference_steps=16 --num_episodes=256 --num_envs=256 --seed=1000)
prev=outputs/demo/base/stage2/checkpoints/last/pretrained_model
mkdir -p $D
python -m benchmarks.chunk_error --policy_path $prev --dataset_root $DS 2>/dev/null > $D/chunk_error_stage2.json
for s in 3 4 5; do
  echo "stage $s start $(date +%T)"
  OMP_NUM_THREADS=1 lerobot-train --policy.path=$prev --policy.optimizer_lr=0.001 --policy.push_to_hub=false \
    --batch_size=64 --log_freq=100 --wandb.enable=false --dataset.repo_id=local/peg_in_hole_demos \
    --dataset.root=$DS --steps=3000 --save_freq=3000 --num_workers=2 --output_dir=$D/stage$s > $D/stage$s.log 2>&1
  prev=$D/stage$s/checkpoints/last/pretrained_model
  lerobot-resip-eval --policy.path=$prev "${EV[@]}" --output_path=$D/eval/base_stage$s.json > $D/eval_stage$s.log 2>&1
  python -m benchmarks.chunk_error --policy_path $prev --dataset_root $DS 2>/dev/null > $D/chunk_error_stage$s.json
  echo "stage $s done $(date +%T)"
done
echo "rl start $(date +%T)"
lerobot-resip-train --policy.path=$prev --env.type=furniture --env.task=peg_in_hole --env.randomness=low \
  --policy.base_num_inference_steps=16 --num_envs=64 --num_iterations=50 \
  --ppo.num_minibatches=4 --ppo.actor_lr=0.001 --ppo.lr_schedule=constant \
  --eval_every=10 --eval_episodes=256 --output_dir=$D/resip > $D/resip.log 2>&1
echo "rl done $(date +%T)"
R=$D/resip/checkpoints/best/pretrained_model
lerobot-resip-eval --policy.path=$R "${EV[@]}" --output_path=$D/eval/resip.json > $D/eval_resip.log 2>&1
lerobot-resip-eval --policy.path=$R "${EV[@]}" --env.perturb=true --output_path=$D/eval/resip_perturbed.json > $D/eval_resip_p.log 2>&1
lerobot-resip-eval --policy.path=$prev "${EV[@]}" --env.perturb=true --output_path=$D/eval/base_stage5_perturbed.json > $D/eval_base_p.log 2>&1
lerobot-resip-report --run_dir=$D/resip --out_dir=$D/report --eval base=$D/eval/base_stage5.json \
  --eval resip=$D/eval/resip.json --eval base_perturbed=$D/eval/base_stage5_perturbed.json \
  --eval resip_perturbed=$D/eval/resip_perturbed.json
echo "all done $(date +%T)"
