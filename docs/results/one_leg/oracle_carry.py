"""Can a correction of the residual's form lift the one_leg base where it fails? A hand-written state-feedback
correction (not learned) is added to every executed action: while the leg is upright in the closed hand with its
stud's end within RADIUS of a hole's axis and at most HEIGHT above the bore's mouth, the base's xy target becomes
the one that puts the stud on the axis (tool + the stud's lateral offset from the axis, the leg taken as rigid in
the hand). It is a function of the state and the base action only, i.e. something ResiP's per-step residual can
represent. peg_in_hole's counterpart: ../peg_in_hole_low_exploration/oracle_eval.py.

usage, from the repository root (any handover.py or lerobot-resip-eval arguments after the first):
    ORACLE_RADIUS_MM=20 PYTHONPATH=. .venv/bin/python docs/results/one_leg/oracle_carry.py handover.py <args>
    ORACLE_RADIUS_MM=20 PYTHONPATH=. .venv/bin/python docs/results/one_leg/oracle_carry.py eval <args>
"""

import os
import runpy
import sys
from pathlib import Path

import numpy as np

from lerobot_resip.envs import sim as sim_module
from stud_geometry import ORACLE_HEIGHT, ORACLE_RADIUS, oracle_region

RADIUS = float(os.environ.get("ORACLE_RADIUS_MM", ORACLE_RADIUS * 1000)) / 1000  # m, stud's end within this of a hole's axis
HEIGHT = float(os.environ.get("ORACLE_HEIGHT_MM", ORACLE_HEIGHT * 1000)) / 1000  # m, and at most this above the bore's mouth
GAIN = float(os.environ.get("ORACLE_GAIN", 1.0))
original_step = sim_module.BatchedAssemblySim.step


def corrected_step(self, action, active=None):
    action = np.array(action, dtype=np.float64, copy=True)
    near, tool, lateral = oracle_region(self.observation(), action[:, 9], RADIUS, HEIGHT)
    action[near, :2] += GAIN * (tool[near] - lateral[near] - action[near, :2])
    return original_step(self, action, active)


sim_module.BatchedAssemblySim.step = corrected_step
target, sys.argv = sys.argv[1], [sys.argv[0], *sys.argv[2:]]
if target == "eval":
    from lerobot_resip.scripts.evaluate import main

    main()
else:
    runpy.run_path(str(Path(__file__).with_name(target)), run_name="__main__")
