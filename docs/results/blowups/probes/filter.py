"""Counterfactual: each recorded blow-up's last control step from its last good state, with the arm's joint
targets low-pass filtered (MuJoCo's filterexact actuator dynamics, time constant tau, the filter starting at
the previous step's targets). Prints the largest speed over the 40 substeps (the simulator's check: 50 rad/s).

Usage (from the repository root): python docs/results/blowups/probes/filter.py <blowup .npz files>
"""
import os, sys, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
import probe2
from filtered_arm import filtered_peg_in_hole
from recorded_physics import last_good_state
def setup(f):
    sim, d, ctrl = last_good_state(f)
    return sim, d, ctrl, float(np.load(f)["clearance_mm"])
for f in sys.argv[1:]:
    sim, d0, ctrl, cl = setup(f)
    print(os.path.basename(f), "joint target jump", np.round(ctrl[:7] - d0.ctrl[:7], 3))
    print("  unfiltered", max(probe2.run(sim.model, d0, ctrl, n=40)))
    for tau in (0.01, 0.02, 0.03, 0.05):
        m = filtered_peg_in_hole(cl / 1000, tau); d = mujoco.MjData(m)
        assert m.nq == sim.model.nq and m.na == 7, (m.nq, m.na)
        d.qpos[:], d.qvel[:] = d0.qpos, d0.qvel
        d.act[:] = d0.ctrl[:7]; d.ctrl[:] = ctrl; d.eq_active[:] = d0.eq_active
        mujoco.mj_forward(m, d)
        out = []
        for k in range(40):
            mujoco.mj_step(m, d); out.append(round(float(np.abs(d.qvel).max()), 1))
        print(f"  tau {tau*1000:.0f} ms: max speed {max(out)}")
