"""Does PPO move the one_leg residual toward the correction that works? O23's hand-written correction
(oracle_carry.py) puts the stud on the hole's axis while the leg is upright in the closed hand near a hole; it
lifts the base from 10.5% to 50.8%. This plays a trained residual's mean through handover.py (the expert hands
over at a point, the policy plays the rest) and, at every step in that same region, compares the residual's
executed xy correction r (metres: the env action minus the base's) with the oracle's o (the xy target that puts
the stud on the axis, minus the base's). Printed as one JSON line: the steps compared, the median |o| and |r| in
mm (and the median |r| at the policy's other steps), the mean cosine of r and o, the share of steps with r . o > 0, and the gain sum(r . o) / sum(o . o) (1: the
oracle's correction; 0: none along it). For a gated residual (`--policy.residual_gate_cm`) the same gain, share
and median |o| also over the region's steps where it acted (r not 0): `*_where_acted`.

usage, from the repository root (handover.py's arguments):
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/residual_direction.py <resip checkpoint> <episodes> <point>
"""

import json
import runpy
import sys
from pathlib import Path

import numpy as np

from lerobot_resip.envs import sim as sim_module
from policy_capture import capture_policy_steps
from stud_geometry import oracle_region

last = capture_policy_steps()
original_step = sim_module.BatchedAssemblySim.step
pairs = []  # (r, o) per compared step, metres
elsewhere = []  # |r| (metres) at the policy's other steps


def step(self, action, active=None):
    if "executed" in last:
        executed, base = last.pop("executed"), last.pop("base")
        near, tool, lateral = oracle_region(self.observation(), executed[:, 9])
        played = np.isclose(np.asarray(action, np.float64)[:, :2], executed[:, :2]).all(axis=1)
        near &= played
        r = executed[near, :2] - base[near, :2]
        o = tool[near] - lateral[near] - base[near, :2]
        pairs.extend(zip(r, o))
        elsewhere.extend(np.linalg.norm(executed[played & ~near, :2] - base[played & ~near, :2], axis=1))
    return original_step(self, action, active)


sim_module.BatchedAssemblySim.step = step
runpy.run_path(str(Path(__file__).with_name("handover.py")), run_name="__main__")  # prints handover.py's line
r, o = (np.array([p[i] for p in pairs]).reshape(-1, 2) for i in (0, 1))
dot = (r * o).sum(axis=1)
acted = (r != 0).any(axis=1)
norms = np.linalg.norm(r, axis=1) * np.linalg.norm(o, axis=1)
print(json.dumps({"policy": sys.argv[1], "steps_compared": len(pairs),
                  "oracle_mm_median": round(float(np.median(np.linalg.norm(o, axis=1))) * 1000, 2) if pairs else None,
                  "residual_mm_median": round(float(np.median(np.linalg.norm(r, axis=1))) * 1000, 2) if pairs else None,
                  "residual_mm_median_elsewhere": round(float(np.median(elsewhere)) * 1000, 2) if elsewhere else None,
                  "cosine_mean": round(float(np.mean(dot[norms > 0] / norms[norms > 0])), 3) if (norms > 0).any() else None,
                  "share_along": round(float(np.mean(dot > 0)), 3) if pairs else None,
                  "gain": round(float(dot.sum() / (o * o).sum()), 3) if pairs else None,
                  "steps_acted": int(acted.sum()),
                  "oracle_mm_median_where_acted": round(float(np.median(np.linalg.norm(o[acted], axis=1))) * 1000, 2) if acted.any() else None,
                  "residual_mm_median_where_acted": round(float(np.median(np.linalg.norm(r[acted], axis=1))) * 1000, 2) if acted.any() else None,
                  "share_along_where_acted": round(float(np.mean(dot[acted] > 0)), 3) if acted.any() else None,
                  "gain_where_acted": round(float(dot[acted].sum() / (o[acted] ** 2).sum()), 3) if acted.any() else None}))
