"""The hole's clearance is real at the default 0.5 mm: an expert insertion, then a shove sideways against the
wall, never sinks the peg into a wall by more than the clearance (no soft-contact fake fits). Seeds 3 and 11 are
the deepest of `benchmarks/penetration_depth.py`'s 24 (0.47 and 0.45 mm; 11 was the only seed before). At 0.2 mm the same insertions sink
the peg deeper than the clearance in a quarter of the seeds (up to 0.47 mm): that setting is not tested here
because it does not hold (README, Limitations)."""

import mujoco
import numpy as np
import pytest

from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.sim import BatchedAssemblySim


class PenetrationProbe:
    """Steps the batch one physics step at a time and records the deepest peg-wall contact."""

    def __init__(self, sim: BatchedAssemblySim):
        self.sim, self.batch_step = sim, sim.batch.step
        model = sim.model
        self.peg = model.geom("peg").id
        self.walls = {i for i in range(model.ngeom) if model.geom(i).name.startswith("hole_wall")}
        self.data = mujoco.MjData(model)
        self.deepest = 0.0
        self.wall_contacts = 0
        sim.batch.step = self.step

    def step(self, ids=None, nstep=1, stage=0):
        for _ in range(nstep):
            self.batch_step(ids, nstep=1, stage=mujoco.mjtStage.mjSTAGE_VEL)
            for env in range(self.sim.num_envs):
                self.sim.get_data(env, self.data)
                for contact in self.data.contact[: self.data.ncon]:
                    pair = {int(contact.geom1), int(contact.geom2)}
                    if self.peg in pair and pair & self.walls:
                        self.wall_contacts += 1
                        self.deepest = max(self.deepest, -float(contact.dist))


def expert_insertion(clearance_mm: float, seed: int, ik=None):
    """peg_in_hole's expert inserts two seeded pegs, the physics probed substep by substep; returns the
    simulator, the probe, the expert, the last observation and which pegs went in (within 150 steps)."""
    sim = BatchedAssemblySim("peg_in_hole", 2, clearance=clearance_mm / 1000, seed=seed, max_episode_steps=400,
                             num_threads=1, ik=ik)
    probe = PenetrationProbe(sim)
    expert = make_expert("peg_in_hole", 2, seed=seed)
    obs = sim.reset()
    inserted = np.zeros(2, dtype=bool)
    for _ in range(150):
        obs, _, _, _, info = sim.step(expert.act(obs))
        inserted |= info["is_success"]
        if inserted.all():
            break
    return sim, probe, expert, obs, inserted


@pytest.mark.parametrize("seed", [3, 11])
def test_peg_never_sinks_into_the_wall(seed):
    clearance_mm = 0.5
    sim, probe, expert, obs, inserted = expert_insertion(clearance_mm, seed)
    assert inserted.all(), "the expert should finish the insertion"

    # Shove the inserted peg 3 mm sideways into the wall for one second.
    shove = expert.act(obs)
    shove[:, 0] += 0.003
    for _ in range(10):
        obs, _, _, _, info = sim.step(shove)
    assert info["is_success"].all(), "the peg stays inserted while pressed against the wall"
    assert probe.wall_contacts > 0, "the shove must press the peg on the wall"
    assert probe.deepest < clearance_mm / 1000, f"peg sank {probe.deepest * 1000:.3f} mm into the wall"
