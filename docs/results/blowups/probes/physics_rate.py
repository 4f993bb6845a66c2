"""`benchmarks/blowup_rate.py` on the gripper and wrist of an earlier commit (`recorded_physics.py`): the
fingers' kv FINGER_KV N s/m and the wrist clamped at WRIST_LIMIT N m (0: unclamped). Every other argument goes
to blowup_rate.

Usage (from the repository root): python docs/results/blowups/probes/physics_rate.py FINGER_KV WRIST_LIMIT <blowup_rate.py arguments>
"""
import os
import sys

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from benchmarks import blowup_rate  # noqa: E402
from recorded_physics import use_physics  # noqa: E402

FINGER_KV, WRIST_LIMIT = float(sys.argv.pop(1)), float(sys.argv.pop(1))
use_physics(FINGER_KV, WRIST_LIMIT)
print(f"physics_rate: finger kv {FINGER_KV:g} N s/m, wrist limit {WRIST_LIMIT:g} N m", file=sys.stderr, flush=True)
blowup_rate.main()
