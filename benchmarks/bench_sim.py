"""Simulator throughput of the peg_in_hole task; prints one JSON object.

Measures, in one run on this machine:
  - bare `mujoco.mj_step` rate of the scene (one MjData), with the arm at the home keyframe
    and the gripper touching nothing, and with contacts active (peg inserted in the hole);
  - 10 Hz control steps per second of BatchedAssemblySim at each `--envs` size (all cores),
    holding the current tool pose with the gripper open;
  - a baseline: a plain Python loop over 64 separate single-env sims (one thread each), and the
    ratio of the batched 64-env rate to it;
  - the fraction of BatchedAssemblySim.step spent outside the physics (IK, observation, checks).

Usage: .venv/bin/python benchmarks/bench_sim.py [--steps 100] [--envs 1 16 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import mujoco
import numpy as np

from lerobot_resip.envs.scenes import PEG_HALF_LENGTH
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import get_task

TASK = "peg_in_hole"
BASELINE_ENVS = 64


class _TimedBatch:
    """Forwards to a mujoco.batch.Batch and accumulates the wall time spent in `step`."""

    def __init__(self, batch):
        self._batch = batch
        self.step_time = 0.0

    def step(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._batch.step(*args, **kwargs)
        finally:
            self.step_time += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._batch, name)


def run_control_steps(sim: BatchedAssemblySim, steps: int) -> None:
    action = sim.hold_action()
    for _ in range(steps):
        _, _, terminated, truncated, _ = sim.step(action)
        done = terminated | truncated
        if done.any():
            sim.reset(ids=np.flatnonzero(done))
            action = sim.hold_action()


def bench_mj_step(model: mujoco.MjModel, steps: int, insert_peg: bool) -> dict:
    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, model.keyframe("home").id)
    if insert_peg:
        peg, hole = model.joint("peg").qposadr[0], model.joint("hole").qposadr[0]
        data.qpos[peg : peg + 3] = data.qpos[hole : hole + 3] + [0, 0, PEG_HALF_LENGTH]
        data.qpos[peg + 3 : peg + 7] = data.qpos[hole + 3 : hole + 7]
    mujoco.mj_forward(model, data)
    for _ in range(100):  # settle, warm caches
        mujoco.mj_step(model, data)
    start = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    elapsed = time.perf_counter() - start
    return {"steps_per_s": steps / elapsed, "contacts": int(data.ncon)}


def bench_batched(num_envs: int, steps: int) -> dict:
    sim = BatchedAssemblySim(TASK, num_envs=num_envs, seed=0, num_threads=0)
    sim.reset()
    run_control_steps(sim, 2)  # warm up the thread pool
    timed = _TimedBatch(sim.batch)
    sim.batch = timed
    start = time.perf_counter()
    run_control_steps(sim, steps)
    elapsed = time.perf_counter() - start
    return {
        "env_steps_per_s": num_envs * steps / elapsed,
        "physics_steps_per_s": num_envs * steps * sim.substeps / elapsed,
        "overhead_fraction": 1.0 - timed.step_time / elapsed,
    }


def bench_baseline(num_envs: int, steps: int) -> dict:
    sims = [BatchedAssemblySim(TASK, num_envs=1, seed=i, num_threads=1) for i in range(num_envs)]
    for sim in sims:
        sim.reset()
        run_control_steps(sim, 2)
    start = time.perf_counter()
    for _ in range(steps):
        for sim in sims:
            run_control_steps(sim, 1)
    elapsed = time.perf_counter() - start
    return {"env_steps_per_s": num_envs * steps / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="10 Hz control steps per configuration")
    parser.add_argument("--mj-steps", type=int, default=20000, help="physics steps for the bare mj_step rates")
    parser.add_argument("--envs", type=int, nargs="+", default=[1, 16, 64], help="batch sizes to time")
    args = parser.parse_args()

    model = get_task(TASK).build_model(0.0005)
    result = {
        "task": TASK,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "mujoco": mujoco.__version__,
        "control_steps": args.steps,
        "mj_step": {
            "free_arm": bench_mj_step(model, args.mj_steps, insert_peg=False),
            "peg_in_hole_contacts": bench_mj_step(model, args.mj_steps, insert_peg=True),
        },
        "batched": {str(n): bench_batched(n, args.steps) for n in args.envs},
    }
    baseline = bench_baseline(BASELINE_ENVS, args.steps)
    result[f"baseline_{BASELINE_ENVS}_single_env_sims"] = baseline
    if str(BASELINE_ENVS) in result["batched"]:
        batched = result["batched"][str(BASELINE_ENVS)]["env_steps_per_s"]
        result[f"ratio_batched{BASELINE_ENVS}_over_baseline{BASELINE_ENVS}"] = batched / baseline["env_steps_per_s"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
