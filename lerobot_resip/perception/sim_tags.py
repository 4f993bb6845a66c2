"""AprilTags drawn on simulated parts, and calibrations of simulated cameras, for testing the tag estimator.

`add_tag_stickers` puts every tag of a layout on its part in a MuJoCo spec as a textured quad (visual only:
no contact, no mass), exactly at the tag's pose, so that an image rendered by MuJoCo shows the parts as a
calibrated camera would see tagged parts on a real bench. `mujoco_camera_calibration` gives the OpenCV
intrinsics and the mounting pose of a MuJoCo camera in the calibration format of `tags.load_calibration`.
`pose_errors` measures the estimator on rendered random scenes against the true poses (the tests and
`benchmarks/tag_pose_accuracy.py`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import cv2
import mujoco
import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import matrix_from_rotvec, quat_from_matrix, rotvec_from_matrix
from lerobot_resip.envs.tasks import get_task, sample_part_poses
from lerobot_resip.perception.tags import (
    HOLE_CARD_HALF,
    HOLE_CARD_THICKNESS,
    TAG_DICTIONARY,
    CameraCalibration,
    Tag,
    TagPoseEstimator,
    default_layout,
)

# The peg_in_hole scene's tag cameras and how each is mounted.
TAG_CAMERAS = {"front": "fixed", "side": "fixed", "wrist": "hand"}
PIXELS_PER_CELL = 16  # texture resolution: a tag36h11 marker is 8 cells wide with its border, 10 with the margin


def tag_texture_dir(layout: dict[str, list[Tag]]) -> Path:
    """PNG images of every tag (the black square and a one-cell white margin), written to a fresh directory."""
    out = Path(tempfile.mkdtemp(prefix="resip-tags-"))
    dictionary = cv2.aruco.getPredefinedDictionary(TAG_DICTIONARY)
    for tags in layout.values():
        for tag in tags:
            marker = cv2.aruco.generateImageMarker(dictionary, tag.id, 8 * PIXELS_PER_CELL, borderBits=1)
            image = cv2.copyMakeBorder(marker, *([PIXELS_PER_CELL] * 4), cv2.BORDER_CONSTANT, value=255)
            cv2.imwrite(str(out / f"tag{tag.id}.png"), cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    return out


def add_tag_stickers(
    spec: mujoco.MjSpec, layout: dict[str, list[Tag]], body_names: dict[str, str] | None = None
) -> Path:
    """Add every tag of `layout` to its part's body in `spec`; returns the directory of the textures.

    `body_names` maps a part to its body's name in the spec (default: the part's name). A part named `hole`
    also gets the white card its table tags are printed on.
    """
    texture_dir = tag_texture_dir(layout)
    for part, tags in layout.items():
        body = spec.body((body_names or {}).get(part, part))
        if part == "hole":
            body.add_geom(
                name="hole_tag_card",
                type=mujoco.mjtGeom.mjGEOM_BOX,
                size=[HOLE_CARD_HALF, HOLE_CARD_HALF, HOLE_CARD_THICKNESS / 2],
                pos=[0.0, 0.0, -0.010 + HOLE_CARD_THICKNESS / 2],
                rgba=[0.95, 0.95, 0.95, 1],
                contype=0,
                conaffinity=0,
                mass=0,
                group=1,
            )
        for tag in tags:
            _add_sticker(spec, body, tag, texture_dir)
    return texture_dir


def _add_sticker(spec: mujoco.MjSpec, body, tag: Tag, texture_dir: Path) -> None:
    name = f"tag{tag.id}"
    spec.add_texture(name=name, type=mujoco.mjtTexture.mjTEXTURE_2D, file=str(texture_dir / f"{name}.png"))
    material = spec.add_material(name=name)
    material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = name
    h = tag.size * 10 / 8 / 2  # the sticker: the marker plus its one-cell margin
    mesh = spec.add_mesh(name=name)
    # Tag frame: x right, y up in the printed image, z out of the face. The image's top-left corner is at
    # (-h, h); MuJoCo's texture coordinate v runs down the image rows.
    mesh.uservert = [-h, h, 0.0, h, h, 0.0, h, -h, 0.0, -h, -h, 0.0]
    mesh.usertexcoord = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    mesh.userface = [0, 3, 2, 0, 2, 1]
    mesh.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL
    body.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_MESH,
        meshname=name,
        material=name,
        pos=tag.position,
        quat=quat_from_matrix(tag.rotation),
        contype=0,
        conaffinity=0,
        mass=0,
        group=1,
    )


def mujoco_camera_calibration(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    camera: str,
    width: int,
    height: int,
    mount: str = "fixed",
    tool_site: str = "tcp",
    name: str | None = None,
) -> CameraCalibration:
    """OpenCV intrinsics (no distortion) and mounting pose of a MuJoCo camera rendered at width x height.

    A "hand" camera's pose is given in the frame of the site `tool_site` (the tool point); `data` must hold
    forward kinematics of any configuration.
    """
    cam = model.camera(camera)
    if cam.fovy[0] <= 0:
        raise ValueError(f"camera {camera!r} has no vertical field of view")
    focal = (height / 2) / np.tan(np.deg2rad(cam.fovy[0]) / 2)
    # OpenCV puts pixel centres on integers, so the optical axis crosses the image at ((w-1)/2, (h-1)/2).
    K = np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])  # noqa: N806 - OpenCV's name
    world_cam = np.eye(4)
    world_cam[:3, :3] = data.cam_xmat[cam.id].reshape(3, 3) @ np.diag([1.0, -1.0, -1.0])  # MuJoCo -> OpenCV axes
    world_cam[:3, 3] = data.cam_xpos[cam.id]
    if mount == "hand":
        site = model.site(tool_site).id
        world_tool = np.eye(4)
        world_tool[:3, :3] = data.site_xmat[site].reshape(3, 3)
        world_tool[:3, 3] = data.site_xpos[site]
        pose = np.linalg.inv(world_tool) @ world_cam
    else:
        pose = world_cam
    return CameraCalibration(name=name or camera, K=K, dist=np.zeros(5), mount=mount, pose=pose)


# ------------------------------------------------------------------------ accuracy on rendered scenes


class TaggedScene:
    """The training scene with tags, its cameras' calibration and a renderer (no shadows, no multisampling)."""

    def __init__(self, width: int, height: int, cameras: dict[str, str] = TAG_CAMERAS):
        spec = scenes.peg_in_hole_spec(0.0005)
        self.layout = default_layout("peg_in_hole")
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
        self.task = get_task("peg_in_hole")

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


def pose_errors(
    num_poses: int, width: int, height: int, seed: int = 0, cameras: tuple[str, ...] = tuple(TAG_CAMERAS)
) -> dict:
    """Per part: position (mm) and angle (degree) errors over the random scenes, and timings."""
    scene = TaggedScene(width, height, {name: TAG_CAMERAS[name] for name in cameras})
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
    shutil.rmtree(scene.texture_dir, ignore_errors=True)
    return {"errors": errors, "render_s": render_s / num_poses, "estimate_s": estimate_s / num_poses}
