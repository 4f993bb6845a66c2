"""Can LeRobot's DiffusionPolicy fit a dataset, and what limits it? A short training run held in memory.

Trains a diffusion base with a preset's architecture for a few hundred steps on batches gathered in memory
(no data loader, the whole dataset as tensors), with a chosen subset of the action's dimensions, and prints
the training loss every `--log_every` steps as one JSON object. Loss curves of two variants run with the same
seed compare what a dimension count, a width or a learning rate does, in a minute each, before a full
`lerobot-train` run.

    PYTHONPATH=. .venv/bin/python benchmarks/diffusion_fit_probe.py \\
        --preset policies/biman_insert_diffusion_small.json --dataset outputs/biman_insert/dataset \\
        --action_dims 0-9 --steps 200

Action and state are min-max normalised to [-1, 1] from the dataset itself (as the presets do); a dimension
whose range is zero is left at 0. `--action_dims` takes indices and ranges (`0-9,0-9` repeats the first ten).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy


def parse_dims(spec: str, size: int) -> np.ndarray:
    if spec == "all":
        return np.arange(size)
    dims = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        dims.extend(range(int(first), int(last or first) + 1))
    dims = np.asarray(dims)
    if dims.min() < 0 or dims.max() >= size:
        raise SystemExit(f"--action_dims {spec}: the action has dimensions 0-{size - 1}")
    return dims


def min_max(x: np.ndarray) -> torch.Tensor:
    low, span = x.min(0), np.ptp(x, 0)
    span[span < 1e-8] = 1.0
    return torch.tensor((x - low) / span * 2 - 1, dtype=torch.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", type=Path, required=True, help="a policies/*.json preset (its policy section)")
    parser.add_argument("--dataset", type=Path, required=True, help="a state-only LeRobotDataset root")
    parser.add_argument("--action_dims", default="all")
    parser.add_argument("--down_dims", default=None, help="override, e.g. 64,64,128")
    parser.add_argument("--lr", type=float, default=1e-3, help="constant Adam learning rate")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--log_every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

    frames = pd.concat(pd.read_parquet(f) for f in sorted(args.dataset.glob("data/*/*.parquet"))).reset_index(drop=True)
    action_all = np.stack(frames["action"])
    dims = parse_dims(args.action_dims, action_all.shape[1])
    action = min_max(action_all[:, dims])
    state = min_max(np.stack(frames["observation.state"]))
    env_state = min_max(np.stack(frames["observation.environment_state"]))
    episode = frames["episode_index"].to_numpy()
    episode_end = np.zeros(len(frames), dtype=int)
    for e in np.unique(episode):
        rows = np.flatnonzero(episode == e)
        episode_end[rows] = rows[-1]

    preset = json.loads(args.preset.read_text())["policy"]
    fields = {k: v for k, v in preset.items() if k in DiffusionConfig.__dataclass_fields__ and k != "type"}
    config = DiffusionConfig(**fields)
    if args.down_dims:
        config.down_dims = tuple(int(d) for d in args.down_dims.split(","))
    config.input_features = {
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(state.shape[1],)),
        "observation.environment_state": PolicyFeature(type=FeatureType.ENV, shape=(env_state.shape[1],)),
    }
    config.output_features = {"action": PolicyFeature(type=FeatureType.ACTION, shape=(len(dims),))}
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    policy = DiffusionPolicy(config).train()
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)
    offsets = np.arange(config.horizon)

    curve, start = [], time.perf_counter()
    for step in range(1, args.steps + 1):
        index = rng.integers(0, len(frames), args.batch_size)
        wanted = index[:, None] + offsets[None]
        rows = np.minimum(wanted, episode_end[index][:, None])  # past the episode's end: its last action, padded
        batch = {
            "observation.state": state[index][:, None],
            "observation.environment_state": env_state[index][:, None],
            "action": action[rows],
            "action_is_pad": torch.from_numpy(wanted > episode_end[index][:, None]),
        }
        loss, _ = policy.forward(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.log_every == 0:
            curve.append([step, round(loss.item(), 4)])
    print(
        json.dumps(
            {
                "dataset": str(args.dataset),
                "preset": str(args.preset),
                "action_dims": args.action_dims,
                "action_size": len(dims),
                "down_dims": list(config.down_dims),
                "lr": args.lr,
                "batch_size": args.batch_size,
                "seed": args.seed,
                "loss": curve,
                "wall_s": round(time.perf_counter() - start, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
