"""The assembly environment: gymnasium API, determinism, control, input checks, robustness."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import lerobot_resip  # noqa: F401  (registers the gym ids and the `furniture` env type)
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.gym_env import FurnitureEnv
from lerobot_resip.envs.rotation import rot6d_from_matrix
from lerobot_resip.envs.scenes import PEG_HALF_LENGTH
from lerobot_resip.envs.sim import ACTION_DIM, STATE_DIM, BatchedAssemblySim, tool_stiffness
from lerobot_resip.envs.tasks import get_task

TASK = "peg_in_hole"
GYM_ID = f"lerobot_resip/{TASK}"


def hold_action(sim: BatchedAssemblySim, gripper: float = -1.0) -> np.ndarray:
    """(N, 10) action that keeps every tool where it is, gripper open (-1) or closed (+1)."""
    tcp_pos = sim._site_xpos[:, sim._tcp]
    tcp_rot = sim._site_xmat[:, sim._tcp].reshape(-1, 3, 3)
    grip = np.full((sim.num_envs, 1), gripper)
    return np.concatenate([tcp_pos, rot6d_from_matrix(tcp_rot), grip], axis=1)


def fixed_actions(env: FurnitureEnv, steps: int) -> list[np.ndarray]:
    """A deterministic action sequence: the tool drifts down and sideways from its reset pose."""
    base = hold_action(env.sim)[0].astype(np.float32)
    actions = []
    for t in range(steps):
        action = base.copy()
        action[0] += 0.005 * t
        action[2] -= 0.01 * t
        action[9] = 1.0 if t >= steps // 2 else -1.0
        actions.append(action)
    return actions


def rollout(env: FurnitureEnv, seed: int, steps: int = 10) -> list[dict]:
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for action in fixed_actions(env, steps):
        obs, *_ = env.step(action)
        out.append(obs)
    return out


def assert_obs_equal(a: list[dict], b: list[dict]) -> None:
    for obs_a, obs_b in zip(a, b, strict=True):
        for key in ("agent_pos", "environment_state"):
            np.testing.assert_array_equal(obs_a[key], obs_b[key])


def one_line_value_error(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message, f"expected a one-line message, got {message!r}"
    return message


# ---------------------------------------------------------------------------- gymnasium API


@pytest.mark.filterwarnings("ignore:.*WARN:")  # gymnasium advice on unbounded and unnormalised Boxes
def test_check_env():
    env = gym.make(GYM_ID).unwrapped
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_spaces_and_registration():
    env = gym.make(GYM_ID)
    try:
        assert env.spec.max_episode_steps == 200
        assert env.action_space.shape == (ACTION_DIM,)
        assert env.observation_space["agent_pos"].shape == (STATE_DIM,)
        assert env.observation_space["environment_state"].shape == (14,)
    finally:
        env.close()


def test_same_seed_same_rollout_different_seed_different_reset():
    env = FurnitureEnv(TASK)
    try:
        first = rollout(env, seed=123)
        second = rollout(env, seed=123)
        assert_obs_equal(first, second)
        other, _ = env.reset(seed=124)
        assert not np.array_equal(other["environment_state"], first[0]["environment_state"])
    finally:
        env.close()


# ---------------------------------------------------------------------------- control


def test_ik_tracks_reachable_target_to_sub_millimetre():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    sim.reset()
    action = hold_action(sim)  # the home orientation
    target = action[:, :3] + np.array([[0.05, 0.03, -0.08], [-0.04, -0.05, -0.10]])
    action[:, :3] = target
    for _ in range(15):
        obs, *_ = sim.step(action)
    error = np.linalg.norm(obs["agent_pos"][:, :3] - target, axis=1)
    assert (error < 1e-3).all(), f"tracking error {error * 1000} mm"
    np.testing.assert_allclose(obs["agent_pos"][:, 3:9], action[:, 3:9], atol=1e-2)


# ---------------------------------------------------------------------------- input checks


def test_unknown_task_and_randomness_raise():
    with pytest.raises(ValueError) as excinfo:
        BatchedAssemblySim("no_such_task", num_envs=1)
    assert "no_such_task" in one_line_value_error(excinfo)
    with pytest.raises(ValueError) as excinfo:
        BatchedAssemblySim(TASK, num_envs=1, randomness="extreme")
    assert "extreme" in one_line_value_error(excinfo)
    with pytest.raises(ValueError) as excinfo:
        FurnitureEnv("no_such_task")
    one_line_value_error(excinfo)
    with pytest.raises(ValueError) as excinfo:
        FurnitureEnv(TASK, randomness="extreme")
    one_line_value_error(excinfo)


def test_config_rejects_unknown_task_and_randomness():
    assert FurnitureEnvConfig(task=TASK, randomness="med").episode_length == 200
    with pytest.raises(ValueError) as excinfo:
        FurnitureEnvConfig(task="no_such_task")
    one_line_value_error(excinfo)
    with pytest.raises(ValueError) as excinfo:
        FurnitureEnvConfig(task=TASK, randomness="extreme")
    one_line_value_error(excinfo)


def test_arm_stiffness_scales_the_arm_not_the_hand():
    """`--env.arm_stiffness` softens the arm's joint servos (the tool's stiffness falls by the factor on every
    axis) and leaves the fingers' servos as they are; a non-positive factor is one line."""
    stiff, soft = BatchedAssemblySim(TASK, 1), BatchedAssemblySim(TASK, 1, arm_stiffness=0.3)
    fingers = [i for i in range(stiff.model.nu) if "finger" in stiff.model.actuator(i).name]
    assert fingers and np.array_equal(stiff.model.actuator_gainprm[fingers], soft.model.actuator_gainprm[fingers])
    ratio = np.array(tool_stiffness(stiff.model)) / np.array(tool_stiffness(soft.model))
    assert np.all((ratio > 1 / 0.3 * 0.85) & (ratio < 1 / 0.3 * 1.15)), ratio
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError) as excinfo:
            FurnitureEnvConfig(task=TASK, arm_stiffness=bad)
        assert "arm_stiffness" in one_line_value_error(excinfo)


def test_bad_actions_raise():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    sim.reset()
    good = hold_action(sim)
    for bad in (good[0], good[:, :9], np.zeros((3, ACTION_DIM))):
        with pytest.raises(ValueError) as excinfo:
            sim.step(bad)
        one_line_value_error(excinfo)
    nan = good.copy()
    nan[1, 4] = np.nan
    with pytest.raises(ValueError) as excinfo:
        sim.step(nan)
    one_line_value_error(excinfo)

    env = FurnitureEnv(TASK)
    try:
        env.reset(seed=0)
        for bad in (np.zeros(ACTION_DIM - 1), np.zeros((1, ACTION_DIM))):
            with pytest.raises(ValueError) as excinfo:
                env.step(bad)
            one_line_value_error(excinfo)
        nan = np.zeros(ACTION_DIM, dtype=np.float32)
        nan[0] = np.nan
        with pytest.raises(ValueError) as excinfo:
            env.step(nan)
        one_line_value_error(excinfo)
    finally:
        env.close()


# ---------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "corruption, steps_before",
    [
        ("huge_qvel", 3),
        ("nan_qpos", 3),
        ("huge_qvel", 0),
        ("nan_qpos", 0),
    ],
)
def test_physics_blow_up_truncates_only_that_env(corruption, steps_before, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo logs the instability warning to ./MUJOCO_LOG.TXT
    sim = BatchedAssemblySim(TASK, num_envs=3, seed=0, num_threads=1)
    reference = BatchedAssemblySim(TASK, num_envs=3, seed=0, num_threads=1)
    sim.reset()
    reference.reset()
    action = hold_action(sim)
    for _ in range(steps_before):
        sim.step(action)
        reference.step(action)
    bad = 1
    dof, adr = sim._part_dofs["peg"], sim._part_qpos["peg"]
    if corruption == "huge_qvel":
        sim._qvel[bad, dof : dof + 6] = 1e6
    else:
        sim._qpos[bad, adr : adr + 3] = np.nan

    obs, reward, terminated, truncated, info = sim.step(action)
    ref_obs, *_ = reference.step(action)

    assert truncated[bad] and info["physics_unstable"][bad] and not terminated[bad]
    assert not info["physics_unstable"][[0, 2]].any() and not truncated[[0, 2]].any()
    for key, value in obs.items():
        assert np.isfinite(value).all(), key
        np.testing.assert_array_equal(value[[0, 2]], ref_obs[key][[0, 2]])
    # The caller resets the broken env and carries on.
    sim.reset(ids=[bad])
    obs, _, _, truncated, info = sim.step(hold_action(sim))
    assert not info["physics_unstable"].any() and not truncated.any()
    assert all(np.isfinite(value).all() for value in obs.values())


def test_inactive_envs_are_frozen_and_active_ones_unaffected():
    sim = BatchedAssemblySim(TASK, num_envs=3, seed=0, num_threads=1)
    reference = BatchedAssemblySim(TASK, num_envs=3, seed=0, num_threads=1)
    start = sim.reset()
    reference.reset()
    # Move the arms so a frozen env is distinguishable from a stepped one.
    action = hold_action(sim)
    action[:, 2] += 0.05
    active = np.array([True, False, True])
    for _ in range(3):
        obs, reward, terminated, truncated, info = sim.step(action, active=active)
        ref_obs, *_ = reference.step(action)
    for key, value in obs.items():
        np.testing.assert_array_equal(value[1], start[key][1])
        np.testing.assert_array_equal(value[[0, 2]], ref_obs[key][[0, 2]])
    assert list(sim.elapsed_steps) == [3, 0, 3]
    assert not (terminated[1] or truncated[1] or info["is_success"][1] or reward[1])
    with pytest.raises(ValueError, match="active must have shape"):
        sim.step(action, active=np.ones(2, dtype=bool))


def test_perturbation_moves_resting_parts():
    def part_motion(perturb: bool) -> float:
        sim = BatchedAssemblySim(
            TASK, num_envs=2, seed=0, perturb=perturb, perturb_prob=1.0, num_threads=1
        )
        start = sim.reset()["environment_state"].copy()
        action = hold_action(sim)
        for _ in range(50):
            obs, *_ = sim.step(action)
        return float(np.abs(obs["environment_state"] - start).max())

    assert part_motion(perturb=False) < 1e-4
    assert part_motion(perturb=True) > 5e-3


# ---------------------------------------------------------------------------- success


def place_peg_on_hole(sim: BatchedAssemblySim, height_above_assembled: float) -> None:
    """Put the peg upright on the hole's axis, `height_above_assembled` metres above full insertion."""
    hole_adr, peg_adr = sim._part_qpos["hole"], sim._part_qpos["peg"]
    for env in range(sim.num_envs):
        hole_pos = sim._qpos[env, hole_adr : hole_adr + 3].copy()
        hole_quat = sim._qpos[env, hole_adr + 3 : hole_adr + 7].copy()
        sim._qpos[env, peg_adr : peg_adr + 3] = hole_pos + [0, 0, PEG_HALF_LENGTH + height_above_assembled]
        sim._qpos[env, peg_adr + 3 : peg_adr + 7] = hole_quat  # same yaw as the hole
        sim._qvel[env] = 0.0
    sim.batch.forward()


def test_success_when_inserted_not_when_on_rim():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=3, num_threads=1)
    sim.reset()
    assert not sim.is_success().any()
    place_peg_on_hole(sim, 0.0)
    assert sim.is_success().all()
    place_peg_on_hole(sim, 0.025)  # resting on the rim
    assert not sim.is_success().any()


def test_inserted_peg_terminates_with_reward():
    env = FurnitureEnv(TASK)
    try:
        env.reset(seed=5)
        place_peg_on_hole(env.sim, 0.0)
        action = hold_action(env.sim)[0]
        _, reward, terminated, truncated, info = env.step(action)
        assert terminated and not truncated and reward == 1.0
        assert info["is_success"] and not info["physics_unstable"]
    finally:
        env.close()


# ---------------------------------------------------------------------------- rendering


def test_pixels_state_observation_and_render():
    env = FurnitureEnv(TASK, obs_type="pixels_state", observation_width=96, observation_height=64)
    try:
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        for cam in ("front", "wrist"):
            image = obs["pixels"][cam]
            assert image.dtype == np.uint8 and image.shape == (64, 96, 3)
            assert image.std() > 0, f"{cam} image is blank"
        obs, *_ = env.step(hold_action(env.sim)[0])
        assert obs["pixels"]["front"].shape == (64, 96, 3)
        frame = env.render()
        assert frame.dtype == np.uint8 and frame.shape == (240, 320, 3)
    finally:
        env.close()


@pytest.mark.parametrize("use_async", [False, True])
def test_lerobot_vector_envs(use_async):
    """LeRobot builds sync and async (forkserver) vector envs from the config, as lerobot-eval does."""
    envs = FurnitureEnvConfig(task=TASK).create_envs(n_envs=2, use_async_envs=use_async)
    vec = envs["furniture"][0]
    try:
        obs, _ = vec.reset(seed=[1, 2])
        assert obs["agent_pos"].shape == (2, 16) and obs["environment_state"].shape == (2, 14)
        action = np.concatenate([obs["agent_pos"][:, :9], -np.ones((2, 1), np.float32)], axis=1)
        obs, reward, terminated, truncated, info = vec.step(action)
        assert reward.shape == (2,) and not terminated.any() and "is_success" in info
        assert list(vec.call("task_description")) == [get_task(TASK).description] * 2
        assert vec.call("_max_episode_steps")[0] == 200
    finally:
        vec.close()
