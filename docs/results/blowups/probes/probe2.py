import os
import sys, json, copy, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from benchmarks.blowup_rate import make_sim
from lerobot_resip.envs.sim import ARM_DOF
def setup(f):
    z = np.load(f); acts = z["actions"]
    sim = make_sim(1, int(z["episode_length"]), float(z["clearance_mm"]), str(z["randomness"]), 1)
    sim.reset(seeds=[int(z["seed"])])
    for a in acts[:-1]: sim.step(a[None])
    d = mujoco.MjData(sim.model); sim.get_data(0, d)
    last = acts[-1]
    ctrl = np.concatenate([sim._joint_targets(last[None])[0], np.full(2, 0.0 if last[9] > 0 else 0.04)])
    return sim, d, ctrl
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
