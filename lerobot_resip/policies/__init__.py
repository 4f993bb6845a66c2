"""Policies this plugin adds to LeRobot (importing a policy package registers its config type)."""

from lerobot_resip.policies import resip  # noqa: F401
