"""Gymnasium face of the assembly tasks: one environment, for `lerobot-eval` and recording."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from lerobot_resip.envs.rendering import CameraRenderer
from lerobot_resip.envs.sim import BatchedAssemblySim

OBS_TYPES = ("state", "pixels_state")


class FurnitureEnv(gym.Env):
    """An assembly task with the 10-d absolute end-effector action per arm, at `control_hz` or the
    task's rate (10 Hz; biman_insert: 50 Hz, 20-d actions).

    Observation: dict with `agent_pos` (16 per arm), `environment_state` (7 per part), and with
    obs_type="pixels_state" also `pixels`, uint8 HxWx3 images of the task's cameras
    ({"front", "wrist"}; biman_insert: {"front", "left_wrist", "right_wrist"}).
    Reward: +1 on the step the parts become assembled, which also terminates the episode.
    info["is_success"] says whether they are; info["physics_unstable"] flags an episode that
    was ended because the simulation diverged (counted as a failure).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        task: str = "peg_in_hole",
        randomness: str = "low",
        clearance_mm: float = 0.5,
        perturb: bool = False,
        obs_type: str = "state",
        render_mode: str | None = "rgb_array",
        observation_width: int = 128,
        observation_height: int = 128,
        visualization_width: int = 320,
        visualization_height: int = 240,
        max_episode_steps: int | None = None,
        control_hz: int | None = None,
        arm_stiffness: float = 1.0,
    ):
        if obs_type not in OBS_TYPES:
            raise ValueError(f"unknown obs_type {obs_type!r}; choose one of {', '.join(OBS_TYPES)}")
        self.sim = BatchedAssemblySim(
            task,
            num_envs=1,
            randomness=randomness,
            clearance=clearance_mm / 1000,
            perturb=perturb,
            max_episode_steps=max_episode_steps,
            num_threads=1,
            control_hz=control_hz,
            arm_stiffness=arm_stiffness,
        )
        self.task = task
        self.task_description = self.sim.task.description
        self.cameras = self.sim.task.cameras
        self.metadata = {**self.metadata, "render_fps": self.sim.control_hz}
        self.obs_type = obs_type
        self.render_mode = render_mode
        self._obs_size = (observation_height, observation_width)
        self._vis_size = (visualization_height, visualization_width)
        self._renderers: dict[tuple[int, int], CameraRenderer] = {}

        spaces = {
            "agent_pos": gym.spaces.Box(-np.inf, np.inf, (self.sim.state_dim,), np.float32),
            "environment_state": gym.spaces.Box(-np.inf, np.inf, (self.sim.env_state_dim,), np.float32),
        }
        if obs_type == "pixels_state":
            image = gym.spaces.Box(0, 255, (*self._obs_size, 3), np.uint8)
            spaces["pixels"] = gym.spaces.Dict(dict.fromkeys(self.cameras, image))
        self.observation_space = gym.spaces.Dict(spaces)
        workspace_low, workspace_high = self.sim.task.workspace
        low = np.tile(np.concatenate([workspace_low, -np.ones(7)]), self.sim.num_arms).astype(np.float32)
        high = np.tile(np.concatenate([workspace_high, np.ones(7)]), self.sim.num_arms).astype(np.float32)
        self.action_space = gym.spaces.Box(low, high, (self.sim.action_dim,), np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        # The simulator's generator follows gymnasium's, so `seed` fixes the whole episode.
        obs = self.sim.reset(seeds=[int(self.np_random.integers(2**63 - 1))])
        return self._observation(obs), {"is_success": False, "physics_unstable": False}

    def step(self, action):
        action = np.asarray(action)
        if action.shape != (self.sim.action_dim,):
            raise ValueError(f"action must have shape ({self.sim.action_dim},), got {action.shape}")
        obs, reward, terminated, truncated, info = self.sim.step(action[None])
        info = {key: bool(value[0]) for key, value in info.items()}
        return self._observation(obs), float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def _observation(self, obs: dict[str, np.ndarray]) -> dict:
        out = {key: value[0] for key, value in obs.items()}
        if self.obs_type == "pixels_state":
            out["pixels"] = {cam: self._render(cam, self._obs_size) for cam in self.cameras}
        return out

    def _render(self, camera: str, size: tuple[int, int]) -> np.ndarray:
        if size not in self._renderers:
            self._renderers[size] = CameraRenderer(self.sim, *size)
        return self._renderers[size].render(0, (camera,))[camera]

    def render(self) -> np.ndarray:
        return self._render("front", self._vis_size)

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
