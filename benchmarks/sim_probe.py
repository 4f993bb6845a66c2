"""What the training-simulator probes share: their common flags, the policy and seeded episodes they load, and
the summary row of one evaluation (`latency_probe.py`, `hand_speed_probe.py`)."""

from __future__ import annotations

import argparse
import contextlib
import sys

import numpy as np

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, resolve_policy_config


def add_probe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy_path", required=True, help="a diffusion or resip checkpoint")
    parser.add_argument("--task", default="peg_in_hole")
    parser.add_argument("--randomness", default="low")
    parser.add_argument("--episodes", type=int, default=256)
    parser.add_argument("--num_envs", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1000)


def load_probe(args) -> tuple:
    """(policy, its PolicyIO, the env config, the seeds of `lerobot-resip-eval --seed=<seed>`'s episodes)."""
    with contextlib.redirect_stdout(sys.stderr):  # LeRobot prints while loading; stdout is the JSON
        policy, pre, post = load_policy(resolve_policy_config(args.policy_path, []))
    env = FurnitureEnvConfig(task=args.task, randomness=args.randomness)
    seeds: np.ndarray = episode_seeds(args.seed, EVAL_SEEDS, 0, args.episodes)
    return policy, PolicyIO(pre, post), env, seeds


def summary(result: dict) -> dict:
    """The row of one `evaluate` result."""
    return {
        "success_rate": result["success_rate"],
        "successes": result["successes"],
        "episodes": result["episodes"],
        "success_ci95": [round(x, 4) for x in result["success_ci95"]],
        "mean_episode_length": round(result["mean_episode_length"], 1),
        "physics_unstable": result["physics_unstable"],
        "wall_s": round(result["wall_s"], 1),
    }
