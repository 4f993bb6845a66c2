#!/usr/bin/env bash
# ResiP fine-tuned against a compliant arm, for franky-sim's impedance-controlled FR3:
#   0. the starting checkpoint at several arm stiffnesses (benchmarks/arm_stiffness_probe.py, 256 held-out
#      episodes each -> arm_stiffness_probe.json; SKIP_START_PROBE=1 skips it);
#   1. PPO continued from a peg_in_hole ResiP checkpoint (default: scripts/run_demo.sh's best, 280 iterations) in
#      the training simulator with --env.arm_stiffness=$ARM_STIFFNESS (the arm's joint servo gains times that
#      factor), with the pipeline's PPO settings, for ITERATIONS iterations (resumes an existing OUT_DIR);
#   2. its best checkpoint evaluated on 256 held-out episodes (--seed=1000) with the stiff arm it came from
#      (-> resip_compliant_<ARM_STIFFNESS>_eval.json), and at several arm stiffnesses (benchmarks/arm_stiffness_probe.py,
#      -> arm_stiffness_probe_compliant_<ARM_STIFFNESS>.json);
#   3. on franky-sim (run.sh, its variables pass through: EPISODES, TIME_FACTOR, PART_POSES, ROBOT_ARG, NAME).
# SKIP_BENCH=1 stops after 2.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export MUJOCO_GL=${MUJOCO_GL:-egl} HF_HUB_OFFLINE=1 PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
ARM_STIFFNESS=${ARM_STIFFNESS:-0.2}
ITERATIONS=${ITERATIONS:-100}
START=${START:-outputs/demo/resip/checkpoints/best/pretrained_model}
OUT_DIR=${OUT_DIR:-outputs/franka_sim/resip_compliant_$ARM_STIFFNESS}
RES=docs/results/franka_sim
if [ "${SKIP_START_PROBE:-0}" != 1 ]; then
    $PY -m benchmarks.arm_stiffness_probe --policy_path "$START" --scale 1 0.3 0.2 0.1 > "$RES/arm_stiffness_probe.json"
fi
if [ -d "$OUT_DIR/checkpoints/last" ]; then
    .venv/bin/lerobot-resip-train --output_dir="$OUT_DIR" --resume=true --num_iterations="$ITERATIONS"
else
    .venv/bin/lerobot-resip-train --policy.path="$START" --env.type=furniture --env.task=peg_in_hole \
        --env.randomness=low --env.arm_stiffness="$ARM_STIFFNESS" --env.episode_length=120 \
        --num_envs=64 --num_iterations="$ITERATIONS" --seed=0 --ppo.num_minibatches=4 --ppo.actor_lr=0.001 \
        --ppo.lr_schedule=constant --eval_every=20 --eval_episodes=256 --output_dir="$OUT_DIR"
fi
POLICY=$OUT_DIR/checkpoints/best/pretrained_model
.venv/bin/lerobot-resip-eval --policy.path="$POLICY" --env.type=furniture --env.task=peg_in_hole \
    --env.randomness=low --num_episodes=256 --num_envs=256 --seed=1000 \
    --output_path="$RES/resip_compliant_${ARM_STIFFNESS}_eval.json"
$PY -m benchmarks.arm_stiffness_probe --policy_path "$POLICY" --scale 1 0.3 0.2 0.1 \
    > "$RES/arm_stiffness_probe_compliant_$ARM_STIFFNESS.json"
if [ "${SKIP_BENCH:-0}" != 1 ]; then
    RESIP=$POLICY SIM_EVAL="$RES/resip_compliant_${ARM_STIFFNESS}_eval.json" SKIP_GAP=1 SKIP_HAND_PROBE=1 \
        NAME=${NAME:-resip_compliant_$ARM_STIFFNESS} docs/results/franka_sim/run.sh
fi
