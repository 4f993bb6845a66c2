"""`benchmarks/blowup_rate.py` with the arm's joint targets low-pass filtered (the candidate fix of the
second cause): MuJoCo's filterexact actuator dynamics on joints 1-7, time constant TAU s, the home
keyframe's filter state at the home targets. Every other argument goes to blowup_rate.

Usage: python docs/results/blowups/probes/filter_rate.py TAU <blowup_rate.py arguments>
"""
import dataclasses
import os
import sys

import mujoco

sys.path[:0] = ["."]
from benchmarks import blowup_rate  # noqa: E402
from lerobot_resip.envs import scenes, tasks  # noqa: E402

TAU = float(sys.argv.pop(1))


def filtered_peg_in_hole(clearance: float) -> mujoco.MjModel:
    spec = scenes.peg_in_hole_spec(clearance)
    for actuator in spec.actuators:
        if actuator.name.startswith("joint"):
            actuator.dyntype = mujoco.mjtDyn.mjDYN_FILTEREXACT
            actuator.dynprm[0] = TAU
            actuator.actearly = True
    model = spec.compile()
    home = model.keyframe("home").id
    model.key_act[home] = model.key_ctrl[home][:7]
    return model


tasks.TASKS["peg_in_hole"] = dataclasses.replace(tasks.TASKS["peg_in_hole"], build_model=filtered_peg_in_hole)
print(f"filter_rate: arm joint targets filtered, tau {TAU * 1000:.0f} ms", file=sys.stderr, flush=True)
blowup_rate.main()
