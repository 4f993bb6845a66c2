"""How deep the peg sinks into the hole's walls during peg_in_hole's scripted insertions, per seed, against the
clearance (the fit is real only where the deepest contact stays below it).

    python benchmarks/penetration_depth.py [--clearance-mm 0.5] [--seeds 24] [--unlimited-joint-step]

Each seed runs two expert episodes (`BatchedAssemblySim(..., seed=s)`, expert seeded with s) until both are
inserted, stepping the physics one substep at a time (`tests/test_clearance.py`'s insertion and probe) and recording the
deepest peg-wall contact. Prints one JSON line. `--unlimited-joint-step` uses the IK without its joint-step
limit (the controller before it), for a comparison in the same run.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_clearance import expert_insertion  # noqa: E402

from lerobot_resip.envs.controller import DiffIKConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clearance-mm", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, default=24, help="seeds 1..N")
    parser.add_argument("--unlimited-joint-step", action="store_true")
    args = parser.parse_args()
    ik = DiffIKConfig(max_joint_step=None) if args.unlimited_joint_step else DiffIKConfig()
    depths = np.array([expert_insertion(args.clearance_mm, s, ik)[1].deepest for s in range(1, args.seeds + 1)]) * 1000
    print(json.dumps({"clearance_mm": args.clearance_mm, "joint_step_limit": ik.max_joint_step is not None,
                      "seeds": [1, args.seeds], "deepest_mm": np.round(depths, 3).tolist(),
                      "max_mm": round(float(depths.max()), 3), "median_mm": round(float(np.median(depths)), 3),
                      "seeds_deeper_than_clearance": int((depths > args.clearance_mm).sum())}))


if __name__ == "__main__":
    main()
