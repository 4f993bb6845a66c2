"""Simulated assembly environments: registers the `furniture` and `biman_insert` env types and the gym ids."""

import os

# MuJoCo picks its OpenGL backend when first imported, and every submodule imports it after
# this line. EGL works with Mesa's software renderer on machines without a GPU (headless
# rendering); a user's own choice wins.
os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402

from lerobot_resip.envs.configs import GYM_NAMESPACE, BimanInsertEnvConfig, FurnitureEnvConfig  # noqa: E402
from lerobot_resip.envs.tasks import TASKS  # noqa: E402

for _name, _spec in TASKS.items():
    if f"{GYM_NAMESPACE}/{_name}" not in gym.registry:
        gym.register(
            id=f"{GYM_NAMESPACE}/{_name}",
            entry_point="lerobot_resip.envs.gym_env:FurnitureEnv",
            kwargs={"task": _name},
            max_episode_steps=_spec.episode_length,
        )

__all__ = ["BimanInsertEnvConfig", "FurnitureEnvConfig"]
