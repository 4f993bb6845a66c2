# Held-out evaluation (256 episodes, seed 1000, 16 DDIM steps) of a base with the gripper's closing
# target set to <closed> m per finger (grip on the 20 mm peg = 1000 N/m x (0.01 - closed); needs
# grip_70N.patch applied, whose ctrlrange allows targets down to -0.06).
# usage: eval_grip.py <checkpoint> <closed>     e.g. 0.0 (10 N), -0.02 (30 N), -0.06 (70 N)
import json, sys
import numpy as np
from lerobot_resip.envs import sim as simmod
from lerobot_resip.rl import runtime as rt
from lerobot_resip.envs.configs import FurnitureEnvConfig
simmod.GRIPPER_CLOSED = float(sys.argv[2])
policy, pre, post = rt.load_policy(rt.resolve_policy_config(sys.argv[1], ["--base_num_inference_steps=16"]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low"), 256, 1000)
res = rt.evaluate(policy, sim, norm, rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, 256), sampling_seed=1000)
print("closed", sys.argv[2], json.dumps({k: v for k, v in res.items() if not isinstance(v, (list, np.ndarray))}))
