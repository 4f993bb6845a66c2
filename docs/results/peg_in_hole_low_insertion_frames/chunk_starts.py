"""How far up a diffusion base's first action of each chunk jumps while the peg is at the hole.

Runs the base alone (16 DDIM steps) on the held-out episodes of `lerobot-resip-eval --seed=1000` and
prints, over the steps after the peg was lifted and while its centre is less than 75 mm above the
hole's floor (the mouth is at 60 mm when the peg touches it), the mean commanded tool height minus
the tool's height, in mm: at the steps that start a new chunk and at the other steps.
    python docs/results/peg_in_hole_low_insertion_frames/chunk_starts.py <base checkpoint> [episodes]
"""

import contextlib
import sys

import numpy as np
import torch

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.rl import runtime as rt

path, episodes = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = rt.load_policy(rt.resolve_policy_config(path, ["--base_num_inference_steps=16"]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low"), episodes, 1000)
generator = torch.Generator().manual_seed(1000)
obs = sim.reset(seeds=rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, episodes))
policy.reset()
policy.eval()
done = np.zeros(episodes, dtype=bool)
lifted = np.zeros(episodes, dtype=bool)
at_start, elsewhere = [], []
for t in range(sim.max_episode_steps):
    parts = obs["environment_state"]
    lifted |= parts[:, 2] > 0.065
    near_mouth = lifted & ~done & ((parts[:, 2] - parts[:, 9]) < 0.075)
    # Every env resets at step 0 and pops one action per step while it runs: chunks start together.
    chunk_start = t % policy.config.n_action_steps == 0
    base = policy.base_action(norm.observation(obs), generator=generator, active=torch.as_tensor(~done))
    action = norm.unnormalize_action(base)
    lift_mm = 1000 * (action[:, 2] - obs["agent_pos"][:, 2])
    (at_start if chunk_start else elsewhere).extend(lift_mm[near_mouth].tolist())
    obs, _, terminated, truncated, _ = sim.step(action, active=~done)
    done |= terminated | truncated
print(f"commanded minus actual tool height near the mouth: chunk starts {np.mean(at_start):+.1f} mm "
      f"({len(at_start)} steps), other steps {np.mean(elsewhere):+.1f} mm ({len(elsewhere)} steps)")
