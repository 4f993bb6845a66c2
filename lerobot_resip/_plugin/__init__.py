"""Entry point LeRobot's plugin discovery imports (distribution `lerobot_policy_resip`).

Importing it registers everything this project adds to LeRobot.
"""

import lerobot_resip  # noqa: F401
