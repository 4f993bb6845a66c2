"""Replaying recorded blow-ups: peg_in_hole with the gripper and wrist of an earlier commit, and an episode's
last good state. panda.xml
since S3: finger servos kv 200 N s/m (closing at most 0.19 m/s), wrist servos (joints 5-7) clamped at 12 N m;
S2's episodes were recorded with kv 20 (1.1 m/s) and no clamp (`--finger-kv 20 --wrist-limit 0`)."""
import dataclasses

import mujoco
import numpy as np

from benchmarks.blowup_rate import make_sim
from lerobot_resip.envs import scenes, tasks
from lerobot_resip.envs.sim import GRIPPER_OPEN


def peg_in_hole_physics(clearance: float, finger_kv: float, wrist_limit: float) -> mujoco.MjModel:
    """wrist_limit 0: the wrist's servos unclamped."""
    return physics_spec(clearance, finger_kv, wrist_limit).compile()


def physics_spec(clearance: float, finger_kv: float, wrist_limit: float) -> mujoco.MjSpec:
    spec = scenes.peg_in_hole_spec(clearance)
    for actuator in spec.actuators:
        if actuator.name.startswith("finger"):
            actuator.biasprm[2] = -finger_kv  # a position servo's bias is [0, -kp, -kv]
        if actuator.name in ("joint5", "joint6", "joint7"):
            actuator.forcelimited = 1 if wrist_limit else 0
            actuator.forcerange = [-wrist_limit, wrist_limit]
    return spec


def use_peg_in_hole(build_model) -> None:
    """Make every simulator built from now on compile peg_in_hole with `build_model(clearance)`."""
    tasks.TASKS["peg_in_hole"] = dataclasses.replace(tasks.TASKS["peg_in_hole"], build_model=build_model)


def use_physics(finger_kv: float, wrist_limit: float) -> None:
    """Make every simulator built from now on use peg_in_hole with this gripper and wrist."""
    use_peg_in_hole(lambda clearance: peg_in_hole_physics(clearance, finger_kv, wrist_limit))


def last_good_state(path, ik=None):
    """(1-env simulator, MjData at the start of the recorded blow-up's last control step, that step's ctrl).
    ik: the controller's settings the episode was recorded with (default: today's)."""
    z = np.load(path)
    actions = z["actions"]
    sim = make_sim(1, int(z["episode_length"]), float(z["clearance_mm"]), str(z["randomness"]), 1)
    if ik is not None:
        sim.ik = ik
    sim.reset(seeds=[int(z["seed"])])
    for a in actions[:-1]:
        sim.step(a[None])
    data = mujoco.MjData(sim.model)
    sim.get_data(0, data)
    arm = sim._arms[0]
    ctrl = data.ctrl.copy()
    ctrl[arm.arm_ctrl] = sim._joint_targets(arm, actions[-1][None])[0]
    ctrl[arm.finger_ctrl] = 0.0 if actions[-1][9] > 0 else GRIPPER_OPEN
    return sim, data, ctrl


def add_arguments(parser) -> None:
    parser.add_argument("--finger-kv", type=float, default=None, help="finger servo damping, N s/m (S2: 20)")
    parser.add_argument("--wrist-limit", type=float, default=None, help="wrist torque limit, N m; 0 unclamped")


def apply_arguments(args) -> None:
    if args.finger_kv is not None or args.wrist_limit is not None:
        use_physics(200.0 if args.finger_kv is None else args.finger_kv,
                    12.0 if args.wrist_limit is None else args.wrist_limit)
