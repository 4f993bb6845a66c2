"""Tiny ResiP building blocks for tests: a random-weight diffusion base saved like `lerobot-train` does.

`make_tiny_base(path)` writes a state-only DiffusionPolicy checkpoint (16-d state, 14-d environment
state, 10-d action; horizon 16, 8 executed steps, U-Net down dims (16, 32), DDIM) with processors whose
min/max statistics come from simulated peg_in_hole observations. `make_tiny_resip(tmp)` builds a
fresh `ResipPolicy` on top of one. Both take well under a second on a CPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from lerobot.configs import FeatureType, NormalizationMode, PolicyFeature
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.diffusion.processor_diffusion import make_diffusion_pre_post_processors
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE

from lerobot_resip.envs.sim import ACTION_DIM, STATE_DIM, BatchedAssemblySim
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy

ENV_STATE_DIM = 14
TINY_HORIZON = 16
TINY_N_ACTION_STEPS = 8


def tiny_base_config(action_dim: int = ACTION_DIM, n_obs_steps: int = 1) -> DiffusionConfig:
    return DiffusionConfig(
        input_features={
            OBS_STATE: PolicyFeature(type=FeatureType.STATE, shape=(STATE_DIM,)),
            OBS_ENV_STATE: PolicyFeature(type=FeatureType.ENV, shape=(ENV_STATE_DIM,)),
        },
        output_features={ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(action_dim,))},
        normalization_mapping={
            "STATE": NormalizationMode.MIN_MAX,
            "ENV": NormalizationMode.MIN_MAX,
            "ACTION": NormalizationMode.MIN_MAX,
        },
        n_obs_steps=n_obs_steps,
        horizon=TINY_HORIZON,
        n_action_steps=TINY_N_ACTION_STEPS,
        drop_n_last_frames=0,  # as the presets: demos end on the insertion, keep their last frames
        down_dims=(16, 32),
        diffusion_step_embed_dim=16,
        n_groups=8,
        noise_scheduler_type="DDIM",
        num_train_timesteps=100,
        num_inference_steps=10,
        pretrained_backbone_weights=None,
        device="cpu",
        push_to_hub=False,
    )


def sim_stats(num_envs: int = 16, steps: int = 16, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """min/max/mean/std of peg_in_hole observations under random actions near the current pose."""
    sim = BatchedAssemblySim("peg_in_hole", num_envs=num_envs, seed=seed, num_threads=1)
    rng = np.random.default_rng(seed)
    obs = sim.reset()
    states, env_states, actions = [], [], []
    for _ in range(steps):
        action = np.concatenate(
            [
                obs["agent_pos"][:, :3] + rng.uniform(-0.03, 0.03, (num_envs, 3)),
                obs["agent_pos"][:, 3:9] + rng.uniform(-0.05, 0.05, (num_envs, 6)),
                rng.choice([-1.0, 1.0], (num_envs, 1)),
            ],
            axis=1,
        )
        states.append(obs["agent_pos"])
        env_states.append(obs["environment_state"])
        actions.append(action)
        obs = sim.step(action)[0]

    def stats(x: list[np.ndarray]) -> dict[str, np.ndarray]:
        x = np.concatenate(x).astype(np.float32)
        return {"min": x.min(0), "max": x.max(0), "mean": x.mean(0), "std": x.std(0)}

    return {OBS_STATE: stats(states), OBS_ENV_STATE: stats(env_states), ACTION: stats(actions)}


def make_tiny_base(path: Path, action_dim: int = ACTION_DIM, seed: int = 0, n_obs_steps: int = 1) -> Path:
    """Save a random tiny diffusion base into `path / "pretrained_model"` and return that directory."""
    torch.manual_seed(seed)
    config = tiny_base_config(action_dim, n_obs_steps)
    policy = DiffusionPolicy(config)
    stats = sim_stats(seed=seed)
    if action_dim != ACTION_DIM:
        stats[ACTION] = {name: value[:action_dim] for name, value in stats[ACTION].items()}
    preprocessor, postprocessor = make_diffusion_pre_post_processors(config, dataset_stats=stats)
    out = Path(path) / "pretrained_model"
    policy.save_pretrained(out)
    preprocessor.save_pretrained(out)
    postprocessor.save_pretrained(out)
    return out


def make_tiny_resip(tmp: Path, **overrides) -> ResipPolicy:
    """A fresh ResipPolicy on a new tiny base in `tmp / "base"`; `overrides` are ResipConfig fields."""
    base = make_tiny_base(Path(tmp) / "base")
    return ResipPolicy(ResipConfig(base_path=str(base), device="cpu", push_to_hub=False, **overrides))
