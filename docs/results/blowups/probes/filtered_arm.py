"""The candidate fix of the second cause, shared by filter.py, filter_expert.py and filter_rate.py: peg_in_hole
with the arm's seven position targets low-pass filtered inside MuJoCo (filterexact actuator dynamics, time
constant tau s), the home keyframe's filter state at the home targets."""
import mujoco

from lerobot_resip.envs import scenes
from recorded_physics import use_peg_in_hole


def filtered_peg_in_hole(clearance: float, tau: float) -> mujoco.MjModel:
    spec = scenes.peg_in_hole_spec(clearance)
    for actuator in spec.actuators:
        if actuator.name.startswith("joint"):
            actuator.dyntype = mujoco.mjtDyn.mjDYN_FILTEREXACT
            actuator.dynprm[0] = tau
            actuator.actearly = True
    model = spec.compile()
    home = model.keyframe("home").id
    model.key_act[home] = model.key_ctrl[home][:7]
    return model


def use_filtered_arm(tau: float) -> None:
    """Make every simulator built from now on use the filtered peg_in_hole scene."""
    use_peg_in_hole(lambda clearance: filtered_peg_in_hole(clearance, tau))
