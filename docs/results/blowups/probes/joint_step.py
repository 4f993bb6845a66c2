"""The squeeze of a held peg (S4): each recorded blow-up's last control step from its last good state, on the
physics it was recorded with (fingers kv 200, wrist clamped at 12 N m, joint targets unlimited), and with the
joint-target step limited (`DiffIKConfig.max_joint_step`: the whole joint step scaled so that no joint's target
of joints 1-4 lies more than the limit ahead of it; the wrist's servos are clamped at 12 N m).

    python docs/results/blowups/probes/joint_step.py events <blowup .npz files>
        per event, the largest speed of the 40 substeps (the check: 50 rad/s) as recorded, with the wrist
        unclamped, and with each step limit;
    python docs/results/blowups/probes/joint_step.py trace <blowup .npz file>
        the recorded last step substep by substep: largest speed, joint 7's speed, the seven servo torques and
        the deepest pad or hand contact.
"""
import os
import sys

import mujoco
import numpy as np

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from recorded_physics import last_good_state, physics_spec, use_physics  # noqa: E402
from lerobot_resip.envs.controller import DiffIKConfig  # noqa: E402

RECORDED_IK = DiffIKConfig(max_joint_step=None)
STEP_LIMITS = (0.1, 0.075, 0.05, 0.035)  # rad


def step_from_last_good_state(path, wrist_limit=12.0, max_joint_step=None, trace=False):
    """Largest |qvel| over the last control step's 40 substeps."""
    sim, start, ctrl = last_good_state(path, ik=RECORDED_IK)
    model = physics_spec(0.0005, finger_kv=200.0, wrist_limit=wrist_limit).compile()
    data = mujoco.MjData(model)
    data.qpos[:], data.qvel[:], data.ctrl[:] = start.qpos, start.qvel, ctrl
    data.eq_active[:] = start.eq_active
    arm = sim._arms[0]
    if max_joint_step is not None:
        q = start.qpos[arm.qpos]
        dq = ctrl[arm.arm_ctrl] - q
        data.ctrl[arm.arm_ctrl] = q + dq * min(1.0, max_joint_step / np.abs(dq[:4]).max())
    mujoco.mj_forward(model, data)
    servos = [model.actuator(f"joint{i}").id for i in range(1, 8)]
    fastest = 0.0
    for substep in range(40):
        mujoco.mj_step(model, data)
        speed = float(np.abs(data.qvel).max())
        fastest = max(fastest, speed)
        if trace:
            names = [(model.geom(c.geom1).name + model.geom(c.geom2).name, -c.dist) for c in data.contact[: data.ncon]]
            deepest = max([d for n, d in names if "pad" in n or "hand" in n], default=0.0)
            print(f"substep {substep:2d}  largest speed {speed:5.1f} rad/s  joint 7 {data.qvel[arm.qpos][6]:5.2f} rad/s  "
                  f"servo torques {np.round(data.actuator_force[servos]).astype(int)} N m  "
                  f"deepest pad/hand contact {deepest * 1e3:.2f} mm")
    return fastest


if __name__ == "__main__":
    use_physics(200.0, 12.0)
    if sys.argv[1] == "trace":
        step_from_last_good_state(sys.argv[2], trace=True)
    else:
        for path in sys.argv[2:]:
            row = [f"recorded {step_from_last_good_state(path):.1f}",
                   f"wrist unclamped {step_from_last_good_state(path, wrist_limit=0.0):.1f}"]
            row += [f"step <= {limit} rad {step_from_last_good_state(path, max_joint_step=limit):.1f}" for limit in STEP_LIMITS]
            print(os.path.basename(path), " | ".join(row), flush=True)
