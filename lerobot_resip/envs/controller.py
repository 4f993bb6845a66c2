"""Damped-least-squares differential IK, batched over environments (numpy).

Written by hand because the IK libraries on the package index (mink, pink, ikpy) solve one
robot at a time; here one call handles every environment of the batch with a handful of
batched numpy operations, which is what keeps the 10 Hz control step cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DiffIKConfig:
    damping: float = 1e-2  # lambda of the damped least squares (m); small, for sub-mm tracking
    nullspace_gain: float = 0.3  # pull of the redundant DoF towards the home posture, per step
    max_translation: float = 0.05  # m per control step (0.5 m/s at 10 Hz)
    max_rotation: float = 0.3  # rad per control step
    # rad, per joint: how far ahead of each joint its target may lie (the whole step is scaled, so the
    # tool keeps its direction, only slower). It bounds the shoulder's and elbow's position servos
    # (joints 1-4, not torque-clamped) to kp x 0.075 = 260-340 N m: targets 0.1-0.2 rad ahead pressed a
    # finger pad millimetres into a peg wedged in the hole, which then shot out spinning
    # (docs/results/blowups). The wrist's servos are clamped at 12 N m instead (panda.xml); its fast
    # turns (one_leg's screwing) stay unlimited. None: no limit (biman_insert's, `TaskSpec.ik`).
    max_joint_step: tuple[float, ...] | None = (0.075,) * 4 + (np.inf,) * 3


def _clip_norm(vec: np.ndarray, limit: float) -> np.ndarray:
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    return vec * np.minimum(1.0, limit / np.maximum(norm, 1e-12))


def diff_ik(
    jac: np.ndarray,
    pos_err: np.ndarray,
    rot_err: np.ndarray,
    qpos: np.ndarray,
    q_home: np.ndarray,
    cfg: DiffIKConfig,
) -> np.ndarray:
    """Joint targets that move the end effector by (pos_err, rot_err).

    Args:
        jac: (N, 6, n) stacked translational and rotational Jacobians of the tool point.
        pos_err, rot_err: (N, 3) world-frame position error (m) and rotation vector (rad).
        qpos: (N, n) current joint positions; q_home: (n,) posture for the null space.
    Returns:
        (N, n) joint position targets.
    """
    err = np.concatenate(
        [_clip_norm(pos_err, cfg.max_translation), _clip_norm(rot_err, cfg.max_rotation)], axis=-1
    )
    jac_t = np.swapaxes(jac, -1, -2)
    gram = jac @ jac_t + cfg.damping**2 * np.eye(6)
    pinv = jac_t @ np.linalg.inv(gram)  # (N, n, 6): damped pseudo-inverse
    dq = (pinv @ err[..., None])[..., 0]
    null_proj = np.eye(jac.shape[-1]) - pinv @ jac
    dq += (null_proj @ (cfg.nullspace_gain * (q_home - qpos))[..., None])[..., 0]
    if cfg.max_joint_step is not None:
        room = np.asarray(cfg.max_joint_step) / np.maximum(np.abs(dq), 1e-12)
        dq *= np.minimum(1.0, room.min(axis=-1, keepdims=True))
    return qpos + dq
