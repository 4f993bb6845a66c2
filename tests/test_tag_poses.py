"""AprilTag part poses: the layout, the calibration file, accuracy on rendered MuJoCo scenes, and the franky-sim
bench with tagged parts seen through the `mujoco_sim` camera plugin by the `franka` robot."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import quat_to_matrix, rotvec_from_matrix
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.perception.sim_tags import pose_errors
from lerobot_resip.perception.tags import (
    STICKER_THICKNESS,
    CameraCalibration,
    TagPoseEstimator,
    default_layout,
    load_calibration,
    save_calibration,
)


def test_default_layout_sits_on_the_parts():
    layout = default_layout("peg_in_hole")
    ids = [tag.id for tags in layout.values() for tag in tags]
    assert len(ids) == len(set(ids)) == 17  # peg 0-8, hole 10-17
    half = np.array([scenes.PEG_HALF_WIDTH, scenes.PEG_HALF_WIDTH, scenes.PEG_HALF_LENGTH]) + STICKER_THICKNESS
    for tag in layout["peg"]:
        corners = tag.corners()
        assert np.all(np.abs(corners) <= half + 1e-9)  # inside the peg's (sticker-thick) box
        normal = tag.rotation[:, 2]
        # the face's plane: every corner on the box face the tag's normal points out of
        assert np.allclose(corners @ normal, half @ np.abs(normal))


def test_calibration_file_round_trip_and_errors(tmp_path):
    cam = CameraCalibration("front", np.diag([600.0, 600.0, 1.0]), np.zeros(5), "fixed", np.eye(4))
    path = tmp_path / "bench.json"
    save_calibration(path, {"front": cam})
    cameras, layout = load_calibration(path, "peg_in_hole")
    assert set(cameras) == {"front"} and np.allclose(cameras["front"].K, cam.K)
    assert [t.id for t in layout["peg"]] == [t.id for t in default_layout("peg_in_hole")["peg"]]
    bad = json.loads(path.read_text())
    bad["cameras"]["front"]["mount"] = "ceiling"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="mount 'ceiling'") as err:
        load_calibration(path, "peg_in_hole")
    assert "\n" not in str(err.value)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read the tag calibration"):
        load_calibration(path, "peg_in_hole")
    hand = CameraCalibration("wrist", np.eye(3), np.zeros(5), "hand", np.eye(4))
    with pytest.raises(ValueError, match="needs the tool pose"):
        TagPoseEstimator({"wrist": hand}, default_layout("peg_in_hole")).estimate(
            {"wrist": np.zeros((8, 8, 3), np.uint8)}
        )


def test_estimates_match_true_poses_on_rendered_scenes():
    """12 random scenes (parts on the table or the peg lifted and tilted), three cameras at 1280 x 960."""
    result = pose_errors(12, 1280, 960, seed=1)
    for part, e in result["errors"].items():
        assert e["missed"] == 0, part
        assert np.median(e["pos_mm"]) < 2.0 and np.median(e["deg"]) < 2.0, (part, e)
        assert max(e["pos_mm"]) < 5.0, (part, e["pos_mm"])


def test_a_lone_face_far_away_is_refused_not_mirrored():
    """One camera, one tag of the peg seen from 1 m: IPPE's two poses fit about equally; no pose is returned
    rather than a possibly mirrored one. A second view of another face settles it."""
    import cv2

    layout = default_layout("peg_in_hole")
    K = np.array([[1159.0, 0, 639.5], [0, 1159.0, 479.5], [0, 0, 1]])  # noqa: N806 - OpenCV's name
    tag = next(t for t in layout["peg"] if t.id == 1)  # the +x face, upper

    def camera(name, position, look_at):
        z = look_at - position
        z /= np.linalg.norm(z)
        x = np.cross(z, [0.0, 0.0, 1.0])
        x /= np.linalg.norm(x)
        pose = np.eye(4)
        pose[:3, :3], pose[:3, 3] = np.column_stack([x, np.cross(z, x), z]), position
        return CameraCalibration(name, K, np.zeros(5), "fixed", pose)

    peg_pos = np.array([0.45, 0.15, 0.035])
    front = camera("front", np.array([1.45, 0.15, 0.035]), peg_pos)  # straight at the +x face, 1 m away

    def corners(cam, t):
        world = t.corners() + peg_pos
        cam_from_base = np.linalg.inv(cam.pose)
        pixels, _ = cv2.projectPoints(
            world @ cam_from_base[:3, :3].T + cam_from_base[:3, 3], np.zeros(3), np.zeros(3), K, None
        )
        return pixels.reshape(4, 2) + np.random.default_rng(t.id).normal(0, 0.15, (4, 2))

    estimator = TagPoseEstimator({"front": front}, layout)
    estimator.detect = lambda image: {tag.id: corners(front, tag)}
    assert estimator.estimate({"front": None})["peg"] is None
    side = camera("side", np.array([0.45, 1.15, 0.035]), peg_pos)  # at the +y face
    side_tag = next(t for t in layout["peg"] if t.id == 3)
    estimator = TagPoseEstimator({"front": front, "side": side}, layout)
    views = {"front": {tag.id: corners(front, tag)}, "side": {side_tag.id: corners(side, side_tag)}}
    estimator.detect = lambda image: views[image]
    found = estimator.estimate({"front": "front", "side": "side"})["peg"]
    assert found is not None and np.linalg.norm(found[0] - peg_pos) < 0.002
    assert np.degrees(np.linalg.norm(rotvec_from_matrix(found[1]))) < 5.0  # a mirror pose is tens of degrees off


def test_a_degenerate_start_is_no_candidate_and_raises_nothing():
    """A single-view PnP start with NaNs (a degenerate view) must not end the evaluation with numpy's "SVD did
    not converge"; it is dropped like a pose behind the camera."""
    from lerobot_resip.perception.tags import _FusedPnP

    problem = _FusedPnP.__new__(_FusedPnP)
    problem.cam = np.repeat(np.eye(4)[None], 4, axis=0)  # camera at the base origin, looking along +z
    problem.obj = np.array([[-0.01, -0.01, 0.0], [0.01, -0.01, 0.0], [0.01, 0.01, 0.0], [-0.01, 0.01, 0.0]])
    problem.target = problem.obj[:, :2] / 0.5
    problem.focal = np.full((4, 2), 600.0)
    problem.size = 8
    pos, rot, cost = problem.refine(np.array([0.0, 0.0, 0.5]), np.eye(3))
    assert cost < 1e-12 and np.allclose(pos, [0.0, 0.0, 0.5])
    _, _, cost = problem.refine(np.array([np.nan, 0.0, 0.5]), np.eye(3))
    assert cost == float("inf")


def test_an_unseen_part_is_none():
    layout = default_layout("peg_in_hole")
    cam = CameraCalibration(
        "front", np.array([[600.0, 0, 320], [0, 600, 240], [0, 0, 1]]), np.zeros(5), "fixed", np.eye(4)
    )
    out = TagPoseEstimator({"front": cam}, layout).estimate({"front": np.full((480, 640, 3), 200, np.uint8)})
    assert out == {"peg": None, "hole": None}


# ------------------------------------------------------------------------------------- franky-sim bench


def test_bench_parts_cameras_and_robot_observation(tmp_path):
    """The bench places the parts as the training simulator does for a seed; the `mujoco_sim` cameras show
    them; the `franka` robot observes their poses (tags, policy frame) within 2 mm and 2 degrees."""
    from lerobot_resip.cameras.mujoco_sim import MujocoSimCameraConfig
    from lerobot_resip.robots.franka import Franka, FrankaConfig
    from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, FrankySimBench
    from lerobot_resip.robots.franka.sim_scene import bench_calibration

    with FrankySimBench(BenchConfig(task="peg_in_hole", seed=3)) as bench:
        client = bench.client()
        seed_env = BatchedAssemblySim("peg_in_hole", 1, seed=3, num_threads=1).reset()["environment_state"][0]
        true = client.part_poses()
        np.testing.assert_allclose(true["peg"][0][:2], seed_env[:2], atol=1e-4)  # the same reset for seed 3
        np.testing.assert_allclose(true["hole"][0][:2], seed_env[7:9], atol=1e-4)
        assert not client.assembled()
        # The contacts are the training scene's (read from its MJCF, so a change there reaches the bench).
        trained = scenes.build_peg_in_hole(0.0005)
        bench_model = mujoco.MjModel.from_xml_string(client.model_xml())
        np.testing.assert_allclose(bench_model.geom("ground").solref, trained.geom("table").solref)
        pads = [g for g in range(bench_model.ngeom) if bench_model.geom_contype[g] == trained.geom("left_pad").contype]
        assert pads, "the FR3's collision geoms carry the training gripper's contact bits"
        for g in pads:
            np.testing.assert_allclose(bench_model.geom_solref[g], trained.geom("left_pad").solref)
            np.testing.assert_allclose(bench_model.geom_solimp[g], trained.geom("left_pad").solimp)
        for part in ("peg", "hole"):  # their colliding geoms, tags (visual only) aside
            solrefs = [
                model.geom_solref[
                    (model.geom_bodyid == model.body(part).id) & (model.geom_contype | model.geom_conaffinity > 0)
                ]
                for model in (bench_model, trained)
            ]
            np.testing.assert_allclose(*solrefs)
        assert bench_model.opt.cone == trained.opt.cone and bench_model.opt.impratio == trained.opt.impratio

        sizes = {"front": (1280, 960), "side": (1280, 960), "wrist": (640, 480)}
        _, qpos = client.state()
        calibration = bench_calibration(client.model_xml(), qpos, sizes)
        calib_path = tmp_path / "bench.json"
        save_calibration(calib_path, calibration)
        cameras = {
            name: MujocoSimCameraConfig(bench_address=bench.address, camera=name, width=w, height=h, fps=10)
            for name, (w, h) in sizes.items()
        }
        robot = Franka(
            FrankaConfig(
                robot_ip=bench.hostname,
                enforce_realtime=False,
                cameras=cameras,
                task="peg_in_hole",
                tag_calibration=calib_path,
                calibration_dir=tmp_path,
            )
        )
        robot.connect()
        try:
            client.reset_parts(4)
            obs = robot.get_observation()
            assert obs["front"].shape == (960, 1280, 3) and obs["wrist"].shape == (480, 640, 3)
            true = client.part_poses()
            for part in ("peg", "hole"):
                pos = np.array([obs[f"{part}.{a}.pos"] for a in "xyz"])
                quat = np.array([obs[f"{part}.{a}.pos"] for a in ("qw", "qx", "qy", "qz")])
                assert quat[0] >= 0
                assert np.linalg.norm(pos - true[part][0]) < 0.002, part
                angle = np.linalg.norm(rotvec_from_matrix(quat_to_matrix(quat) @ quat_to_matrix(true[part][1]).T))
                assert np.degrees(angle) < 2.0, part
        finally:
            robot.disconnect()
            client.close()
