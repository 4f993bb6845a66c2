"""A fake franky module for the error paths franky-sim cannot produce (reflexes, lost control, failed recovery).

Only what `FrankyArm` calls is here. The fake arm is kinematic: the measured pose jumps to each target.
Tests flip `FakeRobot` flags to make the next target fail the way the real robot would.
"""

from __future__ import annotations

import types

import numpy as np


class ControlException(Exception):  # noqa: N818 - franky's name
    pass


class NetworkException(Exception):  # noqa: N818 - franky's name
    pass


class RealtimeConfig:
    Enforce = "enforce"
    Ignore = "ignore"


class ReferenceType:
    Absolute = "absolute"


class Frame:
    EndEffector = "ee"


def _matrix_from_xyzw(q) -> np.ndarray:
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


class Affine:
    def __init__(self, translation, quaternion):
        self.matrix = np.eye(4)
        self.matrix[:3, 3] = translation
        self.matrix[:3, :3] = _matrix_from_xyzw(quaternion)


class _Duration:
    def __init__(self, seconds: float):
        self.seconds = seconds

    def to_sec(self) -> float:
        return self.seconds


class FakeRobot:
    """Kinematic stand-in for franky.Robot. Call `reflex()` or `lose_control()`; set `recover_ok`."""

    instances: list[FakeRobot] = []

    def __init__(self, host, relative_dynamics_factor=1.0, realtime_config=None):
        self.host = host
        self.pose = np.eye(4)
        self.pose[:3, 3] = (0.4635, 0.0, 0.4028)
        self.pose[:3, :3] = np.diag([1.0, -1.0, -1.0])
        self.has_errors = False
        self.is_in_control = False
        self.recover_ok = True
        self.recover_calls = 0
        self.targets: list[np.ndarray] = []
        self.stops = 0
        self.collision_behavior = None
        self.network_down = False  # state reads time out, as when the robot's packets stop coming
        self.network_errors = 0
        self.t = 0.0
        self.model = types.SimpleNamespace(zero_jacobian=lambda frame, state: np.zeros((6, 7)))
        FakeRobot.instances.append(self)

    @property
    def state(self):
        if self.network_down:
            # libfranka's first error is typed; reads after it fail with pybind's plain RuntimeError.
            self.network_errors += 1
            if self.network_errors == 1:
                raise NetworkException("libfranka: UDP receive: Timeout")
            raise RuntimeError("Net Exception")
        self.t += 0.001
        return types.SimpleNamespace(
            O_T_EE=types.SimpleNamespace(matrix=self.pose.copy()),
            dq=np.zeros(7),
            q=np.zeros(7),
            time=_Duration(self.t),
        )

    def set_collision_behavior(self, torques, forces):
        self.collision_behavior = (list(torques), list(forces))

    def recover_from_errors(self) -> bool:
        self.recover_calls += 1
        self.network_down = False
        if self.recover_ok:
            self.has_errors = False
        return self.recover_ok

    def reflex(self):
        """What a collision reflex does between two ticks: the robot leaves control with an error."""
        self.has_errors = True
        self.is_in_control = False

    def lose_control(self):
        """A control loop that ends without an error (e.g. missed packets on a loaded machine)."""
        self.is_in_control = False

    def move(self, motion, asynchronous=False):
        if self.has_errors:
            raise ControlException("cartesian_reflex: force threshold exceeded")
        if isinstance(motion, CartesianMotion):
            self._reach(motion.target)
            self.is_in_control = asynchronous
        elif isinstance(motion, JointMotion):
            self.is_in_control = False

    def _reach(self, target: Affine) -> None:
        self.targets.append(target.matrix.copy())
        self.pose = target.matrix.copy()

    def join_motion(self, timeout=None):
        if self.has_errors:
            raise ControlException("cartesian_reflex: force threshold exceeded")
        return True

    def stop(self):
        self.stops += 1
        self.is_in_control = False


class CartesianImpedanceTracker:
    def __init__(self, robot: FakeRobot, **kwargs):
        self.robot = robot
        self.kwargs = kwargs
        robot.is_in_control = True

    def set_target(self, target: Affine):
        robot = self.robot
        if robot.is_in_control:
            robot._reach(target)

    def stop(self):
        self.robot.stops += 1
        self.robot.is_in_control = False


class CartesianMotion:
    def __init__(self, target, reference_type, relative_dynamics_factor=1.0, return_when_finished=True):
        self.target = target


class JointMotion:
    def __init__(self, q, relative_dynamics_factor=1.0):
        self.q = q


class PostureTask:
    def __init__(self, q, stiffness):
        self.q, self.stiffness = q, stiffness


class _Future:
    def wait(self, timeout=None):
        return True


class Gripper:
    def __init__(self, host):
        self.width = 0.08
        self.commands: list[tuple] = []

    def grasp_async(self, width, speed, force, epsilon_inner, epsilon_outer):
        self.commands.append(("grasp", force))
        self.width = 0.02
        return _Future()

    def move_async(self, width, speed):
        self.commands.append(("move", width))
        self.width = width
        return _Future()

    def move(self, width, speed):
        self.commands.append(("move", width))
        self.width = width
        return True

    def grasp(self, width, speed, force, epsilon_inner, epsilon_outer):
        self.commands.append(("grasp", force))
        self.width = 0.02
        return True


def fake_franky() -> types.ModuleType:
    module = types.ModuleType("franky")
    for obj in (
        ControlException,
        NetworkException,
        RealtimeConfig,
        ReferenceType,
        Frame,
        Affine,
        CartesianImpedanceTracker,
        CartesianMotion,
        JointMotion,
        PostureTask,
        Gripper,
    ):
        setattr(module, obj.__name__, obj)
    module.Robot = FakeRobot
    return module
