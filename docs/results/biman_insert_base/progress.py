"""How far a base gets on biman_insert: over held-out episodes, the share that reach each stage.

Stages: each part lifted 5 cm; both parts held 5 cm up at the same time; the peg within 10 cm and 3 cm of
its assembled pose in the block (centre distance, both in the air); assembled. Seeds of
`lerobot-resip-eval --seed=1000`; the base deterministic (`--base_noise_scale=0`) unless overridden.
Usage: PYTHONPATH=. python docs/results/biman_insert_base/progress.py <checkpoint> <episodes> [fps] [episode length]
[policy overrides...] (fps: the rate the base was trained at, default 50; episode length: default the task's 10 s;
overrides as `--base_noise_scale=1`)."""

import contextlib
import json
import sys

import numpy as np

from lerobot_resip.envs.configs import BimanInsertEnvConfig
from lerobot_resip.envs.rotation import quat_to_matrix
from lerobot_resip.envs.tasks import get_task
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config

path, n = sys.argv[1], int(sys.argv[2])
fps = int(sys.argv[3]) if len(sys.argv) > 3 else None
length = int(sys.argv[4]) if len(sys.argv) > 4 else None
overrides = ["--base_noise_scale=0", *sys.argv[5:]]
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, overrides))
env = BimanInsertEnvConfig(randomness="low", fps=fps, episode_length=length)
sim = make_sim(env, n, 1000)
seeds = episode_seeds(1000, EVAL_SEEDS, 0, n)
relative = np.array(get_task("biman_insert").pairs[0].relative_pos)
lifted = np.zeros((n, 2), dtype=bool)
both = np.zeros(n, dtype=bool)
nearest = np.full(n, np.inf)


def record(first, live):
    e = sim.observation()["environment_state"]
    up = e[:, [2, 9]] > 0.05
    lifted[live] |= up[live]
    both[live] |= up[live].all(1)
    goal = e[:, 7:10] + np.einsum("nij,j->ni", quat_to_matrix(e[:, 10:14]), relative)
    gap = np.where(up.all(1), np.linalg.norm(e[:, :3] - goal, axis=1), np.inf)
    nearest[live] = np.minimum(nearest[live], gap[live])


result = evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=1000, record=record)
print(json.dumps({
    "policy": path, "overrides": overrides, "episodes": n, "fps": env.fps, "episode_length": env.episode_length,
    "peg_lifted": lifted[:, 0].mean(), "block_lifted": lifted[:, 1].mean(), "both_held": both.mean(),
    "peg_within_10cm": (nearest < 0.10).mean(), "peg_within_3cm": (nearest < 0.03).mean(),
    "assembled": result["successes"] / n,
}))
