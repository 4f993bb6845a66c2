# Held-out evaluation (lerobot-resip-eval's 256 episodes at --seed=1000) in delta-action mode: needs delta_actions.patch applied.
import json, sys
import numpy as np
from lerobot_resip.rl import runtime as rt
from lerobot_resip.envs.configs import FurnitureEnvConfig
ckpt, n, ddim = sys.argv[1], int(sys.argv[2]), sys.argv[3]
perturb = len(sys.argv) > 4 and sys.argv[4] == "perturb"
policy, pre, post = rt.load_policy(rt.resolve_policy_config(ckpt, ["--base_num_inference_steps=%s" % ddim]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
env = FurnitureEnvConfig(task="peg_in_hole", randomness="low", perturb=perturb)
assert env.action_mode == "delta"
sim = rt.make_sim(env, n, 1000)
res = rt.evaluate(policy, sim, norm, rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, n), sampling_seed=1000)
print(json.dumps({k: v for k, v in res.items() if not isinstance(v, (list, np.ndarray))}))
