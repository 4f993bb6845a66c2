"""The squeeze (S3): candidate arms from each recorded blow-up's last good state, and the scripted expert with them,
all on the physics the events were recorded on (`recorded_physics.py`: fingers at kv 200, wrist unclamped).

    python docs/results/blowups/probes/squeeze.py events <blowup .npz files>
        per event, the largest speed of the last control step's 40 substeps (the check: 50 rad/s) and the
        largest arm servo torque, for each variant below;
    python docs/results/blowups/probes/squeeze.py expert VARIANT [SCALE]
        peg_in_hole's expert over 200 `low` episodes with that variant (the torque limits times SCALE).

Variants: `recorded` (as recorded); `franka_limits` (the seven servos clamped at Franka's 87 / 12 N m, their damping kv
inside the clamped servo); `franka_limits_joint_damping` (the same limits on the servos' stiffness term, kv
moved to the joints' own damping, which implicitfast integrates implicitly whatever the clamp); `wrist_limit`
(joints 5-7 alone at 12 N m, panda.xml's since); `step_1.25ms` (half the physics step, twice the substeps).
"""
import json
import os
import sys

import mujoco
import numpy as np

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from recorded_physics import last_good_state, physics_spec, use_peg_in_hole, use_physics  # noqa: E402
from lerobot_resip.envs.expert import expert_success  # noqa: E402

FRANKA_LIMITS = [87.0] * 4 + [12.0] * 3  # N m, joints 1-7
VARIANTS = ("recorded", "franka_limits", "franka_limits_joint_damping", "wrist_limit", "step_1.25ms")


def variant_peg_in_hole(clearance: float, variant: str, scale: float = 1.0) -> mujoco.MjModel:
    spec = physics_spec(clearance, finger_kv=200.0, wrist_limit=0.0)
    for i in range(1, 8):
        actuator, limit = spec.actuator(f"joint{i}"), FRANKA_LIMITS[i - 1] * scale
        if variant in ("franka_limits", "franka_limits_joint_damping") or (variant == "wrist_limit" and i >= 5):
            actuator.forcelimited = 1
            actuator.forcerange = [-limit, limit]
        if variant == "franka_limits_joint_damping":
            joint = spec.joint(f"joint{i}")
            joint.damping = joint.damping - actuator.biasprm[2]  # a position servo's bias is [0, -kp, -kv]
            actuator.biasprm[2] = 0.0
    if variant == "step_1.25ms":
        spec.option.timestep /= 2
    return spec.compile()


def events(paths):
    use_physics(200.0, 0.0)
    for path in paths:
        sim, start, ctrl = last_good_state(path)
        row = []
        for variant in VARIANTS:
            model = variant_peg_in_hole(0.0005, variant)
            data = mujoco.MjData(model)
            data.qpos[:], data.qvel[:], data.ctrl[:] = start.qpos, start.qvel, ctrl
            data.eq_active[:] = start.eq_active
            mujoco.mj_forward(model, data)
            arm = [model.actuator(f"joint{i}").id for i in range(1, 8)]
            fastest, torque = 0.0, 0.0
            for _ in range(round(40 * sim.model.opt.timestep / model.opt.timestep)):
                mujoco.mj_step(model, data)
                fastest = max(fastest, float(np.abs(data.qvel).max()))
                torque = max(torque, float(np.abs(data.actuator_force[arm]).max()))
            row.append(f"{variant} {fastest:.1f} rad/s ({torque:.0f} N m)")
        print(os.path.basename(path), " | ".join(row), flush=True)


def expert(variant, scale):
    use_peg_in_hole(lambda clearance: variant_peg_in_hole(clearance, variant, scale))
    print(json.dumps({"variant": variant, "scale": scale, **expert_success("peg_in_hole", "low", 0.5, 200, 50, 0)}))


if __name__ == "__main__":
    if sys.argv[1] == "events":
        events(sys.argv[2:])
    else:
        expert(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)
