"""How precisely a diffusion base reproduces its own demos: the in-distribution chunk error.

For every demo, at every chunk start (frames 0, n, 2n, ... with n = the base's n_action_steps),
the base samples a chunk from the demo's own observation and the script compares its first n
actions with the demo's next n actions. A base that imitates well is within a few millimetres
here; closed-loop failures then come from drift away from the demos. A base that is already off
on its own training states is underfitted, and no rollout will be more precise than this.

Prints one JSON object on stdout (LeRobot's loading messages go to stderr):
  - position_error_mm: mean |predicted - demo| tool position (action dims 0:3) per executed step;
  - axis_error_mm / axis_error_normalized: at the first step, per axis, in metres*1000 and as a
    fraction of the action's half-range (min-max normalization);
  - sample_spread_mm: mean |sample A - sample B| per axis at the first step, for two samples of the
    same observation (the sampler's own spread; near the error when the error is noise);
  - gripper_mismatch: fraction of executed steps whose gripper command has the other sign.
Example (the README pipeline's base and demos):
    .venv/bin/python -m benchmarks.chunk_error --dataset_root outputs/demo/dataset \\
        --policy_path outputs/demo/base/stage2/checkpoints/last/pretrained_model --ddim_steps 16
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

import numpy as np
import torch

from lerobot_resip.policies.resip import load_base_stats
from lerobot_resip.policies.resip.modeling_resip import sample_base_chunk
from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import load_policy, resolve_policy_config


def _rounded(values: np.ndarray, digits: int = 2) -> list[float]:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def chunk_starts(episode_index: np.ndarray, n_action_steps: int) -> np.ndarray:
    """Dataset rows where a chunk starts and all n executed demo actions follow in the same episode."""
    rows = []
    for episode in np.unique(episode_index):
        idx = np.flatnonzero(episode_index == episode)
        rows.extend(idx[t] for t in range(0, len(idx) - n_action_steps + 1, n_action_steps))
    return np.asarray(rows, dtype=np.int64)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy_path", required=True, help="diffusion or resip checkpoint")
    parser.add_argument("--dataset_root", required=True, help="the LeRobot dataset it was trained on")
    parser.add_argument("--repo_id", default="local/peg_in_hole_demos")
    parser.add_argument("--ddim_steps", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    with contextlib.redirect_stdout(sys.stderr):
        cfg = resolve_policy_config(args.policy_path, [f"--base_num_inference_steps={args.ddim_steps}"])
        policy, pre, post = load_policy(cfg)
        data = LeRobotDataset(args.repo_id, root=args.dataset_root).hf_dataset
    io = PolicyIO(pre, post)
    state = np.stack(data["observation.state"])
    env_state = np.stack(data["observation.environment_state"])
    action = np.stack(data["action"])
    n = policy.config.n_action_steps
    rows = chunk_starts(np.asarray(data["episode_index"]), n)

    batch = io.batch({"agent_pos": state[rows], "environment_state": env_state[rows]})
    samples = []
    with torch.no_grad():
        for seed in (args.seed, args.seed + 1):
            chunk = sample_base_chunk(policy.base, batch, args.ddim_steps, torch.Generator().manual_seed(seed))
            samples.append(io.env_action(chunk[:, :n].reshape(-1, chunk.shape[-1])).reshape(len(rows), n, -1))
    demo = np.stack([action[r : r + n] for r in rows])
    first, second = samples
    stats = load_base_stats(args.policy_path)["action"]
    half_range = (stats["max"] - stats["min"]).numpy() / 2
    result = {
        "chunks": len(rows),
        "ddim_steps": args.ddim_steps,
        "position_error_mm": _rounded(np.linalg.norm(first[..., :3] - demo[..., :3], axis=2).mean(0) * 1000),
        "axis_error_mm": _rounded(np.abs(first[:, 0, :3] - demo[:, 0, :3]).mean(0) * 1000),
        "axis_half_range_mm": _rounded(half_range[:3] * 1000),
        "axis_error_normalized": _rounded(np.abs(first[:, 0, :3] - demo[:, 0, :3]).mean(0) / half_range[:3], 4),
        "sample_spread_mm": _rounded(np.abs(first[:, 0, :3] - second[:, 0, :3]).mean(0) * 1000),
        "gripper_mismatch": float(np.mean(np.sign(first[..., 9]) != np.sign(demo[..., 9]))),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
