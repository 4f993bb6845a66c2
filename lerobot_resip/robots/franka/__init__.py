"""The `franka` robot type: a Franka Research 3 through franky-control (`pip install 'lerobot_policy_resip[franka]'`)."""

from lerobot_resip.robots.franka.config_franka import FrankaConfig
from lerobot_resip.robots.franka.franka import EpisodeAbortedError, Franka, RobotStoppedError

__all__ = ["EpisodeAbortedError", "Franka", "FrankaConfig", "RobotStoppedError"]
