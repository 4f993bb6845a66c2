"""The scripted expert solves peg_in_hole on a small seeded sample (full rates: benchmarks/expert_success.py)."""

import importlib

import pytest

from lerobot_resip.envs.expert import expert_success, make_expert


@pytest.mark.parametrize("randomness", ["low", "med"])
def test_expert_succeeds_on_seeded_episodes(randomness):
    result = expert_success("peg_in_hole", randomness, clearance_mm=0.5, episodes=8, num_envs=8, first_seed=1000)
    assert result["success_rate"] >= 7 / 8, result


def test_expert_rejects_unknown_task():
    with pytest.raises(ValueError, match="no scripted expert"):
        make_expert("no_such_task", 1)


@pytest.mark.parametrize("module", ["lerobot_resip.envs.expert", "lerobot_resip.envs.expert_one_leg"])
def test_phase_names_match_the_phase_numbers(module):
    """`PHASES[i]` names the phase the expert's `phase` array holds as i (`--expert_start_phase` looks them up)."""
    mod = importlib.import_module(module)
    assert len(set(mod.PHASES)) == len(mod.PHASES)
    for number, name in enumerate(mod.PHASES):
        assert getattr(mod, name.upper()) == number, name
