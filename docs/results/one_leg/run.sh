#!/usr/bin/env bash
# Reproduces docs/results/one_leg: the scripted expert's success, the simulator's throughput next
# to peg_in_hole, and the 50-demo datasets. Run from the repository root, with the project's venv.
# Outputs land in docs/results/one_leg/ (JSON) and outputs/one_leg_{low,med}_demos (datasets).
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=docs/results/one_leg
export HF_HUB_OFFLINE=1 MUJOCO_GL=egl

# Scripted expert, 200 seeded episodes each (seeds 0-199), default clearance 0.5 mm.
$PY benchmarks/expert_success.py --task one_leg --randomness low --episodes 200 > $OUT/expert_low.json
$PY benchmarks/expert_success.py --task one_leg --randomness med --episodes 200 > $OUT/expert_med.json
# peg_in_hole's expert, unchanged by one_leg (100%, 72.66 steps, as before it).
$PY benchmarks/expert_success.py --task peg_in_hole --randomness low --episodes 200 > $OUT/expert_peg_in_hole_low.json

# Simulator throughput: peg_in_hole as before, and one_leg's three phases at 64 envs next to it.
$PY benchmarks/bench_sim.py --steps 100 --envs 64 --one-leg-envs 64 > $OUT/bench_sim.json

# 50-demo datasets (git-ignored), timed.
for level in low med; do
  rm -rf outputs/one_leg_${level}_demos
  start=$(date +%s)
  .venv/bin/lerobot-resip-collect --env.type=furniture --env.task=one_leg --env.randomness=$level \
    --num_episodes=50 --num_envs=16 --seed=0 \
    --dataset.root=outputs/one_leg_${level}_demos --dataset.repo_id=local/one_leg_${level}
  echo "{\"randomness\": \"$level\", \"collect_s\": $(( $(date +%s) - start ))}" > $OUT/collect_${level}.json
done

# State-only diffusion base (policies/one_leg_diffusion_small.json: U-Net 64/64/128, lr 1e-3,
# 6000 steps) at low and med, each evaluated on 256 held-out seeded episodes (seed 1000, 700 control
# steps, deterministic base, 4 DDIM steps). At low also a second stage of 10000 steps from its weights
# (lr 1e-3, a new cosine cycle), evaluated at 4 and 16 DDIM steps, and how far 64 episodes get through
# the task's stages (progress.py).
eval_base() {  # eval_base <level> <checkpoint> <ddim steps> <output>
  .venv/bin/lerobot-resip-eval --policy.path=$2 --env.type=furniture --env.task=one_leg --env.randomness=$1 \
    --policy.base_num_inference_steps=$3 --policy.base_noise_scale=0 \
    --num_episodes=256 --num_envs=128 --seed=1000 --output_path=$4
}
train_base() {  # train_base <output dir> <dataset root> <dataset repo id> [lerobot-train flags]: the O1 preset
  local out=$1 root=$2 repo=$3
  shift 3
  rm -rf $out
  OMP_NUM_THREADS=1 .venv/bin/lerobot-train --config_path=policies/one_leg_diffusion_small.json \
    --dataset.root=$root --dataset.repo_id=$repo --output_dir=$out "$@"
}
train_longer() {  # train_longer <output dir of a base> <dataset root> <dataset repo id>: 10000 more steps
  # from its weights (lr 1e-3, a new cosine cycle) into <output dir>_stage2
  local out=$1 root=$2 repo=$3
  rm -rf ${out}_stage2
  OMP_NUM_THREADS=1 .venv/bin/lerobot-train --policy.path=$out/checkpoints/last/pretrained_model \
    --dataset.root=$root --dataset.repo_id=$repo --dataset.streaming=true \
    --num_workers=1 --steps=10000 --save_freq=5000 --batch_size=64 --log_freq=500 --wandb.enable=false \
    --policy.push_to_hub=false --policy.optimizer_lr=0.001 --output_dir=${out}_stage2
}
blowups() { PYTHONPATH=. $PY docs/results/one_leg/blowups.py "$@"; }
for level in low med; do
  out=outputs/one_leg_base/$level
  start=$(date +%s)
  train_base $out outputs/one_leg_${level}_demos local/one_leg_${level}
  echo "{\"randomness\": \"$level\", \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_${level}.json
  eval_base $level $out/checkpoints/last/pretrained_model 4 $OUT/base_${level}_6k_ddim4.json
done

out=outputs/one_leg_base/low
start=$(date +%s)
train_longer $out outputs/one_leg_low_demos local/one_leg_low
echo "{\"randomness\": \"low\", \"stage\": 2, \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_low_stage2.json
for steps in 4 16; do
  eval_base low ${out}_stage2/checkpoints/last/pretrained_model $steps $OUT/base_low_16k_ddim${steps}.json
done
for ckpt in $out ${out}_stage2; do
  for steps in 4 16; do
    PYTHONPATH=. $PY docs/results/one_leg/progress.py $ckpt/checkpoints/last/pretrained_model 64 low \
      --base_noise_scale=0 --base_num_inference_steps=$steps
  done
done > $OUT/base_low_progress.jsonl
PYTHONPATH=. $PY docs/results/one_leg/progress.py expert 64 low >> $OUT/base_low_progress.jsonl
# Two observation steps (LeRobot's default; the resip wrapper keeps each env's history): the O1 preset
# with --policy.n_obs_steps=2, evaluated as O1, and its stage counts.
out=outputs/one_leg_base/low_obs2
start=$(date +%s)
train_base $out outputs/one_leg_low_demos local/one_leg_low --policy.n_obs_steps=2
echo "{\"randomness\": \"low\", \"n_obs_steps\": 2, \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_low_obs2.json
eval_base low $out/checkpoints/last/pretrained_model 4 $OUT/base_low_obs2_6k_ddim4.json
PYTHONPATH=. $PY docs/results/one_leg/progress.py $out/checkpoints/last/pretrained_model 64 low \
  --base_noise_scale=0 --base_num_inference_steps=4 > $OUT/base_low_obs2_progress.jsonl
# Blow-ups: what trips the check in that base's episodes (8 diagnosed), and each physics variant alone;
# the expert as shipped and with Franka's torque limits.
ckpt=$out/checkpoints/last/pretrained_model
P="--base_noise_scale=0 --base_num_inference_steps=4"
blowups $ckpt 256 128 --diagnose 8 -- $P > $OUT/blowups_obs2_shipped.json
blowups $ckpt 256 128 --arm_torque_limits -- $P > $OUT/blowups_obs2_torque_limits.json
blowups $ckpt 256 128 --contact_timeconst 0.0075 -- $P > $OUT/blowups_obs2_contacts_7.5ms.json
blowups $ckpt 256 128 --timestep 0.00125 -- $P > $OUT/blowups_obs2_timestep_1.25ms.json
blowups expert 64 64 > $OUT/blowups_expert_shipped.json
blowups outputs/one_leg_base/low/checkpoints/last/pretrained_model 256 128 \
  --diagnose 4 -- $P > $OUT/blowups_o1_shipped.json
blowups expert 64 64 --arm_torque_limits > $OUT/blowups_expert_torque_limits.json
blowups $ckpt 256 128 --arm_torque_limits 1000,1000,1000,1000,12,12,12 -- $P \
  > $OUT/blowups_obs2_wrist_limits.json
blowups expert 64 64 --arm_torque_limits 1000,1000,1000,1000,12,12,12 \
  > $OUT/blowups_expert_wrist_limits.json
for limits in 87,87,87,87,1000,1000,1000 174,174,174,174,24,24,24 300,300,300,300,12,12,12; do
  blowups expert 16 16 --arm_torque_limits $limits \
    | $PY -c "import json, sys; d = json.load(sys.stdin); d.pop('diagnosed'); print(json.dumps(d))"
done > $OUT/blowups_expert_limit_probes.jsonl
# 200 demos instead of 50 (the O1 preset at the same 6000 steps: 4 passes instead of 16), evaluated as O1.
rm -rf outputs/one_leg_low_demos200
start=$(date +%s)
.venv/bin/lerobot-resip-collect --env.type=furniture --env.task=one_leg --env.randomness=low \
  --num_episodes=200 --num_envs=16 --seed=0 \
  --dataset.root=outputs/one_leg_low_demos200 --dataset.repo_id=local/one_leg_low200
echo "{\"randomness\": \"low\", \"episodes\": 200, \"collect_s\": $(( $(date +%s) - start ))}" > $OUT/collect_low_200.json
out=outputs/one_leg_base/low_demos200
start=$(date +%s)
train_base $out outputs/one_leg_low_demos200 local/one_leg_low200
echo "{\"randomness\": \"low\", \"demos\": 200, \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_low_demos200.json
eval_base low $out/checkpoints/last/pretrained_model 4 $OUT/base_low_demos200_6k_ddim4.json
PYTHONPATH=. $PY docs/results/one_leg/progress.py $out/checkpoints/last/pretrained_model 64 low \
  --base_noise_scale=0 --base_num_inference_steps=4 > $OUT/base_low_demos200_progress.jsonl
# ... and 10000 more steps from its weights, as O2 for O1.
start=$(date +%s)
train_longer $out outputs/one_leg_low_demos200 local/one_leg_low200
echo "{\"randomness\": \"low\", \"demos\": 200, \"stage\": 2, \"train_s\": $(( $(date +%s) - start ))}" > $OUT/base_train_low_demos200_stage2.json
eval_base low ${out}_stage2/checkpoints/last/pretrained_model 4 $OUT/base_low_demos200_16k_ddim4.json

# E6: the deepest stud-bore contact over the expert's episodes of seeds 7 and 8 (the slow test's)
$PY docs/results/one_leg/stud_depth.py 7,8 > $OUT/stud_depth_turn_ramp.json

# Where the base fails: the expert plays each of 64 held-out episodes up to a stage, then the 16000-step base
# (16 DDIM steps, deterministic) plays the rest (handover.py)
for point in screw carry lifted leg start; do
  HF_HUB_OFFLINE=1 PYTHONPATH=. $PY docs/results/one_leg/handover.py outputs/one_leg_base/low_stage2/checkpoints/last/pretrained_model 64 $point \
    --base_noise_scale=0 --base_num_inference_steps=16
done > $OUT/handover.jsonl
