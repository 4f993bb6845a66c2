"""Where does a trained one_leg residual cost the base its successes: at the hole or away from it? This plays a
residual's mean through handover.py (the expert hands over at a point, the policy plays the rest) with its xy
correction executed only where RESIDUAL_GATE says, and the base's action elsewhere:
    all      the residual everywhere (as trained and evaluated);
    region   only in O23's region (stud_geometry.oracle_region: the leg upright in the closed hand, its stud within
             20 mm of a hole's axis and 60 mm above the mouth), where O23's correction lifts the base;
    outside  only outside that region;
    approach only in the region with the stud's end above the bore's mouth (lowering it onto the hole);
    bore     only in the region with the stud's end in the bore (the grasp-turn cycles of the screwing);
    none     nowhere: the base alone, on the same episodes.
For a residual on x and y only (`--policy.residual_action_dims=[0,1]`, O28, O29), every other dimension is the
base's in all four.

usage, from the repository root (handover.py's arguments):
    RESIDUAL_GATE=region PYTHONPATH=. .venv/bin/python docs/results/one_leg/residual_gate.py <resip checkpoint> <episodes> <point>
"""

import os
import runpy
import sys
from pathlib import Path

import numpy as np

from lerobot_resip.envs import sim as sim_module
from policy_capture import capture_policy_steps
from stud_geometry import STUD_LENGTH, oracle_region, stud_offsets

GATE = os.environ.get("RESIDUAL_GATE", "all")
GATES = ("all", "region", "outside", "approach", "bore", "none")
if GATE not in GATES:
    sys.exit(f"RESIDUAL_GATE must be one of {', '.join(GATES)}, not {GATE!r}")
last = capture_policy_steps()
original_step = sim_module.BatchedAssemblySim.step


def step(self, action, active=None):
    if "executed" in last:
        executed, base = last.pop("executed"), last.pop("base")
        action = np.array(action, dtype=np.float64, copy=True)
        played = np.isclose(action[:, :2], executed[:, :2]).all(axis=1)  # the policy's envs, not the expert's
        obs = self.observation()
        near = oracle_region(obs, executed[:, 9])[0]
        lateral, height, _ = stud_offsets(obs["environment_state"])
        nearest = np.linalg.norm(lateral, axis=-1).argmin(axis=1)
        above_mouth = height[np.arange(len(near)), nearest] > STUD_LENGTH  # m, the stud's end above the mouth
        keep = {"all": np.ones_like(near), "region": near, "outside": ~near, "approach": near & above_mouth,
                "bore": near & ~above_mouth, "none": np.zeros_like(near)}[GATE]
        action[played & ~keep, :2] = base[played & ~keep, :2]
    return original_step(self, action, active)


sim_module.BatchedAssemblySim.step = step
print(f"residual gate: {GATE}", file=sys.stderr)
runpy.run_path(str(Path(__file__).with_name("handover.py")), run_name="__main__")  # prints handover.py's line
