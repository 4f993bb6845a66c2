"""Real robots: importing this registers the `franka` robot type with LeRobot (franky is imported only on connect)."""

from lerobot_resip.robots.franka import Franka, FrankaConfig

__all__ = ["Franka", "FrankaConfig"]
