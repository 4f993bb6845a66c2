import os
import sys, json, copy, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from recorded_physics import last_good_state as setup  # noqa: F401  (probe3, probe4, probe6 import it from here)
def run(model, d0, ctrl, n=40, verbose=False):
    d = copy.copy(d0); d.ctrl[:] = ctrl
    peg = model.joint("peg").dofadr[0]
    out = []
    for k in range(n):
        mujoco.mj_step(model, d)
        sp = np.abs(d.qvel).max()
        out.append(round(float(sp), 1))
        if verbose:
            print(k, "speed", round(float(sp),2), "pegw", np.round(d.qvel[peg+3:peg+6],1), "niter", d.solver_niter[0], "ncon", d.ncon, "nefc", d.nefc)
    return out
if __name__ == "__main__":
    f = sys.argv[1]
    sim, d0, ctrl = setup(f)
    m = sim.model
    print("base", run(m, d0, ctrl, verbose=True))
