"""lerobot-resip: ResiP for precise assembly as a LeRobot plugin.

Importing the package registers the `furniture` env type (and its gymnasium ids), the `resip`
policy type, the `franka` robot type and the `mujoco_sim` camera type with LeRobot.
"""

from lerobot_resip import envs  # noqa: F401
from lerobot_resip import policies  # noqa: F401
from lerobot_resip import cameras  # noqa: F401
from lerobot_resip import robots  # noqa: F401
