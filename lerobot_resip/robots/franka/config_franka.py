"""Configuration of the `franka` robot type (`--robot.type=franka`): a Franka Research 3 driven by franky-control."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lerobot.cameras import CameraConfig
from lerobot.robots.config import RobotConfig

from lerobot_resip.envs.sim import WORKSPACE_HIGH, WORKSPACE_LOW
from lerobot_resip.envs.tasks import get_task

CONTROLLERS = ("impedance", "position")
# The training simulator's home posture (lerobot_resip/envs/assets/peg_in_hole.xml, keyframe `home`): tool
# point at (0.4635, 0, 0.4028) m pointing down. The FR3's kinematics put the tool point at the same pose.
HOME_JOINTS = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785398)


@RobotConfig.register_subclass("franka")
@dataclass(kw_only=True)
class FrankaConfig(RobotConfig):
    """A Franka Research 3 with its hand, run by the policy's absolute end-effector actions at 10 Hz.

    Frames: the policy works in the frame it was trained in (the simulator's world: the robot base at the
    origin, the table top at z = 0). `policy_frame_in_base` is that frame's pose in the FR3's base frame,
    measured once when the robot is mounted (see docs/franka_deployment.md); every observation is expressed
    in it and every action is read in it, and so are the workspace box and the part poses.

    The fields a user most likely changes: `robot_ip`, `cameras`, `tag_calibration`, the safety limits
    (`workspace_low`/`workspace_high`, `max_relative_target`, `max_rotation_step_deg`) and, for a first
    run, `translational_stiffness`/`rotational_stiffness` (lower: softer and slower) or `controller`.

    Args:
        robot_ip: the FCI address of the robot (Desk: "Activate FCI"); for franky-sim, the address it prints.
        cameras: LeRobot camera configs; their frames are observations (`observation.images.<name>`) and,
            for the cameras named in `tag_calibration`, the source of the part poses.
        image_observations: false: the cameras only feed the tag estimator, and observations (and the
            datasets recorded from them) carry no images: a state-based policy does not use them, and
            encoding three 1280 x 960 streams costs a small machine more than the control loop.
        task: the furniture task whose parts are observed (their poses follow `observation.state`'s 16
            proprio values, 7 per part, in the task's part order), or None (default) for no part poses.
        tag_calibration: JSON with each tag camera's intrinsics and mounting pose (and optionally the tag
            layout of the parts); see `lerobot_resip.perception.tags`. Needed when `task` is set.
        policy_frame_in_base: x, y, z (m) and roll, pitch, yaw (degrees, R = Rz Ry Rx) of the policy's frame
            in the robot base frame. Zero when the robot stands on the table top, as in the simulator.
        controller: "impedance": a Cartesian impedance tracker (franky's `CartesianImpedanceTracker`, torque
            mode) pulled to each new target; "position": a Ruckig-planned Cartesian position motion toward
            each target, replanned every tick. docs/franka_deployment.md compares their tracking.
        translational_stiffness, rotational_stiffness: impedance gains (N/m, Nm/rad).
        damping_mass: the effective mass (kg) the translational damping is critical for, D = 2 sqrt(K m).
            franky's default damping, 2 sqrt(K), is critical for 1 kg and leaves the FR3's hand under-damped:
            in franky-sim a 3 cm step at K = 2000 overshoots by 2.9 mm, by 0.6 mm with 3 kg. The rotational
            damping is franky's, 2 sqrt(rotational_stiffness).
        translational_error_clip: the largest position error (m, per axis x, y, z of the robot base frame) the
            impedance tracker's spring acts on, or None (default) for no clip. It bounds the force the arm
            pushes with when contact stops it short of its target, K times the clip (franky's
            `translational_error_clip`, the clipping SERL uses for insertion), and with it the free-motion
            speed along that axis, about K clip / D. docs/results/franka_sim measures a vertical clip.
        impedance_max_delta_tau: torque rate limit of the tracker per 1 ms cycle (Nm), against buzzing.
        posture_stiffness: null-space pull towards `home_joints` (Nm/rad) of the impedance tracker.
        relative_dynamics_factor: scale of the FR3's velocity, acceleration and jerk limits for planned
            motions (the position controller and the move home), in (0, 1].
        home_joints: the joint posture the arm moves to (a planned joint motion) at connect and between
            episodes; None leaves the arm where it is.
        retreat_height: before that move, a tool point lower than this (m, policy frame) is first lifted
            straight up to it, with the hand open, so the joint move does not sweep through the parts.
        workspace_low, workspace_high: the box (m, policy frame) every tool-point target is clamped to.
        max_relative_target: the largest tool-point step (m) one action may ask for, measured from the
            measured tool point (LeRobot's name for per-tick step limits). 0.05 m is the training
            simulator's own step limit (0.5 m/s at 10 Hz).
        max_rotation_step_deg: the largest tool rotation (degrees) one action may ask for, from the measured
            orientation (17.2 degrees = 0.3 rad, the simulator's).
        collision_torque_thresholds, collision_force_thresholds: the FR3's reflex thresholds (Nm per joint,
            N and Nm at the end effector). Above them the robot stops itself with a reflex error.
        gripper_force: grasp force (N) when the gripper action is positive; 70 N is a Franka Hand's continuous
            maximum. The policy presses a held part into the hole with up to tens of N, and at 20 N the peg slid
            up between the fingers in 12 of 13 failed episodes on franky-sim (docs/results/franka_sim).
        gripper_speed: finger speed (m/s) of grasps and openings.
        wait_for_gripper: when the gripper action changes sign, hold the arm at that action's target until the
            hand has finished closing or opening (at most `gripper_wait_timeout_s` of the robot's clock) before
            the next observation. The training simulator's fingers close from 80 to 20 mm in 0.28 s; a Franka
            Hand (0.05 m/s per finger) takes 0.6 s, and a policy fitted to the simulator lifts before its
            fingers hold the part (docs/results/franka_sim).
        gripper_wait_timeout_s: the longest such wait (s, robot clock); after it the policy goes on.
        enforce_realtime: require a real-time kernel (libfranka's default); set false for franky-sim or a
            first test on a non-RT machine (the arm then aborts if the control loop misses its deadline).
        sync_to_robot_clock: make every observation at least 1 / `control_hz` seconds of the robot's clock
            after the previous one. franky-sim runs slower than real time on small machines; this keeps each
            policy step the 0.1 s of robot time the policy was trained with. Not needed on the real robot.
        control_hz: the policy's control rate (the simulator's: 10 Hz); used by `sync_to_robot_clock`.
    """

    robot_ip: str = ""
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    image_observations: bool = True
    task: str | None = None
    tag_calibration: Path | None = None
    policy_frame_in_base: tuple[float, float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    controller: str = "impedance"
    translational_stiffness: float = 2000.0
    rotational_stiffness: float = 100.0
    damping_mass: float = 3.0
    translational_error_clip: tuple[float, float, float] | None = None
    impedance_max_delta_tau: float = 1.0
    posture_stiffness: float = 10.0
    relative_dynamics_factor: float = 0.2
    home_joints: tuple[float, ...] | None = HOME_JOINTS
    retreat_height: float = 0.15

    workspace_low: tuple[float, float, float] = tuple(WORKSPACE_LOW)
    workspace_high: tuple[float, float, float] = tuple(WORKSPACE_HIGH)
    max_relative_target: float = 0.05
    max_rotation_step_deg: float = 17.2
    collision_torque_thresholds: tuple[float, ...] = (20.0,) * 7
    collision_force_thresholds: tuple[float, ...] = (30.0,) * 6

    gripper_force: float = 70.0
    gripper_speed: float = 0.05
    wait_for_gripper: bool = True
    gripper_wait_timeout_s: float = 2.0

    enforce_realtime: bool = True
    sync_to_robot_clock: bool = False
    control_hz: float = 10.0

    def __post_init__(self):
        super().__post_init__()
        if not self.robot_ip:
            raise ValueError("--robot.robot_ip is required: the robot's FCI address (or the one franky-sim prints)")
        if self.controller not in CONTROLLERS:
            raise ValueError(f"--robot.controller must be one of {', '.join(CONTROLLERS)}, got {self.controller!r}")
        if self.task is not None:
            get_task(self.task)  # one line naming the known tasks
            if self.tag_calibration is None:
                raise ValueError(
                    f"--robot.task={self.task} observes part poses from AprilTags: give --robot.tag_calibration=<json> "
                    "(docs/franka_deployment.md), or leave --robot.task unset for no part poses"
                )
        if self.tag_calibration is not None and not Path(self.tag_calibration).is_file():
            raise ValueError(f"--robot.tag_calibration={self.tag_calibration} is not a file")
        self.policy_frame_in_base = _floats("policy_frame_in_base", self.policy_frame_in_base, 6)
        self.workspace_low = _floats("workspace_low", self.workspace_low, 3)
        self.workspace_high = _floats("workspace_high", self.workspace_high, 3)
        if not all(lo < hi for lo, hi in zip(self.workspace_low, self.workspace_high, strict=True)):
            raise ValueError(
                f"--robot.workspace_low {self.workspace_low} must be below --robot.workspace_high "
                f"{self.workspace_high} on every axis"
            )
        for name in (
            "max_relative_target",
            "max_rotation_step_deg",
            "translational_stiffness",
            "rotational_stiffness",
            "damping_mass",
            "impedance_max_delta_tau",
            "gripper_force",
            "gripper_speed",
            "gripper_wait_timeout_s",
            "control_hz",
        ):
            value = getattr(self, name)
            if not 0 < value < float("inf"):
                raise ValueError(f"--robot.{name} must be a positive number, got {value}")
        if self.translational_error_clip is not None:
            self.translational_error_clip = _floats("translational_error_clip", self.translational_error_clip, 3)
            if min(self.translational_error_clip) <= 0:
                raise ValueError(
                    f"--robot.translational_error_clip must be positive on every axis (m), got "
                    f"{self.translational_error_clip}"
                )
        if self.posture_stiffness < 0:
            raise ValueError(f"--robot.posture_stiffness must be >= 0, got {self.posture_stiffness}")
        if not 0 < self.relative_dynamics_factor <= 1:
            raise ValueError(f"--robot.relative_dynamics_factor must be in (0, 1], got {self.relative_dynamics_factor}")
        self.collision_torque_thresholds = _floats("collision_torque_thresholds", self.collision_torque_thresholds, 7)
        self.collision_force_thresholds = _floats("collision_force_thresholds", self.collision_force_thresholds, 6)
        if min(self.collision_torque_thresholds + self.collision_force_thresholds) <= 0:
            raise ValueError("--robot.collision_*_thresholds must all be positive")
        if self.home_joints is not None:
            self.home_joints = _floats("home_joints", self.home_joints, 7)


def _floats(name: str, values, count: int) -> tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) != count:
        raise ValueError(f"--robot.{name} needs {count} numbers, got {len(values)}: {values}")
    if not all(abs(v) < float("inf") for v in values):
        raise ValueError(f"--robot.{name} must be finite, got {values}")
    return values
