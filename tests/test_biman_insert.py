"""biman_insert: the two-arm scene, the simulator driving both arms, success, clearance, the expert
and the CLIs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from lerobot.envs.configs import EnvConfig
from test_clearance import PenetrationProbe

import lerobot_resip  # noqa: F401  (registers the gym ids and the env types)
from lerobot_resip.envs.configs import BimanInsertEnvConfig, FurnitureEnvConfig
from lerobot_resip.envs.expert import expert_success, make_expert
from lerobot_resip.envs.gym_env import FurnitureEnv
from lerobot_resip.envs.rotation import matrix_from_rot6d, quat_to_matrix, rot6d_from_matrix
from lerobot_resip.envs.scenes import BIMAN_PEG_HALF_LENGTH, BLOCK_HALF_WIDTH, PEG_HALF_WIDTH
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import get_task

TASK = "biman_insert"
GYM_ID = f"lerobot_resip/{TASK}"
CLEARANCE = 0.0005  # m, the default
CLI_TIMEOUT = 900  # s, per CLI call (their start-up alone takes minutes on a loaded 2-core machine)


def one_line(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message, f"expected a one-line message, got {message!r}"
    return message


def place_peg(sim: BatchedAssemblySim, env: int, depth_left: float, block_pos=None) -> None:
    """Put the peg on the block's hole axis, its end `depth_left` (m) above the hole's bottom, the
    block first moved to `block_pos` (world, m) if given; both at rest."""
    peg, block = sim._part_qpos["peg"], sim._part_qpos["block"]
    if block_pos is not None:
        sim._qpos[env, block : block + 3] = block_pos
    block_pos, block_quat = sim._qpos[env, block : block + 3].copy(), sim._qpos[env, block + 3 : block + 7].copy()
    axis = quat_to_matrix(block_quat)[:, 2]
    sim._qpos[env, peg : peg + 3] = block_pos + (BIMAN_PEG_HALF_LENGTH + depth_left) * axis
    sim._qpos[env, peg + 3 : peg + 7] = block_quat
    sim._qvel[env] = 0.0


# ---------------------------------------------------------------------------- scene and spaces


def test_scene_arms_parts_and_observation_layout():
    spec = get_task(TASK)
    assert spec.parts == ("peg", "block") and spec.arms == ("left", "right")
    assert spec.episode_length == 500 and spec.control_hz == 50
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    m = sim.model
    assert sim.substeps == 8 and sim.action_dim == 20 and sim.state_dim == 32
    # Joint ranges stay radians in the attached arms (panda.xml has no compiler setting of its own).
    np.testing.assert_allclose(m.joint("left/joint1").range, [-2.8973, 2.8973])
    np.testing.assert_allclose(m.joint("right/joint4").range, [-3.0718, -0.0698])
    obs = sim.reset()
    assert obs["agent_pos"].shape == (2, 32) and obs["environment_state"].shape == (2, 14)
    data = sim.get_data(0)
    # Bases 1.1 m apart on the x axis, facing each other.
    np.testing.assert_allclose(data.body("left/link0").xpos, [-0.55, 0, 0], atol=1e-9)
    np.testing.assert_allclose(data.body("right/link0").xpos, [0.55, 0, 0], atol=1e-9)
    np.testing.assert_allclose(data.body("left/link0").xmat.reshape(3, 3)[:, 0], [1, 0, 0], atol=1e-9)
    np.testing.assert_allclose(data.body("right/link0").xmat.reshape(3, 3)[:, 0], [-1, 0, 0], atol=1e-9)
    # Both tools at home, mirrored through the table's centre; proprio arm after arm.
    left, right = obs["agent_pos"][:, :3], obs["agent_pos"][:, 16:19]
    np.testing.assert_allclose(left[:, 0], -right[:, 0], atol=1e-5)
    np.testing.assert_allclose(obs["agent_pos"][:, [15, 31]], 0.08, atol=1e-4)  # grippers open
    # Parts lying on the table near their nominal poses, the block's mouth towards the left arm.
    state = obs["environment_state"].reshape(2, 2, 7)
    np.testing.assert_allclose(state[:, 0, 2], PEG_HALF_WIDTH, atol=1e-4)
    np.testing.assert_allclose(state[:, 1, 2], BLOCK_HALF_WIDTH, atol=1e-4)
    assert np.abs(state[:, 0, :2] - [-0.12, 0.06]).max() <= 0.015 + 1e-6
    assert np.abs(state[:, 1, :2] - [0.12, -0.06]).max() <= 0.015 + 1e-6
    mouth = quat_to_matrix(state[:, 1, 3:].astype(float))[..., 2]
    assert (mouth[:, 0] < -0.95).all()


@pytest.mark.filterwarnings("ignore:.*WARN:")
def test_gym_env_checks_and_registration():
    env = gym.make(GYM_ID)
    try:
        assert env.spec.max_episode_steps == 500
        assert env.action_space.shape == (20,)
        assert env.observation_space["agent_pos"].shape == (32,)
        assert env.observation_space["environment_state"].shape == (14,)
        assert env.unwrapped.metadata["render_fps"] == 50
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


def test_env_type_config():
    assert EnvConfig.get_choice_class("biman_insert") is BimanInsertEnvConfig
    cfg = BimanInsertEnvConfig(randomness="med", obs_type="pixels_state")
    assert cfg.type == "biman_insert" and cfg.task == TASK and cfg.fps == 50 and cfg.episode_length == 500
    assert cfg.features["action"].shape == (20,)
    assert cfg.features["agent_pos"].shape == (32,)
    assert cfg.features["environment_state"].shape == (14,)
    assert {key for key in cfg.features if key.startswith("pixels/")} == {
        "pixels/front", "pixels/left_wrist", "pixels/right_wrist",
    }  # fmt: skip
    assert cfg.features_map["pixels/left_wrist"] == "observation.images.left_wrist"
    assert cfg.gym_id == GYM_ID
    with pytest.raises(ValueError) as excinfo:
        FurnitureEnvConfig(task=TASK)
    assert "--env.type=biman_insert" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        BimanInsertEnvConfig(task="peg_in_hole")
    assert "--env.type=furniture" in one_line(excinfo)


def test_control_rate_is_a_config_field():
    """--env.fps sets the control rate; the episode keeps the task's 10 s unless its length is given."""
    cfg = BimanInsertEnvConfig(fps=10)
    assert cfg.fps == 10 and cfg.episode_length == 100 and cfg.gym_kwargs["control_hz"] == 10
    sim = cfg.make_batched_sim(1, seed=0, num_threads=1)
    assert sim.control_hz == 10 and sim.substeps == 40 and sim.max_episode_steps == 100
    assert BimanInsertEnvConfig(fps=10, episode_length=200).make_batched_sim(1, num_threads=1).max_episode_steps == 200
    assert FurnitureEnv(TASK, control_hz=25).sim.substeps == 16
    with pytest.raises(ValueError) as excinfo:
        BimanInsertEnvConfig(fps=7).make_batched_sim(1, num_threads=1)
    assert "does not divide" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        BimanInsertEnvConfig(fps=0)
    assert "fps" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:  # the single-arm experts count control steps
        make_expert("peg_in_hole", 1, control_hz=50)
    assert "10 Hz only" in one_line(excinfo)


def test_lerobot_vector_env():
    envs = BimanInsertEnvConfig().create_envs(n_envs=2, use_async_envs=False)
    vec = envs["biman_insert"][0]
    try:
        obs, _ = vec.reset(seed=[1, 2])
        assert obs["agent_pos"].shape == (2, 32) and obs["environment_state"].shape == (2, 14)
        hold = np.concatenate(
            [obs["agent_pos"][:, :9], -np.ones((2, 1)), obs["agent_pos"][:, 16:25], -np.ones((2, 1))], axis=1
        )
        obs, reward, terminated, truncated, info = vec.step(hold.astype(np.float32))
        assert reward.shape == (2,) and not terminated.any() and "is_success" in info
        assert list(vec.call("task_description")) == [get_task(TASK).description] * 2
        assert vec.call("_max_episode_steps")[0] == 500
    finally:
        vec.close()


# ---------------------------------------------------------------------------- control


def test_both_arms_track_their_ik_targets_to_sub_millimetre():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    sim.reset()
    action = sim.hold_action()
    offsets = np.array([[0.06, 0.04, -0.10, -0.05, -0.03, -0.12], [-0.04, -0.05, -0.08, 0.05, 0.06, -0.15]])
    action[:, [0, 1, 2, 10, 11, 12]] += offsets
    # The right arm also turns its tool 30 degrees about the vertical.
    turn = np.array([[np.cos(0.5), -np.sin(0.5), 0], [np.sin(0.5), np.cos(0.5), 0], [0, 0, 1]])
    action[:, 13:19] = rot6d_from_matrix(turn @ matrix_from_rot6d(action[:, 13:19]))
    for _ in range(50):  # 1 s
        obs, *_ = sim.step(action)
    for arm in range(2):
        error = np.linalg.norm(
            obs["agent_pos"][:, 16 * arm : 16 * arm + 3] - action[:, 10 * arm : 10 * arm + 3], axis=1
        )
        assert (error < 1e-3).all(), f"arm {arm}: tracking error {error * 1000} mm"
        np.testing.assert_allclose(
            obs["agent_pos"][:, 16 * arm + 3 : 16 * arm + 9], action[:, 10 * arm + 3 : 10 * arm + 9], atol=1e-2
        )


@pytest.mark.parametrize("bad", ["19", "21", "nan", "inf"])
def test_bad_actions_are_one_line_errors(bad):
    env = FurnitureEnv(TASK)
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    try:
        env.reset(seed=0)
        sim.reset()
        good = env.sim.hold_action()[0]
        action = {"19": good[:19], "21": np.append(good, 0.0)}.get(bad, good.copy())
        if bad in ("nan", "inf"):
            action[13] = np.nan if bad == "nan" else np.inf
        with pytest.raises(ValueError) as excinfo:
            env.step(action)
        message = one_line(excinfo)
        assert ("(20,)" in message) if bad in ("19", "21") else ("NaN" in message)
        with pytest.raises(ValueError) as excinfo:
            sim.step(np.stack([action, action]))
        one_line(excinfo)
    finally:
        env.close()


def test_perturbation_pushes_resting_parts():
    def motion(perturb: bool) -> float:
        sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, perturb=perturb, perturb_prob=1.0, num_threads=1)
        start = sim.reset()["environment_state"].copy()
        for _ in range(25):
            obs, *_ = sim.step(sim.hold_action())
        return float(np.abs(obs["environment_state"] - start).reshape(2, 2, 7)[..., :2].max())

    assert motion(False) < 1e-4
    assert motion(True) > 2e-3


# ---------------------------------------------------------------------------- success and clearance


def test_success_needs_the_peg_inserted_and_both_parts_off_the_table():
    sim = BatchedAssemblySim(TASK, num_envs=1, seed=3, num_threads=1)
    sim.reset()
    assert not sim.is_success().any()
    place_peg(sim, 0, 0.0)  # fully inserted, but the block lies on the table
    sim.batch.forward()
    assert not sim.is_success().any()
    place_peg(sim, 0, 0.0, block_pos=[0.05, 0.0, 0.2])  # inserted, in the air
    sim.batch.forward()
    assert sim.is_success().all()
    place_peg(sim, 0, 0.003)  # 3 mm short of the bottom still counts (5 mm tolerance)
    sim.batch.forward()
    assert sim.is_success().all()
    place_peg(sim, 0, 0.025)  # at the mouth
    sim.batch.forward()
    assert not sim.is_success().any()


def test_inserted_in_the_air_terminates_with_reward():
    env = FurnitureEnv(TASK)
    try:
        env.reset(seed=5)
        place_peg(env.sim, 0, 0.0, block_pos=[0.05, 0.0, 0.2])
        env.sim.batch.forward()
        _, reward, terminated, truncated, info = env.step(env.sim.hold_action()[0])
        assert terminated and not truncated and reward == 1.0 and info["is_success"]
    finally:
        env.close()


def test_hole_is_wider_than_the_peg_by_the_clearance():
    model = get_task(TASK).build_model(CLEARANCE)
    wall = model.geom("hole_wall_0")
    inner = wall.pos[0] - wall.size[0]
    assert 2 * inner - 2 * PEG_HALF_WIDTH == pytest.approx(CLEARANCE, abs=1e-12)
    assert wall.pos[0] + wall.size[0] == pytest.approx(BLOCK_HALF_WIDTH)
    side = model.geom("hole_wall_2")
    assert side.pos[1] - side.size[1] == pytest.approx(inner) and side.size[0] == pytest.approx(inner)
    with pytest.raises(ValueError, match="clearance"):
        get_task(TASK).build_model(0.01)


@pytest.mark.parametrize("clearance_mm", [0.5, 0.2])
def test_peg_never_sinks_into_the_wall(clearance_mm):
    """The expert inserts the peg, then the left tool presses it home (3 mm further along +x, the
    hole's axis) while shoving it 3 mm sideways and then 3 mm down for half a second each: no
    peg-wall contact is ever deeper than the clearance, and the peg stays in."""
    sim = BatchedAssemblySim(TASK, 1, clearance=clearance_mm / 1000, seed=11, num_threads=1)
    probe = PenetrationProbe(sim)
    expert = make_expert(TASK, 1, seed=11)
    obs = sim.reset()
    for _ in range(sim.max_episode_steps):
        obs, _, terminated, _, info = sim.step(expert.act(obs))
        if terminated.any():
            break
    assert info["is_success"].all(), "the expert should finish the insertion"
    hold = sim.hold_action()
    hold[:, [9, 19]] = 1.0  # both grippers stay closed
    for offset in ([0.003, 0.003, 0.0], [0.003, 0.0, -0.003]):
        shove = hold.copy()
        shove[:, :3] += offset
        for _ in range(25):
            obs, _, _, _, info = sim.step(shove)
    assert info["is_success"].all(), "the peg stays inserted while pressed against the walls"
    assert probe.wall_contacts > 0, "the shove must press the peg on the walls"
    assert probe.deepest < clearance_mm / 1000, f"peg sank {probe.deepest * 1000:.3f} mm into the wall"


# ---------------------------------------------------------------------------- expert


def test_expert_succeeds_on_seeded_episodes():
    result = expert_success(TASK, "low", clearance_mm=0.5, episodes=4, num_envs=4, first_seed=1000)
    assert result["success_rate"] >= 3 / 4, result


def test_expert_succeeds_at_10_hz():
    """The expert's speeds and timings are per second: it also assembles at 10 Hz (in 20 s)."""
    result = expert_success(TASK, "low", 0.5, episodes=4, num_envs=4, first_seed=1000, control_hz=10, episode_length=200)
    assert result["control_hz"] == 10 and result["success_rate"] >= 3 / 4, result


def test_expert_is_registered_and_acts_in_both_arms():
    expert = make_expert(TASK, 3, seed=0)
    sim = BatchedAssemblySim(TASK, num_envs=3, seed=0, num_threads=1)
    action = expert.act(sim.reset())
    assert action.shape == (3, 20) and np.isfinite(action).all()
    assert (action[:, [9, 19]] == -1).all()  # both grippers open on the way to the parts


# ---------------------------------------------------------------------------- rendering and CLIs


def test_pixels_from_the_front_and_both_wrists():
    env = FurnitureEnv(TASK, obs_type="pixels_state", observation_width=64, observation_height=48)
    try:
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        assert set(obs["pixels"]) == {"front", "left_wrist", "right_wrist"}
        for cam, image in obs["pixels"].items():
            assert image.dtype == np.uint8 and image.shape == (48, 64, 3)
            assert image.std() > 0, f"{cam} image is blank"
        assert not np.array_equal(obs["pixels"]["left_wrist"], obs["pixels"]["right_wrist"])
    finally:
        env.close()


@pytest.mark.slow
def test_collect_train_eval_through_the_clis(tmp_path):
    """Collected biman_insert demos train a diffusion policy for two steps through `lerobot-train`,
    and `lerobot-eval` runs two episodes of it through the real CLI (`--env.type=biman_insert`)."""
    import json

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from test_collect_cli import ok, run_cli

    demos, repo_id = tmp_path / "demos", "local/biman_insert_test"
    ok(
        run_cli(
            "lerobot-resip-collect",
            "--env.type=biman_insert",
            "--env.randomness=low",
            "--num_episodes=2",
            "--num_envs=2",
            "--seed=0",
            f"--dataset.root={demos}",
            f"--dataset.repo_id={repo_id}",
            timeout=CLI_TIMEOUT,
        )
    )
    ds = LeRobotDataset(repo_id, root=demos)
    assert ds.num_episodes == 2 and ds.fps == 50
    assert ds.features["observation.state"]["shape"] == (32,)
    assert ds.features["observation.state"]["names"][:2] == ["left_ee_pos_x", "left_ee_pos_y"]
    assert ds.features["observation.state"]["names"][16] == "right_ee_pos_x"
    assert ds.features["action"]["shape"] == (20,) and ds.features["action"]["names"][19] == "right_gripper"
    assert ds.features["observation.environment_state"]["shape"] == (14,)
    assert ds.features["observation.environment_state"]["names"][7] == "block_pos_x"

    out = tmp_path / "train"
    ok(
        run_cli(
            "lerobot-train",
            "--policy.type=diffusion",
            f"--dataset.repo_id={repo_id}",
            f"--dataset.root={demos}",
            "--steps=2",
            "--batch_size=4",
            "--num_workers=0",
            "--save_freq=2",
            "--log_freq=1",
            "--wandb.enable=false",
            "--policy.push_to_hub=false",
            "--policy.device=cpu",
            "--policy.n_obs_steps=1",
            "--policy.horizon=16",
            "--policy.n_action_steps=8",
            "--policy.down_dims=[32,64]",
            "--policy.diffusion_step_embed_dim=32",
            "--policy.noise_scheduler_type=DDIM",
            "--policy.num_inference_steps=4",
            '--policy.normalization_mapping={"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", '
            '"ENV": "MIN_MAX", "ACTION": "MIN_MAX"}',
            f"--output_dir={out}",
            timeout=CLI_TIMEOUT,
        )
    )
    checkpoint = out / "checkpoints" / "000002" / "pretrained_model"
    evaluation = tmp_path / "eval"
    ok(
        run_cli(
            "lerobot-eval",
            f"--policy.path={checkpoint}",
            "--env.type=biman_insert",
            "--env.episode_length=20",
            "--eval.n_episodes=2",
            "--eval.batch_size=2",
            "--policy.device=cpu",
            f"--output_dir={evaluation}",
            timeout=CLI_TIMEOUT,
        )
    )
    info = json.loads((evaluation / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 2
