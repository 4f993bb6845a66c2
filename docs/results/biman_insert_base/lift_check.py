"""A base in the closed loop on biman_insert: successes, and how many episodes lifted each part 5 cm.
Usage: PYTHONPATH=. python docs/results/biman_insert_base/lift_check.py <checkpoint> <episodes> [ddim steps]
(held-out seeds from 1000, deterministic base, the checkpoint's own DDIM steps unless given)."""

import contextlib
import sys

import numpy as np

from lerobot_resip.envs.configs import BimanInsertEnvConfig
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config

path = sys.argv[1]
n = int(sys.argv[2])
steps = sys.argv[3] if len(sys.argv) > 3 else None
ov = [] if steps is None else [f"--base_num_inference_steps={steps}"]
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, ov))
env = BimanInsertEnvConfig(randomness="low")
sim = make_sim(env, n, 1000)
seeds = episode_seeds(1000, EVAL_SEEDS, 0, n)
peak = np.zeros((n, 2))
final = np.zeros((n, 14))
grip = np.zeros((n, 2))


def record(first, live):
    st = sim.observation()
    e = st["environment_state"]
    peak[:] = np.maximum(peak, e[:, [2, 9]])
    final[live] = e[live]


r = evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=1000, record=record)
print("success", r["successes"], "/", n)
print("peg lifted >5cm", (peak[:, 0] > 0.05).mean(), "block lifted >5cm", (peak[:, 1] > 0.05).mean())
print("both lifted", ((peak > 0.05).all(1)).mean())
d = np.linalg.norm(final[:, :3] - final[:, 7:10], axis=1)
print("final peg-block distance mm: median", np.median(d) * 1000, "p10", np.percentile(d, 10) * 1000)
print("final heights median", np.median(final[:, [2, 9]], 0))
