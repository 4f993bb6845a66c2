"""The scripted expert solves peg_in_hole on a small seeded sample (full rates: benchmarks/expert_success.py)."""

import pytest

from lerobot_resip.envs.expert import expert_success, make_expert


@pytest.mark.parametrize("randomness", ["low", "med"])
def test_expert_succeeds_on_seeded_episodes(randomness):
    result = expert_success("peg_in_hole", randomness, clearance_mm=0.5, episodes=8, num_envs=8, first_seed=1000)
    assert result["success_rate"] >= 7 / 8, result


def test_expert_rejects_unknown_task():
    with pytest.raises(ValueError, match="no scripted expert"):
        make_expert("no_such_task", 1)
