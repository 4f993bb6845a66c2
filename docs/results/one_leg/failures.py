"""The scripted expert's failed one_leg episodes, with the expert phases each went through.

The same seeds, chunks and expert seeding as benchmarks/expert_success.py; prints one JSON line
per failed episode (its last 14 phase changes as [step, phase], phases numbered as in
lerobot_resip/envs/expert_one_leg.py) and each chunk's success rate:
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/failures.py low 0 100
"""

import json
import sys

import numpy as np

from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.sim import BatchedAssemblySim

randomness, first, episodes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seeds = np.arange(first, first + episodes)
for chunk in np.array_split(seeds, int(np.ceil(episodes / 50))):
    n = len(chunk)
    sim = BatchedAssemblySim("one_leg", n, randomness=randomness, clearance=0.0005)
    expert = make_expert("one_leg", n, seed=int(chunk[0]))
    obs = sim.reset(seeds=chunk)
    done, success, unstable = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    phases = [[] for _ in range(n)]
    for step in range(sim.max_episode_steps):
        action = expert.act(obs)
        for i in range(n):
            if not phases[i] or phases[i][-1][1] != expert.phase[i]:
                phases[i].append((step, int(expert.phase[i])))
        obs, _, terminated, truncated, info = sim.step(action)
        success |= info["is_success"] & ~done
        unstable |= info["physics_unstable"] & ~done
        done |= terminated | truncated
        if done.all():
            break
    for i in np.flatnonzero(~success):
        print(json.dumps({"seed": int(chunk[i]), "unstable": bool(unstable[i]), "phases": phases[i][-14:]}), flush=True)
    print(json.dumps({"chunk": int(chunk[0]), "success_rate": float(success.mean())}), flush=True)
