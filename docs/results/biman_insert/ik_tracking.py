"""IK tracking of both arms of biman_insert: tool-point error after 1 s at a fixed target.

Each of 64 environments (reset seeds 0-63) gives each arm a target offset from its home tool pose
by up to +-8 cm in x and y, -12 to 0 cm in z and +-0.5 rad of tool yaw (numpy seed 0), held for 50
control steps (1 s at 50 Hz). Prints one JSON object: the position error (mm) of each arm after
0.5 s and 1 s, and the orientation error (rad), maximum and mean over the environments.
    PYTHONPATH=. .venv/bin/python docs/results/biman_insert/ik_tracking.py
"""

import json

import numpy as np

from lerobot_resip.envs.rotation import matrix_from_rot6d, rot6d_from_matrix
from lerobot_resip.envs.sim import BatchedAssemblySim

N = 64
sim = BatchedAssemblySim("biman_insert", N, seed=0, num_threads=0)
sim.reset(seeds=np.arange(N))
rng = np.random.default_rng(0)
action = sim.hold_action()
for arm in range(2):
    a = slice(10 * arm, 10 * arm + 10)
    action[:, a][:, :3] += rng.uniform([-0.08, -0.08, -0.12], [0.08, 0.08, 0.0], (N, 3))
    yaw = rng.uniform(-0.5, 0.5, N)
    turn = np.zeros((N, 3, 3))
    turn[:, 0, 0], turn[:, 0, 1], turn[:, 1, 0], turn[:, 1, 1], turn[:, 2, 2] = np.cos(yaw), -np.sin(yaw), np.sin(yaw), np.cos(yaw), 1
    action[:, 10 * arm + 3 : 10 * arm + 9] = rot6d_from_matrix(turn @ matrix_from_rot6d(action[:, 10 * arm + 3 : 10 * arm + 9]))
result = {"envs": N}
for step in range(1, 51):
    obs, *_ = sim.step(action)
    if step in (25, 50):
        for arm, name in enumerate(("left", "right")):
            pos = np.linalg.norm(obs["agent_pos"][:, 16 * arm : 16 * arm + 3] - action[:, 10 * arm : 10 * arm + 3], axis=1)
            rot = matrix_from_rot6d(obs["agent_pos"][:, 16 * arm + 3 : 16 * arm + 9].astype(float))
            goal = matrix_from_rot6d(action[:, 10 * arm + 3 : 10 * arm + 9])
            angle = np.arccos(np.clip((np.einsum("nij,nij->n", rot, goal) - 1) / 2, -1, 1))
            result[f"{name}_after_{step / 50:.1f}s"] = {
                "position_error_mm_max": round(1000 * float(pos.max()), 4),
                "position_error_mm_mean": round(1000 * float(pos.mean()), 4),
                "orientation_error_rad_max": round(float(angle.max()), 5),
            }
print(json.dumps(result, indent=2))
