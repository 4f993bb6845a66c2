"""The code stays clean under the project's ruff settings (LeRobot's, in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_ruff_finds_nothing():
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(repo)], capture_output=True, text=True,
                            cwd=repo, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
