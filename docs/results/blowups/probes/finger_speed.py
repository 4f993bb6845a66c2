"""Counterfactual: each of S2's recorded blow-ups' last control step from its last good state (replayed on the
gripper and wrist it was recorded with: finger kv 20, wrist unclamped), re-run with the finger servos' damping kv at 20 (as recorded), 100, 200 and 400
N s/m. Prints whether the gripper command flipped in that step and, per kv, the largest speed of the 40
substeps (the simulator's check: 50 rad/s) and the fastest finger speed.

Usage (from the repository root): python docs/results/blowups/probes/finger_speed.py <blowup .npz files>
"""
import copy
import os
import sys

import mujoco
import numpy as np

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from recorded_physics import last_good_state, use_physics  # noqa: E402

use_physics(20.0, 0.0)
for path in sys.argv[1:]:
    sim, start, ctrl = last_good_state(path)
    model = sim.model
    fingers = [model.actuator("finger_left").id, model.actuator("finger_right").id]
    finger_dof = model.joint("finger_left").dofadr[0]
    flipped = start.ctrl[fingers[0]] != ctrl[fingers[0]]
    row = []
    for kv in (20, 100, 200, 400):
        variant = copy.deepcopy(model)
        variant.actuator_biasprm[fingers, 2] = -kv
        data = copy.copy(start)
        data.ctrl[:] = ctrl
        fastest, finger_speed = 0.0, 0.0
        for _ in range(40):
            mujoco.mj_step(variant, data)
            fastest = max(fastest, float(np.abs(data.qvel).max()))
            finger_speed = max(finger_speed, abs(float(data.qvel[finger_dof])))
        row.append(f"kv {kv}: {fastest:.1f} (finger {finger_speed:.2f} m/s)")
    print(os.path.basename(path), "gripper flip" if flipped else "no flip", " | ".join(row), flush=True)
