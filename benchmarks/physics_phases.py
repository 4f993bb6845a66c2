"""Where the physics time of peg_in_hole goes, by phase of the task; prints one JSON object.

The scripted expert drives one env (seed `--seed`) through a whole episode; every control step is
labelled by the expert's phase, grouped as
  - free: the arm moving with an open gripper, nothing held (approach, descend, release);
  - grasp: the peg held and carried (close, lift, carry, align);
  - insert: the peg in contact with the hole's walls (insert).
Then each recorded step is re-simulated from its saved state (`mj_setState`, the same control) with
one MjData, timing `mj_step` with MuJoCo's own timers, once per physics setting in `--settings`
(the model as shipped, and the candidate changes: fewer substeps, solver iterations and tolerance,
no collision between the fingers and the table, ...). Per phase and setting it reports microseconds
per physics step and per 10 Hz control step, the mean number of contacts and constraint rows, the
share of time in collision detection and in the constraint solver, and the solver iterations. A
setting that changes the physics also reports whether the expert still succeeds with it (20 seeded
episodes, 64 batched envs: `--expert_episodes`).

Usage: .venv/bin/python -m benchmarks.physics_phases [--seed 0] [--expert_episodes 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time

import mujoco
import numpy as np

from lerobot_resip.envs import expert as expert_module
from lerobot_resip.envs.expert import expert_success, make_expert
from lerobot_resip.envs.sim import CONTROL_HZ, BatchedAssemblySim
from lerobot_resip.envs.tasks import TASKS

PHASES = {
    "free": (expert_module.APPROACH, expert_module.DESCEND, expert_module.RELEASE),
    "grasp": (expert_module.CLOSE, expert_module.LIFT, expert_module.CARRY, expert_module.ALIGN),
    "insert": (expert_module.INSERT,),
}
COLLISION, CONSTRAINT = mujoco.mjtTimer.mjTIMER_POS_COLLISION, mujoco.mjtTimer.mjTIMER_CONSTRAINT
# name -> (description, function(model) that applies the setting in place)
SETTINGS = {
    "shipped": ("the model as shipped", lambda m: None),
    "tolerance_1e-6": ("solver tolerance 1e-6 (default 1e-8)", lambda m: setattr(m.opt, "tolerance", 1e-6)),
    "iterations_20": ("at most 20 solver iterations (default 100)", lambda m: setattr(m.opt, "iterations", 20)),
    "ls_iterations_10": ("at most 10 line-search iterations (default 50)",
                         lambda m: setattr(m.opt, "ls_iterations", 10)),
    "timestep_5ms": ("5 ms physics steps, 20 per control step (solref is clamped to 2 dt: softer contacts)",
                     lambda m: setattr(m.opt, "timestep", 0.005)),
    "cg_solver": ("conjugate-gradient solver instead of Newton",
                  lambda m: setattr(m.opt, "solver", mujoco.mjtSolver.mjSOL_CG)),
    "pyramidal_cone": ("pyramidal friction cones instead of elliptic",
                       lambda m: setattr(m.opt, "cone", mujoco.mjtCone.mjCONE_PYRAMIDAL)),
}


def record_episode(seed: int) -> tuple[BatchedAssemblySim, list[tuple[np.ndarray, np.ndarray, str]]]:
    """(state before the step, control, phase) of every physics step of one expert episode."""
    sim = BatchedAssemblySim("peg_in_hole", 1, num_threads=1)
    expert = make_expert("peg_in_hole", 1, seed=seed)
    obs = sim.reset(seeds=[seed])
    model, data = sim.model, sim.get_data(0)
    spec = mujoco.mjtState.mjSTATE_PHYSICS
    size = mujoco.mj_stateSize(model, spec)
    steps = []
    for _ in range(sim.max_episode_steps):
        action = expert.act(obs)
        phase = next(name for name, ids in PHASES.items() if expert.phase[0] in ids)
        data = sim.get_data(0, data)
        state = np.empty(size)
        mujoco.mj_getState(model, data, state, spec)
        obs, _, terminated, truncated, _ = sim.step(action)
        steps.append((state, sim._ctrl[0].copy(), phase))  # the controls held during that step
        if terminated[0] or truncated[0]:
            break
    return sim, steps


def time_setting(sim, steps, setting: str) -> dict:
    model = sim.task.build_model(0.0005)
    SETTINGS[setting][1](model)
    substeps = round(1.0 / (CONTROL_HZ * model.opt.timestep))
    data = mujoco.MjData(model)
    spec = mujoco.mjtState.mjSTATE_PHYSICS
    per_phase = {name: {"us": 0.0, "physics_steps": 0, "contacts": 0, "rows": 0, "collision_us": 0.0,
                        "solver_us": 0.0, "iterations": 0} for name in PHASES}
    for state, ctrl, phase in steps:
        mujoco.mj_setState(model, data, state, spec)
        data.ctrl[:] = ctrl
        mujoco.mj_forward(model, data)
        timers = [data.timer[t].duration for t in (COLLISION, CONSTRAINT)]  # they accumulate
        start = time.perf_counter()
        for _ in range(substeps):
            mujoco.mj_step(model, data)
        elapsed = time.perf_counter() - start
        stats = per_phase[phase]
        stats["us"] += 1e6 * elapsed
        stats["physics_steps"] += substeps
        stats["contacts"] += data.ncon
        stats["rows"] += data.nefc
        stats["collision_us"] += 1e6 * (data.timer[COLLISION].duration - timers[0])
        stats["solver_us"] += 1e6 * (data.timer[CONSTRAINT].duration - timers[1])
        stats["iterations"] += int(data.solver_niter[0])
    result = {}
    for name, stats in per_phase.items():
        control_steps = stats["physics_steps"] // substeps
        if not control_steps:
            continue
        result[name] = {
            "control_steps": control_steps,
            "us_per_physics_step": round(stats["us"] / stats["physics_steps"], 2),
            "us_per_control_step": round(stats["us"] / control_steps, 1),
            "contacts": round(stats["contacts"] / control_steps, 1),
            "constraint_rows": round(stats["rows"] / control_steps, 1),
            "collision_share": round(stats["collision_us"] / stats["us"], 3),
            "solver_share": round(stats["solver_us"] / stats["us"], 3),
            "solver_iterations_last_substep": round(stats["iterations"] / control_steps, 1),
        }
    return result


def expert_with_setting(setting: str, episodes: int) -> dict:
    """The expert's success rate with a physics setting applied to the task's model."""
    spec = TASKS["peg_in_hole"]

    def build_with_setting(clearance: float) -> mujoco.MjModel:
        model = spec.build_model(clearance)
        SETTINGS[setting][1](model)
        return model

    TASKS["peg_in_hole"] = dataclasses.replace(spec, build_model=build_with_setting)
    try:
        return expert_success("peg_in_hole", "low", 0.5, episodes, min(episodes, 64), first_seed=0)
    finally:
        TASKS["peg_in_hole"] = spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--expert_episodes", type=int, default=20)
    args = parser.parse_args()
    sim, steps = record_episode(args.seed)
    result = {
        "task": "peg_in_hole",
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "mujoco": mujoco.__version__,
        "control_hz": CONTROL_HZ,
        "episode_control_steps": len(steps),
        "settings": {},
    }
    for setting in args.settings:
        entry = {"description": SETTINGS[setting][0], "phases": time_setting(sim, steps, setting)}
        if setting != "shipped" and args.expert_episodes:
            entry["expert"] = expert_with_setting(setting, args.expert_episodes)
        result["settings"][setting] = entry
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
