import os
import sys, copy, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from probe2 import setup, run
def geoms(m, pred):
    return [i for i in range(m.ngeom) if pred(m.geom(i).name)]
for f in sys.argv[1:]:
    sim, d0, ctrl = setup(f)
    m0 = sim.model
    pads = geoms(m0, lambda n: n in ("left_pad", "right_pad", "hand_collision"))
    walls = geoms(m0, lambda n: n.startswith(("hole_wall", "hole_chamfer")))
    pegg = [m0.geom("peg").id]
    variants = {}
    def v(name, fn):
        m = copy.deepcopy(m0); fn(m); variants[name] = m
    v("shipped", lambda m: None)
    for tc in (0.0075, 0.01, 0.02):
        def f1(m, tc=tc):
            for g in pads: m.geom_solref[g] = [tc, 1]
        v(f"pads_solref{tc}", f1)
        def f2(m, tc=tc):
            for g in walls + pegg: m.geom_solref[g] = [tc, 1]
        v(f"walls+peg_solref{tc}", f2)
    def f3(m):
        for g in pads: m.geom_solimp[g, :3] = [0.9, 0.95, 0.001]
    v("pads_solimp_soft", f3)
    def f4(m):
        m.actuator_forcerange[:7] = [[-87,87]]*4 + [[-12,12]]*3; m.actuator_forcelimited[:7] = 1
    v("arm_torque_limits", f4)
    print(f.split("/")[-1])
    for name, m in variants.items():
        out = run(m, d0, ctrl)
        print(f"  {name:24s} max {max(out):7.1f}  first>50 {next((k for k,s in enumerate(out) if s>50), None)}")
    # ramped ctrl
    m = m0; d = copy.copy(d0); q0 = d.ctrl.copy(); out=[]
    for k in range(40):
        a = (k+1)/40; d.ctrl[:7] = (1-a)*q0[:7] + a*ctrl[:7]; d.ctrl[7:] = ctrl[7:]
        mujoco.mj_step(m, d); out.append(float(np.abs(d.qvel).max()))
    print(f"  {'ramped_ctrl':24s} max {max(out):7.1f}")
    # forces at start
    d = copy.copy(d0); d.ctrl[:] = ctrl; mujoco.mj_forward(m0, d)
    fr = np.zeros(6)
    for i,c in enumerate(d.contact[:d.ncon]):
        mujoco.mj_contactForce(m0, d, i, fr)
        print("   ", m0.geom(c.geom1).name, m0.geom(c.geom2).name, round(-c.dist*1000,3), np.round(fr[:3],1))
    print("   actuator forces", np.round(d.actuator_force,1))
