"""Shared test setup: offline Hugging Face Hub and headless MuJoCo rendering."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")
