"""Trace one closed-loop episode of a base on biman_insert: each arm's tool, finger opening and part, every 15 steps.
Usage: PYTHONPATH=. python docs/results/biman_insert_base/trace.py <checkpoint>"""
import contextlib, sys, numpy as np
from lerobot_resip.envs.configs import BimanInsertEnvConfig
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config
path=sys.argv[1]; n=4
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, []))
sim = make_sim(BimanInsertEnvConfig(randomness="low", episode_length=300), n, 1000)
seeds = episode_seeds(1000, EVAL_SEEDS, 0, n)
log=[]
def record(first, live):
    o = sim.observation(); log.append((o["agent_pos"][0].copy(), o["environment_state"][0].copy()))
evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=1000, record=record)
for k in range(0, len(log), 15):
    a, e = log[k]
    print(k, "L tool", a[:3].round(3), "grip", a[15].round(3), "peg", e[:3].round(3), "| R tool", a[16:19].round(3), "grip", a[31].round(3), "block", e[7:10].round(3))
