"""Simulator throughput of the peg_in_hole task, and of one_leg next to it; prints one JSON object.

Measures, in one run on this machine:
  - bare `mujoco.mj_step` rate of the scene (one MjData), with the arm at the home keyframe
    and the gripper touching nothing, and with contacts active (peg inserted in the hole);
  - 10 Hz control steps per second of BatchedAssemblySim at each `--envs` size (all cores),
    holding the current tool pose with the gripper open;
  - a baseline: a plain Python loop over 64 separate single-env sims (one thread each), and the
    ratio of the batched 64-env rate to it;
  - the fraction of BatchedAssemblySim.step spent outside the physics (IK, observation, checks);
  - one_leg at `--one-leg-envs` environments in three phases, each from states the scripted expert
    reaches (free motion: between the top's two pushes, gripper closed on nothing; grasp: a leg
    held in the air; thread engaged: the leg engaged in its thread, in a screwing grasp), each
    phase holding its tool pose with the gripper closed: env-steps/s, ms per control step, contacts and constraint rows per environment,
    the ratio to peg_in_hole's 64-env rate of the same run, and what the contacts cost: the
    bare mj_step time of one environment in that state with contacts on and off.

Usage: .venv/bin/python benchmarks/bench_sim.py [--steps 100] [--envs 1 16 64] [--one-leg-envs 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import mujoco
import numpy as np

from lerobot_resip.envs import expert_one_leg
from lerobot_resip.envs.expert import make_expert
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


# one_leg phases: the expert phase every environment is driven to before timing.
ONE_LEG_PHASES = {
    "free_motion": expert_one_leg.PUSH_Y_ABOVE,
    "grasp": expert_one_leg.ROLL,
    "thread_engaged": expert_one_leg.SCREW_TURN,
}


def _drive_to(sim: BatchedAssemblySim, expert, phase: int, max_steps: int = 700) -> None:
    """Step the expert until every environment has reached `phase` (and, for the thread, is engaged)."""
    obs = sim.observation()
    reached = np.zeros(sim.num_envs, dtype=bool)
    for _ in range(max_steps):
        threaded = sim._threads[0].engaged().any(axis=1) if phase == expert_one_leg.SCREW_TURN else True
        reached |= (expert.phase == phase) & threaded
        if reached.all():
            return
        action = expert.act(obs)
        obs, *_ = sim.step(action, active=~reached)
    raise RuntimeError(f"only {reached.sum()} of {sim.num_envs} environments reached phase {phase}")


def _bare_step_us(model: mujoco.MjModel, data: mujoco.MjData, steps: int, contacts: bool) -> float:
    """Mean mj_step time (us) from `data`'s state, restarting from it every 40 steps."""
    model.opt.disableflags &= ~int(mujoco.mjtDisableBit.mjDSBL_CONTACT)
    if not contacts:
        model.opt.disableflags |= int(mujoco.mjtDisableBit.mjDSBL_CONTACT)
    state = np.empty(mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS))
    mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    work = mujoco.MjData(model)
    elapsed = 0.0
    for _ in range(steps // 40):
        mujoco.mj_setState(model, work, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        work.ctrl[:] = data.ctrl
        start = time.perf_counter()
        for _ in range(40):
            mujoco.mj_step(model, work)
        elapsed += time.perf_counter() - start
    model.opt.disableflags &= ~int(mujoco.mjtDisableBit.mjDSBL_CONTACT)
    return 1e6 * elapsed / (40 * (steps // 40))


def bench_one_leg(num_envs: int, steps: int, mj_steps: int) -> dict:
    result = {}
    for name, phase in ONE_LEG_PHASES.items():
        sim = BatchedAssemblySim("one_leg", num_envs=num_envs, seed=0, num_threads=0)
        expert = make_expert("one_leg", num_envs, seed=0)
        sim.reset(seeds=np.arange(num_envs))
        _drive_to(sim, expert, phase)
        ncon, nefc = sim.batch.bind("ncon"), sim.batch.bind("nefc")
        action = sim.hold_action()
        action[:, 9] = 1.0  # gripper closed: holding the leg, or pushing
        sim.step(action)  # warm up
        contacts, rows = 0.0, 0.0
        start = time.perf_counter()
        for _ in range(steps):
            sim.step(action)
            contacts += ncon.mean()
            rows += nefc.mean()
        elapsed = time.perf_counter() - start
        model, data = sim.model, sim.get_data(0)
        with_contacts = _bare_step_us(model, data, mj_steps, contacts=True)
        without = _bare_step_us(model, data, mj_steps, contacts=False)
        result[name] = {
            "env_steps_per_s": num_envs * steps / elapsed,
            "ms_per_control_step": 1000 * elapsed / steps,
            "contacts_per_env": contacts / steps,
            "constraint_rows_per_env": rows / steps,
            "mj_step_us": with_contacts,
            "mj_step_us_without_contacts": without,
            "contact_share_of_physics": 1 - without / with_contacts,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="10 Hz control steps per configuration")
    parser.add_argument("--mj-steps", type=int, default=20000, help="physics steps for the bare mj_step rates")
    parser.add_argument("--envs", type=int, nargs="+", default=[1, 16, 64], help="batch sizes to time")
    parser.add_argument("--one-leg-envs", type=int, default=64, help="one_leg batch size (0: skip one_leg)")
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
    if args.one_leg_envs:
        peg = bench_batched(args.one_leg_envs, args.steps)["env_steps_per_s"]
        one_leg = bench_one_leg(args.one_leg_envs, args.steps, args.mj_steps)
        for phase in one_leg.values():
            phase["ratio_to_peg_in_hole"] = phase["env_steps_per_s"] / peg
        result["one_leg"] = {"envs": args.one_leg_envs, "peg_in_hole_env_steps_per_s": peg, "phases": one_leg}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
