"""lerobot-resip-eval with a hand-written state-feedback correction added to every executed action
(not learned). Near the hole it moves the base's xy target to the one that puts the peg over the hole
axis (tool + hole - peg: the expert's ALIGN target). It is a function of the state and the base action
only, i.e. something ResiP's per-step residual can represent; it tells whether such a residual can
lift this base at all.

usage: ORACLE_RADIUS_MM=30 ORACLE_HEIGHT_MM=60 ORACLE_GAIN=1 python oracle_eval.py <lerobot-resip-eval args>
"""
import os
import numpy as np
from lerobot_resip.envs import sim as sim_module
from lerobot_resip.envs.scenes import HOLE_DEPTH, PEG_HALF_LENGTH
from lerobot_resip.scripts.evaluate import main

RADIUS = float(os.environ.get("ORACLE_RADIUS_MM", 30)) / 1000  # m: peg within this of the hole axis (xy)
HEIGHT = float(os.environ.get("ORACLE_HEIGHT_MM", 60)) / 1000  # m: peg bottom at most this above the mouth
GAIN = float(os.environ.get("ORACLE_GAIN", 1.0))
original_step = sim_module.BatchedAssemblySim.step


def corrected_step(self, action, active=None):
    obs = self.observation()
    tool = obs["agent_pos"][:, :3].astype(np.float64)
    peg, hole = obs["environment_state"][:, 0:3], obs["environment_state"][:, 7:10]
    offset = hole[:, :2] - peg[:, :2]
    above = (peg[:, 2] - PEG_HALF_LENGTH) - (hole[:, 2] + HOLE_DEPTH)
    lifted = peg[:, 2] > PEG_HALF_LENGTH + 0.01
    near = lifted & (np.linalg.norm(offset, axis=1) < RADIUS) & (above < HEIGHT) & (above > -0.01)
    action = np.array(action, dtype=np.float64, copy=True)
    aligned_xy = tool[:, :2] + offset
    action[near, :2] += GAIN * (aligned_xy[near] - action[near, :2])
    return original_step(self, action, active)


sim_module.BatchedAssemblySim.step = corrected_step
main()
