"""peg_in_hole's scripted expert with the arm's joint targets low-pass filtered (MuJoCo's filterexact
actuator dynamics, time constant TAU s; 0: as shipped). The home keyframe's filter state is the home targets.

Usage: python docs/results/blowups/probes/filter_expert.py TAU peg_in_hole EPISODES [RANDOMNESS]
"""
import dataclasses, json, sys
import mujoco, numpy as np
from lerobot_resip.envs import tasks
from lerobot_resip.envs.expert import expert_success

TAU = float(sys.argv[1]); TASK = sys.argv[2]; EPISODES = int(sys.argv[3]); RANDOMNESS = sys.argv[4] if len(sys.argv) > 4 else "low"
spec0 = tasks.TASKS[TASK]
def filtered(clearance):
    import lerobot_resip.envs.scenes as scenes
    if TASK == "peg_in_hole":
        spec = scenes.peg_in_hole_spec(clearance)
    else:
        raise SystemExit("only peg_in_hole here")
    for a in spec.actuators:
        if a.name.startswith("joint"):
            a.dyntype = mujoco.mjtDyn.mjDYN_FILTEREXACT; a.dynprm[0] = TAU; a.actearly = True
    m = spec.compile()
    home = m.keyframe("home").id
    m.key_act[home] = m.key_ctrl[home][:7]
    return m
if TAU > 0:
    tasks.TASKS[TASK] = dataclasses.replace(spec0, build_model=filtered)
r = expert_success(TASK, RANDOMNESS, 0.5, episodes=EPISODES, num_envs=50, first_seed=0)
print(json.dumps({"tau": TAU, **{k: v for k, v in r.items() if not isinstance(v, (list, dict))}}))
