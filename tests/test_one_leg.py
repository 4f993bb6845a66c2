"""one_leg: the square table's parts, the screw thread, the success test, the expert and the CLIs.

The thread's engagement rule is tested on poses written into the simulator (no physics in
between), so each case isolates one condition; the physical cases (a leg dropped in, a scripted
screw-in, an expert insertion) step the simulator.
"""

from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import lerobot_resip  # noqa: F401  (registers the gym ids)
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.rotation import multiply_quat, quat_to_matrix, rot6d_from_matrix, yaw_quat
from lerobot_resip.envs.scenes import (
    BORE_CHAMFER,
    LEG_BODY_LENGTH,
    ONE_LEG_THREAD as THREAD,
    STUD_RADIUS,
    TOP_HALF_WIDTH,
)
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import get_task

TASK = "one_leg"
CLEARANCE = 0.0005  # m, the default
REST = THREAD.start_angle * THREAD.travel_per_radian - THREAD.rest_gap  # m, resting leg above its seat


def hold(sim: BatchedAssemblySim) -> np.ndarray:
    """(N, 10) action keeping every tool where it is, gripper open."""
    rot = sim._site_xmat[:, sim._tcp].reshape(-1, 3, 3)
    return np.concatenate([sim._site_xpos[:, sim._tcp], rot6d_from_matrix(rot), -np.ones((sim.num_envs, 1))], axis=1)


def place_leg(sim, env, hole, height, turn, tilt=0.0, offset=(0.0, 0.0)):
    """Put leg 4 over `hole` of the top: its frame `height` above the seat, turned `turn` (rad)
    about the hole axis from the seated turn, tilted `tilt` (rad) about the top's x axis about its
    thread's end, which sits `offset` (m) from the hole axis."""
    top, leg = sim._part_qpos[THREAD.parent], sim._part_qpos[THREAD.child]
    top_pos, top_quat = sim._qpos[env, top : top + 3].copy(), sim._qpos[env, top + 3 : top + 7].copy()
    tilt_quat = np.array([np.cos(tilt / 2), np.sin(tilt / 2), 0.0, 0.0])
    rel_quat = multiply_quat(tilt_quat, yaw_quat(np.array(turn)))
    rel_rot = quat_to_matrix(rel_quat)
    end = np.array(THREAD.seats[hole]) + [offset[0], offset[1], height - THREAD.tip]
    rel_pos = end + THREAD.tip * rel_rot[:, 2]
    sim._qpos[env, leg : leg + 3] = top_pos + quat_to_matrix(top_quat) @ rel_pos
    sim._qpos[env, leg + 3 : leg + 7] = multiply_quat(top_quat, rel_quat)
    sim._qvel[env] = 0.0


def leg_height(sim, env, hole):
    """Leg 4's frame above `hole`'s seat along the top's axis (m)."""
    top, leg = sim.model.body(THREAD.parent).id, sim.model.body(THREAD.child).id
    rot = quat_to_matrix(sim._xquat[env, top])
    return float((rot.T @ (sim._xpos[env, leg] - sim._xpos[env, top]))[2] - THREAD.seats[hole][2])


# ---------------------------------------------------------------------------- parts and spaces


def test_parts_sizes_masses_and_observation_layout():
    spec = get_task(TASK)
    assert spec.parts == (
        "square_table_top", "square_table_leg1", "square_table_leg2", "square_table_leg3", "square_table_leg4", "fixture",
    )  # fmt: skip
    assert spec.episode_length == 700
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    m = sim.model
    top = m.body("square_table_top").id
    assert m.body_subtreemass[top] == pytest.approx(0.151, abs=1e-3)
    for k in range(1, 5):
        assert m.body_mass[m.body(f"square_table_leg{k}").id] == pytest.approx(0.0231, abs=1e-4)
    obs = sim.reset()
    state = obs["environment_state"].reshape(2, 6, 7)
    assert state.shape == (2, 6, 7)
    np.testing.assert_allclose(np.linalg.norm(state[..., 3:], axis=2), 1.0, atol=1e-5)
    assert (state[..., 3] >= 0).all()
    # The top lies flat near (0.5415, 0); legs lie on the table; the fixture sits at its nominal
    # pose +- 2 cm, unturned.
    assert np.abs(state[:, 0, :2] - [0.5415, 0.0]).max() <= 0.015 + 1e-6
    np.testing.assert_allclose(state[:, 1:5, 2], 0.015, atol=1e-4)
    legs_axis = quat_to_matrix(state[:, 1:5, 3:].astype(float))[..., 2]
    assert (np.abs(legs_axis[..., 2]) < 1e-4).all()  # lying
    assert np.abs(state[:, 5, :2] - [0.6815, 0.0]).max() <= 0.02 + 1e-6
    np.testing.assert_allclose(state[:, 5, 3:], [[1, 0, 0, 0]] * 2, atol=1e-6)
    cfg = FurnitureEnvConfig(task=TASK)
    assert cfg.episode_length == 700 and cfg.features["environment_state"].shape == (42,)


@pytest.mark.parametrize("randomness", ["low", "med"])
def test_resets_do_not_overlap(randomness, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim = BatchedAssemblySim(TASK, num_envs=16, randomness=randomness, seed=1, num_threads=1)
    sim.reset()
    start = sim.observation()["environment_state"].copy()
    for _ in range(5):
        obs, _, _, truncated, info = sim.step(hold(sim))
    assert not info["physics_unstable"].any()
    # Nothing was pushed apart at reset: the resting parts stay where they were put.
    assert np.abs(obs["environment_state"] - start)[:, :35].max() < 2e-3


def test_perturbations_push_resting_parts_but_not_the_fixture():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=0, num_threads=1)
    sim.reset()
    for _ in range(10):  # the resting parts fall asleep
        sim.step(hold(sim))
    start = sim.observation()["environment_state"].copy()
    sim.perturb, sim.perturb_prob = True, 1.0
    for _ in range(5):
        obs, *_ = sim.step(hold(sim))
    moved = np.abs(obs["environment_state"] - start).reshape(2, 6, 7)[..., :2].max(axis=(0, 2))
    assert (moved[:5] > 5e-3).all(), moved
    assert moved[5] == 0.0


@pytest.mark.filterwarnings("ignore:.*WARN:")
def test_gym_env_checks():
    env = gym.make(f"lerobot_resip/{TASK}").unwrapped
    try:
        check_env(env, skip_render_check=True)
        assert env.observation_space["environment_state"].shape == (42,)
    finally:
        env.close()


# ---------------------------------------------------------------------------- thread rule


def engages(tilt=0.0, offset=(0.0, 0.0), height=REST, turns=(0.2, -0.2), hole=1) -> bool:
    """Whether the rule engages a leg held at these poses on two successive control steps
    (turns in rad from the thread's start; negative = past it, clockwise)."""
    sim = BatchedAssemblySim(TASK, num_envs=1, seed=4, num_threads=1)
    sim.reset()
    thread = sim._threads[0]
    for turn in turns:
        place_leg(sim, 0, hole, height, THREAD.start_angle + turn, tilt=tilt, offset=offset)
        sim.batch.forward()
        thread.update(np.array([0]))
    return bool(thread.engaged()[0].any())


def test_rule_engages_an_aligned_leg_turned_clockwise_past_the_start():
    assert engages()
    assert engages(hole=3)


def test_rule_needs_a_clockwise_turn_across_the_start():
    assert not engages(turns=(-0.2, -0.3))  # resting past the start, not crossing it
    assert not engages(turns=(-0.2, 0.2))  # turned the wrong way
    assert not engages(turns=(0.3, 0.3))  # resting, not turning


def test_rule_rejects_a_tilted_or_off_axis_or_raised_leg():
    assert not engages(tilt=np.deg2rad(8))
    assert engages(tilt=np.deg2rad(2))
    assert not engages(offset=(2 * CLEARANCE, 0.0))
    assert engages(offset=(0.5 * CLEARANCE, 0.0))
    assert not engages(height=REST + 0.004)  # not down on the crest


# ---------------------------------------------------------------------------- thread physics


def turn_by_hand(sim, env, hole, angle):
    """Turn leg 4 about the hole axis by `angle` (rad, clockwise negative), kinematically."""
    top = sim._part_qpos[THREAD.parent]
    leg = sim._part_qpos[THREAD.child]
    axis = quat_to_matrix(sim._qpos[env, top + 3 : top + 7])[:, 2]
    spin = np.array([np.cos(angle / 2), *(np.sin(angle / 2) * axis)])
    sim._qpos[env, leg + 3 : leg + 7] = multiply_quat(spin, sim._qpos[env, leg + 3 : leg + 7])


def test_dropped_in_leg_rests_on_the_thread_and_does_not_count():
    sim = BatchedAssemblySim(TASK, num_envs=4, seed=2, num_threads=1)
    sim.reset()
    for hole in range(4):  # one hole per env, every turn mod 90 degrees: the leg is square
        place_leg(sim, hole, hole, REST + 0.01, THREAD.start_angle + 0.4 + hole * np.pi / 8)
    sim.batch.forward()
    for _ in range(20):
        _, reward, terminated, _, info = sim.step(hold(sim))
        assert not reward.any() and not terminated.any()
    assert not sim._threads[0].engaged().any()
    for hole in range(4):
        assert leg_height(sim, hole, hole) == pytest.approx(REST, abs=5e-4)  # on the first crest


def test_mouth_chamfer_guides_a_stud_landing_off_the_axis_into_the_bore():
    """Dropped from 1 mm above the bore's mouth, a stud up to the chamfer's width off the axis slides
    into the bore and rests on the crest; one further out does not."""
    stud_length = 2 * THREAD.tip - LEG_BODY_LENGTH  # m, the stud's end is at the mouth this far above the seat
    offsets = (0.0, 0.5 * BORE_CHAMFER, BORE_CHAMFER, 2 * BORE_CHAMFER)
    sim = BatchedAssemblySim(TASK, num_envs=len(offsets), seed=2, num_threads=1)
    sim.reset()
    for env, offset in enumerate(offsets):
        place_leg(sim, env, 1, stud_length + 0.001, THREAD.start_angle + 0.4, offset=(offset * np.cos(0.3), offset * np.sin(0.3)))
    sim.batch.forward()
    for _ in range(20):
        sim.step(hold(sim))
    resting = [leg_height(sim, env, 1) == pytest.approx(REST, abs=5e-4) for env in range(len(offsets))]
    assert resting == [True, True, True, False]


def test_scripted_screw_in_seats_the_leg_and_rewards_once():
    sim = BatchedAssemblySim(TASK, num_envs=2, seed=3, num_threads=1)
    sim.reset()
    holes = (0, 2)
    for env, hole in enumerate(holes):
        place_leg(sim, env, hole, REST, THREAD.start_angle + 0.3)
    sim.batch.forward()
    xfrc = sim.batch.bind("xfrc_applied")
    leg = sim.model.body(THREAD.child).id
    top = sim._part_qpos[THREAD.parent]
    rewards, engaged_at = np.zeros(2), np.full(2, -1)
    done = np.zeros(2, dtype=bool)
    for step in range(120):
        engaged = sim._threads[0].engaged().any(axis=1)
        engaged_at[(engaged_at < 0) & engaged] = step
        for env, hole in enumerate(holes):
            if not engaged[env]:
                turn_by_hand(sim, env, hole, -0.15)
            else:  # a clockwise torque (N m) beats the thread's friction
                xfrc[env, leg, 3:6] = -0.02 * quat_to_matrix(sim._qpos[env, top + 3 : top + 7])[:, 2]
        _, reward, terminated, truncated, info = sim.step(hold(sim), active=~done)
        assert not info["physics_unstable"].any()
        rewards += reward
        done |= terminated | truncated
        if done.all():
            break
    assert (engaged_at > 0).all(), "the turned legs engage their threads"
    np.testing.assert_array_equal(rewards, [1.0, 1.0])  # once each, on the seating step
    assert terminated.all() and info["is_success"].all()
    for env, hole in enumerate(holes):
        assert abs(leg_height(sim, env, hole)) < 1e-3  # seated
    # It went down its thread: about 2.25 turns of 9.3 mm.
    assert pytest.approx(THREAD.turns * THREAD.lead, abs=1e-3) == REST
    sim.reset()  # a new episode starts with every thread free
    assert not sim._threads[0].engaged().any()


def test_success_only_when_seated_at_the_threads_turn():
    sim = BatchedAssemblySim(TASK, num_envs=1, seed=5, num_threads=1)
    sim.reset()
    for hole in range(4):
        place_leg(sim, 0, hole, 0.0, 0.0)
        sim.batch.forward()
        assert sim.is_success()[0]
    place_leg(sim, 0, 1, 0.0, np.pi / 2)  # seated depth, a quarter turn off: not screwed in
    sim.batch.forward()
    assert not sim.is_success()[0]
    place_leg(sim, 0, 1, REST, 0.0)  # resting on the thread
    sim.batch.forward()
    assert not sim.is_success()[0]


# ---------------------------------------------------------------------------- expert


class StudPenetrationProbe:
    """Steps the batch one physics step at a time; records the deepest stud-bore contact."""

    def __init__(self, sim: BatchedAssemblySim):
        self.sim, self.batch_step = sim, sim.batch.step
        model = sim.model
        self.stud = model.geom("leg4_stud").id
        self.bores = {i for i in range(model.ngeom) if "_bore_" in model.geom(i).name}
        self.data = mujoco.MjData(model)
        self.deepest, self.contacts = 0.0, 0
        sim.batch.step = self.step

    def step(self, ids=None, nstep=1, stage=0):
        for _ in range(nstep):
            self.batch_step(ids, nstep=1, stage=mujoco.mjtStage.mjSTAGE_VEL)
            for env in range(self.sim.num_envs):
                self.sim.get_data(env, self.data)
                for contact in self.data.contact[: self.data.ncon]:
                    pair = {int(contact.geom1), int(contact.geom2)}
                    if self.stud in pair and pair & self.bores:
                        self.contacts += 1
                        self.deepest = max(self.deepest, -float(contact.dist))


@pytest.mark.slow
def test_stud_never_sinks_into_the_bore_during_an_expert_episode():
    sim = BatchedAssemblySim(TASK, 2, clearance=CLEARANCE, seed=7, num_threads=1)
    probe = StudPenetrationProbe(sim)
    expert = make_expert(TASK, 2, seed=7)
    obs = sim.reset(seeds=[7, 8])
    done, succeeded = np.zeros(2, dtype=bool), np.zeros(2, dtype=bool)
    for _ in range(sim.max_episode_steps):
        obs, _, terminated, truncated, info = sim.step(expert.act(obs), active=~done)
        succeeded |= info["is_success"] & ~done
        done |= terminated | truncated
        if done.all():
            break
    assert succeeded.all(), "the expert must insert and screw in both legs"
    assert probe.contacts > 0, "the stud must touch its bore"
    assert probe.deepest < CLEARANCE, f"stud sank {probe.deepest * 1000:.3f} mm into the bore"


@pytest.mark.slow
def test_expert_succeeds_on_seeded_episodes():
    from lerobot_resip.envs.expert import expert_success

    result = expert_success(TASK, "low", CLEARANCE * 1000, episodes=6, num_envs=6, first_seed=1000)
    assert result["success_rate"] >= 5 / 6, result


def test_expert_makes_room_beside_a_fixture_bar_but_not_in_the_open():
    """A leg lying along x 2.5 cm inside the fixture's right bar: a finger would land on the bar, so
    the expert drags the leg away from it (+y); the same leg in the open needs no room."""
    from lerobot_resip.envs.expert_one_leg import OneLegExpert

    parts = np.zeros((6, 7))
    parts[:, 3] = 1.0
    parts[1:4, :3] = [0.30, 0.30, 0.015]  # distractor legs far away
    parts[0, :3] = [0.55, 0.10, 0.016]  # the top, clear of the leg
    parts[5, :3] = [0.6815, 0.0, 0.015]  # the fixture: right bar's centre line at y = -0.175
    leg, axis = np.array([0.60, -0.15, 0.015]), np.array([1.0, 0.0, 0.0])
    shift = OneLegExpert._room_needed(leg, axis, parts, grasp_along=0.022)
    assert shift is not None and shift[1] > 0.01 and abs(shift[0]) < 1e-9, shift
    parts[5, :2] = [0.9, 0.5]  # the fixture out of the way
    assert OneLegExpert._room_needed(leg, axis, parts, grasp_along=0.022) is None


def test_bore_is_wider_than_the_stud_by_the_clearance():
    model = get_task(TASK).build_model(CLEARANCE)
    bore = model.geom("hole0_bore_0")
    inner = np.linalg.norm(bore.pos[:2] - np.array(THREAD.seats[0][:2])) - bore.size[0]
    assert 2 * (inner - STUD_RADIUS) == pytest.approx(CLEARANCE, abs=1e-9)
    assert model.geom("top_plate_0").size[0] == pytest.approx(TOP_HALF_WIDTH)
    with pytest.raises(ValueError, match="clearance"):
        get_task(TASK).build_model(0.01)


# ---------------------------------------------------------------------------- CLIs


@pytest.mark.slow
def test_collect_train_eval_through_the_clis(tmp_path):
    """A collected one_leg demo trains a diffusion policy for two steps through `lerobot-train`,
    and `lerobot-eval` runs an episode of it through the real CLI."""
    import json

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from test_collect_cli import ok, run_cli

    demos, repo_id = tmp_path / "demos", "local/one_leg_test"
    ok(run_cli("lerobot-resip-collect", "--env.type=furniture", f"--env.task={TASK}", "--num_episodes=1",
               "--num_envs=1", "--seed=0", f"--dataset.root={demos}", f"--dataset.repo_id={repo_id}"))
    ds = LeRobotDataset(repo_id, root=demos)
    assert ds.num_episodes == 1 and ds.features["observation.environment_state"]["shape"] == (42,)
    assert ds.features["observation.environment_state"]["names"][-7:-4] == ["fixture_pos_x", "fixture_pos_y", "fixture_pos_z"]
    last = ds[ds.num_frames - 1]["observation.environment_state"].numpy().reshape(6, 7)
    top_rot = quat_to_matrix(last[0, 3:].astype(float))
    rel = top_rot.T @ (last[4, :3] - last[0, :3])
    seated = min(np.abs(rel - np.array(seat)).max() for seat in THREAD.seats)
    assert seated < 0.005, "the demo ends with the leg (nearly) seated"

    out = tmp_path / "train"
    ok(run_cli("lerobot-train", "--policy.type=diffusion", f"--dataset.repo_id={repo_id}", f"--dataset.root={demos}",
               "--steps=2", "--batch_size=4", "--num_workers=0", "--save_freq=2", "--log_freq=1",
               "--wandb.enable=false", "--policy.push_to_hub=false", "--policy.device=cpu", "--policy.n_obs_steps=1",
               "--policy.horizon=16", "--policy.n_action_steps=8", "--policy.down_dims=[32,64]",
               "--policy.diffusion_step_embed_dim=32", "--policy.noise_scheduler_type=DDIM",
               "--policy.num_inference_steps=4",
               '--policy.normalization_mapping={"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", '
               '"ENV": "MIN_MAX", "ACTION": "MIN_MAX"}',
               f"--output_dir={out}"))
    checkpoint = out / "checkpoints" / "000002" / "pretrained_model"
    evaluation = tmp_path / "eval"
    ok(run_cli("lerobot-eval", f"--policy.path={checkpoint}", "--env.type=furniture", f"--env.task={TASK}",
               "--env.episode_length=20", "--eval.n_episodes=1", "--eval.batch_size=1", "--policy.device=cpu",
               f"--output_dir={evaluation}"))
    info = json.loads((evaluation / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 1
