# Held-out evaluation (the same 256 episodes as lerobot-resip-eval --seed=1000) of a base trained
# without the tool's velocity: the simulator's velocity dims (agent_pos 9:15) are zeroed.
import json, sys
import numpy as np
from lerobot_resip.envs import sim as simmod
from lerobot_resip.rl import runtime as rt
from lerobot_resip.envs.configs import FurnitureEnvConfig
orig = simmod.BatchedAssemblySim.observation
def observation(self):
    obs = orig(self)
    obs["agent_pos"][:, 9:15] = 0.0
    return obs
simmod.BatchedAssemblySim.observation = observation
ckpt, n, ddim = sys.argv[1], int(sys.argv[2]), sys.argv[3]
perturb = len(sys.argv) > 4 and sys.argv[4] == "perturb"
policy, pre, post = rt.load_policy(rt.resolve_policy_config(ckpt, ["--base_num_inference_steps=%s" % ddim]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low", perturb=perturb), n, 1000)
res = rt.evaluate(policy, sim, norm, rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, n), sampling_seed=1000)
print(json.dumps({k: v for k, v in res.items() if not isinstance(v, (list, np.ndarray))}))
