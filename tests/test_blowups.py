"""Physics blow-ups of peg_in_hole (docs/results/blowups), each a recorded ResiP episode replayed open loop that
must now run to its end:
- `blowup_peg_wedged.npz`: the peg, wedged between a finger pad and the hole's walls, spun up about its long
  axis until it passed MAX_SPEED (step 73, its angular velocity flipping sign every physics step: contacts
  with a time constant of 2 physics steps, MuJoCo's floor);
- `blowup_peg_flicked_by_fingers.npz`: at the first grasp (step 32) the fingers, closing at 1.1 m/s, landed
  on the standing peg off its centre and threw it spinning at 52.6 rad/s (finger servo kv 20; now 200);
- `blowup_peg_squeezed.npz`: a pad pressed 1.6 mm into a peg wedged against the hole's chamfer by the arm's
  unclamped servos (up to 249 N m), which squirted out spinning at 78.6 rad/s at step 88 (wrist now at 12 N m);
- `blowup_peg_squeezed_in_hand.npz`: a held peg, caught in the hole's chamfer, pressed 2.8 mm into a pad when the
  shoulder's joint target jumped 0.11 rad ahead (459 N m) and the clamped wrist turned; it squirted out at 55.8
  rad/s at step 113 (the base's rollouts; joint targets of joints 1-4 now at most 0.075 rad ahead)."""

from pathlib import Path

import mujoco
import numpy as np
import pytest

from lerobot_resip.envs.controller import DiffIKConfig, diff_ik
from lerobot_resip.envs.sim import BatchedAssemblySim

DATA = Path(__file__).parent / "data"


def replay(recording: str, ik: DiffIKConfig | None = None) -> tuple[int | None, float]:
    """(the step that blew up or None, the peg's fastest spin) of a recorded episode replayed open loop."""
    rec = np.load(DATA / recording)
    sim = BatchedAssemblySim("peg_in_hole", 1, randomness=str(rec["randomness"]),
                             clearance=float(rec["clearance_mm"]) / 1000,
                             max_episode_steps=int(rec["episode_length"]), num_threads=1, ik=ik)
    sim.reset(seeds=[int(rec["seed"])])
    peg_spin = sim._part_dofs["peg"] + 5  # angular velocity about the peg's long axis
    fastest = 0.0
    for step, action in enumerate(rec["actions"]):
        _, _, terminated, truncated, info = sim.step(action[None])
        if info["physics_unstable"][0]:
            return step, fastest
        fastest = max(fastest, abs(float(sim._qvel[0, peg_spin])))
        if terminated[0] or truncated[0]:
            break
    return None, fastest


@pytest.mark.parametrize("recording", ["blowup_peg_wedged.npz", "blowup_peg_flicked_by_fingers.npz",
                                       "blowup_peg_squeezed.npz", "blowup_peg_squeezed_in_hand.npz"])
def test_recorded_blowup_episode_runs_to_its_end(recording):
    blown_at, fastest = replay(recording)
    assert blown_at is None, f"blow-up at step {blown_at}"
    assert fastest < 50.0


def test_the_joint_step_limit_is_what_keeps_the_held_peg():
    blown_at, _ = replay("blowup_peg_squeezed_in_hand.npz", DiffIKConfig(max_joint_step=None))
    assert blown_at == 113


def test_joint_targets_lead_the_shoulder_and_elbow_by_at_most_the_limit():
    """A 15 cm step (IK's translation cap raised to allow it) moves joints 1-4 at most 0.075 rad ahead, the
    whole step scaled (same direction)."""
    sim = BatchedAssemblySim("peg_in_hole", 1, num_threads=1)
    sim.reset(seeds=[0])
    arm = sim._arms[0]
    qpos = sim._qpos[:, arm.qpos]
    tcp_pos = sim._site_xpos[:, arm.tcp]
    jacp, jacr = sim.batch.jac(arm.hand, tcp_pos)
    jac = np.concatenate([jacp[..., arm.dofs], jacr[..., arm.dofs]], axis=1)
    pos_err, rot_err = np.array([[0.0, 0.14, -0.05]]), np.zeros((1, 3))
    free = diff_ik(jac, pos_err, rot_err, qpos, arm.q_home, DiffIKConfig(max_translation=0.2, max_joint_step=None))
    limited = diff_ik(jac, pos_err, rot_err, qpos, arm.q_home, DiffIKConfig(max_translation=0.2))
    free, limited = free - qpos, limited - qpos
    assert np.abs(free[0, :4]).max() > 0.075
    assert np.abs(limited[0, :4]).max() == pytest.approx(0.075)
    np.testing.assert_allclose(limited, free * 0.075 / np.abs(free[0, :4]).max())


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
