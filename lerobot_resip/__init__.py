"""lerobot-resip: ResiP for precise assembly as a LeRobot plugin.

Importing the package registers the `furniture` env type (and its gymnasium ids) and the `resip`
policy type with LeRobot.
"""

from lerobot_resip import (
    envs,  # noqa: F401
    policies,  # noqa: F401
)
