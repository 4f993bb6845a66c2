import os
import sys, copy, numpy as np, mujoco
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from probe2 import setup, run
def geoms(m, pred):
    return [i for i in range(m.ngeom) if pred(m.geom(i).name)]
for f in sys.argv[1:]:
    sim, d0, ctrl = setup(f)
    m0 = sim.model
    peg = m0.geom("peg").id; pegb = m0.body("peg").id
    parts = geoms(m0, lambda n: n.startswith(("hole_", "peg", "left_pad", "right_pad", "hand_coll", "table")))
    variants = {}
    def v(name, fn):
        m = copy.deepcopy(m0); fn(m); variants[name] = m
    v("shipped", lambda m: None)
    v("impratio1", lambda m: setattr(m.opt, "impratio", 1.0))
    v("pyramidal", lambda m: setattr(m.opt, "cone", 0))
    def condim3(m):
        for g in parts: m.geom_condim[g] = 3
    v("condim3", condim3)
    def soft(m):
        for g in parts: m.geom_solref[g] = [0.01, 1]
    v("solref0.01", soft)
    def inertia10(m):
        m.body_inertia[pegb] *= 10
    v("peg_inertia_x10", inertia10)
    def arm(m):
        a = m.joint("peg").dofadr[0]; m.dof_armature[a+3:a+6] = 2e-5
    v("peg_rot_armature", arm)
    def noslip(m): m.opt.noslip_iterations = 5
    v("noslip5", noslip)
    def torsion0(m):
        for g in parts: m.geom_friction[g, 1] = 0.0
    v("no_torsional_friction", torsion0)
    def solimp(m):
        for g in parts: m.geom_solimp[g, :3] = [0.9, 0.95, 0.001]
    v("solimp_0.9_0.95_1mm", solimp)
    print(f.split("/")[-1])
    for name, m in variants.items():
        out = run(m, d0, ctrl)
        print(f"  {name:24s} max {max(out):7.1f}  first>50 {next((k for k,s in enumerate(out) if s>50), None)}")
    # half timestep: 80 steps
    m = copy.deepcopy(m0); m.opt.timestep = 0.00125
    out = run(m, d0, ctrl, n=80); print(f"  {'dt1.25ms':24s} max {max(out):7.1f}")
