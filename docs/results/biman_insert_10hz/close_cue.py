"""When each arm's gripper command first turns to close: in the demos and in a base's closed loop (tool height
above its part's centre, tool speed), showing whether the two arms close together or each at its part.
Usage: PYTHONPATH=. python docs/results/biman_insert_10hz/close_cue.py <checkpoint> <dataset root> <episodes> [fps] [episode length]
(closed loop: held-out seeds of `lerobot-resip-eval --seed=1000`, deterministic base; demos: the first 30)."""

import contextlib
import glob
import sys

import numpy as np
import pandas as pd

from lerobot_resip.envs.configs import BimanInsertEnvConfig
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config

path, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fps = int(sys.argv[4]) if len(sys.argv) > 4 else None
length = int(sys.argv[5]) if len(sys.argv) > 5 else None
# (gripper command, tool z, part z, tool velocity) indices of each arm in action / agent_pos / environment_state
ARMS = ((9, 2, 2, slice(9, 12)), (19, 18, 9, slice(25, 28)))


def first_close(states, parts, actions) -> np.ndarray:
    """(episodes, 6): per arm the step of the first close command, tool height over the part (mm), speed (mm/s)."""
    rows = []
    for ep in range(states.shape[1]):
        row = []
        for grip, tool_z, part_z, vel in ARMS:
            close = np.flatnonzero(actions[:, ep, grip] > 0)
            if len(close) == 0:
                row += [np.nan] * 3
                continue
            t = close[0]
            row += [t, (states[t, ep, tool_z] - parts[t, ep, part_z]) * 1000, np.linalg.norm(states[t, ep, vel]) * 1000]
        rows.append(row)
    return np.array(rows)


def report(name: str, rows: np.ndarray) -> None:
    together = np.mean(np.abs(rows[:, 0] - rows[:, 3]) <= 1)
    print(f"{name}: median [left step, left mm over part, left mm/s, right step, right mm, right mm/s] "
          f"{np.nanmedian(rows, 0).round(1).tolist()}; both arms within one step of each other: {together:.0%}")


with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, ["--base_noise_scale=0"]))
io = PolicyIO(pre, post)
sim = make_sim(BimanInsertEnvConfig(randomness="low", fps=fps, episode_length=length), n, 1000)
observations, actions = [], []
env_action = io.env_action


def logged_env_action(action):
    out = env_action(action)
    actions.append(out.copy())
    return out


io.env_action = logged_env_action


def record(first, live):
    obs = sim.observation()
    observations.append((obs["agent_pos"].copy(), obs["environment_state"].copy()))


evaluate(policy, io, sim, episode_seeds(1000, EVAL_SEEDS, 0, n), sampling_seed=1000, record=record)
steps = len(actions)
report("base, closed loop", first_close(np.stack([o[0] for o in observations])[:steps],
                                        np.stack([o[1] for o in observations])[:steps], np.stack(actions)))
frames = pd.concat([pd.read_parquet(f) for f in glob.glob(f"{root}/data/**/*.parquet", recursive=True)])
episodes = [frames[frames.episode_index == e] for e in range(30)]
shortest = min(len(e) for e in episodes)
demo = [np.stack([np.stack(e[key].values)[:shortest] for e in episodes], 1)
        for key in ("observation.state", "observation.environment_state", "action")]
report("demos", first_close(*demo))
