"""Residual-PPO training throughput against bare batched stepping; prints one JSON object.

Measures, in one run on this machine, with the same number of envs and episode length:
  - bare: BatchedAssemblySim.step with a fixed action (hold the tool pose), env-steps/s;
  - full loop: what `lerobot-resip-train` does per iteration, with its own functions (rollout with
    base inference, residual and critic; GAE; the PPO update with the paper's settings) on a fresh
    resip over the given diffusion base, env-steps/s over rollout + update;
  - their ratio (target: >= 0.6);
  - replay: BatchedAssemblySim.step alone, replaying the actions (and episode ends) of the full
    loop's last rollout from the same seeds: the physics of arms that move and push parts, which
    costs more than holding still; the full loop over replay is the share left to learning;
  - where the full loop's time goes, in ms per control step of the whole batch: physics (MuJoCo),
    IK, the rest of the simulator step (observations, checks), base sampling, residual + critic,
    (un)normalization, and the PPO update;
  - the base's cost per sampled chunk (all envs at once, DDIM with the resip's inference steps).

Usage (the base from the README pipeline, or any LeRobot diffusion checkpoint):
    .venv/bin/python -m benchmarks.bench_resip \\
        --base_path outputs/demo/base/stage2/checkpoints/last/pretrained_model [--num_envs 64] [--steps 100]
    The resip is the paper's (4 DDIM steps, stochastic base, paper inputs) unless `--policy_overrides`
    gives ResipConfig fields, and the update uses the paper's PPO settings unless `--ppo_overrides`
    gives PPOConfig fields; the README pipeline's loop is
    `--steps 120 --policy_overrides base_num_inference_steps=4 base_noise_scale=0 task_features=peg_in_hole
     --ppo_overrides num_minibatches=4 actor_lr=0.001`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import draccus
import numpy as np
import torch

from benchmarks.bench_sim import _TimedBatch
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.replay import StepRecorder, replay
from lerobot_resip.policies.resip import ResipConfig
from lerobot_resip.policies.resip.modeling_resip import sample_base_chunk
from lerobot_resip.rl.ppo import PPOConfig, compute_gae, make_optimizers, ppo_update
from lerobot_resip.rl.rollout import PolicyIO, collect_rollout
from lerobot_resip.rl.runtime import episode_seeds, load_policy
from lerobot_resip.scripts.cli import error_line

TASK = "peg_in_hole"


class _TimedCall:
    """Wraps a function and accumulates its wall time."""

    def __init__(self, fn):
        self.fn = fn
        self.time = 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.time += time.perf_counter() - start


def make_sim(num_envs: int, steps: int):
    env = FurnitureEnvConfig(task=TASK, randomness="low", episode_length=steps)
    sim = env.make_batched_sim(num_envs, seed=0, num_threads=0)
    sim.batch = _TimedBatch(sim.batch)
    sim._joint_targets = _TimedCall(sim._joint_targets)
    return sim


def bench_bare(num_envs: int, steps: int) -> dict:
    sim = make_sim(num_envs, steps)
    sim.reset()
    action = sim.hold_action()
    sim.step(action)  # warm up the thread pool
    sim.reset()
    sim.batch.step_time = sim._joint_targets.time = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        sim.step(action)
    elapsed = time.perf_counter() - start
    return {
        "env_steps_per_s": num_envs * steps / elapsed,
        "ms_per_step": {"physics": 1000 * sim.batch.step_time / steps, "ik": 1000 * sim._joint_targets.time / steps,
                        "total": 1000 * elapsed / steps},
    }


def bench_replay(num_envs: int, steps: int, recorder: StepRecorder, seeds: np.ndarray) -> dict:
    """Physics alone on a recorded rollout: same seeds, same actions, same inactive envs.
    `matches_rollout` says whether it ended where the rollout did (the physics is deterministic)."""
    sim = make_sim(num_envs, steps)
    sim.reset(seeds=seeds)
    sim.step(*recorder.calls[0])  # warm up the thread pool
    sim.batch.step_time = 0.0
    start = time.perf_counter()
    env_steps = replay(sim, recorder.calls, seeds)
    elapsed = time.perf_counter() - start
    obs = sim.observation()
    calls = len(recorder.calls)
    return {
        "env_steps_per_s": env_steps / elapsed,
        "ms_per_step": {"physics": 1000 * sim.batch.step_time / calls, "total": 1000 * elapsed / calls},
        "matches_rollout": all(np.array_equal(obs[key], value) for key, value in recorder.last_obs.items()),
    }


def bench_full_loop(
    base_path: str, num_envs: int, steps: int, iterations: int, overrides: list[str] = (),
    ppo_overrides: list[str] = (), device: str = "cpu",
) -> tuple[dict, StepRecorder, np.ndarray]:
    """The measurements, and the recorder and seeds of the last rollout (for `bench_replay`).
    `overrides` / `ppo_overrides`: `field=value` ResipConfig / PPOConfig settings, parsed as
    `--policy.field=value` / `--ppo.field=value` would be."""
    try:
        cfg = draccus.parse(
            ResipConfig, args=[f"--base_path={base_path}", f"--device={device}", "--push_to_hub=false",
                               *(f"--{item}" for item in overrides)]
        )
        ppo = draccus.parse(PPOConfig, args=[f"--{item}" for item in ppo_overrides])
    except (draccus.utils.ParsingError, ValueError) as e:
        sys.exit(f"bench_resip: error: {error_line(e)}")
    with contextlib.redirect_stdout(sys.stderr):  # LeRobot prints while loading; stdout is the JSON
        policy, pre, post = load_policy(cfg)
    io = PolicyIO(pre, post)
    optimizers = make_optimizers(policy.residual, policy.critic, ppo)
    sim = make_sim(num_envs, steps)
    sim.step = recorder = StepRecorder(sim.step)
    policy.base_action = base_timer = _TimedCall(policy.base_action)
    policy.train()

    totals = {"env_steps": 0, "rollout_s": 0.0, "update_s": 0.0, "physics_s": 0.0, "ik_s": 0.0, "base_s": 0.0,
              "steps": 0}
    timing = {}
    updates = 0
    for it in range(iterations + 1):  # iteration 0 warms up (thread pool, allocator) and is not counted
        sim.batch.step_time = sim._joint_targets.time = base_timer.time = 0.0
        recorder.clear()
        seeds = episode_seeds(0, 0, it * num_envs, num_envs)
        start = time.perf_counter()
        ro = collect_rollout(policy, io, sim, seeds)
        rollout_s = time.perf_counter() - start
        adv, ret = compute_gae(ro.rewards, ro.values, ro.dones, ppo.gamma, ppo.gae_lambda)
        m = ro.valid.bool()
        stats = ppo_update(policy.residual_distribution, policy.value, ro.inputs[m], ro.residuals[m],
                           ro.logprobs[m], adv[m], ret[m], ro.values[m], optimizers, ppo)
        update_s = time.perf_counter() - start - rollout_s
        if it == 0:
            continue
        updates += stats["updates"]
        n_steps = ro.valid.shape[0]
        totals["env_steps"] += int(m.sum())
        totals["rollout_s"] += rollout_s
        totals["update_s"] += update_s
        totals["physics_s"] += sim.batch.step_time
        totals["ik_s"] += sim._joint_targets.time
        totals["base_s"] += base_timer.time
        totals["steps"] += n_steps
        for key, value in ro.timing.items():
            timing[key] = timing.get(key, 0.0) + value * n_steps

    control_steps = totals["steps"]
    per_step = {key.removeprefix("perf/").removesuffix("_ms_per_step"): value / control_steps
                for key, value in timing.items()}
    sim_ms = per_step.pop("sim")
    physics_ms, ik_ms = 1000 * totals["physics_s"] / control_steps, 1000 * totals["ik_s"] / control_steps
    base_ms = 1000 * totals["base_s"] / control_steps
    breakdown = {
        "physics": physics_ms,
        "ik": ik_ms,
        "sim_other": sim_ms - physics_ms - ik_ms,
        "base_sampling": base_ms,
        "residual_and_critic": per_step["policy"] - base_ms,
        "normalization": per_step["normalize"] + per_step["unnormalize"],
        "ppo_update": 1000 * totals["update_s"] / control_steps,
    }
    total_s = totals["rollout_s"] + totals["update_s"]
    result = {
        "env_steps_per_s": totals["env_steps"] / total_s,
        "rollout_only_env_steps_per_s": totals["env_steps"] / totals["rollout_s"],
        "iterations": iterations,
        "env_steps": totals["env_steps"],
        "ppo_updates_per_iteration": updates / iterations,
        "ms_per_control_step": breakdown,
        "fraction_of_time": {k: v / (1000 * total_s / control_steps) for k, v in breakdown.items()},
        "base_chunk_ms": bench_base_chunk(policy, io, sim),
    }
    return result, recorder, seeds


@torch.no_grad()
def bench_base_chunk(policy, io: PolicyIO, sim, repeats: int = 10) -> float:
    batch = io.batch(sim.reset())
    sample_base_chunk(policy.base, batch, policy.config.base_num_inference_steps)  # warm-up
    synchronize = torch.cuda.synchronize if batch["observation.state"].is_cuda else (lambda: None)
    synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        sample_base_chunk(policy.base, batch, policy.config.base_num_inference_steps)
    synchronize()
    return 1000 * (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base_path", default="outputs/demo/base/stage2/checkpoints/last/pretrained_model",
                        help="a LeRobot diffusion checkpoint directory (pretrained_model)")
    parser.add_argument("--num_envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100, help="control steps per episode (both loops)")
    parser.add_argument("--iterations", type=int, default=2, help="timed PPO iterations (after one warm-up)")
    parser.add_argument("--torch_threads", type=int, default=0,
                        help="torch threads (0: torch's default, all cores, as lerobot-resip-train uses)")
    parser.add_argument("--device", default="cpu", help="where the policy and PPO run (cpu, cuda); physics: CPU")
    parser.add_argument("--policy_overrides", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="ResipConfig fields of the benchmarked resip, e.g. base_num_inference_steps=16")
    parser.add_argument("--ppo_overrides", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="PPOConfig fields of the timed update, e.g. num_minibatches=4 actor_lr=0.001")
    args = parser.parse_args()
    if not (Path(args.base_path) / "config.json").is_file():
        sys.exit(f"bench_resip: error: no diffusion checkpoint at {args.base_path}; run scripts/run_demo.sh "
                 "first or pass --base_path=<.../pretrained_model>")
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    bare = bench_bare(args.num_envs, args.steps)
    full, recorder, seeds = bench_full_loop(
        args.base_path, args.num_envs, args.steps, args.iterations, args.policy_overrides, args.ppo_overrides,
        args.device,
    )
    replay_result = bench_replay(args.num_envs, args.steps, recorder, seeds)
    result = {
        "task": TASK,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "torch_threads": torch.get_num_threads(), "device": args.device},
        "num_envs": args.num_envs,
        "episode_steps": args.steps,
        "base_path": args.base_path,
        "policy_overrides": args.policy_overrides,
        "ppo_overrides": args.ppo_overrides,
        "bare_stepping": bare,
        "full_loop": full,
        "replay_stepping": replay_result,
        "ratio_full_loop_over_bare": full["env_steps_per_s"] / bare["env_steps_per_s"],
        "ratio_full_loop_over_replay": full["env_steps_per_s"] / replay_result["env_steps_per_s"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
