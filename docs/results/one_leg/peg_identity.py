"""peg_in_hole's physics, bit for bit: a SHA-256 of 50 steps of fixed actions from fixed seeds.

Run it against two trees and compare the printed hashes, e.g.
    PYTHONPATH=/path/to/main .venv/bin/python docs/results/one_leg/peg_identity.py
    PYTHONPATH=/path/to/one-leg .venv/bin/python docs/results/one_leg/peg_identity.py
It hashes every observation, reward and termination of 4 envs at `low`, `med`, and `low` with
perturbations, and the observations after resetting two of them.
"""

import hashlib

import numpy as np

from lerobot_resip.envs.rotation import rot6d_from_matrix
from lerobot_resip.envs.sim import BatchedAssemblySim

digest = hashlib.sha256()
for randomness, perturb in (("low", False), ("med", False), ("low", True)):
    sim = BatchedAssemblySim("peg_in_hole", 4, randomness=randomness, perturb=perturb, seed=7, num_threads=1)
    obs = sim.reset()
    tcp = sim._site_xpos[:, sim._tcp].copy()
    rot = rot6d_from_matrix(sim._site_xmat[:, sim._tcp].reshape(-1, 3, 3))
    for t in range(50):
        grip = np.full((4, 1), 1.0 if t > 25 else -1.0)
        action = np.concatenate([tcp + [0.004 * t, -0.002 * t, -0.006 * t], rot, grip], axis=1)
        obs, reward, terminated, _, _ = sim.step(action)
        for value in (*obs.values(), reward, terminated):
            digest.update(value.tobytes())
    for value in sim.reset(ids=[1, 2]).values():
        digest.update(value.tobytes())
print(digest.hexdigest())
