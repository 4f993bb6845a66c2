"""A recorded rollout replays exactly (`lerobot_resip.envs.replay`): the benchmarks' replay baseline and
the way to reproduce an episode without its policy."""

import numpy as np

from lerobot_resip.envs.replay import StepRecorder, replay
from lerobot_resip.envs.sim import BatchedAssemblySim


def test_replay_ends_where_the_recorded_rollout_ended():
    num_envs, steps, seeds = 3, 6, np.array([11, 12, 13])
    sim = BatchedAssemblySim("peg_in_hole", num_envs, max_episode_steps=steps, num_threads=1)
    sim.step = recorder = StepRecorder(sim.step)
    sim.reset(seeds=seeds)
    rng = np.random.default_rng(0)
    active = np.ones(num_envs, dtype=bool)
    for t in range(steps):
        action = sim.hold_action()
        action[:, :3] += rng.uniform(-0.02, 0.02, size=(num_envs, 3))  # move the tool a little, m
        if t == 3:
            active[1] = False  # an episode that ended early is no longer simulated
        sim.step(action, active=active.copy())
    assert len(recorder.calls) == steps

    other = BatchedAssemblySim("peg_in_hole", num_envs, max_episode_steps=steps, num_threads=1)
    assert replay(other, recorder.calls, seeds) == 3 * 3 + 2 * 3  # env 1 stops after 3 steps
    for key, value in recorder.last_obs.items():
        np.testing.assert_array_equal(other.observation()[key], value)

    # A different action sequence does not end in the same state.
    replay(other, [(action + 0.01, active) for action, active in recorder.calls], seeds)
    assert not np.array_equal(other.observation()["agent_pos"], recorder.last_obs["agent_pos"])


def test_hold_action_keeps_the_tool_still():
    sim = BatchedAssemblySim("peg_in_hole", 2, num_threads=1)
    obs = sim.reset(seeds=[0, 1])
    for _ in range(3):
        obs = sim.step(sim.hold_action())[0]
    np.testing.assert_allclose(obs["agent_pos"][:, :3], sim.reset(seeds=[0, 1])["agent_pos"][:, :3], atol=2e-3)
