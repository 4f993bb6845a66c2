"""Part poses from AprilTags (tag36h11) seen by calibrated cameras, fused over cameras.

As FurnitureBench does on its real bench: every part carries tags at known poses in the part's body frame;
OpenCV's ArUco module (shipped with LeRobot's opencv) finds the tags' corners in each image; the part's pose
in the robot base frame is the one whose projection of all its visible tag corners, in all cameras at once,
best matches the detections (least squares on the reprojection error).

Written here: the multi-camera fusion (a Gauss-Newton refinement over the part's 6-d pose; OpenCV's
solvePnP works one camera at a time) and the bookkeeping of tags, parts and camera mounts. Everything else
(detection, corner refinement, single-camera PnP, projection with distortion) is OpenCV's.

Conventions: camera frames are OpenCV's (x right, y down, z along the optical axis). A tag's frame has its
origin at the tag's centre, z out of the tag's face, x to the right and y up in the printed image, so its
corners, in ArUco's order (top-left, top-right, bottom-right, bottom-left), are (-s/2, s/2), (s/2, s/2),
(s/2, -s/2), (-s/2, -s/2), s the side of the black square. Part poses are the simulator's: the part's body
frame in the robot base frame (position, rotation matrix).

The calibration file (JSON), `--robot.tag_calibration`:

    {"cameras": {"<name>": {"K": [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], "dist": [k1, k2, p1, p2, k3],
                            "mount": "fixed" | "hand", "pose": <4x4>}},
     "tags": {"<part>": [{"id": 0, "size": 0.016, "pose": <4x4>}, ...]}}    # optional

`pose` of a "fixed" camera is the camera frame in the robot base frame; of a "hand" camera, in the tool
point frame (franky's end effector, O_T_EE). A tag's `pose` is its frame in the part's body frame. Without
"tags", the task's default layout (`default_layout`, the one the simulated parts carry) is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import matrix_from_rotvec, rotvec_from_matrix
from lerobot_resip.envs.tasks import get_task

TAG_DICTIONARY = cv2.aruco.DICT_APRILTAG_36h11
MOUNTS = ("fixed", "hand")


@dataclass(frozen=True)
class Tag:
    """One printed tag: its id, the side of its black square (m) and its frame in the part's body frame."""

    id: int
    size: float
    rotation: np.ndarray  # (3, 3), tag frame -> part frame
    position: np.ndarray  # (3,)

    def corners(self) -> np.ndarray:
        """(4, 3) corners in the part frame, in ArUco's order."""
        h = self.size / 2
        local = np.array([[-h, h, 0.0], [h, h, 0.0], [h, -h, 0.0], [-h, -h, 0.0]])
        return local @ self.rotation.T + self.position


@dataclass(frozen=True)
class CameraCalibration:
    """Intrinsics (OpenCV model) and mounting pose of one camera; see the module docstring."""

    name: str
    K: np.ndarray
    dist: np.ndarray
    mount: str
    pose: np.ndarray  # (4, 4)

    def camera_in_base(self, tool_pose: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        if self.mount == "fixed":
            return self.pose
        if tool_pose is None:
            raise ValueError(f"camera {self.name!r} is hand-mounted: its pose needs the tool pose")
        tool = np.eye(4)
        tool[:3, :3], tool[:3, 3] = tool_pose[1], tool_pose[0]
        return tool @ self.pose


def _frame(z_axis, y_axis, position) -> tuple[np.ndarray, np.ndarray]:
    z, y = np.asarray(z_axis, float), np.asarray(y_axis, float)
    return np.column_stack([np.cross(y, z), y, z]), np.asarray(position, float)


def default_layout(task: str) -> dict[str, list[Tag]]:
    """The tags the task's simulated parts carry (`lerobot_resip.perception.sim_tags` draws them).

    peg_in_hole: the peg (20 x 20 x 70 mm) has a 16 mm tag on its top face (id 0) and two on each long side
    (ids 1-8, 17.5 mm above and below its centre); the hole block stands on a 120 mm square card with a
    24 mm tag on each side of it (ids 10-13), and a 16 mm tag on the outer face of each wall (ids 14-17).
    """
    get_task(task)
    if task != "peg_in_hole":
        raise ValueError(f"no default tag layout for task {task!r}: give the tags in the calibration file")
    up = np.array([0.0, 0.0, 1.0])
    sides = [np.array([np.cos(a), np.sin(a), 0.0]) for a in np.arange(4) * np.pi / 2]
    # Tag planes are the printed stickers' faces, STICKER_THICKNESS off the part's surfaces.
    w, half_len = scenes.PEG_HALF_WIDTH + STICKER_THICKNESS, scenes.PEG_HALF_LENGTH + STICKER_THICKNESS
    peg = [Tag(0, 0.016, *_frame(up, [1.0, 0.0, 0.0], [0.0, 0.0, half_len]))]
    for k, normal in enumerate(sides):
        for j, z in enumerate((0.0175, -0.0175)):
            peg.append(Tag(1 + 2 * k + j, 0.016, *_frame(normal, up, normal * w + up * z)))
    wall_face = HOLE_WALL_OUTER + STICKER_THICKNESS
    hole = []
    for k, normal in enumerate(sides):
        hole.append(Tag(10 + k, 0.024, *_frame(up, normal, normal * HOLE_CARD_TAG_RADIUS + up * HOLE_CARD_Z)))
    for k, normal in enumerate(sides):
        wall_mid = (scenes.HOLE_DEPTH - scenes.HOLE_CHAMFER) / 2
        hole.append(Tag(14 + k, 0.016, *_frame(normal, up, normal * wall_face + up * wall_mid)))
    return {"peg": peg, "hole": hole}


# The hole block's tag card and wall faces (m, hole frame: origin at the hole's bottom centre, the top of its
# 10 mm base slab). The card (0.4 mm) lies on the table under the block.
STICKER_THICKNESS = 0.0002
HOLE_CARD_HALF = 0.060
HOLE_CARD_THICKNESS = 0.0004
HOLE_CARD_Z = -0.010 + HOLE_CARD_THICKNESS + STICKER_THICKNESS
HOLE_CARD_TAG_RADIUS = 0.045
HOLE_WALL_OUTER = scenes.PEG_HALF_WIDTH + 0.0005 / 2 + scenes.HOLE_WALL_THICKNESS  # at the default clearance


def load_calibration(path: str | Path, task: str) -> tuple[dict[str, CameraCalibration], dict[str, list[Tag]]]:
    """Cameras and tag layout from the calibration JSON (the task's default layout if it has no "tags")."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read the tag calibration {path}: {err}") from None
    cameras = {}
    for name, cam in data.get("cameras", {}).items():
        try:
            calib = CameraCalibration(
                name=name,
                K=np.asarray(cam["K"], float).reshape(3, 3),
                dist=np.asarray(cam.get("dist", [0.0] * 5), float).ravel(),
                mount=cam.get("mount", "fixed"),
                pose=np.asarray(cam["pose"], float).reshape(4, 4),
            )
        except (KeyError, ValueError) as err:
            raise ValueError(
                f"{path}: camera {name!r} needs K (3x3), pose (4x4) and optionally dist, mount: {err}"
            ) from None
        if calib.mount not in MOUNTS:
            raise ValueError(f"{path}: camera {name!r} has mount {calib.mount!r}; use one of {MOUNTS}")
        cameras[name] = calib
    if not cameras:
        raise ValueError(f"{path} describes no cameras")
    parts = get_task(task).parts
    if "tags" in data:
        layout = {
            part: [
                Tag(
                    int(t["id"]),
                    float(t["size"]),
                    np.asarray(t["pose"], float)[:3, :3],
                    np.asarray(t["pose"], float)[:3, 3],
                )
                for t in tags
            ]
            for part, tags in data["tags"].items()
        }
    else:
        layout = default_layout(task)
    missing = [part for part in parts if not layout.get(part)]
    if missing:
        raise ValueError(f"{path}: no tags for the parts {missing} of task {task!r}")
    ids = [tag.id for part in parts for tag in layout[part]]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: a tag id is used twice")
    return cameras, {part: layout[part] for part in parts}


def save_calibration(
    path: str | Path, cameras: dict[str, CameraCalibration], layout: dict[str, list[Tag]] | None = None
) -> None:
    data = {
        "cameras": {
            c.name: {"K": c.K.tolist(), "dist": c.dist.tolist(), "mount": c.mount, "pose": c.pose.tolist()}
            for c in cameras.values()
        }
    }
    if layout is not None:
        data["tags"] = {
            part: [{"id": t.id, "size": t.size, "pose": _homogeneous(t.rotation, t.position).tolist()} for t in tags]
            for part, tags in layout.items()
        }
    Path(path).write_text(json.dumps(data, indent=1))


def _homogeneous(rot: np.ndarray, pos: np.ndarray) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = rot, pos
    return out


class TagPoseEstimator:
    """Poses of a task's parts from the tags that calibrated cameras see (see the module docstring).

    Args:
        cameras: calibration of every camera whose images are searched for tags.
        layout: {part: tags}, parts in the task's order.
        min_tag_pixels: a detection whose square is smaller than this (side, px) is ignored (too noisy).
        ambiguity_ratio, ambiguity_degrees: a part is reported unseen when a pose turned by more than
            `ambiguity_degrees` from the best fits the corners within `ambiguity_ratio` times its squared
            reprojection error (plus 0.25 px^2 per coordinate): a single face seen from afar.
    """

    def __init__(
        self,
        cameras: dict[str, CameraCalibration],
        layout: dict[str, list[Tag]],
        min_tag_pixels: float = 8.0,
        ambiguity_ratio: float = 4.0,
        ambiguity_degrees: float = 5.0,
    ):
        self.cameras = cameras
        self.layout = layout
        self.min_tag_pixels = min_tag_pixels
        self.ambiguity_ratio = ambiguity_ratio
        self.ambiguity_degrees = ambiguity_degrees
        self._tag_part = {tag.id: (part, tag) for part, tags in layout.items() for tag in tags}
        params = cv2.aruco.DetectorParameters()
        # Two adaptive-threshold scales (3 and 13 px) instead of three: 2.5x faster on a 1280 x 960 image,
        # and the printed tags' margins keep them as detectable.
        params.adaptiveThreshWinSizeMax = 13
        params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
        params.cornerRefinementWinSize = 3
        params.cornerRefinementMinAccuracy = 0.01
        self.detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(TAG_DICTIONARY), params)

    @classmethod
    def from_file(cls, path: str | Path, task: str) -> TagPoseEstimator:
        return cls(*load_calibration(path, task))

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(self.cameras)

    def detect(self, image: np.ndarray) -> dict[int, np.ndarray]:
        """{tag id: (4, 2) corners (px)} of the known tags in one RGB image."""
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        corners, ids, _ = self.detector.detectMarkers(gray)
        found = {}
        if ids is None:
            return found
        for tag_id, c in zip(ids.ravel(), corners, strict=True):
            c = c.reshape(4, 2).astype(np.float64)
            if int(tag_id) in self._tag_part and np.linalg.norm(c[0] - c[2]) / np.sqrt(2) >= self.min_tag_pixels:
                found[int(tag_id)] = c
        return found

    def estimate(
        self, images: dict[str, np.ndarray], tool_pose: tuple[np.ndarray, np.ndarray] | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray] | None]:
        """{part: (position (3,), rotation (3, 3)) in the robot base frame, or None if no camera sees it}.

        `tool_pose` (position, rotation of the tool point in the base frame) places hand-mounted cameras.
        """
        views = []  # (camera calibration, base->camera 4x4, {id: corners})
        for name, calib in self.cameras.items():
            if name not in images:
                continue
            base_from_cam = calib.camera_in_base(tool_pose)
            views.append((calib, np.linalg.inv(base_from_cam), self.detect(images[name])))
        return {part: self._estimate_part(part, views) for part in self.layout}

    def _estimate_part(self, part: str, views) -> tuple[np.ndarray, np.ndarray] | None:
        observations = []  # (calib, cam_from_base, object points (n,3) part frame, image points (n,2))
        for calib, cam_from_base, found in views:
            tags = [tag for tag in self.layout[part] if tag.id in found]
            if tags:
                obj = np.concatenate([tag.corners() for tag in tags])
                img = np.concatenate([found[tag.id] for tag in tags])
                observations.append((calib, cam_from_base, obj, img))
        if not observations:
            return None
        problem = _FusedPnP(observations)
        # Starting points: every view's own PnP solutions (both of IPPE's for coplanar corners), each refined
        # on all views at once.
        candidates = []
        for calib, cam_from_base, obj, img in observations:
            base_from_cam = np.linalg.inv(cam_from_base)
            for cam_rot, cam_pos in _single_view_pnp(calib, obj, img):
                rot = base_from_cam[:3, :3] @ cam_rot
                pos = base_from_cam[:3, :3] @ cam_pos + base_from_cam[:3, 3]
                candidates.append(problem.refine(pos, rot))
        candidates = sorted((c for c in candidates if np.isfinite(c[2])), key=lambda c: c[2])
        if not candidates:
            return None
        best = candidates[0]
        # A lone planar face seen from afar fits two mirror poses almost equally well (the classic planar
        # ambiguity): report nothing rather than a pose that may be the mirror one.
        for other in candidates[1:]:
            turned = np.degrees(np.linalg.norm(rotvec_from_matrix(other[1] @ best[1].T)))
            if turned > self.ambiguity_degrees and other[2] < self.ambiguity_ratio * best[2] + problem.size * 0.25:
                return None
        return best[0], best[1]


def _single_view_pnp(calib: CameraCalibration, obj: np.ndarray, img: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Candidate (rotation, translation) of the part in one camera's frame (OpenCV's PnP)."""
    centred = obj - obj.mean(axis=0)
    if np.linalg.svd(centred, compute_uv=False)[-1] < 1e-6 * max(1.0, np.abs(centred).max()):
        # Coplanar corners (one face): IPPE's two solutions.
        n, rvecs, tvecs, _ = cv2.solvePnPGeneric(obj, img, calib.K, calib.dist, flags=cv2.SOLVEPNP_IPPE)
        return [(cv2.Rodrigues(r)[0], t.ravel()) for r, t in zip(rvecs[:n], tvecs[:n], strict=True)]
    if len(obj) == 4:
        # One tag: IPPE's two solutions of the square, mapped from the tag's frame to the part's.
        h = np.linalg.norm(obj[1] - obj[0]) / 2
        square = np.array([[-h, h, 0.0], [h, h, 0.0], [h, -h, 0.0], [-h, -h, 0.0]])
        n, rvecs, tvecs, _ = cv2.solvePnPGeneric(square, img, calib.K, calib.dist, flags=cv2.SOLVEPNP_IPPE_SQUARE)
        x_axis = (obj[1] - obj[0]) / np.linalg.norm(obj[1] - obj[0])
        y_axis = (obj[0] - obj[3]) / np.linalg.norm(obj[0] - obj[3])
        tag_rot = np.column_stack([x_axis, y_axis, np.cross(x_axis, y_axis)])
        tag_pos = obj.mean(axis=0)
        out = []
        for rvec, tvec in zip(rvecs[:n], tvecs[:n], strict=True):
            rot = cv2.Rodrigues(rvec)[0] @ tag_rot.T
            out.append((rot, tvec.ravel() - rot @ tag_pos))
        return out
    ok, rvec, tvec = cv2.solvePnP(obj, img, calib.K, calib.dist, flags=cv2.SOLVEPNP_SQPNP)
    return [(cv2.Rodrigues(rvec)[0], tvec.ravel())] if ok else []


class _FusedPnP:
    """Least squares over one part pose on the corners every camera saw.

    Written here because OpenCV's PnP solvers take one camera at a time. The detections are undistorted once
    (OpenCV), so the residual is the pinhole reprojection error, in pixels (normalized coordinates times the
    focal length), and Gauss-Newton runs on an analytic Jacobian over a perturbation of the pose: a turn of
    the part about its own origin (base-frame rotation vector) and a shift.
    """

    def __init__(self, observations):
        rows, objs, targets, focal = [], [], [], []
        for calib, cam_from_base, obj, img in observations:
            undistorted = cv2.undistortPoints(img.reshape(-1, 1, 2), calib.K, calib.dist).reshape(-1, 2)
            rows.append(np.repeat(cam_from_base[None], len(obj), axis=0))
            objs.append(obj)
            targets.append(undistorted)
            focal.append(np.repeat([[calib.K[0, 0], calib.K[1, 1]]], len(obj), axis=0))
        self.cam = np.concatenate(rows)  # (n, 4, 4) camera-from-base per point
        self.obj = np.concatenate(objs)  # (n, 3) part frame
        self.target = np.concatenate(targets)  # (n, 2) normalized image coordinates
        self.focal = np.concatenate(focal)  # (n, 2)
        self.size = 2 * len(self.obj)  # residual coordinates

    def _residual(self, pos, rot):
        offset = self.obj @ rot.T  # (n, 3): the points relative to the part origin, base frame
        world = offset + pos
        cam = np.einsum("nij,nj->ni", self.cam[:, :3, :3], world) + self.cam[:, :3, 3]
        z = cam[:, 2:3]
        return ((cam[:, :2] / z - self.target) * self.focal).ravel(), offset, cam

    def refine(self, pos, rot, iterations: int = 15) -> tuple[np.ndarray, np.ndarray, float]:
        residual, offset, cam = self._residual(pos, rot)
        # A degenerate single-view start (a pose with NaNs, or behind a camera) is no candidate; NaNs would also
        # make the least-squares step raise ("SVD did not converge") and end the whole evaluation.
        if not np.all(np.isfinite(residual)) or np.any(cam[:, 2] <= 0):
            return pos, rot, float("inf")
        cost = float(residual @ residual)
        for _ in range(iterations):
            x, y, z = cam[:, 0], cam[:, 1], cam[:, 2]
            d_proj = np.zeros((len(cam), 2, 3))  # d(pixel)/d(camera point)
            d_proj[:, 0, 0] = self.focal[:, 0] / z
            d_proj[:, 0, 2] = -self.focal[:, 0] * x / z**2
            d_proj[:, 1, 1] = self.focal[:, 1] / z
            d_proj[:, 1, 2] = -self.focal[:, 1] * y / z**2
            skew = np.zeros((len(cam), 3, 3))  # -[offset]x : d(world point)/d(rotation vector)
            skew[:, 0, 1], skew[:, 0, 2] = offset[:, 2], -offset[:, 1]
            skew[:, 1, 0], skew[:, 1, 2] = -offset[:, 2], offset[:, 0]
            skew[:, 2, 0], skew[:, 2, 1] = offset[:, 1], -offset[:, 0]
            d_world = np.concatenate([skew, np.broadcast_to(np.eye(3), skew.shape)], axis=2)  # (n, 3, 6)
            jac = (d_proj @ self.cam[:, :3, :3] @ d_world).reshape(-1, 6)
            try:
                step, *_ = np.linalg.lstsq(jac, -residual, rcond=None)
            except np.linalg.LinAlgError:  # keep the last good pose
                break
            new_rot, new_pos = matrix_from_rotvec(step[:3]) @ rot, pos + step[3:]
            new_residual, new_offset, new_cam = self._residual(new_pos, new_rot)
            new_cost = float(new_residual @ new_residual)
            if not np.isfinite(new_cost) or np.any(new_cam[:, 2] <= 0) or new_cost >= cost:
                break
            pos, rot, residual, offset, cam, cost = new_pos, new_rot, new_residual, new_offset, new_cam, new_cost
            if np.linalg.norm(step) < 1e-10:
                break
        return pos, rot, cost
