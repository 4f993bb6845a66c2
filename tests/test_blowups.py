"""Physics blow-ups of peg_in_hole (docs/results/blowups), each a recorded ResiP episode replayed open loop that
must now run to its end:
- `blowup_peg_wedged.npz`: the peg, wedged between a finger pad and the hole's walls, spun up about its long
  axis until it passed MAX_SPEED (step 73, its angular velocity flipping sign every physics step: contacts
  with a time constant of 2 physics steps, MuJoCo's floor);
- `blowup_peg_flicked_by_fingers.npz`: at the first grasp (step 32) the fingers, closing at 1.1 m/s, landed
  on the standing peg off its centre and threw it spinning at 52.6 rad/s (finger servo kv 20; now 200);
- `blowup_peg_squeezed.npz`: a pad pressed 1.6 mm into a peg wedged against the hole's chamfer by the arm's
  unclamped servos (up to 249 N m), which squirted out spinning at 78.6 rad/s at step 88 (wrist now at 12 N m)."""

from pathlib import Path

import mujoco
import numpy as np
import pytest

from lerobot_resip.envs.sim import BatchedAssemblySim

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "recording", ["blowup_peg_wedged.npz", "blowup_peg_flicked_by_fingers.npz", "blowup_peg_squeezed.npz"])
def test_recorded_blowup_episode_runs_to_its_end(recording):
    rec = np.load(DATA / recording)
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


def test_fingers_close_at_a_grippers_speed():
    """From fully open, the fingers close at no more than 0.25 m/s each (a Franka Hand: 0.1 m/s of width;
    at 1.1 m/s they threw light parts) and still reach a 20 mm peg's faces within the experts' 4-step wait."""
    sim = BatchedAssemblySim("peg_in_hole", 1, num_threads=1)
    model = sim.model
    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, model.keyframe("home").id)
    finger = model.joint("finger_left")
    data.ctrl[model.actuator("finger_left").id] = data.ctrl[model.actuator("finger_right").id] = 0.0
    fastest = 0.0
    for _ in range(4 * sim.substeps):
        mujoco.mj_step(model, data)
        fastest = max(fastest, abs(float(data.qvel[finger.dofadr[0]])))
    assert fastest < 0.25
    assert data.qpos[finger.qposadr[0]] < 0.010  # m, past a 20 mm peg's face
