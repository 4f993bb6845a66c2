import os
import sys, copy, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from probe2 import setup, run
for f in sys.argv[1:]:
    sim, d0, ctrl = setup(f); m0 = sim.model
    print("solref now", m0.geom_solref[m0.geom("peg").id])
    out = run(m0, d0, ctrl, n=40); print(" shipped-new", max(out), out[:8])
    m = copy.deepcopy(m0); m.actuator_forcerange[:7] = [[-87,87]]*4 + [[-12,12]]*3; m.actuator_forcelimited[:7] = 1
    out = run(m, d0, ctrl, n=40); print(" torque-limits", max(out))
    m = copy.deepcopy(m0); m.opt.timestep=0.00125
    out = run(m, d0, ctrl, n=80); print(" dt/2", max(out))
    d = copy.copy(d0); d.ctrl[:]=ctrl; mujoco.mj_forward(m0, d)
    print(" ctrl-qpos", np.round(ctrl[:7]-d.qpos[:7],3), "act force", np.round(d.actuator_force[:9],1))
    print(" qvel", np.round(d.qvel, 2))
    fr=np.zeros(6)
    for i,c in enumerate(d.contact[:d.ncon]):
        mujoco.mj_contactForce(m0, d, i, fr); print("  ", m0.geom(c.geom1).name, m0.geom(c.geom2).name, round(-c.dist*1000,3), np.round(fr[:3],1))
    d = copy.copy(d0); d.ctrl[:]=ctrl; mujoco.mj_step(m0, d)
    print(" after 1 substep qvel", np.round(d.qvel,1))
