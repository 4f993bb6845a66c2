# Held-out evaluation (256 episodes, seed 1000) of a base whose chunk is the mean of K samples.
# usage: eval_sample_mean.py <checkpoint> <episodes> <ddim steps> <K> [novel]
import json, sys
import numpy as np
from lerobot_resip.policies.resip import modeling_resip as mr
from lerobot_resip.rl import runtime as rt
from lerobot_resip.envs import sim as simmod
from lerobot_resip.envs.configs import FurnitureEnvConfig
ckpt, n, ddim, K = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
novel = len(sys.argv) > 5 and sys.argv[5] == "novel"
orig_sample = mr.sample_base_chunk
def sample_base_chunk(base, batch, steps, generator=None):
    rep = {k: v.repeat(K, 1) for k, v in batch.items()}
    out = orig_sample(base, rep, steps, generator)
    return out.reshape(K, -1, *out.shape[1:]).mean(0)
mr.sample_base_chunk = sample_base_chunk
if novel:
    orig = simmod.BatchedAssemblySim.observation
    def observation(self):
        obs = orig(self); obs["agent_pos"][:, 9:15] = 0.0; return obs
    simmod.BatchedAssemblySim.observation = observation
policy, pre, post = rt.load_policy(rt.resolve_policy_config(ckpt, ["--base_num_inference_steps=%s" % ddim]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low"), n, 1000)
res = rt.evaluate(policy, sim, norm, rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, n), sampling_seed=1000)
print("K", K, json.dumps({k: v for k, v in res.items() if not isinstance(v, (list, np.ndarray))}))
