"""What the PPO trainer and the evaluator share: loading a policy, fast (un)normalization, episode
seeds, the simulator from an env config, and batched evaluation.

Everything the networks see is in the base's normalized space. The processor pipelines saved with a
checkpoint are the source of truth for the statistics; `MinMaxNormalizer` reads them once and applies
the same MIN_MAX formula as LeRobot's `NormalizerProcessorStep` with plain torch ops, which keeps the
per-step overhead of a 1024-env rollout negligible (checked against the pipeline in the tests).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import draccus
import numpy as np
import torch
from lerobot.configs import PreTrainedConfig
from lerobot.processor import NormalizerProcessorStep, PolicyProcessorPipeline, UnnormalizerProcessorStep
from lerobot.utils.constants import (
    ACTION,
    OBS_ENV_STATE,
    OBS_STATE,
    POLICY_POSTPROCESSOR_DEFAULT_NAME,
    POLICY_PREPROCESSOR_DEFAULT_NAME,
)
from torch import Tensor

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy, make_resip_pre_post_processors
from lerobot_resip.policies.resip.configuration_resip import resolve_checkpoint_file

logger = logging.getLogger(__name__)

TRAIN_SEEDS, EVAL_SEEDS = 0, 1  # independent seed streams of one run seed


# ------------------------------------------------------------------------------------------- policies


def checkpoint_type(path: str | Path) -> str:
    """The `type` in a LeRobot checkpoint's config.json (e.g. `resip`, `diffusion`)."""
    with open(resolve_checkpoint_file(str(path), "config.json")) as f:
        return json.load(f).get("type", "")


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
        pre, post = load_processors(cfg.pretrained_path)
    else:
        policy = ResipPolicy(cfg)
        pre, post = make_resip_pre_post_processors(cfg)
    return policy.to(cfg.device), pre, post


def load_processors(path: str | Path) -> tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]:
    pre = PolicyProcessorPipeline.from_pretrained(str(path), config_filename=f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json")
    post = PolicyProcessorPipeline.from_pretrained(
        str(path), config_filename=f"{POLICY_POSTPROCESSOR_DEFAULT_NAME}.json"
    )
    return pre, post


# ------------------------------------------------------------------------------------- normalization


@dataclass
class MinMaxNormalizer:
    """The preprocessor's MIN_MAX normalization of the two state features and the postprocessor's
    un-normalization of the action, as torch ops on (N, dim) batches."""

    stats: dict[str, tuple[Tensor, Tensor]]  # key -> (min, denominator)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @classmethod
    def from_pipelines(
        cls, pre: PolicyProcessorPipeline, post: PolicyProcessorPipeline, device: str | torch.device = "cpu"
    ) -> MinMaxNormalizer:
        norm = [s for s in pre.steps if isinstance(s, NormalizerProcessorStep)]
        unnorm = [s for s in post.steps if isinstance(s, UnnormalizerProcessorStep)]
        if len(norm) != 1 or len(unnorm) != 1:
            raise ValueError("the processors must have exactly one (un)normalizer step each")
        stats = {}
        for key, step, ftype in ((OBS_STATE, norm[0], "STATE"), (OBS_ENV_STATE, norm[0], "ENV"),
                                 (ACTION, unnorm[0], "ACTION")):
            mode = str(getattr(step.norm_map.get(_feature_type(step, key, ftype)), "value", ""))
            if mode != "MIN_MAX":
                raise ValueError(f"`{key}` is normalized with {mode or 'nothing'}; resip expects MIN_MAX")
            state = step.state_dict()
            low, high = state[f"{key}.min"].float(), state[f"{key}.max"].float()
            denom = high - low
            denom = torch.where(denom == 0, torch.tensor(step.eps, dtype=denom.dtype), denom)
            stats[key] = (low.to(device), denom.to(device))
        return cls(stats, torch.device(device))

    def observation(self, obs: dict[str, np.ndarray]) -> dict[str, Tensor]:
        batch = {}
        for key, env_key in ((OBS_STATE, "agent_pos"), (OBS_ENV_STATE, "environment_state")):
            low, denom = self.stats[key]
            x = torch.as_tensor(obs[env_key], dtype=torch.float32, device=self.device)
            batch[key] = 2 * (x - low) / denom - 1
        return batch

    def unnormalize_action(self, action: Tensor) -> np.ndarray:
        low, denom = self.stats[ACTION]
        return ((action + 1) / 2 * denom + low).cpu().numpy()


def _feature_type(step, key: str, default: str):
    feature = step.features.get(key)
    return feature.type if feature is not None else default


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


# ------------------------------------------------------------------------------------------ evaluate


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


@torch.no_grad()
def evaluate(
    policy: ResipPolicy,
    sim: BatchedAssemblySim,
    normalizer: MinMaxNormalizer,
    seeds: np.ndarray,
    sampling_seed: int = 0,
    deterministic: bool = True,
    progress=None,
    record=None,
) -> dict:
    """Run one episode per seed, `sim.num_envs` at a time, with the residual MEAN (deterministic) or a
    residual sample. The base's sampling noise comes from a generator seeded with `sampling_seed`,
    so the same seeds and settings give the same numbers. `record(first, live)`, if given, is called
    after every reset and step with the index of the round's first episode and the (N,) mask of the
    envs whose episode was running before that step (for video).

    Returns success (list of bools), episode lengths, physics blow-ups, success rate and its 95% Wilson
    interval, mean episode length, wall time.
    """
    start = time.perf_counter()
    n = sim.num_envs
    generator = torch.Generator(device=normalizer.device).manual_seed(sampling_seed)
    success, lengths, unstable = [], [], 0
    was_training = policy.training
    policy.eval()
    for first in range(0, len(seeds), n):
        chunk = seeds[first : first + n]
        padded = np.concatenate([chunk, chunk[-1:].repeat(n - len(chunk))])  # spare envs are ignored
        obs = sim.reset(seeds=padded)
        policy.reset()
        done = np.zeros(n, dtype=bool)
        done[len(chunk) :] = True
        ok = np.zeros(n, dtype=bool)
        length = np.full(n, sim.max_episode_steps)
        if record is not None:
            record(first, ~done)
        for t in range(sim.max_episode_steps):
            batch = normalizer.observation(obs)
            base = policy.base_action(batch, generator=generator, active=torch.as_tensor(~done))
            dist = policy.residual_distribution(policy.residual_input(batch, base))
            residual = dist.mean if deterministic else dist.sample()
            action = policy.combine(base, residual)
            action = torch.where(torch.isfinite(action), action, base)
            obs, _, terminated, truncated, info = sim.step(normalizer.unnormalize_action(action), active=~done)
            ended = ~done & (terminated | truncated)
            ok |= ended & info["is_success"]
            unstable += int((ended & info["physics_unstable"]).sum())
            length[ended] = t + 1
            if record is not None:
                record(first, ~done)
            done |= ended
            if progress is not None:
                progress()
            if done.all():
                break
        success += ok[: len(chunk)].tolist()
        lengths += length[: len(chunk)].tolist()
    policy.train(was_training)
    k = int(sum(success))
    low, high = wilson_interval(k, len(success))
    return {
        "success_rate": k / max(1, len(success)),
        "success_ci95": [low, high],
        "successes": k,
        "episodes": len(success),
        "mean_episode_length": float(np.mean(lengths)) if lengths else 0.0,
        "physics_unstable": unstable,
        "seeds": [int(s) for s in seeds],
        "success": [bool(s) for s in success],
        "episode_lengths": [int(x) for x in lengths],
        "wall_s": time.perf_counter() - start,
    }
