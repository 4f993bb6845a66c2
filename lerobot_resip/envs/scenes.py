"""MJCF scenes of the assembly tasks, compiled with the task's geometric settings."""

from __future__ import annotations

from importlib import resources

import mujoco
import numpy as np

ASSETS = resources.files("lerobot_resip.envs") / "assets"

PEG_HALF_WIDTH = 0.010  # m, the peg is a 20 mm square bar
PEG_HALF_LENGTH = 0.035  # m
HOLE_DEPTH = 0.025  # m, from the base slab's top to the top of the mouth chamfer
HOLE_CHAMFER = 0.004  # m, 45-degree chamfer at the hole's mouth
HOLE_WALL_THICKNESS = 0.010  # m


def _hole_walls(hole: mujoco.MjsBody, clearance: float) -> None:
    """Add four walls and a four-box mouth chamfer around the hole axis.

    Clearance is the hole's width minus the peg's width (so the gap per side is half of it).
    Boxes are used because box-box contacts are analytic in MuJoCo: exact and cheap, so the
    clearance is real rather than absorbed by soft-contact penetration.
    """
    inner = PEG_HALF_WIDTH + clearance / 2  # distance from the axis to a wall's inner face
    wall_height = HOLE_DEPTH - HOLE_CHAMFER
    half_span = inner + 2 * HOLE_WALL_THICKNESS  # long enough to close the corners
    up = np.array([0.0, 0.0, 1.0])
    for side in range(4):
        angle = side * np.pi / 2
        radial = np.array([np.cos(angle), np.sin(angle), 0.0])
        tangent = np.cross(up, radial)
        quat = np.zeros(4)
        mujoco.mju_mat2Quat(quat, np.column_stack([radial, tangent, up]).ravel())
        hole.add_geom(
            name=f"hole_wall_{side}",
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=[HOLE_WALL_THICKNESS / 2, half_span, wall_height / 2],
            pos=(inner + HOLE_WALL_THICKNESS / 2) * radial + wall_height / 2 * up,
            quat=quat,
            mass=0.05,
        )
        # Chamfer box: its inner face runs from (inner, wall_height) to (inner + c, depth),
        # and the rest of it lies outside the hole, over the wall.
        slope = (radial + up) / np.sqrt(2)
        normal = (radial - up) / np.sqrt(2)
        mujoco.mju_mat2Quat(quat, np.column_stack([tangent, slope, normal]).ravel())
        half_side = HOLE_CHAMFER / np.sqrt(2)
        hole.add_geom(
            name=f"hole_chamfer_{side}",
            type=mujoco.mjtGeom.mjGEOM_BOX,
            size=[half_span, half_side, half_side],
            pos=(inner + HOLE_CHAMFER) * radial + wall_height * up,
            quat=quat,
            mass=0.005,
        )


def build_peg_in_hole(clearance: float) -> mujoco.MjModel:
    """Compile the peg_in_hole scene with the given clearance in metres."""
    return peg_in_hole_spec(clearance).compile()


def peg_in_hole_spec(clearance: float) -> mujoco.MjSpec:
    """The peg_in_hole scene with the given clearance in metres, before compilation (to add to it)."""
    if not 0 < clearance < 0.005:
        raise ValueError(f"clearance must be in (0, 5) mm, got {clearance * 1000:.3f} mm")
    with resources.as_file(ASSETS) as assets_dir:
        spec = mujoco.MjSpec.from_file(str(assets_dir / "peg_in_hole.xml"))
        hole = spec.body("hole")
        _hole_walls(hole, clearance)
        for geom in hole.geoms:
            if geom.name.startswith(("hole_wall", "hole_chamfer")):
                geom.solref = [0.005, 1]
                geom.solimp = [0.95, 0.99, 0.0002, 0.5, 2]
                geom.friction = [0.5, 0.005, 0.0001]
                geom.condim = 4
                geom.contype, geom.conaffinity = 4, 0
                geom.rgba = [0.3, 0.4, 0.75, 1]
        spec.meshdir = str(assets_dir)
        return spec
