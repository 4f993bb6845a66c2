"""`pip install -e .` is enough for LeRobot's CLIs to see the `furniture` and `biman_insert` env types."""

import os
import subprocess
import sys
from pathlib import Path


def test_lerobot_train_help_lists_the_env_types():
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(bin_dir / "lerobot-train"), "--help"], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "furniture" in result.stdout
    assert "biman_insert" in result.stdout
