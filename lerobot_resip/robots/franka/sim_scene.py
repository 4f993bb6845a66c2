"""A task's parts, tags and cameras added to franky-sim's FR3 scene (the franky-sim bench).

The parts are the training simulator's own bodies (`scenes.peg_in_hole_spec`: geometry, masses, contact
parameters), with the tags of `tags.default_layout` drawn on them; franky-sim's ground plane is the table
(z = 0, the robot base on it, as in the training simulator). What the training scene sets for contacts is
carried over: elliptic friction cones with impratio 10, and the training gripper's contact bits and
parameters on the FR3's collision geoms, so the hand touches the parts as it did in training. The cameras
are the task's `front` and `side` (fixed) and `wrist` (on the hand, at the same pose relative to the tool point).
"""

from __future__ import annotations

import copy
import shutil
import xml.etree.ElementTree as ET
from importlib import resources

import mujoco
import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import canonical_quat
from lerobot_resip.envs.tasks import assembled, get_task, sample_part_poses
from lerobot_resip.perception.sim_tags import add_tag_stickers, mujoco_camera_calibration
from lerobot_resip.perception.tags import CameraCalibration, default_layout

HAND_BODY = "robot0_hand"  # franky-sim prefixes the first robot's names with `robot0_`
TOOL_SITE = "tcp"
TOOL_OFFSET = 0.1034  # m, the Franka Hand's tool point from the hand frame (franky's F_T_EE)
GRIPPER_CLASS = "gripper_collision"  # the training arm's collision class (lerobot_resip/envs/assets/panda.xml)
CONTACT_ATTRIBUTES = ("contype", "conaffinity", "condim", "friction", "priority", "solref", "solimp")
CAMERAS = {"front": "fixed", "side": "fixed", "wrist": "hand"}


def training_contacts() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The training scene's contact settings as MJCF attributes: (option's friction cone, the table's
    solref/solimp, the gripper collision class's bits and parameters)."""
    with resources.as_file(scenes.ASSETS) as assets:
        task_xml = ET.parse(assets / "peg_in_hole.xml").getroot()
        arm_xml = ET.parse(assets / "panda.xml").getroot()
    option = {key: task_xml.find("option").get(key) for key in ("cone", "impratio")}
    table = task_xml.find("worldbody/geom[@name='table']")
    gripper = arm_xml.find(f".//default[@class='{GRIPPER_CLASS}']/geom")
    return (
        option,
        {key: table.get(key) for key in ("solref", "solimp")},
        {key: gripper.get(key) for key in CONTACT_ATTRIBUTES if gripper.get(key) is not None},
    )


class BenchScene:
    """The task's part of the bench: what the bench process needs to reset, read and judge the parts."""

    def __init__(self, task: str, model_xml: str, texture_dir):
        self.task = get_task(task)
        self.model_xml = model_xml
        self.texture_dir = texture_dir
        self._qpos_adr: dict[str, int] = {}
        self._dof_adr: dict[str, int] = {}
        self._bodies: list[int] = []

    def attach(self, sim) -> None:
        model = sim.model
        for part in self.task.parts:
            joint = model.joint(part)
            self._qpos_adr[part], self._dof_adr[part] = int(joint.qposadr[0]), int(joint.dofadr[0])
        self._bodies = [model.body(part).id for part in self.task.parts]

    def reset_parts(self, sim, randomness: str, seed: int) -> None:
        """Place the parts as the training simulator does for `seed`, at rest."""
        data = sim.data
        for part, (pos, quat) in sample_part_poses(self.task, randomness, np.random.default_rng(seed)).items():
            adr, dof = self._qpos_adr[part], self._dof_adr[part]
            data.qpos[adr : adr + 3] = pos
            data.qpos[adr + 3 : adr + 7] = quat
            data.qvel[dof : dof + 6] = 0.0
        mujoco.mj_forward(sim.model, data)

    def snapshot(self, sim) -> tuple[float, np.ndarray]:
        return float(sim.data.time), sim.data.qpos.copy()

    def part_poses(self, sim) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        data = sim.data
        return {
            part: (data.xpos[b].copy(), canonical_quat(data.xquat[b].copy()))
            for part, b in zip(self.task.parts, self._bodies, strict=True)
        }

    def assembled(self, sim) -> bool:
        data = sim.data
        return bool(assembled(self.task, data.xpos[self._bodies][None], data.xquat[self._bodies][None])[0])

    def cleanup(self) -> None:
        shutil.rmtree(self.texture_dir, ignore_errors=True)


def add_task_to_franky_scene(sim, task: str, clearance: float) -> BenchScene:
    """Add `task`'s parts (with tags), cameras and contact settings to a franky-sim `MujocoSimulator` before
    it starts. Returns the `BenchScene` to `attach` once the simulation is built."""
    if task != "peg_in_hole":
        raise ValueError(f"the franky-sim bench knows the parts of peg_in_hole only, not {task!r}")
    spec = scenes.peg_in_hole_spec(clearance)
    texture_dir = add_tag_stickers(spec, default_layout(task))
    ours = ET.fromstring(spec.to_xml())
    scene = sim.scene

    # Contacts as in training, read from the training scene so the two cannot drift apart: its friction
    # cones, its table's contact parameters on the ground, its gripper's on the FR3's collision geoms.
    option, table, gripper = training_contacts()
    scene_option = scene.find("option")
    if scene_option is None:
        scene_option = ET.SubElement(scene, "option")
    scene_option.attrib.update(option)
    for geom in sim.worldbody.iter("geom"):
        if geom.get("name") == "ground":
            geom.attrib.update(table)
    for default in scene.iter("default"):
        if default.get("class") == "collision":
            default.find("geom").attrib.update(gripper)

    # The parts' default class, the tag textures/materials/meshes, the part bodies and the front camera.
    scene.find("default").append(copy.deepcopy(ours.find("default").find(".//default[@class='part']")))
    asset = scene.find("asset")
    for element in ours.find("asset"):
        if (element.get("name") or "").startswith("tag"):
            asset.append(copy.deepcopy(element))
    worldbody = ours.find("worldbody")
    for part in get_task(task).parts:
        sim.worldbody.append(copy.deepcopy(worldbody.find(f"body[@name='{part}']")))
    for name, mount in CAMERAS.items():
        if mount == "fixed":
            sim.worldbody.append(copy.deepcopy(worldbody.find(f"camera[@name='{name}']")))

    # The tool point and the wrist camera on the FR3's hand (same hand frame as the training arm's).
    hand = next(b for b in sim.worldbody.iter("body") if b.get("name") == HAND_BODY)
    ET.SubElement(hand, "site", name=TOOL_SITE, pos=f"0 0 {TOOL_OFFSET}", size="0.004", group="4")
    wrist = next(c for c in ours.iter("camera") if c.get("name") == "wrist")
    hand.append(copy.deepcopy(wrist))
    return BenchScene(task, ET.tostring(scene, encoding="unicode"), texture_dir)


def render_model(model_xml: str, width: int, height: int) -> mujoco.MjModel:
    """The bench's scene compiled for rendering at width x height: no shadows, no multisampling.

    Shadow maps and 4x multisampling cost 14x the render time of a 1280 x 960 frame with Mesa's software
    renderer (192 ms against 14 ms) and change no tag pose estimate beyond 0.1 mm (docs/results).
    """
    model = mujoco.MjModel.from_xml_string(model_xml)
    model.vis.quality.shadowsize = 0
    model.vis.quality.offsamples = 0
    model.vis.global_.offwidth = max(int(model.vis.global_.offwidth), width)
    model.vis.global_.offheight = max(int(model.vis.global_.offheight), height)
    return model


def bench_calibration(
    model_xml: str, qpos: np.ndarray, sizes: dict[str, tuple[int, int]]
) -> dict[str, CameraCalibration]:
    """Calibration (intrinsics, mounting pose) of the bench's cameras rendered at {name: (width, height)}."""
    model = mujoco.MjModel.from_xml_string(model_xml)
    data = mujoco.MjData(model)
    data.qpos[:] = qpos
    mujoco.mj_forward(model, data)
    return {
        name: mujoco_camera_calibration(model, data, name, width, height, mount=CAMERAS[name], tool_site=TOOL_SITE)
        for name, (width, height) in sizes.items()
    }
