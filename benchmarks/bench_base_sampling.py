"""Cost of the base's chunk sampling, one candidate speed-up at a time; prints one JSON object.

For a batch of `--num_envs` observations (the README pipeline's PPO batch), one chunk is sampled the
way ResiP samples it (DDIM, `--ddim_steps`, deterministic base) under each variant, timed over
`--repeats` calls after a warm-up, in the same run as the baseline (LeRobot's U-Net as it is, with
torch's Mish; eager PyTorch, one thread). The eager variants and the baseline are timed `--rounds` times
in a rotated order; each reports its median time and the median of its ratios to the same round's
baseline (this machine's speed drifts by 10-30% between runs). The compiled ones are timed once:
  - exp_mish: the U-Net as ResiP runs it, its Mish activations computed by `ExpMish` (one thread);
  - exp_mish_threads2: the same on two torch threads;
  - threads2: two torch threads (the physics threads are idle while the base samples);
  - inference_mode: `torch.inference_mode()` instead of `torch.no_grad()`;
  - compiled: `torch.compile` of the U-Net (inductor on the CPU), one and two threads; its one-off
    compile time is reported apart;
  - frozen: the same with inductor's `freezing` (weights folded in as constants, convolution
    weights pre-packed for oneDNN), one and two threads;
  - bf16: CPU autocast to bfloat16 (fast only where the CPU has AVX512-BF16 or AMX);
  - bf16_weights(_threads2): a bfloat16 copy of the U-Net on bfloat16 observations, under autocast for
    the few float32 tensors LeRobot makes inside (the timestep embedding): no weight casts per call.
Each variant's largest absolute difference from the baseline's actions (normalized units, [-1, 1]) is
reported, and its ratio to the baseline's time.

Usage: .venv/bin/python -m benchmarks.bench_base_sampling --base_path <diffusion checkpoint> [--num_envs 64]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.policies.resip import ResipConfig, sample_base_chunk
from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import load_policy, make_sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base_path", default="outputs/demo/base/stage1/checkpoints/last/pretrained_model")
    parser.add_argument("--num_envs", type=int, default=64)
    parser.add_argument("--ddim_steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=20, help="timed chunks per measurement")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of the eager variants, each against its own baseline (medians reported)")
    parser.add_argument("--variants", nargs="*",
                        default=["exp_mish", "exp_mish_threads2", "threads2", "inference_mode", "compiled", "compiled_threads2", "frozen",
                                 "frozen_threads2", "bf16", "bf16_weights", "bf16_weights_threads2"])
    args = parser.parse_args()
    if not (Path(args.base_path) / "config.json").is_file():
        sys.exit(f"bench_base_sampling: error: no diffusion checkpoint at {args.base_path}")

    with contextlib.redirect_stdout(sys.stderr):  # LeRobot prints while loading; stdout is the JSON
        policy, pre, post = load_policy(ResipConfig(base_path=args.base_path, device="cpu", push_to_hub=False,
                                                    base_noise_scale=0.0))
        # The baseline: LeRobot's own DiffusionPolicy (torch's Mish); ResiP's base computes Mish with ExpMish.
        base = DiffusionPolicy.from_pretrained(args.base_path, config=policy.config.base_diffusion_config()).eval()
    sim = make_sim(FurnitureEnvConfig(), args.num_envs, seed=0, num_threads=1)
    batch = PolicyIO(pre, post).batch(sim.reset())
    models = {"lerobot": base, "resip": policy.base}
    # bf16_weights: a copy of the U-Net and the observations in bfloat16 (no per-call casts, unlike autocast)
    base_bf16 = copy.deepcopy(base).to(torch.bfloat16)
    batch_bf16 = {key: value.to(torch.bfloat16) if torch.is_tensor(value) and value.is_floating_point() else value
                  for key, value in batch.items()}

    def sample(model=base, inputs=batch) -> torch.Tensor:
        return sample_base_chunk(model, inputs, args.ddim_steps, noise_scale=0.0)

    def timed(threads: int = 1, context=torch.no_grad, model_name: str = "lerobot") -> tuple[float, torch.Tensor]:
        torch.set_num_threads(threads)
        model, inputs = (base_bf16, batch_bf16) if model_name == "bf16" else (models[model_name], batch)
        with context():
            out = sample(model, inputs)  # warm-up
            start = time.perf_counter()
            for _ in range(args.repeats):
                sample(model, inputs)
            ms = 1000 * (time.perf_counter() - start) / args.repeats
        torch.set_num_threads(1)
        return ms, out.float()

    # Eager variants: (torch threads, context, model). Timed in `--rounds` rounds, each timing the baseline
    # and every variant in a rotated order, so that a drift of the machine's speed hits all of them alike.
    def bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)

    eager = {"baseline": (1, torch.no_grad, "lerobot"), "exp_mish": (1, torch.no_grad, "resip"),
             "exp_mish_threads2": (2, torch.no_grad, "resip"), "threads2": (2, torch.no_grad, "lerobot"),
             "inference_mode": (1, torch.inference_mode, "lerobot"), "bf16": (1, bf16, "lerobot"),
             "bf16_weights": (1, bf16, "bf16"), "bf16_weights_threads2": (2, bf16, "bf16")}
    names = ["baseline"] + [name for name in eager if name in args.variants]
    times: dict[str, list[float]] = {name: [] for name in names}
    outputs: dict[str, torch.Tensor] = {}
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            ms, outputs[name] = timed(*eager[name])
            times[name].append(ms)
    reference = outputs["baseline"]
    baseline_ms = statistics.median(times["baseline"])
    result = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "torch": torch.__version__},
        "num_envs": args.num_envs,
        "ddim_steps": args.ddim_steps,
        "rounds": args.rounds,
        "baseline_ms_per_chunk": baseline_ms,
        "baseline_ms_per_round": times["baseline"],
        "variants": {},
    }

    def report(name: str, ms: float, out: torch.Tensor, **extra) -> None:
        result["variants"][name] = {"ms_per_chunk": ms, "ratio_to_baseline": ms / baseline_ms,
                                    "max_abs_diff": float((out - reference).abs().max()), **extra}

    for name in names[1:]:  # median over the rounds of the ratio to the same round's baseline
        ratios = [ms / base_ms for ms, base_ms in zip(times[name], times["baseline"], strict=True)]
        report(name, statistics.median(times[name]), outputs[name], ms_per_round=times[name])
        result["variants"][name]["ratio_to_baseline"] = statistics.median(ratios)
    for name, freezing in (("compiled", False), ("frozen", True)):  # once, after the rounds: compiling is slow
        if not {name, f"{name}_threads2"} & set(args.variants):
            continue
        eager_unet = base.diffusion.unet
        torch._dynamo.reset()
        with torch._inductor.config.patch(freezing=freezing):
            base.diffusion.unet = torch.compile(eager_unet)
            start = time.perf_counter()
            with torch.no_grad():
                sample()
            compile_s = time.perf_counter() - start
            if name in args.variants:
                report(name, *timed(), compile_s=compile_s)
            if f"{name}_threads2" in args.variants:
                report(f"{name}_threads2", *timed(threads=2), compile_s=compile_s)
        base.diffusion.unet = eager_unet
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
