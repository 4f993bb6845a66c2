#!/usr/bin/env bash
# Reproduces the figures of this folder's README (run from the repository root, after
# scripts/run_demo.sh has cloned a base; BASE defaults to its checkpoint). Each writes a JSON here.
set -euo pipefail
source scripts/bootstrap.sh >/dev/null
HERE=docs/results/loop_speed
BASE="${BASE:-outputs/demo/base/stage1/checkpoints/last/pretrained_model}"

# T7: base sampling, one candidate at a time, against eager one-thread sampling in the same run
python -m benchmarks.bench_base_sampling --base_path "$BASE" > "$HERE/bench_base_sampling.json"
# T8: physics cost by phase, and each solver / model candidate alone (with the expert's success)
python -m benchmarks.physics_phases > "$HERE/physics_phases.json"
# T9: lerobot-train with and without torch.compile, 300 steps of the pipeline's base
for compile in false true; do
    lerobot-train --config_path=policies/peg_in_hole_diffusion_small.json --steps=300 --log_freq=100 \
        --policy.compile_model=$compile --output_dir="outputs/loop_speed/compile_$compile" 2>&1 \
        | grep -o "step:[0-9]*00 .*updt_s:[0-9.]* data_s:[0-9.]*" | sed "s/^/compile_model=$compile /"
done > "$HERE/train_compile_log.txt"
# B18: the base in one stage or two (BASE_FINETUNE_STEPS=3000), 256 held-out episodes each
for ckpt in stage1 stage2; do
    path="outputs/demo/base/$ckpt/checkpoints/last/pretrained_model"
    [ -d "$path" ] || continue
    lerobot-resip-eval --policy.path="$path" --env.type=furniture --env.task=peg_in_hole --env.randomness=low \
        --policy.base_num_inference_steps=4 --policy.base_noise_scale=0 --num_episodes=256 --num_envs=256 \
        --seed=1000 --output_path="$HERE/base_$ckpt.json"
done
# T11, T12: ExpMish and bfloat16 against torch's Mish, 5 rotated rounds (medians)
python -m benchmarks.bench_base_sampling --base_path "$BASE" --rounds 5 --variants exp_mish exp_mish_threads2 \
    threads2 inference_mode bf16 bf16_weights bf16_weights_threads2 > "$HERE/bench_base_sampling_rounds.json"
# T11: the PPO loop (T4's settings) with the base's Mish as torch computes it (check out f321b32~1 for it) and as ExpMish does
python -m benchmarks.bench_resip --base_path "$BASE" --steps 120 --policy_overrides base_num_inference_steps=4 \
    base_noise_scale=0 task_features=peg_in_hole --ppo_overrides num_minibatches=4 actor_lr=0.001 \
    > "$HERE/bench_resip_exp_mish.json"
