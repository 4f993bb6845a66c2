"""Rotation conventions shared by the envs, the expert and the policies (numpy, batched).

- 6D rotation: the first two ROWS of the rotation matrix, concatenated (paper's convention).
- Quaternions: MuJoCo's (w, x, y, z) order, unit norm, sign chosen so that w >= 0.
"""

from __future__ import annotations

import numpy as np


def rot6d_from_matrix(mat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 6)."""
    return mat[..., :2, :].reshape(*mat.shape[:-2], 6)


def matrix_from_rot6d(rot6d: np.ndarray) -> np.ndarray:
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt on the two rows (any non-degenerate input)."""
    a1, a2 = rot6d[..., :3], rot6d[..., 3:6]
    b1 = a1 / np.maximum(np.linalg.norm(a1, axis=-1, keepdims=True), 1e-9)
    a2 = a2 - np.sum(b1 * a2, axis=-1, keepdims=True) * b1
    b2 = a2 / np.maximum(np.linalg.norm(a2, axis=-1, keepdims=True), 1e-9)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def orientation_error(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """World-frame rotation vector taking `current` towards `target`, (..., 3, 3) -> (..., 3).

    Uses 0.5 * sum_i current_i x target_i over the matrix columns: equal to sin(angle) * axis,
    exact for small errors and a descent direction up to 180 degrees, without a matrix log.
    """
    return 0.5 * np.cross(current, target, axis=-2).sum(axis=-1)


def canonical_quat(quat: np.ndarray) -> np.ndarray:
    """Flip quaternions (..., 4), (w, x, y, z), so that w >= 0: one code per rotation."""
    return np.where(quat[..., :1] < 0, -quat, quat)


def quat_to_matrix(quat: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions (w, x, y, z) -> (..., 3, 3)."""
    w, x, y, z = np.moveaxis(quat, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def yaw_quat(yaw: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) of rotations by `yaw` radians about the world z axis."""
    return np.stack([np.cos(yaw / 2), np.zeros_like(yaw), np.zeros_like(yaw), np.sin(yaw / 2)], -1)


def yaw_of(mat: np.ndarray) -> np.ndarray:
    """Heading (rad) of the x axis of (..., 3, 3) rotations, projected on the xy plane."""
    return np.arctan2(mat[..., 1, 0], mat[..., 0, 0])


def wrap_angle(angle: np.ndarray, period: float = 2 * np.pi) -> np.ndarray:
    """Wrap angles into [-period / 2, period / 2)."""
    return (angle + period / 2) % period - period / 2


def quat_from_matrix(mat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions (w, x, y, z) with w >= 0.

    Shepperd's method: picks the largest of w, x, y, z to divide by, so it is exact for any rotation.
    """
    m = np.asarray(mat, dtype=np.float64)
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    candidates = np.stack(
        [
            np.stack(
                [1 + trace, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1
            ),
            np.stack(
                [
                    m[..., 2, 1] - m[..., 1, 2],
                    1 + 2 * m[..., 0, 0] - trace,
                    m[..., 0, 1] + m[..., 1, 0],
                    m[..., 0, 2] + m[..., 2, 0],
                ],
                -1,
            ),
            np.stack(
                [
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 0, 1] + m[..., 1, 0],
                    1 + 2 * m[..., 1, 1] - trace,
                    m[..., 1, 2] + m[..., 2, 1],
                ],
                -1,
            ),
            np.stack(
                [
                    m[..., 1, 0] - m[..., 0, 1],
                    m[..., 0, 2] + m[..., 2, 0],
                    m[..., 1, 2] + m[..., 2, 1],
                    1 + 2 * m[..., 2, 2] - trace,
                ],
                -1,
            ),
        ],
        axis=-2,
    )  # (..., 4, 4): row k is 4 * q_k * q
    diag = np.stack(
        [1 + trace, 1 + 2 * m[..., 0, 0] - trace, 1 + 2 * m[..., 1, 1] - trace, 1 + 2 * m[..., 2, 2] - trace], -1
    )
    best = np.argmax(diag, axis=-1)
    quat = np.take_along_axis(candidates, best[..., None, None], axis=-2)[..., 0, :]
    return canonical_quat(quat / np.linalg.norm(quat, axis=-1, keepdims=True))


def matrix_from_rotvec(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors (axis * angle, rad) -> (..., 3, 3), Rodrigues' formula."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(rotvec, axis=-1)[..., None, None]
    axis = rotvec / np.maximum(angle[..., 0], 1e-12)
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    skew = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    return np.eye(3) + np.sin(angle) * skew + (1 - np.cos(angle)) * skew @ skew


def rotvec_from_matrix(mat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) rotation vectors, through the quaternion (exact up to 180 degrees)."""
    quat = quat_from_matrix(mat)
    sin_half = np.linalg.norm(quat[..., 1:], axis=-1, keepdims=True)
    angle = 2 * np.arctan2(sin_half, quat[..., :1])
    return quat[..., 1:] * np.where(sin_half > 1e-12, angle / np.maximum(sin_half, 1e-12), 2.0)


def matrix_from_rpy(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Rotation R = Rz(yaw) @ Ry(pitch) @ Rx(roll) (fixed-axis x-y-z, angles in rad)."""
    cr, sr, cp, sp, cy, sy = np.cos(roll), np.sin(roll), np.cos(pitch), np.sin(pitch), np.cos(yaw), np.sin(yaw)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def multiply_quat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a * b of (..., 4) quaternions (w, x, y, z): rotation b, then a."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        -1,
    )
