# Device-harness stand-in for PyAV (its 40 MB wheel does not fit the device transfer): LeRobot imports
# it at start-up, but these runs read state-only datasets and decode no video.
from unittest.mock import MagicMock

__version__ = "15.1.0"


def __getattr__(name):
    return MagicMock(name=f"av.{name}")
