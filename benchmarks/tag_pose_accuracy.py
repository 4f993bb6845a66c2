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

import mujoco
import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import matrix_from_rotvec, quat_from_matrix, rotvec_from_matrix
from lerobot_resip.envs.tasks import get_task, sample_part_poses
from lerobot_resip.perception.sim_tags import add_tag_stickers, mujoco_camera_calibration
from lerobot_resip.perception.tags import TagPoseEstimator, default_layout

TASK = "peg_in_hole"
CAMERAS = {"front": "fixed", "side": "fixed", "wrist": "hand"}


class TaggedScene:
    """The training scene with tags, its cameras' calibration and a renderer (no shadows, no multisampling)."""

    def __init__(self, width: int, height: int, cameras: dict[str, str] = CAMERAS):
        spec = scenes.peg_in_hole_spec(0.0005)
        self.layout = default_layout(TASK)
        self.texture_dir = add_tag_stickers(spec, self.layout)
        spec.visual.global_.offwidth, spec.visual.global_.offheight = max(width, 640), max(height, 480)
        self.model = spec.compile()
        self.model.vis.quality.shadowsize = 0
        self.model.vis.quality.offsamples = 0
        self.data = mujoco.MjData(self.model)
        self.home = self.model.key("home")
        mujoco.mj_resetDataKeyframe(self.model, self.data, self.home.id)
        mujoco.mj_forward(self.model, self.data)
        self.calibration = {
            name: mujoco_camera_calibration(self.model, self.data, name, width, height, mount=mount)
            for name, mount in cameras.items()
        }
        self.renderer = mujoco.Renderer(self.model, height, width)
        self.tcp = self.model.site("tcp").id
        self.task = get_task(TASK)

    def randomize(self, rng: np.random.Generator, lifted: bool) -> None:
        m, d = self.model, self.data
        mujoco.mj_resetDataKeyframe(m, d, self.home.id)
        d.qpos[:7] += rng.uniform(-0.2, 0.2, 7)
        for part, (pos, quat) in sample_part_poses(self.task, "med", rng).items():
            if part == "peg" and lifted:
                pos = np.array([rng.uniform(0.35, 0.65), rng.uniform(-0.2, 0.25), rng.uniform(0.02, 0.25)])
                axis = np.array([*rng.normal(size=2), 0.0])
                tilt = matrix_from_rotvec(axis / np.linalg.norm(axis) * np.deg2rad(rng.uniform(0, 45)))
                quat = quat_from_matrix(tilt @ matrix_from_rotvec([0.0, 0.0, rng.uniform(-np.pi, np.pi)]))
            adr = m.joint(part).qposadr[0]
            d.qpos[adr : adr + 3], d.qpos[adr + 3 : adr + 7] = pos, quat
        mujoco.mj_forward(m, d)

    def render(self) -> dict[str, np.ndarray]:
        images = {}
        for name in self.calibration:
            self.renderer.update_scene(self.data, camera=name)
            images[name] = self.renderer.render().copy()
        return images

    def tool_pose(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data.site_xpos[self.tcp].copy(), self.data.site_xmat[self.tcp].reshape(3, 3).copy()

    def true_pose(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        body = self.model.body(part).id
        return self.data.xpos[body].copy(), self.data.xmat[body].reshape(3, 3).copy()


def pose_errors(num_poses: int, width: int, height: int, seed: int = 0, cameras: tuple[str, ...] = tuple(CAMERAS)) -> dict:
    """Per part: position (mm) and angle (degree) errors over the random scenes, and timings."""
    scene = TaggedScene(width, height, {name: CAMERAS[name] for name in cameras})
    estimator = TagPoseEstimator(scene.calibration, scene.layout)
    rng = np.random.default_rng(seed)
    errors = {part: {"pos_mm": [], "deg": [], "missed": 0} for part in scene.task.parts}
    render_s = estimate_s = 0.0
    for i in range(num_poses):
        scene.randomize(rng, lifted=i % 2 == 1)
        start = time.perf_counter()
        images = scene.render()
        mid = time.perf_counter()
        estimates = estimator.estimate(images, scene.tool_pose())
        render_s += mid - start
        estimate_s += time.perf_counter() - mid
        for part, found in estimates.items():
            if found is None:
                errors[part]["missed"] += 1
                continue
            true_pos, true_rot = scene.true_pose(part)
            errors[part]["pos_mm"].append(1000 * float(np.linalg.norm(found[0] - true_pos)))
            errors[part]["deg"].append(float(np.degrees(np.linalg.norm(rotvec_from_matrix(found[1] @ true_rot.T)))))
    scene.renderer.close()
    return {"errors": errors, "render_s": render_s / num_poses, "estimate_s": estimate_s / num_poses}


def summarize(result: dict) -> dict:
    out = {}
    for part, e in result["errors"].items():
        seen = len(e["pos_mm"])
        out[part] = {"seen": seen, "missed": e["missed"]}
        for name in ("pos_mm", "deg"):
            values = np.asarray(e[name])
            out[part][name] = {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 90, 99)} if seen else None
            if seen:
                out[part][name]["max"] = round(float(values.max()), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--poses", type=int, default=500)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=960)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cameras", nargs="+", default=list(CAMERAS), choices=list(CAMERAS))
    args = parser.parse_args()
    if args.poses < 1 or args.width < 16 or args.height < 16:
        parser.error("--poses must be >= 1 and the image at least 16 x 16")
    start = time.perf_counter()
    result = pose_errors(args.poses, args.width, args.height, args.seed, tuple(args.cameras))
    print(json.dumps({
        "poses": args.poses, "image": [args.width, args.height], "seed": args.seed, "cameras": args.cameras,
        "parts": summarize(result),
        "render_ms_per_scene": round(1000 * result["render_s"], 1),
        "estimate_ms_per_scene": round(1000 * result["estimate_s"], 1),
        "wall_s": round(time.perf_counter() - start, 1),
    }, indent=1))


if __name__ == "__main__":
    main()
