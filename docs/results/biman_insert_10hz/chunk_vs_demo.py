"""A base's predicted chunk on one demo's own frames against what the demo did next: the left tool's height
and both gripper commands over the 8 executed actions, at chunk starts 0, 8, ..., 32 (the grasp).
Usage: PYTHONPATH=. python docs/results/biman_insert_10hz/chunk_vs_demo.py <checkpoint> <dataset root> [episode]"""

import contextlib
import glob
import sys

import numpy as np
import pandas as pd
import torch

from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import load_policy, resolve_policy_config

path, root = sys.argv[1], sys.argv[2]
episode = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, ["--base_noise_scale=0"]))
io = PolicyIO(pre, post)
frames = pd.concat([pd.read_parquet(f) for f in glob.glob(f"{root}/data/**/*.parquet", recursive=True)])
demo = frames[frames.episode_index == episode]
state, parts, action = (np.stack(demo[key].values) for key in ("observation.state", "observation.environment_state", "action"))
for t in range(0, 33, 8):
    obs = {"agent_pos": state[t : t + 1].astype(np.float32), "environment_state": parts[t : t + 1].astype(np.float32)}
    policy.reset()
    chunk = []
    with torch.no_grad():
        for _ in range(8):
            step = policy.act(io.batch(obs), deterministic=True, generator=torch.Generator().manual_seed(0),
                              active=torch.ones(1, dtype=torch.bool))
            chunk.append(io.env_action(step.action)[0])
    chunk = np.array(chunk)
    print(f"t={t:2d} left tool z (m): base {chunk[:, 2].round(3).tolist()}")
    print(f"                      demo {action[t:t + 8, 2].round(3).tolist()}")
    print(f"      grippers (left, right; +1 closed): base {chunk[:, 9].round(2).tolist()} {chunk[:, 19].round(2).tolist()}")
    print(f"                                         demo {action[t:t + 8, 9].tolist()} {action[t:t + 8, 19].tolist()}")
