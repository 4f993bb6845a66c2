"""Record a batched simulator's control steps and replay them.

The simulator is deterministic: the same reset seeds and the same sequence of (action, active) calls
give the same physics, so a recorded rollout can be re-simulated without the policy that produced it
(to time the physics of a policy's own motions, or to reproduce an episode that went wrong).
"""

from __future__ import annotations

import numpy as np

from lerobot_resip.envs.sim import BatchedAssemblySim


class StepRecorder:
    """Wraps `BatchedAssemblySim.step` (install with `sim.step = StepRecorder(sim.step)`); keeps a copy
    of the (action, active) of every call since `clear` and the last observation returned."""

    def __init__(self, step):
        self.step = step
        self.calls: list[tuple[np.ndarray, np.ndarray | None]] = []
        self.last_obs: dict[str, np.ndarray] = {}

    def clear(self) -> None:
        self.calls = []

    def __call__(self, action, active=None):
        self.calls.append((np.array(action, copy=True), None if active is None else np.array(active, copy=True)))
        out = self.step(action, active=active)
        self.last_obs = out[0]
        return out


def replay(sim: BatchedAssemblySim, calls: list[tuple[np.ndarray, np.ndarray | None]], seeds: np.ndarray) -> int:
    """Reset `sim` with `seeds` and step it through the recorded `calls`; returns the env steps taken
    (active envs summed over the calls)."""
    sim.reset(seeds=seeds)
    env_steps = 0
    for action, active in calls:
        sim.step(action, active=active)
        env_steps += sim.num_envs if active is None else int(active.sum())
    return env_steps
