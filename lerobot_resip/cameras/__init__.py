"""Camera types this project adds to LeRobot: `mujoco_sim` (a camera of the franky-sim bench's scene)."""

from lerobot_resip.cameras.mujoco_sim import MujocoSimCamera, MujocoSimCameraConfig

__all__ = ["MujocoSimCamera", "MujocoSimCameraConfig"]
