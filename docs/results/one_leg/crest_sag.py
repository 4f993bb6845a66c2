"""How far a locked thread follower's crest gives under a resting leg and under a push.

Puts leg 4 just above the first crest of hole 0, pushes it down with 0, 5 and 20 N for 2 s and
prints, in micrometres, how far the follower's travel and the leg sank below the resting pose.
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/crest_sag.py
"""

import mujoco
import numpy as np

from lerobot_resip.envs import scenes

THREAD = scenes.ONE_LEG_THREAD
REST = THREAD.start_angle * THREAD.travel_per_radian - THREAD.rest_gap  # m, leg above its seat


def sag(push_newton: float, steps: int = 800) -> tuple[float, float]:
    model = scenes.build_one_leg(0.0005)
    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, model.keyframe("home").id)
    leg, top = model.joint(THREAD.child).qposadr[0], model.joint(THREAD.parent).qposadr[0]
    data.qpos[leg : leg + 3] = data.qpos[top : top + 3] + np.array(THREAD.seats[0]) + [0, 0, REST + 0.0003]
    data.qpos[leg + 3 : leg + 7] = [1, 0, 0, 0]
    body = model.body(THREAD.child).id
    for _ in range(steps):
        data.xfrc_applied[body, 2] = -push_newton
        mujoco.mj_step(model, data)
    travel = data.joint("hole0_travel").qpos[0] - THREAD.start_angle * THREAD.travel_per_radian
    height = data.body(THREAD.child).xpos[2] - data.body(THREAD.parent).xpos[2] - THREAD.seats[0][2] - REST
    return 1e6 * travel, 1e6 * height


for push in (0.0, 5.0, 20.0):
    travel, leg = sag(push)
    print(f"push {push:4.1f} N: follower travel {travel:8.1f} um, leg below rest {leg:8.1f} um")
