"""What the residual's one_leg task features showed while the leg was carried to its hole and inserted.

The scripted expert plays the first 64 held-out `low` episodes (seed 1000) to the end of `insert`; at every
step of `carry` and `insert` this records the leg's offset from its assembled position in x and y (cm, the
residual's input `--policy.task_features=one_leg`) measured from hole 0 only (as before 2a7bcd7) and from the
nearest hole (`TaskFeatures` now), and how often each sits at the 10 cm clip. Prints one JSON line.
Run from the repository root: PYTHONPATH=. .venv/bin/python docs/results/one_leg/feature_reach.py
"""

import json

import numpy as np
import torch
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE

from lerobot_resip.envs import expert_one_leg as phases
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.rotation import quat_to_matrix
from lerobot_resip.envs.scenes import ONE_LEG_THREAD
from lerobot_resip.envs.tasks import get_task
from lerobot_resip.policies.resip.task_features import TaskFeatures
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, make_sim

n, clip = 64, 10.0
parts = get_task("one_leg").parts
top_index, leg_index = parts.index("square_table_top"), parts.index("square_table_leg4")
env_dim = 7 * len(parts)
features = TaskFeatures("one_leg", clip, state_dim=16, env_dim=env_dim, action_dim=10)
features.set_stats({key: {"min": -torch.ones(dim), "max": torch.ones(dim)}  # raw inputs pass unchanged
                    for key, dim in ((OBS_STATE, 16), (OBS_ENV_STATE, env_dim), (ACTION, 10))})
sim = make_sim(FurnitureEnvConfig(task="one_leg", randomness="low"), n, 1000)
expert = make_expert("one_leg", n, seed=0)
obs = sim.reset(seeds=episode_seeds(1000, EVAL_SEEDS, 0, n))
hole0, nearest = [], []
for _ in range(700):
    playing = np.isin(expert.phase, (phases.CARRY, phases.INSERT))
    if playing.any():
        poses = obs["environment_state"].reshape(n, -1, 7)[playing]
        top, leg = poses[:, top_index], poses[:, leg_index]
        goal0 = top[:, :3] + quat_to_matrix(top[:, 3:]) @ np.asarray(ONE_LEG_THREAD.seats[0])
        hole0.append(np.clip(100 * (goal0 - leg[:, :3])[:, :2], -clip, clip))
        env_state = torch.as_tensor(obs["environment_state"][playing], dtype=torch.float32)
        nearest.append(features(torch.zeros(len(env_state), 16), env_state, torch.zeros(len(env_state), 10))[:, :2].numpy())
    if (expert.phase > phases.INSERT).all():
        break
    obs, *_ = sim.step(expert.act(obs))
hole0, nearest = np.concatenate(hole0), np.concatenate(nearest)


def summary(xy: np.ndarray) -> dict:
    return {
        "clipped_x": round(float(np.mean(np.abs(xy[:, 0]) >= clip)), 3),
        "clipped_y": round(float(np.mean(np.abs(xy[:, 1]) >= clip)), 3),
        "median_abs_cm": [round(float(v), 2) for v in np.median(np.abs(xy), axis=0)],
    }


print(json.dumps({"episodes": n, "steps": len(hole0), "hole0": summary(hole0), "nearest": summary(nearest)}))
