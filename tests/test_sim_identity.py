"""The single-arm tasks' physics did not move when the simulator learned to drive two arms.

`tests/data/sim_identity.npz` holds every observation, reward and termination of fixed, seeded
action sequences (peg_in_hole at `low`, `med` and `low` with perturbations; one_leg at `low`), as
recorded by `record` with the simulator before it had an arm count (commit db25649), and re-recorded
for the gripper and wrist of a5dab6b (fingers closing at most 0.19 m/s, wrist clamped at 12 N m), and for
the joint-step limit of the IK (joints 1-4 at most 0.075 rad ahead of their targets). The
test replays the same sequences and asks for the same numbers, bit for bit. Re-record (only for an
intended change of the physics) with
    python -c "import sys; sys.path.insert(0, 'tests'); import test_sim_identity as t; t.record()"
Floating-point results can differ between CPU families and MuJoCo builds: the file was recorded with
MuJoCo 4.0.1 on x86-64, and the test is skipped with another MuJoCo version.
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
import pytest

from lerobot_resip.envs.sim import BatchedAssemblySim

DATA = Path(__file__).parent / "data" / "sim_identity.npz"
RECORDED_WITH = "4.0.1"
CASES = {  # name: (task, randomness, perturb, control steps)
    "peg_in_hole_low": ("peg_in_hole", "low", False, 50),
    "peg_in_hole_med": ("peg_in_hole", "med", False, 50),
    "peg_in_hole_low_perturbed": ("peg_in_hole", "low", True, 50),
    "one_leg_low": ("one_leg", "low", False, 30),
}
NUM_ENVS = 4


def trajectory(task: str, randomness: str, perturb: bool, steps: int) -> dict[str, np.ndarray]:
    """Observations, rewards and terminations of `steps` fixed actions from seeded resets, then the
    observations after resetting two of the environments and three more steps."""
    sim = BatchedAssemblySim(task, NUM_ENVS, randomness=randomness, perturb=perturb, seed=7, num_threads=1)
    obs = sim.reset()
    start = sim.hold_action()
    out = {
        "agent_pos": [obs["agent_pos"]],
        "environment_state": [obs["environment_state"]],
        "reward": [],
        "terminated": [],
    }
    for t in range(steps + 3):
        if t == steps:
            obs = sim.reset(ids=[1, 2])
            out["agent_pos"].append(obs["agent_pos"])
            out["environment_state"].append(obs["environment_state"])
        action = start.copy()
        action[:, :3] += [0.004 * t, -0.002 * t, -0.006 * t]
        action[:, 9] = 1.0 if t > steps // 2 else -1.0
        obs, reward, terminated, _, _ = sim.step(action)
        out["agent_pos"].append(obs["agent_pos"])
        out["environment_state"].append(obs["environment_state"])
        out["reward"].append(reward)
        out["terminated"].append(terminated)
    return {key: np.stack(value) for key, value in out.items()}


def record(path: Path = DATA) -> None:
    arrays = {}
    for name, case in CASES.items():
        for key, value in trajectory(*case).items():
            arrays[f"{name}/{key}"] = value
    np.savez_compressed(path, **arrays)


@pytest.mark.skipif(mujoco.__version__ != RECORDED_WITH, reason=f"recorded with MuJoCo {RECORDED_WITH}")
@pytest.mark.parametrize("name", list(CASES))
def test_single_arm_physics_bit_for_bit(name):
    recorded = np.load(DATA)
    for key, value in trajectory(*CASES[name]).items():
        np.testing.assert_array_equal(value, recorded[f"{name}/{key}"], err_msg=f"{name}/{key}")
