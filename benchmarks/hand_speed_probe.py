"""Does a slower hand break a policy? The training simulator with the fingers' closing speed of a real hand.

The training simulator's finger servos (`panda.xml`, kp 1000 N/m, kv 200 N s/m) close an empty hand from
80 mm to 20 mm (the peg's width) in about 0.3 s. A Franka Hand moves each finger at most 0.05 m/s (franky-sim
models exactly that), so the same stroke takes 0.6 s: a policy fitted to the simulator may lift before its
fingers hold the peg. This runs the same seeded episodes as `lerobot-resip-eval` with the finger servos'
damping kv raised (a slower, exponential close with the same grip force at rest) and prints one JSON object
with a row per kv: the time the hand takes for that stroke, and the policy's success.

    .venv/bin/python -m benchmarks.hand_speed_probe \\
        --policy_path outputs/demo/resip/checkpoints/best/pretrained_model --finger_kv 200 428 800
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys

import numpy as np

from benchmarks.sim_probe import add_probe_arguments, load_probe, summary
from lerobot_resip.envs import tasks
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.rl.rollout import evaluate
from lerobot_resip.rl.runtime import make_sim

STROKE_TO_M = 0.020  # the peg's width: the stroke ends where the fingers would touch it


@contextlib.contextmanager
def finger_damping(task: str, kv: float):
    """Within the block, `task`'s scenes are built with every finger servo's velocity gain at `kv`."""
    original = tasks.TASKS[task]

    def build(clearance):
        model = original.build_model(clearance)
        for i in range(model.nu):
            if model.actuator(i).name.split("/")[-1].startswith("finger"):
                model.actuator_biasprm[i, 2] = -kv  # a position servo's force: kp (ctrl - q) - kv qdot
        return model

    tasks.TASKS[task] = dataclasses.replace(original, build_model=build)
    try:
        yield
    finally:
        tasks.TASKS[task] = original


def stroke_time(env: FurnitureEnvConfig) -> float:
    """Seconds an empty open hand takes to close to STROKE_TO_M, at the physics step's resolution."""
    sim = make_sim(env, 1, 0)
    sim.reset(seeds=np.array([0]))
    action = sim.hold_action()
    action[:, 9] = 1.0
    sim.substeps, substeps = 1, sim.substeps  # one physics step per call, to time the stroke finely
    sim.max_episode_steps *= substeps
    fingers = sim._arms[0].finger_qpos
    for step in range(1, 5 * substeps * sim.control_hz):
        sim.step(action, np.ones(1, bool))
        if sim._qpos[0, fingers].sum() <= STROKE_TO_M:
            return step * float(sim.model.opt.timestep)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_probe_arguments(parser)
    parser.add_argument("--finger_kv", type=float, nargs="+", default=[200.0, 428.0])
    args = parser.parse_args()

    policy, io, env, seeds = load_probe(args)
    rows = []
    for kv in args.finger_kv:
        with finger_damping(args.task, kv):
            stroke = stroke_time(env)
            sim = make_sim(env, min(args.num_envs, args.episodes), args.seed)
            result = evaluate(policy, io, sim, seeds, sampling_seed=args.seed)
        rows.append({"finger_kv": kv, "stroke_80_to_20mm_s": round(stroke, 4), **summary(result)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps({"policy_path": args.policy_path, "task": args.task, "randomness": args.randomness,
                      "seed": args.seed, "num_envs": sim.num_envs, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
