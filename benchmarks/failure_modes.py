"""Where a policy fails on peg_in_hole: the episodes of `lerobot-resip-eval`, sorted by outcome.

Runs the same seeded episodes as `lerobot-resip-eval` (same seeds, same sampling seed, so the same
successes) and classifies every episode by the peg's final pose relative to the hole:
  - success;
  - never_lifted: the peg never rose 3 cm above the table (grasp missed, or knocked over);
  - lost_after_lift: lifted, but it ends tilted (> 20 degrees) or more than 30 mm from the hole axis;
  - missed_hole: upright within 30 mm of the axis, not inserted (resting on the rim or above it).
For missed_hole it reports the signed mean and the median of the xy offset (peg - hole, mm), which
shows a systematic miss, and for missed_hole and success how the peg's final xy follows the hole's
(per-axis least-squares slope, and intercept at the hole's nominal position in mm): a slope near 1
means the policy tracks the randomised hole, near 0 that it ignores it. Prints one JSON object on
stdout (LeRobot's loading messages go to stderr). Example (the README pipeline's base):
    .venv/bin/python -m benchmarks.failure_modes \\
        --policy_path outputs/demo/base/stage2/checkpoints/last/pretrained_model --ddim_steps 16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

import numpy as np

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.tasks import get_task
from lerobot_resip.rl.failure_modes import classify, hole_following
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy_path", required=True, help="a diffusion or resip checkpoint")
    parser.add_argument("--ddim_steps", type=int, default=None, help="base DDIM steps (default: the checkpoint's)")
    parser.add_argument("--randomness", default="low")
    parser.add_argument("--episodes", type=int, default=256)
    parser.add_argument("--num_envs", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()

    overrides = [] if args.ddim_steps is None else [f"--base_num_inference_steps={args.ddim_steps}"]
    with contextlib.redirect_stdout(sys.stderr):  # LeRobot prints while loading; stdout is the JSON
        policy, pre, post = load_policy(resolve_policy_config(args.policy_path, overrides))
    env = FurnitureEnvConfig(task="peg_in_hole", randomness=args.randomness)
    sim = make_sim(env, min(args.num_envs, args.episodes), args.seed)
    seeds = episode_seeds(args.seed, EVAL_SEEDS, 0, args.episodes)

    final = np.zeros((args.episodes, sim.env_state_dim))
    peak_z = np.zeros(args.episodes)

    def record(first: int, live: np.ndarray) -> None:  # keep each episode's last pose while it runs
        ids = np.arange(first, min(first + sim.num_envs, args.episodes))
        state = sim.observation()["environment_state"][: len(ids)]
        live = live[: len(ids)]
        final[ids[live]] = state[live]
        peak_z[ids] = np.maximum(peak_z[ids], state[:, 2])

    result = evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=args.seed, record=record)
    resting_z = get_task("peg_in_hole").resets["peg"].z  # every episode starts with the peg lying still
    outcome, offset = classify(final, peak_z - resting_z, np.array(result["success"]))
    counts = {k: outcome.count(k) for k in ("success", "never_lifted", "lost_after_lift", "missed_hole")}
    outcomes = np.array(outcome)
    missed = outcomes == "missed_hole"
    nominal_hole = np.array(get_task("peg_in_hole").resets["hole"].xy)
    report = {
        "policy_path": args.policy_path,
        "base_num_inference_steps": policy.config.base_num_inference_steps,
        "episodes": args.episodes,
        "seed": args.seed,
        "outcomes": counts,
        "missed_hole_offset_mm": {
            "mean_xy": (1000 * offset[missed].mean(0)).round(1).tolist() if missed.any() else None,
            "median_distance": float(np.round(1000 * np.median(np.linalg.norm(offset[missed], axis=1)), 1))
            if missed.any() else None,
        },
        "hole_following": {
            name: hole_following(final, outcomes == name, nominal_hole)
            for name in ("missed_hole", "success")
        },
        "success_rate": result["success_rate"],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
