"""The FR3 and its hand through franky-control: state, one Cartesian target per tick, the gripper, stopping.

This is the only module that touches franky. `Franka` (the LeRobot robot) decides what to send; this
class sends it and turns every way of losing control into one exception, `ControlLostError`.
"""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType

import numpy as np

from lerobot_resip.envs.rotation import quat_from_matrix

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'lerobot_policy_resip[franka]'"


class ControlLostError(RuntimeError):
    """The arm is no longer following targets: a reflex or other control error, or a lost control loop."""


def import_franky() -> ModuleType:
    """franky, or an ImportError that says which extra to install."""
    try:
        import franky
    except ImportError as err:
        raise ImportError(f"the franka robot needs franky-control, which is not installed: {INSTALL_HINT}") from err
    return franky


def _xyzw(rot: np.ndarray) -> np.ndarray:
    w, x, y, z = quat_from_matrix(rot)
    return np.array([x, y, z, w])


class FrankyArm:
    """One FR3 with a Franka Hand, connected through franky-control.

    Poses are the end effector's (franky's `O_T_EE`: the Franka Hand's tool point, 0.1034 m from the flange
    and turned -45 degrees about it, which is the training simulator's `tcp` site) in the robot base frame.

    Args:
        config: the robot's `FrankaConfig`.
        franky: the franky module (tests pass a fake one to reach error paths franky-sim cannot produce).
    """

    def __init__(self, config, franky: ModuleType | None = None):
        self.config = config
        self.franky = franky or import_franky()
        self.robot = None
        self.gripper = None
        self._tracker = None
        self._moving = False  # a position-mode motion is running
        self._motion_goal: np.ndarray | None = None  # its target: position (m) and xyzw quaternion
        self._hand: _HandWorker | None = None
        # Every franky error that means the arm is not (or no longer) following us. After a network error
        # libfranka's C++ errors reach Python as a plain RuntimeError ("Net Exception") at the next state
        # read; only franky calls sit inside these `except` clauses, so that is what it catches.
        self.errors = (
            *(
                getattr(self.franky, name)
                for name in (
                    "ControlException",
                    "CommandException",
                    "NetworkException",
                    "RealtimeException",
                    "InvalidOperationException",
                )
                if hasattr(self.franky, name)
            ),
            RuntimeError,
        )

    # ------------------------------------------------------------------ connection
    def connect(self) -> None:
        fk, cfg = self.franky, self.config
        realtime = fk.RealtimeConfig.Enforce if cfg.enforce_realtime else fk.RealtimeConfig.Ignore
        policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
        self.robot = fk.Robot(
            cfg.robot_ip, relative_dynamics_factor=cfg.relative_dynamics_factor, realtime_config=realtime
        )
        if not cfg.enforce_realtime:
            # libfranka raises the constructing thread to SCHED_FIFO 99 whenever it is allowed to (as root),
            # even when told to ignore real time; the whole Python process (policy, cameras) would then run
            # above everything else on the machine, franky-sim's server included.
            os.sched_setscheduler(0, policy, param)
        if self.robot.has_errors and not self.robot.recover_from_errors():
            raise ControlLostError(f"the robot at {cfg.robot_ip} is in an error state and did not recover; check Desk")
        self.robot.set_collision_behavior(list(cfg.collision_torque_thresholds), list(cfg.collision_force_thresholds))
        self.gripper = fk.Gripper(cfg.robot_ip)
        self._hand = _HandWorker(self.gripper, cfg.gripper_speed, cfg.gripper_force)
        self._hand.start()

    def disconnect(self) -> None:
        """Stop the arm; franky has no close(), the connection ends when the objects are released."""
        try:
            self.stop()
            self._join_motion()
        finally:
            if self._hand is not None:
                self._hand.close()
                # A hand command still running in C++ while the interpreter exits aborts the process.
                self._hand.join(timeout=5.0)
            self.robot = None
            self.gripper = None
            self._hand = None

    def _join_motion(self, timeout: float = 5.0) -> None:
        """Wait for franky's control thread to end: a Robot released while its motion thread still runs
        destroys a joinable std::thread, and the process aborts ("terminate called without an active
        exception")."""
        if self.robot is None:
            return
        try:
            if not self.robot.join_motion(timeout):
                logger.warning("franka: the arm's motion did not end within %.0f s of the stop", timeout)
        except Exception as err:  # noqa: BLE001 - the motion's own error was already reported; we are leaving
            logger.debug("franka: the stopped motion reported %s", _one_line(err))

    # ------------------------------------------------------------------ state
    def _state(self):
        try:
            return self.robot.state
        except self.errors as err:
            raise ControlLostError(f"reading the robot's state failed: {_one_line(err)}") from err

    def tool_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """(position (3,), rotation (3, 3)) of the tool point in the base frame, measured."""
        matrix = np.asarray(self._state().O_T_EE.matrix)
        return matrix[:3, 3].copy(), matrix[:3, :3].copy()

    def tool_twist(self) -> tuple[np.ndarray, np.ndarray]:
        """Measured linear (m/s) and angular (rad/s) velocity of the tool point, base frame: J(q) dq."""
        state = self._state()
        twist = np.asarray(self.robot.model.zero_jacobian(self.franky.Frame.EndEffector, state)) @ np.asarray(state.dq)
        return twist[:3], twist[3:]

    def joints(self) -> np.ndarray:
        return np.asarray(self._state().q, dtype=np.float64)

    def robot_time(self) -> float:
        """The robot's clock (s): 1 ms per control cycle, whatever the wall clock does."""
        return float(self._state().time.to_sec())

    def gripper_width(self) -> float:
        try:
            return float(self.gripper.width)
        except Exception as err:  # noqa: BLE001 - franky's GripperException and network errors alike
            raise ControlLostError(f"reading the hand's width failed: {_one_line(err)}") from err

    # ------------------------------------------------------------------ motion
    def move_joints(self, q: tuple[float, ...]) -> None:
        """Planned joint motion to `q` at the configured dynamics factor; blocks until it ends."""
        self.stop()
        motion = self.franky.JointMotion(
            np.asarray(q, dtype=np.float64), relative_dynamics_factor=self.config.relative_dynamics_factor
        )
        try:
            self.robot.move(motion)
        except self.errors as err:
            raise ControlLostError(f"the move to the home posture failed: {_one_line(err)}") from err

    def move_cartesian(self, pos: np.ndarray, rot: np.ndarray) -> None:
        """Planned straight-line tool motion to a pose (base frame) at the configured dynamics factor; blocks."""
        self.stop()
        fk = self.franky
        motion = fk.CartesianMotion(
            fk.Affine(np.asarray(pos, dtype=np.float64), _xyzw(rot)),
            fk.ReferenceType.Absolute,
            relative_dynamics_factor=self.config.relative_dynamics_factor,
        )
        try:
            self.robot.move(motion)
        except self.errors as err:
            raise ControlLostError(f"the retreat move failed: {_one_line(err)}") from err

    def start(self, home_joints: tuple[float, ...] | None) -> None:
        """Start following targets from the current pose (the impedance tracker starts here)."""
        cfg, fk = self.config, self.franky
        if cfg.controller == "impedance" and self._tracker is None:
            posture = None
            if cfg.posture_stiffness > 0 and home_joints is not None:
                posture = fk.PostureTask(np.asarray(home_joints, dtype=np.float64), float(cfg.posture_stiffness))
            damping_t = 2 * np.sqrt(cfg.translational_stiffness * cfg.damping_mass)
            damping_r = 2 * np.sqrt(cfg.rotational_stiffness)
            clip = {}
            if cfg.translational_error_clip is not None:
                clip["translational_error_clip"] = np.asarray(cfg.translational_error_clip, dtype=np.float64)
            try:
                self._tracker = fk.CartesianImpedanceTracker(
                    self.robot,
                    translational_stiffness=cfg.translational_stiffness,
                    rotational_stiffness=cfg.rotational_stiffness,
                    damping=np.array([damping_t] * 3 + [damping_r] * 3),
                    posture_task=posture,
                    max_delta_tau=cfg.impedance_max_delta_tau,
                    **clip,
                )
            except self.errors as err:
                raise ControlLostError(f"the impedance tracker did not start: {_one_line(err)}") from err

    def set_target(self, pos: np.ndarray, rot: np.ndarray) -> None:
        """Send one tool target (base frame). Raises ControlLostError if the arm is not in control."""
        fk = self.franky
        target = fk.Affine(np.asarray(pos, dtype=np.float64), _xyzw(rot))
        if self.config.controller == "impedance":
            if self._tracker is None:
                raise ControlLostError("the impedance tracker is not running")
            self._check_in_control()
            try:
                self._tracker.set_target(target)
            except self.errors as err:
                raise ControlLostError(_one_line(err)) from err
            return
        goal = np.concatenate([np.asarray(pos, dtype=np.float64), _xyzw(rot)])
        if self._moving:
            self._check_in_control()
            # The running motion already goes to (and holds) this target. Replanning it from the moving arm
            # buys nothing, and Ruckig's replanning can fail (error -111) and stop the arm.
            if self._motion_goal is not None and np.abs(goal - self._motion_goal).max() < 1e-6:
                return
        motion = fk.CartesianMotion(
            target,
            fk.ReferenceType.Absolute,
            relative_dynamics_factor=self.config.relative_dynamics_factor,
            return_when_finished=False,
        )
        try:
            self.robot.move(motion, asynchronous=True)
        except self.errors as err:
            self._moving = False
            raise ControlLostError(_one_line(err)) from err
        self._moving, self._motion_goal = True, goal

    def _check_in_control(self) -> None:
        try:
            if self.robot.is_in_control:
                return
        except self.errors as err:
            raise ControlLostError(_one_line(err)) from err
        reason = "the control loop ended"
        try:
            self.robot.join_motion(0.0)
        except self.errors as err:
            reason = _one_line(err)
        self._tracker = None
        self._moving = False
        raise ControlLostError(reason)

    def grip(self, close: bool) -> None:
        """Ask the hand to close (grasp with the configured force) or open; never blocks (see `_HandWorker`)."""
        self._hand.request(close)

    def wait_hand(self, timeout_s: float) -> bool:
        """Wait until the hand has carried out the latest request, at most `timeout_s` of the robot's clock
        (franky-sim's clock may run slower than the wall clock); False when it has not."""
        end = self.robot_time() + timeout_s
        while not self._hand.done():
            if self.robot_time() > end:
                return False
            self._hand.wait_done(0.005)
        return True

    def open_gripper_blocking(self, timeout: float = 30.0) -> None:
        self._hand.request(False)
        if not self._hand.wait_done(timeout):
            raise ControlLostError(f"the hand did not open within {timeout:.0f} s")

    def stop(self) -> None:
        """No further targets: the tracker ramps into a damping-only stop, a planned motion is stopped."""
        tracker, self._tracker = self._tracker, None
        moving, self._moving = self._moving, False
        if self.robot is None:
            return
        try:
            if tracker is not None:
                tracker.stop()
            elif moving or self.robot.is_in_control:
                self.robot.stop()
        except Exception as err:  # noqa: BLE001 - stopping must not raise; the arm is left to its reflexes
            logger.warning("franka: stopping reported %s", _one_line(err))

    def recover(self) -> bool:
        """franky's automatic error recovery, once."""
        try:
            return bool(self.robot.recover_from_errors())
        except Exception as err:  # noqa: BLE001 - any failure here means "not recovered"
            logger.warning("franka: recover_from_errors raised %s", _one_line(err))
            return False


class _HandWorker(threading.Thread):
    """Runs the hand's commands in the background, always towards the latest request.

    libfranka runs one hand command at a time, and a new command (even `stop`) waits for the running one to
    finish (0.5-1.6 s for a full stroke): sent from the 10 Hz loop it would stall the arm's targets. Here
    the loop only records what it wants; this thread sends it once the hand is free.
    """

    def __init__(self, gripper, speed: float, force: float):
        super().__init__(daemon=True, name="franka-hand")
        self.gripper, self.speed, self.force = gripper, speed, force
        self._wanted: bool | None = None
        self._sent: bool | None = None
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()

    def request(self, close: bool) -> None:
        with self._cond:
            self._wanted = bool(close)
            self._cond.notify_all()

    def _idle(self) -> bool:  # call with self._cond held
        return not self._busy and self._sent == self._wanted

    def done(self) -> bool:
        """The hand has carried out the latest request."""
        with self._cond:
            return self._idle()

    def wait_done(self, timeout: float) -> bool:
        """Wait (wall clock) until the hand has carried out the latest request."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._wanted != self._sent)
                if self._closed:
                    return
                close, self._busy = self._wanted, True
            try:
                if close:
                    # Width 0 with a wide outer tolerance: the grasp holds whatever lies between the fingers.
                    self.gripper.grasp(0.0, self.speed, self.force, 0.08, 0.08)
                else:
                    self.gripper.move(0.08, self.speed)
            except Exception as err:  # noqa: BLE001 - a failed grasp (nothing held) is not an arm error
                logger.debug("franka: hand command reported %s", _one_line(err))
            with self._cond:
                self._sent, self._busy = close, False
                self._cond.notify_all()


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
