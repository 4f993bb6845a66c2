"""Where the one_leg base fails: the scripted expert plays each held-out episode up to a stage, then the base takes
over for the rest of the episode. The base's success from each hand-over point splits its failures by stage.

Hand-over points (the expert's phase when the base takes over): `start` (the base plays the whole episode),
`leg` (the top is in the fixture's corner; the expert is above the lying leg), `lifted` (the leg grasped and
lifted), `carry` (the leg upright in the hand, before it is carried to the hole), `insert` (the stud aligned
within 0.2 mm over the hole, 8 mm above its resting height, about to be lowered), `screw` (the leg rests on the
thread's first crest, released: only the screwing is left). Also reported, for the episodes the base plays:
how close to a hole's axis the stud's end came while it was upright and less than 5 mm above the bore's mouth
(`stud_miss_mm`: percentiles over the episodes that got there; `stud_miss_mm_failed`: over those that failed), in how
many the stud came down onto a crest (`stud_on_crest`) and in how many the base ever commanded the hand open
(`opened_hand`). Usage, from the repository root:
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/handover.py <checkpoint> <episodes> <point> [--sample_residual] [--hold=N] [--policy flags]
`--sample_residual` plays a sample of the residual (its exploration noise, `--init_log_std` or `--init_log_std_per_dim`
for a fresh one) instead of its mean; `--hold=N` holds each draw for N steps, as `lerobot-resip-train
--exploration_hold_steps` (the steps counted from the first hand-over). `success_ids` lists the episodes that succeed.
An episode whose expert never reaches the point (within the episode) is counted apart (`not_reached`).
"""

import contextlib
import json
import sys
import time

import numpy as np
import torch

from lerobot_resip.envs import expert_one_leg as phases
from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.rl.rollout import PolicyIO, wilson_interval
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, make_sim, resolve_policy_config
from stud_geometry import STUD_LENGTH, stud_offsets

POINTS = {"start": phases.PUSH_X_ABOVE, "leg": phases.LEG_ABOVE, "lifted": phases.YAW, "carry": phases.CARRY,
          "insert": phases.INSERT, "screw": phases.SCREW_ABOVE}
CRESTED = 0.0003  # m, a stud this close to the axis inside the bore
path, n, point = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sample_residual = "--sample_residual" in sys.argv[4:]
hold = int(next((arg.split("=", 1)[1] for arg in sys.argv[4:] if arg.startswith("--hold=")), 1))
overrides = [arg for arg in sys.argv[4:] if arg != "--sample_residual" and not arg.startswith("--hold=")]
start = time.perf_counter()
sim = make_sim(FurnitureEnvConfig(task="one_leg", randomness="low"), n, 1000)
seeds = episode_seeds(1000, EVAL_SEEDS, 0, n)
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, overrides))
io = PolicyIO(pre, post)
policy.eval()
expert = make_expert("one_leg", n, seed=0)
generator = torch.Generator(device=policy.config.device).manual_seed(1000)
noise = None  # the exploration draw, held for `hold` steps of play
played_steps = 0

obs = sim.reset(seeds=seeds)
policy.reset()
done = np.zeros(n, dtype=bool)
handed = np.zeros(n, dtype=bool)
handed_at = np.full(n, -1)
success = np.zeros(n, dtype=bool)
miss = np.full(n, np.inf)  # m, the stud's closest approach to a hole's axis at the bore's mouth
on_crest = np.zeros(n, dtype=bool)  # the stud's end came down onto a crest (or further) on a hole's axis
opened = np.zeros(n, dtype=bool)  # the base commanded the hand open at least once
unstable = 0


def stud_miss(obs) -> tuple[np.ndarray, np.ndarray]:
    """(n,) lateral distance (m) of the stud's end from the nearest hole axis, inf unless upright at the mouth;
    (n,) whether the stud is down on a crest (or further) on a hole's axis."""
    lateral, height, cos_tilt = stud_offsets(obs["environment_state"])
    lateral = np.linalg.norm(lateral, axis=-1)
    at_mouth = (height < STUD_LENGTH + 0.005) & (cos_tilt > np.cos(np.deg2rad(15)))[:, None]
    return np.where(at_mouth, lateral, np.inf).min(axis=1), ((lateral < CRESTED) & (height < phases.REST_HEIGHT + 0.001)).any(axis=1)


for t in range(sim.max_episode_steps):
    action = expert.act(obs)
    newly = ~handed & ~done & (expert.phase == POINTS[point])
    handed |= newly
    handed_at[newly] = t
    playing = handed & ~done
    if playing.any():
        with torch.no_grad():
            if played_steps % hold == 0:
                noise = None
            step = policy.act(io.batch(obs), deterministic=not sample_residual, generator=generator, noise=noise,
                              active=torch.as_tensor(playing, device=policy.config.device))
            noise, played_steps = step.noise, played_steps + 1
        action[playing] = io.env_action(step.action)[playing]
    obs, _, terminated, truncated, info = sim.step(action, active=~done)
    closest, crested = stud_miss(obs)
    miss = np.where(playing, np.minimum(miss, closest), miss)
    on_crest |= playing & crested
    opened |= playing & (action[:, -1] < 0)
    ended = ~done & (terminated | truncated)
    success |= ended & info["is_success"] & handed  # the expert's own successes before the hand-over do not count
    unstable += int((ended & info["physics_unstable"] & handed).sum())
    done |= ended
    if done.all():
        break
k, m = int(success.sum()), int(handed.sum())


def percentiles_mm(values):
    return {f"p{q}": round(float(np.percentile(values, q)) * 1000, 2) for q in (10, 25, 50, 75, 90)} if len(values) else None


got_there = handed & np.isfinite(miss)
print(json.dumps({"policy": path, "overrides": overrides, "sample_residual": sample_residual, "hold": hold, "point": point, "episodes": n, "handed_over": m,
                  "not_reached": n - m, "successes": k, "success_rate_of_handed": k / max(m, 1),
                  "ci95": wilson_interval(k, m), "mean_handover_step": float(handed_at[handed].mean()) if m else None,
                  "unstable_after_handover": unstable,
                  "stud_at_mouth": int(got_there.sum()), "stud_on_crest": int(on_crest.sum()),
                  "opened_hand": int(opened.sum()),
                  "stud_miss_mm": percentiles_mm(miss[got_there]),
                  "stud_at_mouth_failed": int((got_there & ~success).sum()),
                  "stud_miss_mm_failed": percentiles_mm(miss[got_there & ~success]), "success_ids": np.flatnonzero(success).tolist(), "wall_s": round(time.perf_counter() - start, 1)}))
