"""Peak |normalized input| of a diffusion base per dimension over the 256 held-out episodes of
`lerobot-resip-eval --seed=1000` (16 DDIM steps), and its success with the normalized inputs clamped
to +-c (no c: unclamped).

    python docs/results/peg_in_hole_low_levers/input_peaks.py <base checkpoint> [c]
"""
import sys

import torch

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.rl import runtime as rt

clampv = float(sys.argv[2]) if len(sys.argv) > 2 else None
orig = rt.MinMaxNormalizer.observation
peak = {}


def observation(self, obs):
    b = orig(self, obs)
    for k, v in b.items():
        m = v.abs().amax(0)
        peak[k] = torch.maximum(peak.get(k, m), m)
        if clampv is not None:
            b[k] = v.clamp(-clampv, clampv)
    return b


rt.MinMaxNormalizer.observation = observation
policy, pre, post = rt.load_policy(rt.resolve_policy_config(sys.argv[1], ["--base_num_inference_steps=16"]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
n = 256
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low"), n, 1000)
seeds = rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, n)
res = rt.evaluate(policy, sim, norm, seeds, sampling_seed=1000)
print("clamp", clampv, "success", res["success_rate"])
torch.set_printoptions(precision=1, linewidth=200, sci_mode=False)
for k, v in peak.items():
    print(k, v)
