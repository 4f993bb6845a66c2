#!/bin/bash
# Blow-up rate of peg_in_hole rollouts (docs/results/blowups/README.md). Run from the repository root:
#   RESIP=<resip pretrained_model> BASE=<diffusion pretrained_model> docs/results/blowups/run.sh [EPISODES]
# ResiP-like rollouts (residual sampled, as PPO's training rollouts) and base rollouts (residual zero),
# 120-step episodes, 64 envs, seed 0; each writes one JSON with the rate, its 95% interval and a diagnosis
# of every blow-up. EPISODES defaults to the 10,000 per policy (hours on 2 cores).
set -euo pipefail
EPISODES="${1:-10048}"
OUT="${OUT:-outputs/blowups}"
mkdir -p "$OUT"
# S2, on its physics (fingers kv 20, wrist unclamped; today's are S3's)
python docs/results/blowups/probes/physics_rate.py 20 0 --policy "$RESIP" --base "$BASE" --residual sample \
    --episodes "$EPISODES" --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz" --output "$OUT/resip_sample.json"
python docs/results/blowups/probes/physics_rate.py 20 0 --policy "$BASE" --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz" --output "$OUT/base.json"
# S2's candidate fix on the same ResiP episodes: the arm's joint targets low-pass filtered, time constant 30 ms
# (S2 ran it on S2's physics; today it filters today's arm)
python docs/results/blowups/probes/filter_rate.py 0.03 --policy "$RESIP" --base "$BASE" --residual sample \
    --episodes "$EPISODES" --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_filter30" \
    --output "$OUT/resip_sample_filter30ms.json"

# S3 (needs S2's recorded blow-ups in $OUT/npz, and today's physics: finger kv 200, wrist clamped at 12 N m).
P=docs/results/blowups/probes
S2="$OUT/npz"
# S2's blow-ups continued past the check, and their last step with slower fingers, on the physics they were recorded on
python $P/continue_past.py --finger-kv 20 --wrist-limit 0 "$S2"/*.npz > docs/results/blowups/continue_past_s2.txt
python $P/finger_speed.py "$S2"/*.npz > docs/results/blowups/finger_speed_probe.txt
# the rates with the fingers at kv 200 and the wrist unclamped (f4c12da's physics)
for policy in resip_sample base; do
    if [ $policy = base ]; then args=(--policy "$BASE"); else args=(--policy "$RESIP" --base "$BASE" --residual sample); fi
    python $P/physics_rate.py 200 0 "${args[@]}" --episodes "$EPISODES" --num-envs 64 --episode-length 120 --seed 0 \
        --save-dir "$OUT/npz_fingers" --output "$OUT/s3_fingers_$policy.json"
done
# their blow-ups: continued past the check; candidate arms from the last good state, and the expert with each
python $P/continue_past.py --finger-kv 200 --wrist-limit 0 "$OUT"/npz_fingers/*.npz > docs/results/blowups/continue_past_fingers.txt
python $P/squeeze.py events "$OUT"/npz_fingers/*.npz > docs/results/blowups/squeeze_probe.txt
for v in franka_limits franka_limits_joint_damping wrist_limit; do python $P/squeeze.py expert $v; done > docs/results/blowups/squeeze_expert.jsonl
python $P/squeeze.py expert franka_limits_joint_damping 4 >> docs/results/blowups/squeeze_expert.jsonl
# today's physics (wrist clamped): the rates, and the experts
python benchmarks/blowup_rate.py --policy "$RESIP" --base "$BASE" --residual sample --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_wrist" --output "$OUT/s3_wrist_resip_sample.json"
python benchmarks/blowup_rate.py --policy "$BASE" --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_wrist" --output "$OUT/s3_wrist_base.json"
for task in peg_in_hole one_leg biman_insert; do python benchmarks/expert_success.py --task $task --episodes 200; done \
    > docs/results/blowups/expert_shipped.jsonl
python benchmarks/expert_success.py --task one_leg --randomness med --episodes 200 >> docs/results/blowups/expert_shipped.jsonl

# S4 (the squeeze of a held peg; needs S3's recorded blow-ups in $OUT/npz_wrist): each one's last control step with
# the joint-target step limited, on the physics it was recorded with; then the rates on today's controller (joints 1-4
# at most 0.075 rad ahead of their targets), the experts, and how deep the peg sinks into the walls in insertions
python $P/joint_step.py events "$OUT"/npz_wrist/*.npz > docs/results/blowups/joint_step_probe.txt
python $P/joint_step.py trace "$OUT"/npz_wrist/blowup_seed3906703189.npz > docs/results/blowups/joint_step_trace_3906703189.txt
python benchmarks/blowup_rate.py --policy "$BASE" --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_arm075" --output "$OUT/s4_base.json"
python benchmarks/blowup_rate.py --policy "$RESIP" --base "$BASE" --residual sample --episodes "$EPISODES" \
    --num-envs 64 --episode-length 120 --seed 0 --save-dir "$OUT/npz_arm075" --output "$OUT/s4_resip_sample.json"
for task in peg_in_hole one_leg biman_insert; do python benchmarks/expert_success.py --task $task --episodes 200; done \
    > docs/results/blowups/expert_s4.jsonl
python benchmarks/expert_success.py --task one_leg --randomness med --episodes 200 >> docs/results/blowups/expert_s4.jsonl
for c in 0.5 0.2; do python benchmarks/penetration_depth.py --clearance-mm $c
    python benchmarks/penetration_depth.py --clearance-mm $c --unlimited-joint-step; done > docs/results/blowups/penetration_depth.jsonl
