"""benchmarks/failure_modes.py sorts episodes by the peg's final pose."""

import numpy as np

from benchmarks.failure_modes import classify


def _pose(peg_xyz, peg_quat, hole_xyz=(0.55, -0.10, 0.01)):
    return np.array([*peg_xyz, *peg_quat, *hole_xyz, 1.0, 0.0, 0.0, 0.0])


def test_classify_outcomes():
    upright, on_side = (1.0, 0.0, 0.0, 0.0), (np.sqrt(0.5), np.sqrt(0.5), 0.0, 0.0)
    final = np.stack([
        _pose((0.55, -0.10, 0.045), upright),   # inserted (the episode's success flag decides)
        _pose((0.45, 0.15, 0.035), on_side),    # knocked over where it started
        _pose((0.50, -0.05, 0.01), on_side),    # dropped on the way
        _pose((0.535, -0.095, 0.07), upright),  # on the rim, 15 mm short in x
    ])
    rise = np.array([0.1, 0.0, 0.1, 0.1])
    outcome, offset = classify(final, rise, np.array([True, False, False, False]))
    assert outcome == ["success", "never_lifted", "lost_after_lift", "missed_hole"]
    np.testing.assert_allclose(offset[3], [-0.015, 0.005], atol=1e-9)
