"""Deepest stud-bore contact of the one_leg expert's episodes, per expert phase; prints one JSON object.

Steps the batch one physics step at a time (as `tests/test_one_leg.py`'s penetration test does) and
records, for every contact between leg 4's stud and a bore wall, its depth and the expert's phase, and
the deepest contacts with their control step and normal force.

Usage: python docs/results/one_leg/stud_depth.py [seeds, default 7,8]
"""

import json
import sys

import mujoco
import numpy as np

from lerobot_resip.envs import expert_one_leg
from lerobot_resip.envs.expert import make_expert
from lerobot_resip.envs.sim import BatchedAssemblySim

PHASES = {value: name for name, value in vars(expert_one_leg).items()
          if name.isupper() and isinstance(value, int) and name not in ("TOP", "LEG", "FIXTURE")}

seeds = [int(seed) for seed in (sys.argv[1] if len(sys.argv) > 1 else "7,8").split(",")]
sim = BatchedAssemblySim("one_leg", len(seeds), clearance=0.0005, seed=seeds[0], num_threads=1)
model = sim.model
stud = model.geom("leg4_stud").id
bores = {i for i in range(model.ngeom) if "_bore_" in model.geom(i).name}
data, force = mujoco.MjData(model), np.zeros(6)
expert = make_expert("one_leg", len(seeds), seed=seeds[0])
deepest_by_phase: dict[str, float] = {}
deep_contacts = []
phase, control_step = np.zeros(len(seeds), dtype=int), [0]
batch_step = sim.batch.step


def step(ids=None, nstep=1, stage=0):
    for _ in range(nstep):
        batch_step(ids, nstep=1, stage=mujoco.mjtStage.mjSTAGE_VEL)
        for env in range(sim.num_envs):
            sim.get_data(env, data)
            for index, contact in enumerate(data.contact[: data.ncon]):
                pair = {int(contact.geom1), int(contact.geom2)}
                if stud in pair and pair & bores:
                    depth, name = -float(contact.dist), PHASES[int(phase[env])]
                    deepest_by_phase[name] = max(deepest_by_phase.get(name, 0.0), depth)
                    mujoco.mj_contactForce(model, data, index, force)
                    deep_contacts.append((round(depth * 1000, 3), seeds[env], control_step[0], name, round(float(force[0]), 1)))


sim.batch.step = step
obs = sim.reset(seeds=seeds)
done, succeeded = np.zeros(len(seeds), dtype=bool), np.zeros(len(seeds), dtype=bool)
for control_step[0] in range(sim.max_episode_steps):
    action = expert.act(obs)
    phase[:] = expert.phase
    obs, _, terminated, truncated, info = sim.step(action, active=~done)
    succeeded |= info["is_success"] & ~done
    done |= terminated | truncated
    if done.all():
        break
print(json.dumps({
    "seeds": seeds, "success": succeeded.tolist(), "control_steps": control_step[0] + 1,
    "deepest_mm_by_phase": {name: round(depth * 1000, 3) for name, depth in
                            sorted(deepest_by_phase.items(), key=lambda item: -item[1])},
    "deepest_contacts_mm_seed_step_phase_force_n": sorted(deep_contacts, reverse=True)[:6],
}))
