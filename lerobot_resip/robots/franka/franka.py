"""The `franka` LeRobot robot: an FR3 run by absolute end-effector actions, observed like the simulator.

Observation (`observation_features`, in this order; every float key ends in `.pos` or `.vel`, which is what
`lerobot-rollout` keeps, and they all land in one `observation.state` in this order):
  - `ee.{x,y,z}.pos` tool point (m), `ee.r{0..5}.pos` its 6D rotation (the first two rows of the rotation
    matrix), `ee.{vx,vy,vz}.vel` (m/s) and `ee.{wx,wy,wz}.vel` (rad/s) its measured velocity,
    `gripper.width.pos` the finger opening (m): the simulator's 16-d `agent_pos`, in the policy frame;
  - with a task, per part in the task's order `<part>.{x,y,z}.pos` and `<part>.{qw,qx,qy,qz}.pos`: the
    part's body frame from AprilTags, in the policy frame, w >= 0: the simulator's `environment_state`;
  - one `(H, W, 3)` image per camera (unless `image_observations` is false).

Action (`action_features`): `ee.{x,y,z}.pos`, `ee.r{0..5}.pos` (absolute tool target, policy frame) and
`gripper.cmd.pos` (> 0 closes with `gripper_force`, otherwise opens): the simulator's 10-d action. The 9
pose keys alone (LeRobot's return to the initial position sends those) move the arm and leave the gripper.

Safety, enforced in `send_action` before a target reaches the arm: the target is clamped into the workspace
box, then its step from the measured tool pose to `max_relative_target` (m) and `max_rotation_step_deg`; the
FR3's own collision reflexes get `collision_*_thresholds` at connect. A reflex, a `ControlException` (or any other franky
error: network, command), a lost control loop stops the arm (no further targets), marks the episode failed
and runs franky's error recovery once: if it recovers, `EpisodeAbortedError` is raised (the caller may `reset()`
and go on), otherwise a one-line `RobotStoppedError`. Ctrl-C stops the arm, fails the episode and takes no
further targets.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from functools import cached_property

import numpy as np
from lerobot.cameras import make_cameras_from_configs
from lerobot.robots.robot import Robot
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from lerobot_resip.envs.rotation import canonical_quat, matrix_from_rot6d, quat_from_matrix, rot6d_from_matrix
from lerobot_resip.envs.tasks import get_task
from lerobot_resip.robots.franka.config_franka import FrankaConfig
from lerobot_resip.robots.franka.franky_arm import ControlLostError, FrankyArm
from lerobot_resip.robots.franka.safety import Clamped, PolicyFrame, SafetyLimits

logger = logging.getLogger(__name__)

POSE_KEYS = ("ee.x.pos", "ee.y.pos", "ee.z.pos", *(f"ee.r{i}.pos" for i in range(6)))
VELOCITY_KEYS = ("ee.vx.vel", "ee.vy.vel", "ee.vz.vel", "ee.wx.vel", "ee.wy.vel", "ee.wz.vel")
GRIPPER_WIDTH_KEY = "gripper.width.pos"
GRIPPER_CMD_KEY = "gripper.cmd.pos"
PROPRIO_KEYS = (*POSE_KEYS, *VELOCITY_KEYS, GRIPPER_WIDTH_KEY)  # the simulator's 16-d agent_pos
ACTION_KEYS = (*POSE_KEYS, GRIPPER_CMD_KEY)  # the simulator's 10-d action
PART_POSE_FIELDS = ("x", "y", "z", "qw", "qx", "qy", "qz")
INTERRUPTED = "interrupted (Ctrl-C)"
SETTLED_LINEAR = 0.002  # m/s: below this (and SETTLED_ANGULAR, rad/s) the arm counts as at rest
SETTLED_ANGULAR = 0.01


def part_keys(part: str) -> tuple[str, ...]:
    return tuple(f"{part}.{name}.pos" for name in PART_POSE_FIELDS)


class EpisodeAbortedError(RuntimeError):
    """The arm stopped after an error and recovered: the current episode is a failure; `reset()` to go on."""


class RobotStoppedError(RuntimeError):
    """The arm stopped after an error and franky's recovery failed; a person has to look at it."""


class Franka(Robot):
    """LeRobot `Robot` for a Franka Research 3 (see the module docstring for keys, frames and safety)."""

    config_class = FrankaConfig
    name = "franka"

    def __init__(self, config: FrankaConfig):
        super().__init__(config)
        self.config = config
        self.cameras = make_cameras_from_configs(config.cameras)
        self.parts: tuple[str, ...] = get_task(config.task).parts if config.task else ()
        self.frame = PolicyFrame.from_xyz_rpy_deg(config.policy_frame_in_base)
        self.limits = SafetyLimits(
            low=np.asarray(config.workspace_low),
            high=np.asarray(config.workspace_high),
            max_step=config.max_relative_target,
            max_rotation=np.deg2rad(config.max_rotation_step_deg),
        )
        self.arm: FrankyArm | None = None
        self.tags = None
        if config.task is not None:
            from lerobot_resip.perception.tags import TagPoseEstimator

            self.tags = TagPoseEstimator.from_file(config.tag_calibration, config.task)
            missing = [cam for cam in self.tags.camera_names if cam not in self.cameras]
            if missing:
                raise ValueError(
                    f"--robot.tag_calibration describes cameras {missing} that are not in --robot.cameras "
                    f"({sorted(self.cameras)})"
                )
        self.episode_failed = False  # set by any stop; read (and cleared by reset) by the caller
        self.stop_reason: str | None = None
        self.clamp_counts = {"workspace": 0, "step": 0, "rotation": 0}
        self._armed = False  # targets are accepted
        self._interrupted = threading.Event()
        self._previous_sigint = None
        self._last_obs_time: float | None = None
        self._part_poses: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._unseen: dict[str, int] = {}  # observations since reset() that held a part's last pose
        self._obs_times: list[float] = []  # robot clock at each observation since reset()
        self._latencies: list[float] = []  # robot clock from an observation to the next target
        self._grip_closed = False  # the hand's last request (reset() opens it)

    # ------------------------------------------------------------------ features
    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        features: dict[str, type | tuple] = dict.fromkeys(PROPRIO_KEYS, float)
        for part in self.parts:
            features.update(dict.fromkeys(part_keys(part), float))
        if self.config.image_observations:
            for name, cam in self.cameras.items():
                features[name] = (cam.height, cam.width, 3)
        return features

    @cached_property
    def action_features(self) -> dict[str, type]:
        return dict.fromkeys(ACTION_KEYS, float)

    @property
    def is_connected(self) -> bool:
        return self.arm is not None and all(cam.is_connected for cam in self.cameras.values())

    @property
    def interrupted(self) -> bool:
        """Ctrl-C was pressed since the last `reset()`."""
        return self._interrupted.is_set()

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        """Nothing to do on the arm (its kinematics are factory calibrated); cameras and tags are calibrated
        offline into `tag_calibration` (docs/franka_deployment.md)."""

    # ------------------------------------------------------------------ connection
    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        arm = FrankyArm(self.config)
        arm.connect()
        self.arm = arm
        try:
            for cam in self.cameras.values():
                cam.connect()
            self._watch_sigint()
            self.configure()
        except BaseException:
            self._release()
            raise
        logger.info("%s connected (%s controller)", self, self.config.controller)

    def configure(self) -> None:
        """Open the hand, move to the home posture and start following targets."""
        self.reset()

    def reset(self) -> None:
        """Start an episode: stop, open the hand, move home, re-arm. Clears `episode_failed`.

        A control error on the way runs franky's recovery and one more try; a second failure raises
        `RobotStoppedError`.
        """
        if self.arm is None:
            raise RuntimeError("franka: reset() needs a connected robot")
        self._armed = False
        self._interrupted.clear()
        for attempt in range(2):
            try:
                self.arm.stop()
                self.arm.open_gripper_blocking()
                self._retreat()
                if self.config.home_joints is not None:
                    self.arm.move_joints(self.config.home_joints)
                self.arm.start(self.config.home_joints)
                self._settle()
                break
            except ControlLostError as err:
                self.arm.stop()
                if attempt == 1 or not self.arm.recover():
                    raise RobotStoppedError(
                        f"franka: {err}; the arm stopped while moving home and did not recover: clear the error "
                        "in Desk (or press and release the enabling button), then run again"
                    ) from err
                logger.warning("franka: %s while moving home; recovered, trying once more", err)
        self.episode_failed = False
        self.stop_reason = None
        self._part_poses = {}
        self._last_obs_time = None
        self._obs_times, self._latencies = [], []
        self._grip_closed = False
        self._unseen = dict.fromkeys(self.parts, 0)
        self._armed = True

    def _settle(self, timeout: float = 2.0) -> None:
        """Wait (robot clock) until the arm is at rest: the simulator starts every episode from rest, and the
        policy reads the tool's velocity."""
        end = self.arm.robot_time() + timeout
        while self.arm.robot_time() < end:
            linear, angular = self.arm.tool_twist()
            if np.linalg.norm(linear) < SETTLED_LINEAR and np.linalg.norm(angular) < SETTLED_ANGULAR:
                return
            time.sleep(0.01)
        logger.warning("franka: the arm did not come to rest within %.0f s of robot time", timeout)

    def _retreat(self) -> None:
        """Lift the tool straight up to `retreat_height` (policy frame) before the joint move home, so that
        move does not sweep the hand through the parts."""
        pos_b, rot_b = self.arm.tool_pose()
        pos, rot = self.frame.to_policy(pos_b, rot_b)
        if pos[2] >= self.config.retreat_height:
            return
        target = pos.copy()
        target[2] = min(self.config.retreat_height, self.limits.high[2])
        self.arm.move_cartesian(*self.frame.to_base(target, rot))

    @check_if_not_connected
    def disconnect(self) -> None:
        self._release()

    def _release(self) -> None:
        """Stop the arm, drop the connection, close the cameras (whatever of it is up)."""
        arm, self.arm = self.arm, None
        self._armed = False
        try:
            if arm is not None:
                arm.disconnect()
        finally:
            for cam in self.cameras.values():
                if cam.is_connected:
                    cam.disconnect()
            self._restore_sigint()

    # ------------------------------------------------------------------ observation
    @check_if_not_connected
    def get_observation(self) -> dict:
        try:
            self._wait_for_robot_clock()
            pos_b, rot_b = self.arm.tool_pose()
            lin_b, ang_b = self.arm.tool_twist()
            width = self.arm.gripper_width()
        except ControlLostError as err:
            self._handle_stop(str(err))
        pos, rot = self.frame.to_policy(pos_b, rot_b)
        values = np.concatenate(
            [
                pos,
                rot6d_from_matrix(rot),
                self.frame.vector_to_policy(lin_b),
                self.frame.vector_to_policy(ang_b),
                [width],
            ]
        )
        obs: dict = {key: float(v) for key, v in zip(PROPRIO_KEYS, values, strict=True)}
        images = {name: cam.read_latest() for name, cam in self.cameras.items()}
        if self.config.image_observations:
            obs.update(images)
        if self.parts:
            obs.update(self._part_observation(images, (pos_b, rot_b)))
        return obs

    def _wait_for_robot_clock(self) -> None:
        now = self.arm.robot_time()
        if self.config.sync_to_robot_clock and self._last_obs_time is not None:
            period = 1.0 / self.config.control_hz
            while now < self._last_obs_time + period - 5e-4:
                time.sleep(min(0.005, period / 20))
                now = self.arm.robot_time()
        self._last_obs_time = now
        self._obs_times.append(now)

    def timing(self) -> dict[str, float]:
        """Since `reset()`: the robot-clock period between observations and latency from an observation to
        the target computed from it (ms; the training simulator's: 100 and 0), and per part the number of
        observations in which no camera saw it (its last pose was held)."""
        periods = np.diff(self._obs_times) * 1000
        latencies = np.asarray(self._latencies) * 1000
        out = {}
        if len(periods):
            out.update(period_ms=round(float(periods.mean()), 1), period_ms_max=round(float(periods.max()), 1))
        if len(latencies):
            out.update(latency_ms=round(float(latencies.mean()), 1), latency_ms_max=round(float(latencies.max()), 1))
        for part, count in self._unseen.items():
            out[f"{part}_unseen_steps"] = count
        return out

    def _part_observation(self, images: dict, tool_pose_base) -> dict[str, float]:
        seen = self.tags.estimate(images, tool_pose_base)
        obs = {}
        for part in self.parts:
            if seen.get(part) is not None:
                self._part_poses[part] = seen[part]
            else:
                self._unseen[part] = self._unseen.get(part, 0) + 1
            if part not in self._part_poses:
                raise RuntimeError(
                    f"franka: no camera sees the tags of part '{part}' yet; check that it is in view and lit "
                    "and that --robot.tag_calibration matches the cameras"
                )
            pos, rot = self.frame.to_policy(*self._part_poses[part])  # the last sighting while hidden
            quat = canonical_quat(quat_from_matrix(rot))
            obs.update(zip(part_keys(part), (*pos, *quat), strict=True))
        return {key: float(v) for key, v in obs.items()}

    # ------------------------------------------------------------------ action
    @check_if_not_connected
    def send_action(self, action: dict) -> dict:
        """Clamp the absolute tool target to the limits and send it; returns the action actually sent."""
        target_pos, target_rot, grip = self._parse_action(action)
        if self._interrupted.is_set():
            # Ctrl-C: stop once, then refuse quietly, so LeRobot's loop can wind down (its return to the
            # initial position included) without moving the arm again.
            if self.stop_reason != INTERRUPTED or self._armed:
                logger.warning("franka: interrupted: the arm stops and takes no further targets")
                self._stop_quietly(INTERRUPTED)
            return {}
        if not self._armed:
            raise EpisodeAbortedError(
                f"franka: the arm is stopped ({self.stop_reason}); reset() before sending targets"
            )
        try:
            tool_pos_b, tool_rot_b = self.arm.tool_pose()
            tool_pos, tool_rot = self.frame.to_policy(tool_pos_b, tool_rot_b)
            pos, rot, clamped = self.limits.limit(target_pos, target_rot, tool_pos, tool_rot)
            self._count(clamped)
            self.arm.set_target(*self.frame.to_base(pos, rot))
            if self._last_obs_time is not None:
                self._latencies.append(self.arm.robot_time() - self._last_obs_time)
            if grip is not None:
                self._grip(grip > 0)
        except ControlLostError as err:
            self._handle_stop(str(err))
        except KeyboardInterrupt:
            self._stop_quietly(INTERRUPTED)
            raise
        sent = dict(zip(POSE_KEYS, (*pos, *rot6d_from_matrix(rot)), strict=True))
        if grip is not None:
            sent[GRIPPER_CMD_KEY] = grip
        return {key: float(v) for key, v in sent.items()}

    def _grip(self, close: bool) -> None:
        """Ask the hand to close or open; on a change, with `wait_for_gripper`, wait until it has (the arm keeps
        tracking the target just sent)."""
        self.arm.grip(close)
        changed, self._grip_closed = close != self._grip_closed, close
        if changed and self.config.wait_for_gripper and not self.arm.wait_hand(self.config.gripper_wait_timeout_s):
            logger.warning(
                "franka: the hand did not finish %s within %.1f s; the policy goes on",
                "closing" if close else "opening",
                self.config.gripper_wait_timeout_s,
            )

    def _parse_action(self, action: dict) -> tuple[np.ndarray, np.ndarray, float | None]:
        missing = [key for key in POSE_KEYS if key not in action]
        if missing:
            raise ValueError(f"franka: the action lacks {missing}; it needs {list(ACTION_KEYS)}")
        values = np.array([float(action[key]) for key in POSE_KEYS])
        grip = float(action[GRIPPER_CMD_KEY]) if GRIPPER_CMD_KEY in action else None
        if not np.isfinite(values).all() or (grip is not None and not np.isfinite(grip)):
            raise ValueError(f"franka: the action has non-finite values: {dict(action)}")
        rot6d = values[3:9]
        if min(np.linalg.norm(rot6d[:3]), np.linalg.norm(rot6d[3:])) < 1e-6:
            raise ValueError(f"franka: the action's 6D rotation {rot6d.tolist()} has a zero row")
        return values[:3], matrix_from_rot6d(rot6d), grip

    def _count(self, clamped: Clamped) -> None:
        if clamped:
            for name in self.clamp_counts:
                self.clamp_counts[name] += int(getattr(clamped, name))
            logger.debug("franka: target clamped (%s)", clamped)

    # ------------------------------------------------------------------ stopping
    def _stop_quietly(self, reason: str) -> None:
        """No further targets: stop the arm and fail the episode."""
        self._armed = False
        self.episode_failed = True
        self.stop_reason = reason
        if self.arm is not None:
            self.arm.stop()

    def _handle_stop(self, reason: str) -> None:
        """Stop the arm, fail the episode, recover once; raise what the caller needs to know."""
        self._stop_quietly(reason)
        if self.arm is not None and self.arm.recover():
            logger.warning("franka: %s; the arm stopped and recovered, this episode counts as failed", reason)
            raise EpisodeAbortedError(f"franka: {reason}; the arm stopped and recovered, the episode counts as failed")
        raise RobotStoppedError(
            f"franka: {reason}; the arm stopped and automatic recovery failed: clear the error in Desk "
            "(or press and release the enabling button), then run again"
        )

    def _watch_sigint(self) -> None:
        """Ctrl-C stops the arm before whatever else the program does on it (LeRobot's CLIs keep running)."""
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            self._interrupted.set()  # the next send_action stops the arm (no blocking call in a handler)
            self.episode_failed = True
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt

        self._previous_sigint = previous
        signal.signal(signal.SIGINT, on_sigint)

    def _restore_sigint(self) -> None:
        if self._previous_sigint is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._previous_sigint)
            self._previous_sigint = None
