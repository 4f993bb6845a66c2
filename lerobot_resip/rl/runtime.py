"""What the PPO trainer, the evaluator and the benchmarks share: loading a policy with its processors,
episode seeds, and the simulator from an env config (the loops themselves are in `rl.rollout`)."""

from __future__ import annotations

import logging
from pathlib import Path

import draccus
import numpy as np
from lerobot.configs import PreTrainedConfig
from lerobot.policies.factory import make_pre_post_processors
from lerobot.processor import PolicyProcessorPipeline

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy, make_resip_pre_post_processors
from lerobot_resip.policies.resip.configuration_resip import read_json_file, resolve_checkpoint_file

logger = logging.getLogger(__name__)

TRAIN_SEEDS, EVAL_SEEDS, EXPERT_SEEDS = 0, 1, 2  # independent seed streams of one run seed


# ------------------------------------------------------------------------------------------- policies


def checkpoint_type(path: str | Path) -> str:
    """The `type` in a LeRobot checkpoint's config.json (e.g. `resip`, `diffusion`)."""
    return read_json_file(resolve_checkpoint_file(str(path), "config.json")).get("type", "")


def resolve_policy_config(path: str, overrides: list[str]) -> PreTrainedConfig:
    """`--policy.path`: a resip checkpoint loads as is (with `--policy.*` overrides); a diffusion
    checkpoint becomes the base of a fresh resip (the overrides are then ResipConfig fields)."""
    kind = checkpoint_type(path)
    if kind == "resip":
        cfg = PreTrainedConfig.from_pretrained(path, cli_overrides=overrides)
        cfg.pretrained_path = Path(path)
        return cfg
    if kind == "diffusion":
        return draccus.parse(ResipConfig, args=[f"--base_path={path}", "--push_to_hub=false", *overrides])
    raise ValueError(f"--policy.path={path} is a {kind!r} checkpoint; give a resip or a diffusion checkpoint")


def load_policy(cfg: ResipConfig) -> tuple[ResipPolicy, PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """(policy, preprocessor, postprocessor): from `cfg.pretrained_path` (a resip checkpoint) or a
    fresh ResipPolicy on `cfg.base_path`."""
    if not isinstance(cfg, ResipConfig):
        raise ValueError(f"the residual trainer needs a resip policy, got --policy.type={cfg.type}")
    if cfg.pretrained_path is not None:
        policy = ResipPolicy.from_pretrained(str(cfg.pretrained_path), config=cfg)
        pre, post = load_processors(cfg.pretrained_path, cfg.device)
    else:
        policy = ResipPolicy(cfg)
        pre, post = make_resip_pre_post_processors(cfg)
    return policy.to(cfg.device), pre, post


def load_processors(path: str | Path, device: str = "cpu") -> tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """A checkpoint's saved processors, as `lerobot-eval` loads them: the preprocessor moves the
    normalized batch to `device`, the postprocessor brings the actions back to the CPU."""
    return make_pre_post_processors(
        PreTrainedConfig.from_pretrained(str(path)), pretrained_path=str(path),
        preprocessor_overrides={"device_processor": {"device": device}},
    )


# --------------------------------------------------------------------------------------------- envs


def make_sim(env: FurnitureEnvConfig, num_envs: int, seed: int, num_threads: int = 0) -> BatchedAssemblySim:
    if not isinstance(env, FurnitureEnvConfig):
        raise ValueError(f"--env.type={env.type} is not supported; use --env.type=furniture")
    return env.make_batched_sim(num_envs, seed=seed, num_threads=num_threads)


def episode_seeds(seed: int, stream: int, start: int, count: int) -> np.ndarray:
    """Seeds of episodes start..start+count-1 of a stream: independent of the batch size."""
    return np.array(
        [np.random.SeedSequence([seed, stream, start + k]).generate_state(1)[0] for k in range(count)],
        dtype=np.int64,
    )
