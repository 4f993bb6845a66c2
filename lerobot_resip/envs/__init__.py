"""Simulated assembly environments: registers the `furniture` env type and the gym ids."""

import gymnasium as gym

from lerobot_resip.envs.configs import GYM_NAMESPACE, FurnitureEnvConfig
from lerobot_resip.envs.tasks import TASKS

for _name, _spec in TASKS.items():
    if f"{GYM_NAMESPACE}/{_name}" not in gym.registry:
        gym.register(
            id=f"{GYM_NAMESPACE}/{_name}",
            entry_point="lerobot_resip.envs.gym_env:FurnitureEnv",
            kwargs={"task": _name},
            max_episode_steps=_spec.episode_length,
        )

__all__ = ["FurnitureEnvConfig"]
