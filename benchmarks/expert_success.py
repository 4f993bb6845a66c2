"""Success rate of the scripted expert over seeded episodes; prints one JSON object.

Episode i resets with seed `first_seed + i`; the expert's noise generator of each batch of
episodes is seeded with that batch's first seed, so the numbers are reproducible. Example:
    python benchmarks/expert_success.py --randomness low --episodes 200
    python benchmarks/expert_success.py --task one_leg --randomness low --episodes 200
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.sim import BatchedAssemblySim


def run(task: str, randomness: str, clearance_mm: float, episodes: int, num_envs: int, first_seed: int) -> dict:
    seeds = np.arange(first_seed, first_seed + episodes)
    successes, lengths = [], []
    start = time.perf_counter()
    for chunk in np.array_split(seeds, int(np.ceil(episodes / num_envs))):
        n = len(chunk)
        sim = BatchedAssemblySim(task, n, randomness=randomness, clearance=clearance_mm / 1000)
        expert = make_expert(task, n, seed=int(chunk[0]))
        obs = sim.reset(seeds=chunk)
        done = np.zeros(n, dtype=bool)
        success = np.zeros(n, dtype=bool)
        length = np.full(n, sim.max_episode_steps)
        for step in range(sim.max_episode_steps):
            obs, _, terminated, truncated, info = sim.step(expert.act(obs))
            ended = (terminated | truncated) & ~done
            success |= info["is_success"] & ~done
            length[ended] = step + 1
            done |= ended
            if done.all():
                break
        successes.append(success)
        lengths.append(length)
    success, length = np.concatenate(successes), np.concatenate(lengths)
    return {
        "task": task,
        "randomness": randomness,
        "clearance_mm": clearance_mm,
        "episodes": episodes,
        "seeds": [int(seeds[0]), int(seeds[-1])],
        "success_rate": float(success.mean()),
        "mean_success_length": float(length[success].mean()) if success.any() else None,
        "wall_clock_s": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="peg_in_hole")
    parser.add_argument("--randomness", default="low")
    parser.add_argument("--clearance-mm", type=float, default=0.5)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--num-envs", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.task, args.randomness, args.clearance_mm, args.episodes, args.num_envs, args.first_seed)))


if __name__ == "__main__":
    main()
