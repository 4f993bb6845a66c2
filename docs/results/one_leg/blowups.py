"""Which degree of freedom and which contacts blow up in one_leg rollouts, and what changes the count.

Runs a checkpoint (or the scripted expert) on held-out seeded `low` episodes, as `lerobot-resip-eval`
does (seed 1000, 700 control steps), counts the episodes that end in a physics blow-up by the degree
of freedom whose speed tripped the check (`MAX_SPEED`), then replays the first `--diagnose` of them
alone from their seeds and recorded actions, the last control step one physics substep at a time
(`benchmarks/blowup_rate.py`'s `diagnose`): the contacts at the last good substep (pair, depth, normal
force) and the fastest speed by substep. Variants of the physics, each alone, for what-if runs:
  --arm_torque_limits [N1,...,N7]  the arm's position servos clamped at these joint torques (N m; no
                        value: Franka's limits, 87 on joints 1-4 and 12 on 5-7; the shipped servos have none)
  --timestep S          physics step in seconds (shipped: 0.0025; the control rate stays 10 Hz)
  --contact_timeconst S solref time constant of every contact that uses the shipped 5 ms
Usage, from the repository root:
    PYTHONPATH=. .venv/bin/python docs/results/one_leg/blowups.py <checkpoint|expert> <episodes> <envs>
        [--diagnose K] [variant flags] [-- resip config overrides, e.g. --base_noise_scale=0]
Prints one JSON object.
"""

import argparse
import contextlib
import dataclasses
import json
import sys
from collections import Counter

import numpy as np

from benchmarks import blowup_rate
from lerobot_resip.envs import sim as sim_module
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import get_task
from lerobot_resip.rl.rollout import PolicyIO, evaluate
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds, load_policy, resolve_policy_config

FRANKA_TORQUE_LIMITS = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)  # N m, joints 1-7

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("policy", help="a diffusion or resip checkpoint (pretrained_model), or `expert`")
parser.add_argument("episodes", type=int)
parser.add_argument("envs", type=int)
parser.add_argument("--diagnose", type=int, default=0, help="blow-ups to replay and diagnose")
parser.add_argument("--arm_torque_limits", nargs="?", const=",".join(map(str, FRANKA_TORQUE_LIMITS)), default=None,
                    metavar="N1,...,N7", help="clamp the arm servos (N m per joint; no value: Franka's)")
parser.add_argument("--timestep", type=float, default=None)
parser.add_argument("--contact_timeconst", type=float, default=None)
args, overrides = parser.parse_known_args()
overrides = [o for o in overrides if o != "--"]

task = get_task("one_leg")


def build_variant(clearance):
    model = task.build_model(clearance)
    if args.arm_torque_limits:
        for joint, limit in enumerate(map(float, args.arm_torque_limits.split(",")), start=1):
            actuator = model.actuator(f"joint{joint}").id
            model.actuator_forcelimited[actuator] = 1
            model.actuator_forcerange[actuator] = (-limit, limit)
    if args.timestep:
        model.opt.timestep = args.timestep
    if args.contact_timeconst:
        shipped = np.isclose(model.geom_solref[:, 0], 0.005)
        model.geom_solref[shipped, 0] = args.contact_timeconst
    return model


# Every sim below (the batch and the 1-env replays) gets the variant.
sim_module.get_task = lambda name: dataclasses.replace(task, build_model=build_variant)


def make_sim(num_envs, threads):
    return BatchedAssemblySim("one_leg", num_envs, randomness="low", max_episode_steps=700, num_threads=threads)


class BlowupRecorder:
    """Wraps a sim's reset and step: keeps each batch's seeds and actions, and every blow-up's seed, actions
    and fastest degree of freedom."""

    def __init__(self, sim):
        self.sim, self.reset_sim, self.step_sim, self.blown_up = sim, sim.reset, sim.step, sim._blown_up
        sim.reset, sim.step, sim._blown_up = self.reset, self.step, self.check
        self.blowups, self.by_dof, self.successes = [], Counter(), 0

    def reset(self, seeds=None, **kwargs):
        self.seeds, self.actions = list(seeds), []
        return self.reset_sim(seeds=seeds, **kwargs)

    def check(self):
        bad = self.blown_up()
        for env in np.flatnonzero(bad):
            speed = np.nan_to_num(np.abs(self.sim._qvel[env]), nan=np.inf)
            self.by_dof[blowup_rate.dof_name(self.sim.model, int(np.argmax(speed)))] += 1
        return bad

    def step(self, action, active=None, **kwargs):
        self.actions.append(np.array(action, dtype=np.float64))
        out = self.step_sim(action, active=active, **kwargs)
        info = out[4]
        active = np.ones(len(self.seeds), dtype=bool) if active is None else np.asarray(active)
        self.successes += int((info["is_success"] & active).sum())
        for env in np.flatnonzero(info["physics_unstable"] & active):
            self.blowups.append((int(self.seeds[env]), np.stack(self.actions)[:, env]))
        return out


seeds = episode_seeds(1000, EVAL_SEEDS, 0, args.episodes)
sim = make_sim(args.envs, 0)
recorder = BlowupRecorder(sim)
if args.policy == "expert":
    for first in range(0, args.episodes, args.envs):
        batch = seeds[first : first + args.envs]
        expert = make_expert("one_leg", len(batch), seed=0)
        obs, done = sim.reset(seeds=batch), np.zeros(len(batch), dtype=bool)
        for _ in range(sim.max_episode_steps):
            obs, _, terminated, truncated, _ = sim.step(expert.act(obs), active=~done)
            done |= terminated | truncated
            if done.all():
                break
else:
    with contextlib.redirect_stdout(sys.stderr):
        policy, pre, post = load_policy(resolve_policy_config(args.policy, overrides))
    evaluate(policy, PolicyIO(pre, post), sim, seeds, sampling_seed=1000)

replay = make_sim(1, 1)
blowup_rate.phase = lambda sim, action, contacts: {"gripper_commanded_closed": bool(action[9] > 0)}
diagnoses = []
for seed, actions in recorder.blowups[: args.diagnose]:
    report = blowup_rate.diagnose(replay, seed, actions)
    diagnoses.append({"seed": seed, **{k: report.get(k) for k in (
        "step", "reproduced", "check", "dof", "substep", "phase", "command", "contacts_last_good_substep",
        "speed_by_substep")}})
print(json.dumps({
    "policy": args.policy, "overrides": overrides, "episodes": args.episodes,
    "variant": {"arm_torque_limits": args.arm_torque_limits, "timestep": args.timestep,
                "contact_timeconst": args.contact_timeconst},
    "successes": recorder.successes, "blowups": len(recorder.blowups), "by_dof": dict(recorder.by_dof),
    "diagnosed": diagnoses,
}, indent=1))
