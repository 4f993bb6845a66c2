#!/usr/bin/env bash
# AprilTag part poses on rendered MuJoCo images against the true poses (benchmarks/tag_pose_accuracy.py):
# 500 random scenes each, seed 0; the task's three tag cameras at 1280 x 960 (the default), then two
# ablations: without the side camera, and at 640 x 480.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export MUJOCO_GL=${MUJOCO_GL:-egl} PYTHONPATH=$PWD
PY=${PYTHON:-.venv/bin/python}
OUT=docs/results/franka_tags
$PY benchmarks/tag_pose_accuracy.py --poses 500 > $OUT/three_cameras_1280.json
$PY benchmarks/tag_pose_accuracy.py --poses 500 --cameras front wrist > $OUT/front_wrist_1280.json
$PY benchmarks/tag_pose_accuracy.py --poses 500 --width 640 --height 480 > $OUT/three_cameras_640.json
