"""`lerobot-resip-eval`: batched evaluation of a resip or diffusion checkpoint in the simulator.

Example:

    lerobot-resip-eval --policy.path=outputs/resip/checkpoints/best/pretrained_model \\
        --env.type=furniture --env.task=peg_in_hole --num_episodes=1024 --num_envs=256 \\
        --output_path=outputs/eval/resip.json

    # the perturbation protocol of the paper (each part pushed with probability 1% per step)
    lerobot-resip-eval --policy.path=... --env.type=furniture --env.perturb=true ...

A diffusion checkpoint (`lerobot-train` output) is evaluated as the base of a fresh resip policy,
whose residual is exactly zero: per-env action queues, `--policy.n_action_steps` executed actions per
chunk (default 8) and DDIM with `--policy.base_num_inference_steps` steps (default 4), i.e. the base
as ResiP runs it. A resip checkpoint executes base + action_scale * residual mean (`--sample=true`
samples the residual instead).

Episode i uses the reset seed derived from (--seed, i) (the same stream the trainer evaluates on), and
the base's sampling noise comes from a generator seeded with --seed: the same arguments give the same
numbers. Output: a JSON file with the success rate, its 95% Wilson interval, the number of episodes,
their seeds and per-episode success and length, and the mean episode length. `--num_videos=K` also
writes MP4s of the first K episodes from the front camera next to the JSON
(`<output stem>_videos/episode_<i>_<success|failure>.mp4`).
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from lerobot.configs import PreTrainedConfig, parser
from lerobot.envs.configs import EnvConfig

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.rendering import CameraRenderer
from lerobot_resip.hub import TRAIN_CONFIG_FILE, invocation
from lerobot_resip.policies.resip.configuration_resip import read_json_file, resolve_checkpoint_file
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim
from lerobot_resip.scripts.cli import PolicyFromPath, run_command

logger = logging.getLogger("lerobot_resip.eval")
PROG = "lerobot-resip-eval"


@dataclass
class EvalResidualConfig(PolicyFromPath):
    # The simulated task (--env.type=furniture ...; --env.perturb=true for the perturbation protocol).
    # Default: the env a resip checkpoint was trained in (task, randomness, clearance; the task's own
    # episode length), else `furniture` peg_in_hole at low randomness.
    env: EnvConfig | None = None
    # --policy.path=<resip or diffusion checkpoint>.
    policy: PreTrainedConfig | None = None
    # Episodes to run (one per seed).
    num_episodes: int = 100
    # Environments stepped together.
    num_envs: int = 64
    # Seeds the episode resets and the base's sampling noise.
    seed: int = 0
    # Sample the residual instead of using its mean.
    sample: bool = False
    # Episodes (the first ones) to save as MP4 videos next to the JSON; 0: none.
    num_videos: int = 0
    # Size of the video frames, pixels.
    video_height: int = 240
    video_width: int = 320
    # Where the JSON result goes.
    output_path: Path = Path("outputs/eval/eval_info.json")
    # Physics threads (0: all CPUs).
    num_threads: int = 0
    # Torch threads (None: torch's default).
    torch_threads: int | None = None


def run(cfg: EvalResidualConfig) -> dict:
    """Evaluate and write `cfg.output_path`; returns the result dict."""
    if cfg.policy is None:
        raise ValueError("give --policy.path=<resip or diffusion checkpoint>")
    if cfg.env is not None and not isinstance(cfg.env, FurnitureEnvConfig):
        raise ValueError(f"--env.type={cfg.env.type} is not supported; use --env.type=furniture")
    if cfg.num_episodes < 1 or cfg.num_envs < 1:
        raise ValueError("--num_episodes and --num_envs must be >= 1")
    if not 0 <= cfg.num_videos <= cfg.num_episodes:
        raise ValueError(f"--num_videos must be in [0, num_episodes={cfg.num_episodes}], got {cfg.num_videos}")
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    env = cfg.env if cfg.env is not None else checkpoint_env(cfg.policy)
    out = Path(cfg.output_path)
    result = evaluate_checkpoint(
        cfg.policy, env, cfg.num_episodes, cfg.num_envs, cfg.seed, sample=cfg.sample, num_threads=cfg.num_threads,
        videos=(cfg.num_videos, cfg.video_height, cfg.video_width, out.parent / f"{out.stem}_videos"),
        source=getattr(cfg, "policy_path", None),
    )
    result["command"] = invocation(PROG)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    low, high = result["success_ci95"]
    logger.info("success %.3f (95%% CI %.3f-%.3f) over %d episodes, mean length %.1f -> %s",
                result["success_rate"], low, high, result["episodes"], result["mean_episode_length"], out)
    return result


def checkpoint_env(policy: PreTrainedConfig) -> FurnitureEnvConfig:
    """The env a resip checkpoint was trained in (its `resip_train_config.json`), at the task's own
    episode length; the default `furniture` env when the checkpoint has no training record."""
    path = policy.pretrained_path
    if path is None:
        return FurnitureEnvConfig()
    try:
        file = resolve_checkpoint_file(str(path), TRAIN_CONFIG_FILE)
    except ValueError:
        return FurnitureEnvConfig()
    env = read_json_file(file).get("env") or {}
    settings = {k: env[k] for k in ("task", "randomness", "clearance_mm") if k in env}
    return FurnitureEnvConfig(**settings)


def evaluate_checkpoint(
    policy_cfg: PreTrainedConfig,
    env: FurnitureEnvConfig,
    num_episodes: int,
    num_envs: int,
    seed: int,
    sample: bool = False,
    num_threads: int = 0,
    videos: tuple[int, int, int, Path] | None = None,
    source: str | None = None,
) -> dict:
    """Episodes 0..num_episodes-1 of the seed stream of `seed` (see the module docstring); returns the
    result that `lerobot-resip-eval` writes (settings, success rate and interval, per-episode outcomes).
    `videos`: (count, height, width, directory) of front-camera MP4s of the first episodes."""
    policy, pre, post = load_policy(policy_cfg)
    sim = make_sim(env, min(num_envs, num_episodes), seed, num_threads)
    seeds = episode_seeds(seed, EVAL_SEEDS, 0, num_episodes)

    from tqdm import tqdm

    recorder = VideoRecorder(sim, *videos[:3]) if videos and videos[0] else None
    rounds = -(-num_episodes // sim.num_envs)
    with tqdm(total=rounds * sim.max_episode_steps, desc="eval steps", dynamic_ncols=True) as bar:
        result = evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=seed, deterministic=not sample,
                          progress=lambda: bar.update(1), record=recorder)
    source = source or policy_cfg.pretrained_path or policy_cfg.base_path
    result = {
        "policy_path": str(source),
        "policy_type": "resip" if policy_cfg.pretrained_path is not None else "diffusion (zero residual)",
        "env": {"task": env.task, "randomness": env.randomness, "clearance_mm": env.clearance_mm,
                "perturb": env.perturb, "episode_length": env.episode_length},
        "seed": seed,
        "residual": "sample" if sample else "mean",
        "base_num_inference_steps": policy.config.base_num_inference_steps,
        "base_warm_start_timestep": policy.config.base_warm_start_timestep,
        "base_noise_scale": policy.config.base_noise_scale,
        "task_features": policy.config.task_features,
        **result,
    }
    if recorder is not None:
        result["videos"] = recorder.write(videos[3], result["success"])
    return result


class VideoRecorder:
    """Front-camera frames of the first `num_videos` episodes of an evaluation, written as MP4s."""

    def __init__(self, sim, num_videos: int, height: int, width: int):
        self.num_videos = num_videos
        self.renderer = CameraRenderer(sim, height, width)
        self.frames: dict[int, list[np.ndarray]] = {}

    def __call__(self, first: int, live: np.ndarray) -> None:
        for env in np.flatnonzero(live[: max(0, self.num_videos - first)]):
            self.frames.setdefault(first + int(env), []).append(self.renderer.render(int(env), ("front",))["front"])

    def write(self, directory: Path, success: list[bool]) -> list[str]:
        from lerobot.utils.io_utils import write_video

        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for episode, frames in sorted(self.frames.items()):
            path = directory / f"episode_{episode}_{'success' if success[episode] else 'failure'}.mp4"
            write_video(path, frames, fps=self.renderer.sim.control_hz)
            paths.append(str(path))
        self.renderer.close()
        return paths


@parser.wrap()
def _parse(cfg: EvalResidualConfig) -> EvalResidualConfig:
    return cfg


def main() -> None:
    run_command(PROG, _parse, run)

if __name__ == "__main__":
    main()
