"""What the robot may be asked to do: the policy frame, the workspace box and the per-tick step limits.

Pure numpy, no driver: every target passes through `SafetyLimits.limit` before it reaches the arm, and the
tests check it without a robot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lerobot_resip.envs.rotation import matrix_from_rotvec, matrix_from_rpy, rotvec_from_matrix


@dataclass(frozen=True)
class PolicyFrame:
    """The frame the policy was trained in, given by its pose in the robot base frame.

    `rotation` and `translation` map policy-frame coordinates to base-frame ones:
    p_base = rotation @ p_policy + translation.
    """

    rotation: np.ndarray
    translation: np.ndarray

    @classmethod
    def from_xyz_rpy_deg(cls, pose: tuple[float, ...]) -> PolicyFrame:
        x, y, z, roll, pitch, yaw = pose
        return cls(matrix_from_rpy(*np.deg2rad([roll, pitch, yaw])), np.array([x, y, z], dtype=np.float64))

    def to_base(self, pos: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.rotation @ pos + self.translation, self.rotation @ rot

    def to_policy(self, pos: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.rotation.T @ (pos - self.translation), self.rotation.T @ rot

    def vector_to_policy(self, vec: np.ndarray) -> np.ndarray:
        return self.rotation.T @ vec


@dataclass(frozen=True)
class Clamped:
    """Which limits changed a target (for logging and the tests)."""

    workspace: bool
    step: bool
    rotation: bool

    def __bool__(self) -> bool:
        return self.workspace or self.step or self.rotation


@dataclass(frozen=True)
class SafetyLimits:
    """Workspace box (m) and per-tick step limits (m, rad), all in the policy frame.

    `limit` first clamps the target position into the box, then shortens the step from the measured tool
    pose to at most `max_step` (along the straight line, so the target stays in the box whenever the tool
    is in it: the box is convex), and the rotation to at most `max_rotation` (about the same axis).
    """

    low: np.ndarray
    high: np.ndarray
    max_step: float
    max_rotation: float

    def limit(
        self, target_pos: np.ndarray, target_rot: np.ndarray, tool_pos: np.ndarray, tool_rot: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, Clamped]:
        pos = np.clip(target_pos, self.low, self.high)
        in_box = bool(np.allclose(pos, target_pos))
        step = pos - tool_pos
        length = float(np.linalg.norm(step))
        step_ok = length <= self.max_step
        if not step_ok:
            pos = tool_pos + step * (self.max_step / length)
        delta = rotvec_from_matrix(target_rot @ tool_rot.T)  # world-frame rotation from tool to target
        angle = float(np.linalg.norm(delta))
        rot_ok = angle <= self.max_rotation
        rot = target_rot if rot_ok else matrix_from_rotvec(delta * (self.max_rotation / angle)) @ tool_rot
        return pos, rot, Clamped(workspace=not in_box, step=not step_ok, rotation=not rot_ok)

    def contains(self, pos: np.ndarray, tolerance: float = 1e-6) -> bool:
        return bool(np.all(pos >= self.low - tolerance) and np.all(pos <= self.high + tolerance))
