"""How far a policy gets through one_leg's stages, over held-out seeded episodes (or the expert on the same seeds).

Stages, each counted once an episode reaches it (state only): the top pushed into the fixture's corner
(its centre within 1 cm of the cornered pose), leg 4 lifted (5 cm), held upright (axis within 15 degrees
of vertical, lifted), its stud over a hole (within 5 mm, upright, less than 3 cm above the seat), and
assembled (the task's success). Usage, from the repository root:
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/progress.py <checkpoint|expert> <episodes> [low|med] [--policy flags]
e.g. `... progress.py <checkpoint> 64 low --base_noise_scale=0 --base_num_inference_steps=16`.
"""

import contextlib
import json
import sys

import numpy as np

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.expert_one_leg import FIXTURE_INNER_X, FIXTURE_INNER_Y
from lerobot_resip.envs.rotation import quat_to_matrix
from lerobot_resip.envs.scenes import ONE_LEG_THREAD, TOP_HALF_WIDTH
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config

STAGES = ("top_cornered", "leg_lifted", "leg_upright", "stud_over_hole", "assembled")
path, n = sys.argv[1], int(sys.argv[2])
randomness = sys.argv[3] if len(sys.argv) > 3 else "low"
overrides = sys.argv[4:]
sim = make_sim(FurnitureEnvConfig(task="one_leg", randomness=randomness), n, 1000)
seeds = episode_seeds(1000, EVAL_SEEDS, 0, n)
reached = np.zeros((n, len(STAGES)), dtype=bool)
seats = np.asarray(ONE_LEG_THREAD.seats)


def record(first=0, live=None):
    parts = sim.observation()["environment_state"].reshape(n, -1, 7).astype(np.float64)
    top, leg, fixture = parts[:, 0, :3], parts[:, 4, :3], parts[:, 5, :3]
    cornered = fixture[:, :2] + [-FIXTURE_INNER_X - TOP_HALF_WIDTH, FIXTURE_INNER_Y - TOP_HALF_WIDTH]
    top_rot, leg_rot = quat_to_matrix(parts[:, 0, 3:]), quat_to_matrix(parts[:, 4, 3:])
    holes = top[:, None] + np.einsum("nij,hj->nhi", top_rot, seats)  # seated leg frames
    offset = leg[:, None] - holes
    over = (np.linalg.norm(offset[..., :2], axis=-1) < 0.005) & (offset[..., 2] < 0.03)
    upright = leg_rot[:, 2, 2] > np.cos(np.deg2rad(15))
    lifted = leg[:, 2] > 0.05
    reached[:, 0] |= (np.abs(top[:, :2] - cornered) < 0.01).all(axis=1)
    reached[:, 1] |= lifted
    reached[:, 2] |= lifted & upright
    reached[:, 3] |= over.any(axis=1) & upright
    reached[:, 4] |= sim.is_success()


if path == "expert":
    expert = make_expert("one_leg", n, seed=0)
    obs, done = sim.reset(seeds=seeds), np.zeros(n, dtype=bool)
    for _ in range(sim.max_episode_steps):
        obs, _, terminated, truncated, _ = sim.step(expert.act(obs), active=~done)
        record()
        done |= terminated | truncated
        if done.all():
            break
    result = {"unstable": None}
else:
    with contextlib.redirect_stdout(sys.stderr):
        policy, pre, post = load_policy(resolve_policy_config(path, overrides))
    result = evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=1000, record=record)
    result = {"successes": result["successes"], "unstable": result["physics_unstable"]}
print(json.dumps({"policy": path, "overrides": overrides, "randomness": randomness, "episodes": n, **result,
                  **{stage: float(reached[:, k].mean()) for k, stage in enumerate(STAGES)}}))
