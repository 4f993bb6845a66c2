"""Where the joint-step limit (S4) slows one_leg's scripted expert: 50 seeded `med` episodes (seeds 0-49, expert
seed 0), and per expert phase the share of control steps in which the unlimited IK would have put a target of
joints 1-4 more than 0.075 rad ahead (so the limit scaled the step), with the median of those leads. Run from the
repository root: `PYTHONPATH=. python docs/results/blowups/probes/limit_by_phase.py`."""

import collections

import numpy as np

import lerobot_resip.envs.sim as sim_module
from lerobot_resip.envs import controller, expert_one_leg
from lerobot_resip.envs.expert import make_expert

PHASES = [
    "PUSH_X_ABOVE",
    "PUSH_X_DOWN",
    "PUSH_X",
    "RAISE_X",
    "PUSH_Y_ABOVE",
    "PUSH_Y_DOWN",
    "PUSH_Y",
    "RAISE_Y",
    "LEG_ABOVE",
    "LEG_DOWN",
    "LEG_CLOSE",
    "LEG_LIFT",
    "YAW",
    "ROLL",
    "CARRY",
    "INSERT",
    "PLACE_OPEN",
    "BACK_OFF",
    "SCREW_ABOVE",
    "SCREW_DOWN",
    "SCREW_CLOSE",
    "SCREW_TURN",
    "SCREW_OPEN",
    "RECOVER",
    "ROOM_ABOVE",
    "ROOM_DOWN",
    "ROOM_DRAG",
]  # noqa: SIM905 (expert_one_leg's phases, in order)
assert all(getattr(expert_one_leg, name) == value for value, name in enumerate(PHASES))
UNLIMITED = controller.DiffIKConfig(max_joint_step=None)
lead = {}


def diff_ik_recording_the_lead(jac, pos_err, rot_err, qpos, q_home, cfg):
    free = controller.diff_ik(jac, pos_err, rot_err, qpos, q_home, UNLIMITED) - qpos
    lead["joints_1_4"] = np.abs(free[:, :4]).max(axis=1)
    return controller.diff_ik(jac, pos_err, rot_err, qpos, q_home, cfg)


sim_module.diff_ik = diff_ik_recording_the_lead
n = 50
sim = sim_module.BatchedAssemblySim("one_leg", n, randomness="med", clearance=0.0005)
expert = make_expert("one_leg", n, seed=0)
obs = sim.reset(seeds=np.arange(n))
steps, limited, leads = collections.Counter(), collections.Counter(), collections.defaultdict(list)
done = np.zeros(n, dtype=bool)
for _ in range(sim.max_episode_steps):
    action = expert.act(obs)
    phase = expert.phase.copy()
    obs, _, terminated, truncated, _ = sim.step(action, active=~done)
    for env in np.flatnonzero(~done):
        name = PHASES[phase[env]]
        steps[name] += 1
        if lead["joints_1_4"][env] > 0.075:
            limited[name] += 1
            leads[name].append(lead["joints_1_4"][env])
    done |= terminated | truncated
    if done.all():
        break
for name in steps:
    if limited[name]:
        print(
            f"{name:13s} steps {steps[name]:6d} limited {limited[name]:5d} ({100 * limited[name] / steps[name]:.1f}%) "
            f"median free lead {np.median(leads[name]):.3f}"
        )
