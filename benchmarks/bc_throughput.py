"""Where `lerobot-train`'s time goes when it trains a state-only diffusion base on the CPU.

One run measures, per batch of `--batch_size` samples:
  - data: LeRobot's own data path, `LeRobotDataset.__getitem__` with the policy's delta timestamps
    (the observation frame plus the 32-action chunk) and PyTorch's default collation, in one
    process: what each `lerobot-train` data-loader worker does for a batch;
  - update: the training step on such a batch, as `lerobot-train` runs it: the policy's
    preprocessor (normalization), forward (diffusion noise-prediction loss), backward, gradient
    clipping and the optimizer's step, with `--torch_threads` threads;
  - streaming data: LeRobot's streaming reader (`lerobot-train --dataset.streaming=true`,
    `StreamingLeRobotDataset`: a shuffle buffer filled row by row from the parquet files) with the
    same delta timestamps, collated into batches, averaged over one whole pass of the dataset (the
    buffer's fill included);
  - baseline: a batch gathered by index from tensors already in memory (one loaded batch), the
    cost a data path without per-item overhead would have.
It prints one JSON object on stdout: ms per batch of each, `data_over_update` (how many CPU
seconds of data loading one second of training needs), `data_share` (the fraction of a step's
CPU time spent on data), the same two for the streaming reader, `data_over_streaming` and
`data_over_baseline`.

On a 2-core CPU `lerobot-train` with OMP_NUM_THREADS=1 shares both cores between the data-loader
workers and the update, so steps/s is bounded by 2 / (data + update) CPU-seconds per batch.
Example (the README pipeline's base and demos):
    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.bc_throughput --dataset_root outputs/demo/dataset \\
        --policy_path outputs/demo/base/stage1/checkpoints/last/pretrained_model
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import numpy as np
import torch


def _ms_per_call(fn, calls: int) -> float:
    fn()  # warm-up: first-call allocations and lazy imports are not what a long run pays
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1000


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy_path", required=True, help="a diffusion checkpoint (.../pretrained_model)")
    parser.add_argument("--dataset_root", required=True, help="a LeRobot dataset it can train on")
    parser.add_argument("--repo_id", default="local/peg_in_hole_demos")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=8, help="timed batches per measurement")
    parser.add_argument("--torch_threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.torch_threads)

    from lerobot.datasets.factory import resolve_delta_timestamps
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
    from torch.utils.data import default_collate

    from lerobot_resip.rl.runtime import checkpoint_type, load_processors

    try:
        kind = checkpoint_type(args.policy_path)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    if kind != "diffusion":
        raise SystemExit(f"--policy_path={args.policy_path} is a {kind!r} checkpoint, not a diffusion one")
    with contextlib.redirect_stdout(sys.stderr):
        policy = DiffusionPolicy.from_pretrained(args.policy_path)
        preprocessor, _ = load_processors(args.policy_path)
        meta = LeRobotDatasetMetadata(args.repo_id, root=args.dataset_root)
        delta_timestamps = resolve_delta_timestamps(policy.config, meta)
        dataset = LeRobotDataset(args.repo_id, root=args.dataset_root, delta_timestamps=delta_timestamps)
    policy.train()
    rng = np.random.default_rng(args.seed)

    def indices() -> list[int]:
        return rng.integers(0, len(dataset), args.batch_size).tolist()

    def load_batch() -> dict:
        return default_collate([dataset[i] for i in indices()])

    batch = load_batch()
    in_memory = {key: value for key, value in batch.items() if isinstance(value, torch.Tensor)}

    def gather_batch() -> dict:
        rows = torch.as_tensor(rng.integers(0, args.batch_size, args.batch_size))
        return {key: value[rows] for key, value in in_memory.items()}

    def streaming_ms_per_batch() -> float:
        with contextlib.redirect_stdout(sys.stderr):
            stream = StreamingLeRobotDataset(args.repo_id, root=args.dataset_root, delta_timestamps=delta_timestamps)
        start = time.perf_counter()
        items, pending = 0, []
        for item in stream:
            pending.append(item)
            items += 1
            if len(pending) == args.batch_size:
                default_collate(pending)
                pending = []
        return (time.perf_counter() - start) / items * args.batch_size * 1000

    optimizer_preset = policy.config.get_optimizer_preset()  # what lerobot-train builds by default
    optimizer = optimizer_preset.build(policy.get_optim_params())

    def update() -> None:
        loss, _ = policy.forward(preprocessor(dict(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), optimizer_preset.grad_clip_norm)
        optimizer.step()
        optimizer.zero_grad()

    data_ms = _ms_per_call(load_batch, args.batches)
    streaming_ms = streaming_ms_per_batch()
    baseline_ms = _ms_per_call(gather_batch, args.batches)
    update_ms = _ms_per_call(update, args.batches)
    result = {
        "batch_size": args.batch_size,
        "torch_threads": args.torch_threads,
        "dataset_frames": len(dataset),
        "data_ms_per_batch": round(data_ms, 2),
        "baseline_ms_per_batch": round(baseline_ms, 3),
        "update_ms_per_batch": round(update_ms, 2),
        "data_ms_per_sample": round(data_ms / args.batch_size, 3),
        "streaming_data_ms_per_batch": round(streaming_ms, 2),
        "data_over_update": round(data_ms / update_ms, 3),
        "data_share": round(data_ms / (data_ms + update_ms), 3),
        "streaming_data_over_update": round(streaming_ms / update_ms, 3),
        "streaming_data_share": round(streaming_ms / (streaming_ms + update_ms), 3),
        "data_over_streaming": round(data_ms / streaming_ms, 2),
        "data_over_baseline": round(data_ms / baseline_ms, 1),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
