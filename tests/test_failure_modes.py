"""Failure modes: episodes sorted by the peg's final pose (`lerobot_resip.rl.failure_modes`)."""

import numpy as np

from lerobot_resip.rl.failure_modes import classify, hole_following


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


def test_hole_following_fits_slope_and_offset():
    rng = np.random.default_rng(0)
    nominal = np.array([0.55, -0.10])
    hole_xy = nominal + rng.uniform(-0.015, 0.015, (20, 2))
    upright = (1.0, 0.0, 0.0, 0.0)
    follows = np.stack([_pose((*(h + [-0.008, 0.006]), 0.07), upright, (*h, 0.01)) for h in hole_xy])
    ignores = np.stack([_pose((*nominal, 0.07), upright, (*h, 0.01)) for h in hole_xy])
    every = np.ones(20, dtype=bool)
    fit = hole_following(follows, every, nominal)
    np.testing.assert_allclose(fit["slope_xy"], [1.0, 1.0], atol=0.01)
    np.testing.assert_allclose(fit["intercept_xy_mm"], [-8.0, 6.0], atol=0.1)
    np.testing.assert_allclose(hole_following(ignores, every, nominal)["slope_xy"], [0.0, 0.0], atol=0.01)
    assert hole_following(follows, np.arange(20) < 2, nominal) is None
