"""The `franka` robot type: registration, config errors, safety limits, error handling (fake franky) and
tracking against franky-sim (a simulated FR3 speaking the libfranka protocol on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import franky_fakes
import numpy as np
import pytest

from lerobot_resip.envs.rotation import matrix_from_rot6d, matrix_from_rotvec, rot6d_from_matrix, rotvec_from_matrix
from lerobot_resip.robots.franka import (
    EpisodeAbortedError,
    Franka,
    FrankaConfig,
    RobotStoppedError,
    franka as franka_module,
)
from lerobot_resip.robots.franka.franka import ACTION_KEYS, POSE_KEYS, PROPRIO_KEYS
from lerobot_resip.robots.franka.franky_arm import FrankyArm
from lerobot_resip.robots.franka.safety import PolicyFrame, SafetyLimits

DOWN = np.diag([1.0, -1.0, -1.0])  # tool pointing down, the simulator's home orientation


def action(pos, rot=DOWN, grip=-1.0) -> dict:
    values = (*pos, *rot6d_from_matrix(np.asarray(rot)), grip)
    return dict(zip(ACTION_KEYS, (float(v) for v in values), strict=True))


def tool(obs) -> np.ndarray:
    return np.array([obs["ee.x.pos"], obs["ee.y.pos"], obs["ee.z.pos"]])


def wait_robot_time(robot: Franka, seconds: float) -> None:
    """Sleep for `seconds` of the robot's clock: franky-sim runs slower than the wall clock on a busy machine."""
    end = robot.arm.robot_time() + seconds
    while robot.arm.robot_time() < end:
        time.sleep(0.002)


def config(tmp_path, **overrides) -> FrankaConfig:
    return FrankaConfig(robot_ip=overrides.pop("robot_ip", "172.16.0.2"), calibration_dir=tmp_path, **overrides)


# ------------------------------------------------------------------------------------- registration, config


def test_franka_type_is_registered_and_built_by_lerobot(tmp_path):
    from lerobot.robots import RobotConfig, make_robot_from_config

    robot = make_robot_from_config(RobotConfig.get_choice_class("franka")(robot_ip="1.2.3.4", calibration_dir=tmp_path))
    assert isinstance(robot, Franka)
    assert tuple(robot.observation_features) == PROPRIO_KEYS
    assert tuple(robot.action_features) == ACTION_KEYS
    # lerobot-rollout keeps only .pos / .vel floats: all of ours survive its filter
    assert all(key.endswith((".pos", ".vel")) for key in (*robot.observation_features, *robot.action_features))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"robot_ip": ""}, "robot_ip is required"),
        ({"controller": "velocity"}, "controller must be one of"),
        ({"workspace_low": (0.5, 0.0, 0.0), "workspace_high": (0.4, 0.1, 0.1)}, "must be below"),
        ({"max_relative_target": 0.0}, "max_relative_target must be a positive"),
        ({"relative_dynamics_factor": 1.5}, "relative_dynamics_factor must be in"),
        ({"task": "peg_in_hole"}, "tag_calibration"),
        ({"task": "nope", "tag_calibration": __file__}, "unknown task"),
        ({"collision_force_thresholds": (30.0,) * 5}, "needs 6 numbers"),
        ({"translational_error_clip": (0.01, 0.0, 0.01)}, "translational_error_clip must be positive"),
    ],
)
def test_bad_config_fails_with_one_line(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message) as err:
        config(tmp_path, **overrides)
    assert "\n" not in str(err.value)


def test_every_subpackage_ships_and_the_extras_name_franky():
    """A non-editable install packs only the listed packages: the robot, camera and perception code included."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "lerobot_resip").rglob("__init__.py")}
    assert found - {"lerobot_resip._plugin"} <= listed, found - listed
    extras = project["project"]["optional-dependencies"]
    assert any(d.startswith("franky-control") for d in extras["franka"])
    assert {d.split(">")[0].split("=")[0] for d in extras["test"]} >= {"franky-control", "franky-sim"}


def test_package_imports_without_franky_and_names_the_extra():
    code = (
        "import sys; sys.modules['franky'] = None\n"
        "import lerobot_resip\n"
        "from lerobot_resip.robots.franka.franky_arm import import_franky\n"
        "try:\n    import_franky()\nexcept ImportError as e:\n    print(e)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pip install 'lerobot_policy_resip[franka]'" in out.stdout


# ------------------------------------------------------------------------------------- safety (pure)


def test_policy_frame_round_trip_and_calibration():
    frame = PolicyFrame.from_xyz_rpy_deg((0.1, -0.2, 0.05, 0.0, 0.0, 90.0))
    # the policy frame is turned 90 degrees: its x axis is the base's y axis
    pos_b, rot_b = frame.to_base(np.array([1.0, 0.0, 0.0]), np.eye(3))
    np.testing.assert_allclose(pos_b, [0.1, 0.8, 0.05], atol=1e-12)
    pos, rot = frame.to_policy(pos_b, rot_b)
    np.testing.assert_allclose(pos, [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(rot, np.eye(3), atol=1e-12)


def test_limits_clamp_box_step_and_rotation():
    limits = SafetyLimits(np.array([0.2, -0.3, 0.01]), np.array([0.7, 0.3, 0.5]), 0.05, np.deg2rad(10))
    here = np.array([0.5, 0.0, 0.3])
    pos, rot, clamped = limits.limit(np.array([0.52, 0.01, 0.3]), DOWN, here, DOWN)
    assert not clamped and np.allclose(pos, [0.52, 0.01, 0.3])
    # far outside the box: clamped into it, then shortened to a 5 cm step along the line
    pos, _, clamped = limits.limit(np.array([2.0, 0.0, -1.0]), DOWN, here, DOWN)
    assert clamped.workspace and clamped.step
    assert np.linalg.norm(pos - here) == pytest.approx(0.05)
    assert limits.contains(pos)
    direction = (np.array([0.7, 0.0, 0.01]) - here) / np.linalg.norm(np.array([0.7, 0.0, 0.01]) - here)
    np.testing.assert_allclose((pos - here) / 0.05, direction, atol=1e-9)
    # a 40 degree turn is cut to 10 degrees about the same axis
    target = matrix_from_rotvec(np.deg2rad(40) * np.array([0.0, 0.0, 1.0])) @ DOWN
    _, rot, clamped = limits.limit(here, target, here, DOWN)
    assert clamped.rotation and not clamped.step
    np.testing.assert_allclose(rotvec_from_matrix(rot @ DOWN.T), [0, 0, np.deg2rad(10)], atol=1e-9)


def test_limits_keep_every_target_in_the_box_from_inside():
    rng = np.random.default_rng(0)
    limits = SafetyLimits(np.array([0.2, -0.3, 0.01]), np.array([0.7, 0.3, 0.5]), 0.05, 0.3)
    here = np.array([0.45, 0.0, 0.25])
    for _ in range(500):
        pos, _, _ = limits.limit(rng.uniform(-2, 2, 3), DOWN, here, DOWN)
        assert limits.contains(pos) and np.linalg.norm(pos - here) <= 0.05 + 1e-12
        here = pos


# ------------------------------------------------------------------------------------- error paths (fake franky)


@pytest.fixture
def fake_robot(tmp_path, monkeypatch):
    """A connected Franka over the fake franky; yields (robot, fake arm)."""
    fake = franky_fakes.fake_franky()
    monkeypatch.setattr(franka_module, "FrankyArm", lambda cfg: FrankyArm(cfg, franky=fake))
    franky_fakes.FakeRobot.instances.clear()

    def make(**overrides):
        robot = Franka(config(tmp_path, **overrides))
        robot.connect()
        return robot, franky_fakes.FakeRobot.instances[-1]

    made = []
    yield lambda **o: made.append(make(**o)) or made[-1]
    for robot, _ in made:
        if robot.is_connected:
            robot.disconnect()


@pytest.mark.parametrize("controller", ["impedance", "position"])
def test_targets_reach_the_arm_clamped(fake_robot, controller):
    robot, arm = fake_robot(controller=controller, max_relative_target=0.02)
    assert arm.collision_behavior == ([20.0] * 7, [30.0] * 6)
    start = tool(robot.get_observation())
    sent = robot.send_action(action(start + [0.1, 0.0, 0.0], grip=1.0))
    assert sent["ee.x.pos"] == pytest.approx(start[0] + 0.02)  # the returned action is what was sent
    assert arm.targets[-1][0, 3] == pytest.approx(start[0] + 0.02)
    assert robot.clamp_counts["step"] == 1
    robot.arm._hand.wait_done(5.0)  # the hand runs its commands in the background
    assert robot.arm.gripper.commands[-1] == ("grasp", 70.0)


def test_translational_error_clip_reaches_the_impedance_tracker(fake_robot):
    """The clip bounds the tracker's spring force; unset, franky's tracker gets no clip at all."""
    for clip in (None, (1.0, 1.0, 0.0075)):
        robot, _ = fake_robot(translational_error_clip=clip)
        robot.send_action(action(tool(robot.get_observation())))
        kwargs = robot.arm._tracker.kwargs
        if clip is None:
            assert "translational_error_clip" not in kwargs
        else:
            assert kwargs["translational_error_clip"].tolist() == list(clip)
        robot.disconnect()


def test_position_controller_does_not_replan_a_held_target(fake_robot):
    """The same target again while a position motion runs to it is not replanned (Ruckig replanning from a
    moving arm can fail and stop it); a new target is."""
    robot, arm = fake_robot(controller="position")
    start = tool(robot.get_observation())
    hold = action(start + [0.01, 0.0, 0.0])
    for _ in range(3):
        robot.send_action(hold)
    assert len(arm.targets) == 1
    robot.send_action(action(start + [0.02, 0.0, 0.0]))
    assert len(arm.targets) == 2


@pytest.mark.parametrize("controller", ["impedance", "position"])
def test_reflex_stops_fails_episode_and_recovers_once(fake_robot, controller):
    robot, arm = fake_robot(controller=controller)
    here = tool(robot.get_observation())
    robot.send_action(action(here))
    arm.reflex()
    with pytest.raises(EpisodeAbortedError, match="cartesian_reflex") as err:
        robot.send_action(action(here))
    assert "\n" not in str(err.value)
    assert robot.episode_failed and arm.recover_calls == 1 and not arm.is_in_control
    n_targets = len(arm.targets)
    with pytest.raises(EpisodeAbortedError, match="stopped"):  # no further targets until reset()
        robot.send_action(action(here))
    assert len(arm.targets) == n_targets and arm.recover_calls == 1
    robot.reset()  # the next episode starts normally
    assert not robot.episode_failed
    robot.send_action(action(here))
    assert len(arm.targets) == n_targets + 1


def test_hand_commands_never_stall_the_targets(fake_robot, monkeypatch):
    """libfranka runs one hand command at a time (a new one waits for the running one): the robot sends them
    from a background thread, so without `wait_for_gripper` targets keep flowing while the hand moves."""
    robot, arm = fake_robot(wait_for_gripper=False)
    gripper = robot.arm.gripper
    slow_grasp = gripper.grasp

    def grasp(*args):
        time.sleep(0.5)
        return slow_grasp(*args)

    monkeypatch.setattr(gripper, "grasp", grasp)
    here = tool(robot.get_observation())
    start = time.perf_counter()
    for i in range(6):  # close, open, close, ... every tick
        robot.send_action(action(here, grip=1.0 if i % 2 == 0 else -1.0))
    assert time.perf_counter() - start < 0.3
    assert len(arm.targets) == 6
    assert robot.arm._hand.wait_done(5.0)
    assert gripper.commands[-1] == ("move", 0.08)  # it ends where the last request asked


def test_a_changed_grip_waits_for_the_hand(fake_robot, monkeypatch):
    """With `wait_for_gripper` (the default) a grip that changes sign returns only once the hand has finished,
    after the arm got that action's target; a repeated grip does not wait; a hand that never finishes is waited
    for `gripper_wait_timeout_s` of the robot's clock, then the policy goes on (the episode is not failed)."""
    robot, arm = fake_robot(gripper_wait_timeout_s=0.2)
    gripper = robot.arm.gripper
    slow_grasp = gripper.grasp
    stuck = threading.Event()

    def grasp(*args):
        time.sleep(0.3)
        stuck.wait()
        return slow_grasp(*args)

    monkeypatch.setattr(gripper, "grasp", grasp)
    here = tool(robot.get_observation())
    robot.send_action(action(here, grip=-1.0))  # open, as after reset(): no change, no wait
    stuck.set()
    start = time.perf_counter()
    robot.send_action(action(here, grip=1.0))
    assert time.perf_counter() - start >= 0.3 and gripper.commands[-1] == ("grasp", 70.0)
    assert len(arm.targets) == 2
    start = time.perf_counter()
    robot.send_action(action(here, grip=1.0))
    assert time.perf_counter() - start < 0.2
    stuck.clear()
    robot.send_action(action(here, grip=-1.0))  # opening: the fake's move returns at once
    assert gripper.commands[-1] == ("move", 0.08)
    robot.send_action(action(here, grip=1.0))  # this grasp never ends within the timeout
    assert not robot.episode_failed and len(arm.targets) == 5
    stuck.set()
    assert robot.arm._hand.wait_done(5.0)


def test_lost_control_loop_counts_as_a_stop(fake_robot):
    robot, arm = fake_robot(controller="impedance")
    here = tool(robot.get_observation())
    arm.lose_control()
    with pytest.raises(EpisodeAbortedError, match="control loop ended"):
        robot.send_action(action(here))
    assert robot.episode_failed and arm.recover_calls == 1


def test_network_timeout_while_observing_counts_as_a_stop(fake_robot):
    robot, arm = fake_robot()
    arm.network_down = True
    with pytest.raises(EpisodeAbortedError, match="UDP receive: Timeout"):
        robot.get_observation()
    assert robot.episode_failed and arm.recover_calls == 1
    robot.reset()
    robot.send_action(action(tool(robot.get_observation())))  # back in business after the recovery


def test_broken_connection_while_sending_counts_as_a_stop(fake_robot):
    """After a network error franky's state reads raise a plain RuntimeError: still a stop, not a crash."""
    robot, arm = fake_robot()
    here, sent = tool(robot.get_observation()), len(arm.targets)
    arm.network_down, arm.network_errors = True, 1  # the typed error came and went already
    with pytest.raises(EpisodeAbortedError, match="Net Exception"):
        robot.send_action(action(here))
    assert robot.episode_failed and arm.recover_calls == 1 and len(arm.targets) == sent


def test_failed_recovery_gives_up_with_one_line(fake_robot):
    robot, arm = fake_robot()
    here = tool(robot.get_observation())
    arm.recover_ok = False
    arm.reflex()
    with pytest.raises(RobotStoppedError, match="automatic recovery failed") as err:
        robot.send_action(action(here))
    assert "\n" not in str(err.value) and arm.recover_calls == 1


def test_ctrl_c_stops_the_arm_and_takes_no_further_targets(fake_robot, monkeypatch):
    # Python's own Ctrl-C handler, as in a terminal (a background job of a script starts with SIGINT ignored).
    monkeypatch.setattr(signal, "getsignal", lambda signum: signal.default_int_handler)
    robot, arm = fake_robot()
    here = tool(robot.get_observation())
    robot.send_action(action(here))
    n_targets, stops = len(arm.targets), arm.stops
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)  # the default handler still raises; ours runs first
        time.sleep(1)
    assert robot.send_action(action(here + 0.01)) == {}  # refused, and the arm was stopped
    assert robot.send_action(action(here + 0.02)) == {}
    assert len(arm.targets) == n_targets and arm.stops == stops + 1
    assert robot.episode_failed and robot.stop_reason == "interrupted (Ctrl-C)"


def test_bad_actions_are_rejected_before_anything_moves(fake_robot):
    robot, arm = fake_robot()
    here = tool(robot.get_observation())
    bad = action(here)
    bad["ee.x.pos"] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        robot.send_action(bad)
    with pytest.raises(ValueError, match="lacks"):
        robot.send_action({"ee.x.pos": 0.5})
    assert arm.targets == []
    # LeRobot's return to the initial position sends the .pos observation keys: pose only, gripper untouched
    obs = robot.get_observation()
    sent = robot.send_action({key: obs[key] for key in (*POSE_KEYS, "gripper.width.pos")})
    assert "gripper.cmd.pos" not in sent and len(arm.targets) == 1


# ------------------------------------------------------------------------------------- franky-sim


@pytest.fixture(scope="module")
def franky_sim():
    """franky-sim in its own process on a loopback address, torn down after the module's tests."""
    from lerobot_resip.robots.franka.franky_sim_bench import FrankySimBench

    with FrankySimBench() as bench:
        yield bench


@pytest.fixture
def sim_robot(franky_sim, tmp_path):
    robots = []

    def make(**overrides):
        robot = Franka(config(tmp_path, robot_ip=franky_sim.hostname, enforce_realtime=False, **overrides))
        robot.connect()
        robots.append(robot)
        return robot

    yield make
    for robot in robots:
        if robot.is_connected:
            robot.disconnect()


@pytest.mark.parametrize("controller", ["impedance", "position"])
def test_franky_sim_connects_at_home_and_tracks_targets(sim_robot, controller):
    robot = sim_robot(controller=controller, relative_dynamics_factor=0.5)
    # without enforce_realtime the process keeps its scheduling (libfranka would raise it to SCHED_FIFO 99)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    obs = robot.get_observation()
    # the FR3's tool point at the simulator's home joints is the training simulator's home tool pose
    np.testing.assert_allclose(tool(obs), [0.4635, 0.0, 0.4028], atol=2e-3)
    rot = matrix_from_rot6d(np.array([obs[f"ee.r{i}.pos"] for i in range(6)]))
    assert np.degrees(np.linalg.norm(rotvec_from_matrix(rot @ DOWN.T))) < 1.0
    assert obs["gripper.width.pos"] > 0.07
    goal = tool(obs) + [0.04, -0.03, -0.06]
    for i in range(25):
        robot.send_action(action(tool(obs) + (goal - tool(obs)) * min(1.0, (i + 1) / 8)))
        wait_robot_time(robot, 0.1)
    err = np.linalg.norm(tool(robot.get_observation()) - goal)
    assert err < 0.004, f"{controller}: {err * 1000:.1f} mm from the target"


def test_franky_sim_never_leaves_the_box(sim_robot):
    low, high = np.array([0.38, -0.08, 0.30]), np.array([0.52, 0.08, 0.44])
    robot = sim_robot(workspace_low=tuple(low), workspace_high=tuple(high), max_relative_target=0.03)
    targets = [(1.2, 0.0, 0.4), (0.45, -0.9, 0.35), (0.45, 0.5, 0.9), (-0.2, 0.3, -0.5), (0.45, 0.0, 0.37)]
    visited = []
    for target in targets:
        for _ in range(8):
            sent = robot.send_action(action(np.array(target)))
            assert np.all(np.array([sent["ee.x.pos"], sent["ee.y.pos"], sent["ee.z.pos"]]) >= low - 1e-9)
            assert np.all(np.array([sent["ee.x.pos"], sent["ee.y.pos"], sent["ee.z.pos"]]) <= high + 1e-9)
            for _ in range(10):
                visited.append(tool(robot.get_observation()))
                wait_robot_time(robot, 0.01)
    visited = np.array(visited)
    print("box overshoot (mm):", np.round(np.maximum(low - visited.min(0), visited.max(0) - high) * 1000, 2))
    assert np.all(visited >= low - 0.003) and np.all(visited <= high + 0.003), (visited.min(0), visited.max(0))
    # it did reach the walls it was pushed against (x high, y low, y high, z low)
    assert visited[:, 0].max() > high[0] - 0.005 and visited[:, 1].min() < low[1] + 0.005
    assert robot.clamp_counts["workspace"] > 0 and robot.clamp_counts["step"] > 0


def test_bench_time_factor_slows_the_robot_clock():
    """A time factor of 0.5 spends 2 ms of wall clock on every 1 ms physics step of the bench."""
    from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, _run_paced

    class CountingServer:
        steps = 0

        def run_once(self, realtime):
            self.steps += 1

    with pytest.raises(ValueError, match="time_factor"):
        BenchConfig(time_factor=0.0)
    rates = {}
    for factor in (1.0, 0.5):
        server, stop = CountingServer(), threading.Event()
        timer = threading.Timer(0.4, stop.set)
        timer.start()
        _run_paced(server, stop, realtime=True, time_factor=factor)
        rates[factor] = server.steps / 0.4
    assert 0.4 < rates[0.5] / rates[1.0] < 0.6, rates


def test_bench_hand_squeezes_with_the_commanded_grasp_force():
    """franky-sim's finger servo, fingers closed on the 20 mm peg (10 mm from a width-0 goal each): as shipped it
    squeezes 10 N per finger whatever force is asked; the bench's hand squeezes the commanded force, split."""
    from types import SimpleNamespace

    pytest.importorskip("franky_sim")
    from franky_sim.mujoco_simulator import FrankaMujocoRobot

    from lerobot_resip.robots.franka.franky_sim_bench import _regulate_grasp_force

    def squeeze(regulated: bool, force: float) -> np.ndarray:
        hand = FrankaMujocoRobot()
        if regulated:
            _regulate_grasp_force(hand)
        hand._data = SimpleNamespace(qpos=np.full(2, 0.010), qvel=np.zeros(2), qfrc_applied=np.zeros(2))
        hand._finger_qpos_addrs, hand._finger_dof_addrs = [0, 1], [0, 1]
        hand.set_hand_goal(0.0, 0.05, force)
        hand._pre_step()
        return -hand._data.qfrc_applied

    assert squeeze(False, 20.0) == pytest.approx([10.0, 10.0])
    assert squeeze(False, 70.0) == pytest.approx([10.0, 10.0])
    assert squeeze(True, 20.0) == pytest.approx([10.0, 10.0])
    assert squeeze(True, 70.0) == pytest.approx([35.0, 35.0])
