"""Which way do PPO's advantages point the one_leg residual on the approach to the hole? This runs
`lerobot-resip-train` (the arguments as given) up to its first rollout's advantages and stops before the update. At
every step of that rollout where the residual acted with the leg in O23's region (stud_geometry.oracle_region), it
takes the executed xy correction's component along O23's oracle correction (metres; positive: toward the stud on
the hole's axis) and correlates it, over those steps, with the step's advantage (GAE as configured, and with lambda
1: the episode's outcome less the critic's value) and with the episode's success. Each correlation comes with a 95%
interval from resampling the episodes (a draw is held for several steps, so steps are not independent). A positive
correlation is what would move the residual's mean along the oracle's correction; zero gives it no direction.
The same over each episode's last LANDING_STEPS such steps (`*_landing`): the draw in force as the stud reaches the
bore's mouth.

usage, from the repository root (lerobot-resip-train's arguments; a fresh residual, as resip_low_gated.sh starts):
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/advantage_direction.py <lerobot-resip-train args>
"""

import json
import sys
import time

import numpy as np
import torch

from lerobot_resip.envs import sim as sim_module
from lerobot_resip.rl.ppo import compute_gae
from lerobot_resip.scripts import train_residual
from policy_capture import capture_policy_steps
from stud_geometry import oracle_region

last = capture_policy_steps()  # "t" is the rollout's step index: reset sets it to -1
records = []  # (t, env, correction along the oracle's direction in m, |o| in m) per acted step in the region
captured = {}
original_step, original_reset = sim_module.BatchedAssemblySim.step, sim_module.BatchedAssemblySim.reset


LANDING_STEPS = 6  # the exploration hold of resip_low_gated.sh: one draw


class Captured(Exception):
    """The first rollout's advantages are in: stop before the update."""


def reset(self, *args, **kwargs):
    last["t"] = -1
    return original_reset(self, *args, **kwargs)


def step(self, action, active=None):
    if "executed" in last:
        executed, base = last.pop("executed"), last.pop("base")
        near, tool, lateral = oracle_region(self.observation(), executed[:, 9])
        playing = np.ones(len(near), dtype=bool) if active is None else np.asarray(active, dtype=bool)
        acted = last["step"].acted.cpu().numpy()
        for env in np.flatnonzero(near & playing & acted):
            o = tool[env] - lateral[env] - base[env, :2]
            norm = np.linalg.norm(o)
            if norm > 0:
                records.append((last["t"], env, float((executed[env, :2] - base[env, :2]) @ o / norm), float(norm)))
    return original_step(self, action, active)


def gae(rewards, values, dones, gamma, gae_lambda, next_value=None):
    out = compute_gae(rewards, values, dones, gamma, gae_lambda, next_value)
    captured.update(rewards=rewards, values=values, dones=dones, gamma=gamma, gae_lambda=gae_lambda, advantages=out[0])
    raise Captured


def correlation(x: np.ndarray, y: np.ndarray, envs: np.ndarray, draws: int = 2000) -> dict:
    """Pearson correlation of x and y over the steps, with a 95% interval from resampling whole episodes."""
    def r(ix):
        return float(np.corrcoef(x[ix], y[ix])[0, 1]) if np.std(x[ix]) > 0 and np.std(y[ix]) > 0 else float("nan")
    groups = [np.flatnonzero(envs == e) for e in np.unique(envs)]
    rng = np.random.default_rng(0)
    boot = [r(np.concatenate([groups[i] for i in rng.integers(len(groups), size=len(groups))])) for _ in range(draws)]
    return {"r": round(r(np.arange(len(x))), 3), "ci95": [round(float(v), 3) for v in np.nanpercentile(boot, [2.5, 97.5])]}


sim_module.BatchedAssemblySim.step, sim_module.BatchedAssemblySim.reset = step, reset
train_residual.compute_gae = gae
start = time.perf_counter()
try:
    train_residual.train(train_residual._validated())
except Captured:
    pass
rewards = captured["rewards"]
success = (rewards.sum(0) > 0).cpu().numpy()
advantages = {f"lambda_{captured['gae_lambda']:g}": captured["advantages"],
              "lambda_1": compute_gae(rewards, captured["values"], captured["dones"], captured["gamma"], 1.0)[0]}
t, envs, along, size = (np.array([rec[i] for rec in records]) for i in range(4))
t, envs = t.astype(int), envs.astype(int)
result = {"args": sys.argv[1:], "steps": len(records), "episodes_with_steps": int(len(np.unique(envs))),
          "episodes_with_steps_that_succeed": int(success[np.unique(envs)].sum()),
          "oracle_mm_median": round(float(np.median(size)) * 1000, 2),
          "along_mm_median_abs": round(float(np.median(np.abs(along))) * 1000, 2)}
for name, adv in advantages.items():
    result[f"corr_along_advantage_{name}"] = correlation(along, adv.cpu().numpy()[t, envs], envs)
result["corr_along_success"] = correlation(along, success[envs].astype(float), envs)
# The draw in force as the stud reaches the mouth: each episode's last LANDING_STEPS acted steps in the region.
last_t = {e: t[envs == e].max() for e in np.unique(envs)}
landing = np.array([t[i] > last_t[envs[i]] - LANDING_STEPS for i in range(len(t))])
result["landing_steps"] = int(landing.sum())
result["corr_along_success_landing"] = correlation(along[landing], success[envs[landing]].astype(float), envs[landing])
result["corr_along_advantage_lambda_1_landing"] = correlation(
    along[landing], advantages["lambda_1"].cpu().numpy()[t[landing], envs[landing]], envs[landing])
result["wall_s"] = round(time.perf_counter() - start, 1)
print(json.dumps(result))
