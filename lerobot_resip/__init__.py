"""lerobot-resip: ResiP for precise assembly as a LeRobot plugin.

Importing the package registers the `furniture` and `biman_insert` env types (and their gymnasium
ids), the `resip` policy type, the `franka` robot type and the `mujoco_sim` camera type with LeRobot
(franky, the robot's driver, is imported only when a robot connects).
"""

from lerobot_resip import (
    cameras,  # noqa: F401
    envs,  # noqa: F401
    policies,  # noqa: F401
    robots,  # noqa: F401
)
