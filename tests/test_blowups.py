"""Physics blow-ups of peg_in_hole (docs/results/blowups): a recorded ResiP training episode in which
the peg, wedged between a finger pad and the hole's walls, spun up about its long axis until it
passed MAX_SPEED (step 73, peg angular velocity flipping sign every physics step: contacts with a
time constant of 2 physics steps, MuJoCo's floor). Replayed open loop, it must run to its end."""

from pathlib import Path

import numpy as np

from lerobot_resip.envs.sim import BatchedAssemblySim

DATA = Path(__file__).parent / "data" / "blowup_peg_wedged.npz"


def test_recorded_wedged_peg_episode_does_not_blow_up():
    rec = np.load(DATA)
    sim = BatchedAssemblySim("peg_in_hole", 1, randomness=str(rec["randomness"]),
                             clearance=float(rec["clearance_mm"]) / 1000,
                             max_episode_steps=int(rec["episode_length"]), num_threads=1)
    sim.reset(seeds=[int(rec["seed"])])
    peg_spin = sim._part_dofs["peg"] + 5  # angular velocity about the peg's long axis
    fastest = 0.0
    for step, action in enumerate(rec["actions"]):
        _, _, terminated, truncated, info = sim.step(action[None])
        assert not info["physics_unstable"][0], f"blow-up at step {step}"
        fastest = max(fastest, abs(float(sim._qvel[0, peg_spin])))
        if terminated[0] or truncated[0]:
            break
    assert fastest < 50.0


def test_no_contact_at_the_two_step_floor():
    sim = BatchedAssemblySim("peg_in_hole", 1, num_threads=1)
    m = sim.model
    colliding = (m.geom_contype != 0) | (m.geom_conaffinity != 0)
    assert (m.geom_solref[colliding, 0] >= 3 * m.opt.timestep - 1e-12).all()
