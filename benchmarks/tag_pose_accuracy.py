"""Accuracy of the AprilTag part-pose estimator on rendered MuJoCo images; prints one JSON object.

The training simulator's peg_in_hole scene gets the default tag layout drawn on its parts
(`lerobot_resip.perception.sim_tags`); for each of `--poses` random scenes it renders the task's cameras
(`front` and `side`, fixed, and `wrist`, on the hand) at `--width` x `--height`, estimates both parts' poses from the
tags, fused over the cameras, and compares them with the true poses.

Random scenes (seeded): the parts at reset poses of the `med` randomness (+-5 cm, +-45 degrees); in every
second scene the peg is lifted instead, 2-25 cm above the table anywhere in the parts' area, tilted up to
45 degrees about a random horizontal axis and turned to any heading (as when carried); the arm at its home
posture plus up to +-0.2 rad per joint (so the wrist camera's viewpoint changes).

Usage: python benchmarks/tag_pose_accuracy.py [--poses 500] [--width 1280 --height 960] [--seed 0]
                                              [--cameras front side wrist]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from lerobot_resip.perception.sim_tags import TAG_CAMERAS, pose_errors


def summarize(result: dict) -> dict:
    out = {}
    for part, e in result["errors"].items():
        seen = len(e["pos_mm"])
        out[part] = {"seen": seen, "missed": e["missed"]}
        for name in ("pos_mm", "deg"):
            values = np.asarray(e[name])
            out[part][name] = (
                {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 90, 99)} if seen else None
            )
            if seen:
                out[part][name]["max"] = round(float(values.max()), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--poses", type=int, default=500)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=960)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cameras", nargs="+", default=list(TAG_CAMERAS), choices=list(TAG_CAMERAS))
    args = parser.parse_args()
    if args.poses < 1 or args.width < 16 or args.height < 16:
        parser.error("--poses must be >= 1 and the image at least 16 x 16")
    start = time.perf_counter()
    result = pose_errors(args.poses, args.width, args.height, args.seed, tuple(args.cameras))
    print(
        json.dumps(
            {
                "poses": args.poses,
                "image": [args.width, args.height],
                "seed": args.seed,
                "cameras": args.cameras,
                "parts": summarize(result),
                "render_ms_per_scene": round(1000 * result["render_s"], 1),
                "estimate_ms_per_scene": round(1000 * result["estimate_s"], 1),
                "wall_s": round(time.perf_counter() - start, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
