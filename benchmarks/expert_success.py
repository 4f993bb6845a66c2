"""Success rate of the scripted expert over seeded episodes; prints one JSON object.

Episode i resets with seed `first_seed + i`; the expert's noise generator of each batch of
episodes is seeded with that batch's first seed, so the numbers are reproducible. Example:
    python benchmarks/expert_success.py --randomness low --episodes 200
    python benchmarks/expert_success.py --task one_leg --randomness low --episodes 200
    python benchmarks/expert_success.py --task biman_insert --control-hz 10 --episode-length 200
"""

from __future__ import annotations

import argparse
import json

from lerobot_resip.envs.expert import expert_success


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="peg_in_hole")
    parser.add_argument("--randomness", default="low")
    parser.add_argument("--clearance-mm", type=float, default=0.5)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--num-envs", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--control-hz", type=int, default=None, help="control rate (default: the task's)")
    parser.add_argument("--episode-length", type=int, default=None, help="control steps (default: the task's)")
    args = parser.parse_args()
    result = expert_success(
        args.task, args.randomness, args.clearance_mm, args.episodes, args.num_envs, args.first_seed,
        control_hz=args.control_hz, episode_length=args.episode_length,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
