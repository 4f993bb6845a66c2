"""Where a policy fails on peg_in_hole: each evaluated episode classified by the peg's final pose.

  - success;
  - never_lifted: the peg never rose 3 cm above the table (grasp missed, or knocked over);
  - lost_after_lift: lifted, but it ends tilted (> 20 degrees) or more than 30 mm from the hole axis;
  - missed_hole: upright within 30 mm of the axis, not inserted (resting on the rim or above it).

`hole_following` tells whether a policy tracks the randomised hole (slope near 1) or ignores it (near 0).
`benchmarks/failure_modes.py` runs an evaluation and reports both.
"""

from __future__ import annotations

import numpy as np

from lerobot_resip.envs.rotation import quat_to_matrix

LIFTED = 0.03  # m above the peg's resting height
NEAR_AXIS = 0.03  # m, peg-hole xy distance of a miss (rather than a lost peg)
UPRIGHT_COS = np.cos(np.deg2rad(20))


def classify(final: np.ndarray, peg_rise: np.ndarray, success: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Outcome of each episode from its final part poses (N, 14) and the peg's largest rise (N,)."""
    peg, hole = final[:, 0:3], final[:, 7:10]
    offset = peg[:, :2] - hole[:, :2]
    upright = quat_to_matrix(final[:, 3:7])[:, 2, 2] > UPRIGHT_COS
    outcome = np.where(
        success, "success",
        np.where(peg_rise < LIFTED, "never_lifted",
                 np.where(upright & (np.linalg.norm(offset, axis=1) < NEAR_AXIS), "missed_hole", "lost_after_lift")),
    )
    return outcome.tolist(), offset


def hole_following(final: np.ndarray, mask: np.ndarray, nominal_xy: np.ndarray) -> dict | None:
    """Fit peg_xy = slope * hole_xy + intercept per axis over the episodes in `mask` (both relative
    to the hole's nominal xy, m); None with fewer than 3 episodes."""
    if mask.sum() < 3:
        return None
    hole, peg = final[mask, 7:9] - nominal_xy, final[mask, 0:2] - nominal_xy
    fits = [np.polyfit(hole[:, axis], peg[:, axis], 1) for axis in (0, 1)]
    return {
        "slope_xy": [round(float(f[0]), 2) for f in fits],
        "intercept_xy_mm": [round(1000 * float(f[1]), 1) for f in fits],
    }
