#!/usr/bin/env bash
# The real-robot stack, closed loop against franky-sim (a MuJoCo FR3 behind the libfranka protocol).
#   1. benchmarks/franky_sim_gap.py --part_poses true: the scripted expert on the bench with each controller
#      (impedance, position), seeing the true part poses (no camera rendered), and in the training
#      simulator, on the same 10 episodes: tracking and success. -> gap_true_poses.json
#   2. benchmarks/franky_sim_closed_loop.py: a peg_in_hole resip checkpoint trained only in the training
#      simulator, run by `lerobot-resip-rollout` (the real-robot command) for 20 episodes on the bench,
#      compared episode by episode with lerobot-resip-eval's verdict on the same 20 episodes in the
#      training simulator. -> resip_<name>.json
#   3. benchmarks/hand_speed_probe.py: the same checkpoint in the training simulator with its fingers as fast as
#      the training simulator's and as a Franka Hand's, 256 held-out episodes. -> hand_speed_probe.json
#      (SKIP_HAND_PROBE=1 skips it)
# RESIP: the resip checkpoint directory; SIM_EVAL: its `lerobot-resip-eval --seed=1000` JSON (>= 20
# episodes); NAME: a label for the output file; EPISODES (20); TIME_FACTOR: robot seconds per wall-clock
# second of the bench (1; below 1 when this machine needs more than 0.1 s to render and detect the tags);
# PART_POSES: tags (default) or true (the bench's true poses, no tag camera); WAIT_FOR_GRIPPER: true (default)
# or false (the robot's --robot.wait_for_gripper); ROBOT_ARG: more robot flags, separated by spaces, e.g.
# "--robot.rotational_stiffness=300 --robot.gripper_force=70"; GRASP_FORCE_CONTROL: true (default: the bench's hand squeezes with the
# commanded grasp force, as a Franka Hand does) or false (franky-sim's hand: 10 N per finger on the peg).
# Intermediate files (the recorded LeRobotDataset, the rollout log, the camera calibration) go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export MUJOCO_GL=${MUJOCO_GL:-egl} HF_HUB_OFFLINE=1 PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-outputs/franka_sim}
RES=docs/results/franka_sim
RESIP=${RESIP:-outputs/demo/resip/checkpoints/best/pretrained_model}
SIM_EVAL=${SIM_EVAL:-outputs/demo/eval/resip.json}
NAME=${NAME:-resip}
mkdir -p "$OUT"
ROBOT_FLAGS=()
for flag in ${ROBOT_ARG:-}; do ROBOT_FLAGS+=(--robot_arg="$flag"); done
if [ "${SKIP_GAP:-0}" != 1 ]; then
    $PY benchmarks/franky_sim_gap.py --episodes 10 --seed 1000 --part_poses true --output "$OUT/gap" \
        > "$RES/gap_true_poses.json"
fi
$PY benchmarks/franky_sim_closed_loop.py --policy "$RESIP" --episodes "${EPISODES:-20}" --seed 1000 \
    --time_factor "${TIME_FACTOR:-1}" --part_poses "${PART_POSES:-tags}" \
    --wait_for_gripper "${WAIT_FOR_GRIPPER:-true}" --grasp_force_control "${GRASP_FORCE_CONTROL:-true}" ${ROBOT_FLAGS[@]+"${ROBOT_FLAGS[@]}"} --sim_eval "$SIM_EVAL" --output "$OUT/$NAME" > "$RES/$NAME.json"
if [ "${SKIP_HAND_PROBE:-0}" != 1 ]; then
    $PY benchmarks/hand_speed_probe.py --policy_path "$RESIP" --finger_kv 200 428 > "$RES/hand_speed_probe.json"
fi
