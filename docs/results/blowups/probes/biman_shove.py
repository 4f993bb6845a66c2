"""biman_insert with and without the joint-step limit (S4): per seed, the scripted expert's episode until the peg is
inserted, then `tests/test_biman_insert.py`'s shove (the left tool 3 mm along the hole's axis and 3 mm sideways,
then 3 mm down, 25 control steps each, both grippers closed), and the deepest peg-wall contact (mm), 0.5 mm
clearance. Run from the repository root: `PYTHONPATH=. python docs/results/blowups/probes/biman_shove.py 1 2 ...`."""

import sys

sys.path.insert(0, "tests")
from test_clearance import PenetrationProbe  # noqa: E402

from lerobot_resip.envs.controller import DiffIKConfig  # noqa: E402
from lerobot_resip.envs.expert import make_expert  # noqa: E402
from lerobot_resip.envs.sim import BatchedAssemblySim  # noqa: E402

for name, ik in (("unlimited", DiffIKConfig(max_joint_step=None)), ("joints 1-4 at 0.075 rad", DiffIKConfig())):
    for seed in (int(s) for s in sys.argv[1:]):
        sim = BatchedAssemblySim("biman_insert", 1, clearance=0.0005, seed=seed, num_threads=1, ik=ik)
        probe = PenetrationProbe(sim)
        expert = make_expert("biman_insert", 1, seed=seed)
        obs = sim.reset()
        for _ in range(sim.max_episode_steps):
            obs, _, terminated, _, _ = sim.step(expert.act(obs))
            if terminated.any():
                break
        inserted = probe.deepest
        hold = sim.hold_action()
        hold[:, [9, 19]] = 1.0
        for offset in ([0.003, 0.003, 0.0], [0.003, 0.0, -0.003]):
            shove = hold.copy()
            shove[:, :3] += offset
            for _ in range(25):
                sim.step(shove)
        print(f"{name}: seed {seed}, deepest {1000 * inserted:.3f} mm while inserting, {1000 * probe.deepest:.3f} mm "
              f"after the shove", flush=True)
