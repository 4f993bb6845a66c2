"""Does observation-to-action latency break a policy? The training simulator with a delayed action.

On the real robot (and on franky-sim) each target reaches the arm some tens of milliseconds after the
observation it was computed from; the training simulator applies it at once. This runs the same seeded
episodes as `lerobot-resip-eval` with a latency of L ms: within every 100 ms control step the arm keeps
tracking the previous target for the first L ms of physics and the new one for the rest (L = 100: the
policy acts on an observation one step old). Prints one JSON object with a row per latency.

    .venv/bin/python -m benchmarks.latency_probe \\
        --policy_path outputs/demo/resip/checkpoints/best/pretrained_model --latency_ms 0 50 100
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from benchmarks.sim_probe import add_probe_arguments, load_probe, summary
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.rl.rollout import evaluate
from lerobot_resip.rl.runtime import make_sim


class DelayedActionSim:
    """`BatchedAssemblySim` whose every control step first spends `delay_substeps` physics steps on the
    previous action, then the rest of the step on the new one (the first step of an episode has no
    previous action and runs the new one throughout).

    With `hold_targets` (a latency) the delayed part keeps the joint targets the previous step's IK gave
    the servos. Without it, the IK is solved again from the arm's state at the delay's end: two IK
    updates per control step, which changes how the arm follows its targets as well as when."""

    def __init__(self, sim: BatchedAssemblySim, delay_substeps: int, hold_targets: bool = True):
        if not 0 <= delay_substeps <= sim.substeps:
            raise ValueError(f"a delay of {delay_substeps} physics steps is outside 0-{sim.substeps}")
        self.sim, self.delay, self.hold_targets = sim, delay_substeps, hold_targets
        self.previous: np.ndarray | None = None

    def __getattr__(self, name):
        return getattr(self.sim, name)

    def reset(self, **kwargs):
        self.previous = None
        return self.sim.reset(**kwargs)

    def step(self, action: np.ndarray, active: np.ndarray):
        sim, full = self.sim, self.sim.substeps
        if self.previous is None or self.delay == 0:
            out = sim.step(action, active)
        elif self.delay == full:  # the whole step on the previous action
            out = sim.step(self.previous, active)
        else:
            # Both parts count as one control step: the first one must neither advance the episode's
            # clock nor truncate it.
            sim.substeps = self.delay
            sim.max_episode_steps += 1
            if self.hold_targets:  # the servos keep the joint targets the previous command gave them
                sim._joint_targets = lambda arm, _action: sim._ctrl[:, arm.arm_ctrl].copy()
            try:
                _, reward, terminated, truncated, info = sim.step(self.previous, active)
            finally:
                sim.max_episode_steps -= 1
                vars(sim).pop("_joint_targets", None)
            sim.elapsed_steps[active] -= 1
            live = active & ~(terminated | truncated)
            sim.substeps = full - self.delay
            try:
                obs, reward2, terminated2, truncated2, info2 = sim.step(action, live)
            finally:
                sim.substeps = full
            out = (
                obs,
                reward + reward2,
                terminated | terminated2,
                truncated | truncated2,
                {key: info[key] | info2[key] for key in info},
            )
        self.previous = np.asarray(action).copy()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_probe_arguments(parser)
    parser.add_argument("--latency_ms", type=float, nargs="+", default=[0.0, 50.0, 100.0])
    parser.add_argument("--resolve_ik", action="store_true",
                        help="solve the IK again when the delayed action takes over (see DelayedActionSim)")
    args = parser.parse_args()

    policy, io, env, seeds = load_probe(args)
    rows = []
    for latency in args.latency_ms:
        sim = make_sim(env, min(args.num_envs, args.episodes), args.seed)
        delay = round(latency / 1000 / sim.model.opt.timestep)
        delayed = DelayedActionSim(sim, delay, hold_targets=not args.resolve_ik)
        result = evaluate(policy, io, delayed, seeds, sampling_seed=args.seed)
        rows.append({"latency_ms": delay * sim.model.opt.timestep * 1000, **summary(result)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps({"policy_path": args.policy_path, "task": args.task, "randomness": args.randomness,
                      "seed": args.seed, "num_envs": sim.num_envs, "resolve_ik": args.resolve_ik, "rows": rows},
                     indent=1))


if __name__ == "__main__":
    main()
