"""The `mujoco_sim` camera type: renders a camera of a running franky-sim bench's MuJoCo scene."""

from lerobot_resip.cameras.mujoco_sim.camera_mujoco_sim import MujocoSimCamera
from lerobot_resip.cameras.mujoco_sim.configuration_mujoco_sim import MujocoSimCameraConfig

__all__ = ["MujocoSimCamera", "MujocoSimCameraConfig"]
