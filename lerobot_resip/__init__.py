"""lerobot-resip: ResiP for precise assembly as a LeRobot plugin.

Importing the package registers the `furniture` and `biman_insert` env types (and their gymnasium ids) and the `resip`
policy type with LeRobot.
"""

from lerobot_resip import (
    envs,  # noqa: F401
    policies,  # noqa: F401
)
