"""benchmarks/bench_resip.py's replay baseline re-simulates a recorded rollout exactly."""

import numpy as np

from benchmarks.bench_resip import _StepRecorder, bench_replay, make_sim
from benchmarks.bench_sim import hold_action


def test_replay_ends_where_the_recorded_rollout_ended():
    num_envs, steps, seeds = 3, 6, np.array([11, 12, 13])
    sim = make_sim(num_envs, steps)
    sim.step = recorder = _StepRecorder(sim.step)
    sim.reset(seeds=seeds)
    rng = np.random.default_rng(0)
    active = np.ones(num_envs, dtype=bool)
    for t in range(steps):
        action = hold_action(sim)
        action[:, :3] += rng.uniform(-0.02, 0.02, size=(num_envs, 3))  # move the tool a little, m
        if t == 3:
            active[1] = False  # an episode that ended early is no longer simulated
        sim.step(action, active=active.copy())

    result = bench_replay(num_envs, steps, recorder.calls, seeds, recorder.last_obs)
    assert len(recorder.calls) == steps
    assert result["matches_rollout"]
    assert result["env_steps_per_s"] > 0

    # A different action sequence must not count as the same rollout.
    altered = [(action + 0.01, active) for action, active in recorder.calls]
    assert not bench_replay(num_envs, steps, altered, seeds, recorder.last_obs)["matches_rollout"]
