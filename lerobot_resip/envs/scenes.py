"""MJCF scenes of the assembly tasks, compiled with the task's geometric settings."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import mujoco
import numpy as np

ASSETS = resources.files("lerobot_resip.envs") / "assets"

PEG_HALF_WIDTH = 0.010  # m, the peg is a 20 mm square bar
PEG_HALF_LENGTH = 0.035  # m
HOLE_DEPTH = 0.025  # m, from the base slab's top to the top of the mouth chamfer
HOLE_CHAMFER = 0.004  # m, 45-degree chamfer at the hole's mouth
HOLE_WALL_THICKNESS = 0.010  # m
# s, time constant of every contact (solref): 3 physics steps of 2.5 ms. At 2 steps, MuJoCo's floor,
# a peg wedged between a finger pad and the walls oscillated step to step and blew up
# (docs/results/blowups); solimp, not this, keeps the penetration under the clearance.
CONTACT_TIMECONST = 0.0075


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
        _chamfer_box(hole, f"hole_chamfer_{side}", np.zeros(3), radial, inner, HOLE_DEPTH, HOLE_CHAMFER, half_span,
                     mass=0.005)


def _chamfer_box(body: mujoco.MjsBody, name: str, axis_point, radial, inner: float, mouth: float,
                 chamfer: float, half_length: float, **kwargs) -> mujoco.MjsGeom:
    """One side of a hole's 45-degree mouth chamfer, as a box (peg_in_hole, one_leg, biman_insert).

    The box's inner face runs from `inner` off the hole's axis at height `mouth - chamfer` to
    `inner + chamfer` at the mouth, on the side `radial` points to (a horizontal unit vector);
    the rest of the box lies inside the wall and the rim. `half_length` is
    its half extent along the side. Positions are in the body's frame, `axis_point` on the axis.
    """
    up = np.array([0.0, 0.0, 1.0])
    frame = np.column_stack([np.cross(up, radial), (radial + up) / np.sqrt(2), (radial - up) / np.sqrt(2)])
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, frame.ravel())
    half_side = chamfer / np.sqrt(2)
    center = axis_point + (inner + chamfer) * radial + (mouth - chamfer) * up
    return _box(body, name, center, [half_length, half_side, half_side], quat=quat, **kwargs)


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
                geom.solref = [CONTACT_TIMECONST, 1]
                geom.solimp = [0.95, 0.99, 0.0002, 0.5, 2]
                geom.friction = [0.5, 0.005, 0.0001]
                geom.condim = 4
                geom.contype, geom.conaffinity = 4, 0
                geom.rgba = [0.3, 0.4, 0.75, 1]
        spec.meshdir = str(assets_dir)
        return spec


# ---------------------------------------------------------------------------------------- one_leg
# FurnitureBench's square table, sizes from its meshes and masses from its simulator config.
TOP_HALF_WIDTH = 0.08125  # m, the top is a 162.5 mm square plate
TOP_HALF_THICKNESS = 0.015625  # m, 31.25 mm thick
TOP_SLAB_THICKNESS = 0.004  # m, the plate's bottom layer, the only part that touches the table
HOLE_OFFSET = 0.05625  # m, the four holes' axes at (+-, +-) this from the top's centre
HOLE_CELL_HALF_WIDTH = 0.017  # m, square cut out of the plate around a hole, filled by its bore walls
LEG_HALF_WIDTH = 0.015  # m, 30 mm square body
LEG_HALF_LENGTH = 0.04375  # m, 87.5 mm long: 62.5 mm body and a 25 mm stud
LEG_BODY_LENGTH = 0.0625  # m
STUD_RADIUS = 0.0128  # m, the thread's outer radius
# Leg frame above the top frame when seated: the body's end face on the plate's upper face.
SEAT_HEIGHT = TOP_HALF_THICKNESS + LEG_BODY_LENGTH - LEG_HALF_LENGTH
BORE_CHAMFER = 0.002  # m, 45-degree chamfer at each bore's mouth
CREST_HALF_WIDTH = 0.009  # m, the thread's first crest, a square inside the bore
CREST_HALF_THICKNESS = 0.001  # m
# Thread followers are virtual: nearly massless and weightless (gravity compensated), so they
# add nothing to the top's 151 g and only their constraints act.
NUT_MASS = 0.0001  # kg
NUT_INERTIA = 1e-9  # kg m^2, about each axis
# Armatures of the follower's joints: MuJoCo scales a constraint's softness with the inverse
# inertia along it, so these keep the locked follower within 0.2 mm of the thread's start under a
# 20 N push on its crest (docs/results/one_leg/crest_sag.py: 0.05 mm under a resting leg, 0.15 mm
# at 5 N, 0.16 mm at 20 N). A leg turning an engaged follower feels 1e-3 kg m^2 (0.06 N m at
# 60 rad/s^2).
NUT_TURN_ARMATURE = 1e-3  # kg m^2
NUT_TRAVEL_ARMATURE = 0.05  # kg
THREAD_FRICTION = 0.005  # N m, friction torque of the thread: a released leg stays where it is
THREAD_SOLREF = (0.005, 1.0)  # time constant (s) and damping ratio of the thread's constraints
# Impedance of the thread's constraints: near-hard (with the contacts' 0.95-0.99 a crest pushed
# with 5 N sank ~9 mm).
THREAD_SOLIMP = (0.99, 0.9999, 0.0002, 0.5, 2)
STIFF_SOLIMP = (0.95, 0.99, 0.0002, 0.5, 2)  # contacts, as peg_in_hole's


@dataclass(frozen=True)
class ScrewThread:
    """A single-start right-hand thread: `child` screws into any of `holes` of `parent`.

    The model (`add_thread_followers`): each hole holds a thread follower, a body of the parent
    with a slide and a hinge along the hole axis coupled by a joint equality (travel = lead x
    turn / 2 pi), whose zero is the seated pose. Unengaged, a second equality locks the follower
    at the thread's start, `turns` turns out, where its crest holds the child's stud up: a leg
    dropped in rests there and cannot go further. The crest lies `rest_gap` under the end of an
    engaged stud, so a resting leg is that much lower than the thread's start and an engaged
    one clears the crest. The
    simulator engages the child (`lerobot_resip.envs.threads.ThreadEngagement`: the lock is
    released and the child welded to the follower) only when, between two control steps during
    which it rested on the crest (within `depth_tolerance`), upright (within `max_tilt`) and on
    the hole's axis (its thread's end within the task's clearance), it turned clockwise seen from above past the
    thread's start (ending less than `start_window` past it). From then on it can only travel
    along the helix; turned back out past the start it is released.
    """

    child: str
    parent: str
    holes: tuple[str, ...]  # follower body names, one per threaded hole of `parent`
    seats: tuple[tuple[float, float, float], ...]  # child frame when seated, in the parent frame, m
    tip: float  # m, from the child's frame to its thread's end, along the child's -z
    lead: float  # m per turn
    turns: float  # turns from the thread's start to seated
    rest_gap: float = 0.0005  # m, crest below the end of a stud engaged at the thread's start
    max_tilt: float = float(np.deg2rad(4.0))  # rad, child axis vs hole axis
    depth_tolerance: float = 0.0015  # m, distance from the resting pose along the axis
    start_window: float = float(np.deg2rad(60.0))  # rad, turned past the start by at most this

    @property
    def start_angle(self) -> float:
        """Follower turn (rad) at the thread's start; 0 is seated."""
        return 2 * np.pi * self.turns

    @property
    def travel_per_radian(self) -> float:
        return self.lead / (2 * np.pi)


ONE_LEG_THREAD = ScrewThread(
    child="square_table_leg4",
    parent="square_table_top",
    holes=("hole0", "hole1", "hole2", "hole3"),
    seats=tuple((sx * HOLE_OFFSET, sy * HOLE_OFFSET, SEAT_HEIGHT) for sx, sy in ((1, 1), (-1, 1), (-1, -1), (1, -1))),
    tip=LEG_HALF_LENGTH,
    lead=0.0093,  # m, FurnitureBench's leg thread (estimated from its mesh: 9.3-9.4 mm)
    turns=2.25,  # the mesh's 2-2.5 turns from engagement to seated
)
ONE_LEG_HOME_ARM = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785398)  # rad, as peg_in_hole's home
ONE_LEG_MAX_CLEARANCE = 0.002  # m, a looser stud would not be guided by its bore at rest


def _box(body: mujoco.MjsBody, name: str, center, half, quat=(1, 0, 0, 0), **kwargs) -> mujoco.MjsGeom:
    return body.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_BOX, pos=center, size=half, quat=quat, **kwargs)


def _part_geom(geom: mujoco.MjsGeom, contype: int, conaffinity: int, rgba) -> None:
    geom.solref = [0.005, 1]
    geom.solimp = list(STIFF_SOLIMP)
    geom.friction = [0.15, 0.005, 0.0001]
    geom.condim = 4
    geom.contype, geom.conaffinity = contype, conaffinity
    geom.rgba = rgba
    geom.mass = 0  # the top's mass is its explicit inertial


def _top_plate_and_bores(top: mujoco.MjsBody, clearance: float) -> None:
    """The plate above the slab, cut around the holes, and an octagonal bore in each cut.

    Bore walls are boxes whose inner faces lie `STUD_RADIUS + clearance / 2` from the axis (a
    cylinder turns freely in the octagon and touches its faces): the clearance is the bore's
    diameter minus the stud's. Walls extend outwards to cover their square cut. The last
    `BORE_CHAMFER` of each wall is a 45-degree mouth chamfer (a box per side, as peg_in_hole's hole)
    that guides a stud landing up to that far off the axis into the bore.
    """
    rgba = [0.85, 0.78, 0.65, 1]
    bottom, top_face = -TOP_HALF_THICKNESS + TOP_SLAB_THICKNESS, TOP_HALF_THICKNESS
    zc, zh = (bottom + top_face) / 2, (top_face - bottom) / 2
    # Plate: bands along y, each either whole or cut at the two hole columns.
    w, edge = HOLE_CELL_HALF_WIDTH, TOP_HALF_WIDTH
    cuts = [-edge, -HOLE_OFFSET - w, -HOLE_OFFSET + w, HOLE_OFFSET - w, HOLE_OFFSET + w, edge]
    count = 0
    for band in range(5):
        y0, y1 = cuts[band], cuts[band + 1]
        pieces = [(-edge, edge)] if band % 2 == 0 else [(cuts[0], cuts[1]), (cuts[2], cuts[3]), (cuts[4], cuts[5])]
        for x0, x1 in pieces:
            geom = _box(top, f"top_plate_{count}", [(x0 + x1) / 2, (y0 + y1) / 2, zc], [(x1 - x0) / 2, (y1 - y0) / 2, zh])
            _part_geom(geom, 4, 0, rgba)
            count += 1
    inner = STUD_RADIUS + clearance / 2
    outer = w * np.sqrt(2)  # reaches the cut's corners
    c = BORE_CHAMFER
    wall_top, rim_inner = top_face - c, inner + c
    # (name, inner radius, bottom, top): the bore under the chamfer, the rim beside it.
    layers = [("bore", inner, bottom, wall_top), ("bore_rim", rim_inner, wall_top, top_face)]
    quat = np.zeros(4)
    for k, (sx, sy, _) in enumerate(ONE_LEG_THREAD.seats):
        axis_point = np.array([sx, sy, 0.0])
        for side in range(8):
            angle = side * np.pi / 4
            radial = np.array([np.cos(angle), np.sin(angle), 0.0])
            mujoco.mju_axisAngle2Quat(quat, [0, 0, 1], angle)
            for name, start, z0, z1 in layers:
                center = axis_point + (start + outer) / 2 * radial + [0, 0, (z0 + z1) / 2]
                half = [(outer - start) / 2, outer * np.tan(np.pi / 8), (z1 - z0) / 2]
                geom = _box(top, f"hole{k}_{name}_{side}", center, half, quat=quat.copy())
                _part_geom(geom, 4, 0, rgba)
            geom = _chamfer_box(top, f"hole{k}_bore_chamfer_{side}", axis_point, radial, inner, top_face, c,
                                rim_inner * np.tan(np.pi / 8))
            _part_geom(geom, 4, 0, rgba)


def _thread_followers(spec: mujoco.MjSpec, thread: ScrewThread) -> None:
    """One follower per hole, coupled to its helix, locked at the thread's start (see ScrewThread)."""
    parent = spec.body(thread.parent)
    for hole, seat in zip(thread.holes, thread.seats, strict=True):
        nut = parent.add_body(name=hole, pos=seat)
        nut.mass, nut.inertia, nut.explicitinertial = NUT_MASS, [NUT_INERTIA] * 3, True
        nut.gravcomp = 1.0
        nut.add_joint(name=f"{hole}_travel", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, 0, 1],
                      armature=NUT_TRAVEL_ARMATURE)
        # Past the start by up to one control step's turn, so that a leg turned back is released
        # by the simulator before it reaches the limit.
        nut.add_joint(name=f"{hole}_turn", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[0, 0, 1],
                      range=[0, thread.start_angle + 0.5], limited=mujoco.mjtLimited.mjLIMITED_TRUE,
                      armature=NUT_TURN_ARMATURE, frictionloss=THREAD_FRICTION)
        crest = _box(nut, f"{hole}_crest", [0, 0, -LEG_HALF_LENGTH - thread.rest_gap - CREST_HALF_THICKNESS],
                     [CREST_HALF_WIDTH, CREST_HALF_WIDTH, CREST_HALF_THICKNESS])
        _part_geom(crest, 4, 0, [0.6, 0.55, 0.45, 1])
        common = {"solref": list(THREAD_SOLREF), "solimp": list(THREAD_SOLIMP)}
        spec.add_equality(name=f"{hole}_helix", type=mujoco.mjtEq.mjEQ_JOINT, name1=f"{hole}_travel",
                          name2=f"{hole}_turn", data=[0, thread.travel_per_radian] + [0] * 10, **common)
        spec.add_equality(name=f"{hole}_lock", type=mujoco.mjtEq.mjEQ_JOINT, name1=f"{hole}_turn",
                          data=[thread.start_angle] + [0] * 11, **common)
        spec.add_equality(name=f"{hole}_weld", type=mujoco.mjtEq.mjEQ_WELD, objtype=mujoco.mjtObj.mjOBJ_BODY,
                          name1=thread.child, name2=hole, active=False,
                          data=[0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0], **common)


def build_one_leg(clearance: float) -> mujoco.MjModel:
    """Compile the one_leg scene; `clearance` (m) is the stud's bore diameter minus its own."""
    if not 0 < clearance <= ONE_LEG_MAX_CLEARANCE:
        raise ValueError(
            f"clearance must be in (0, {ONE_LEG_MAX_CLEARANCE * 1000:.0f}] mm for one_leg, got {clearance * 1000:.3f} mm"
        )
    with resources.as_file(ASSETS) as assets_dir:
        spec = mujoco.MjSpec.from_file(str(assets_dir / "one_leg.xml"))
    top = spec.body(ONE_LEG_THREAD.parent)
    _top_plate_and_bores(top, clearance)
    _thread_followers(spec, ONE_LEG_THREAD)
    # Home keyframe: the bodies where the MJCF puts them, the arm at home, followers at the start.
    model = spec.compile()
    qpos = model.qpos0.copy()
    qpos[:7] = ONE_LEG_HOME_ARM
    qpos[7:9] = 0.04
    for hole in ONE_LEG_THREAD.holes:
        qpos[model.joint(f"{hole}_turn").qposadr[0]] = ONE_LEG_THREAD.start_angle
        qpos[model.joint(f"{hole}_travel").qposadr[0]] = ONE_LEG_THREAD.start_angle * ONE_LEG_THREAD.travel_per_radian
    spec.add_key(name="home", qpos=qpos, ctrl=[*ONE_LEG_HOME_ARM, 0.04, 0.04])
    return spec.compile()


# ----------------------------------------------------------------------------------- biman_insert
BIMAN_PEG_HALF_LENGTH = 0.05  # m, a 20 mm square bar 100 mm long (PEG_HALF_WIDTH across)
BLOCK_HALF_WIDTH = 0.025  # m, the block is 50 mm square in section
BLOCK_BASE_THICKNESS = 0.010  # m, behind the hole's bottom; the hole is HOLE_DEPTH deep
BLOCK_CENTRE = (HOLE_DEPTH - BLOCK_BASE_THICKNESS) / 2  # m, the block's middle along its axis
BIMAN_ARMS = ("left", "right")  # arm name prefixes, attached at the sites "<arm>_mount"
BIMAN_HOME_ARM = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785398)  # rad, as peg_in_hole's home
BIMAN_MAX_CLEARANCE = 0.005  # m, as peg_in_hole


def _block_bore(block: mujoco.MjsBody, clearance: float) -> None:
    """The block's bore: four walls, a rim around the mouth and a 45-degree mouth chamfer.

    The hole's inner faces lie `PEG_HALF_WIDTH + clearance / 2` from the axis, so the clearance is
    the hole's width minus the peg's. Boxes, as in peg_in_hole (analytic box-box contacts, a real
    clearance). Unlike peg_in_hole's hole, the outside is a flat 50 mm square on every side, so the
    block lies flat on any face and the fingers grip flat faces: the walls normal to x span the
    whole width, those normal to y fit between them. The rim (the last `HOLE_CHAMFER` of the
    depth) is set back by the chamfer, whose boxes fill the corner between rim and wall.
    """
    inner = PEG_HALF_WIDTH + clearance / 2
    outer = BLOCK_HALF_WIDTH
    wall_height = HOLE_DEPTH - HOLE_CHAMFER
    rim_inner = inner + HOLE_CHAMFER
    pieces = []
    for name, start, z_low, z_high in (("hole_wall", inner, 0.0, wall_height), ("hole_rim", rim_inner, wall_height, HOLE_DEPTH)):
        thickness, zc, zh = (outer - start) / 2, (z_low + z_high) / 2, (z_high - z_low) / 2
        for side, sign in enumerate((1, -1)):
            pieces.append((f"{name}_{side}", [sign * (start + outer) / 2, 0, zc], [thickness, outer, zh], [1, 0, 0, 0]))
            pieces.append((f"{name}_{side + 2}", [0, sign * (start + outer) / 2, zc], [start, thickness, zh], [1, 0, 0, 0]))
    geoms = [_box(block, name, pos, size, quat=q) for name, pos, size, q in pieces]
    for side in range(4):
        angle = side * np.pi / 2
        radial = np.array([np.cos(angle), np.sin(angle), 0.0])
        geoms.append(_chamfer_box(block, f"hole_chamfer_{side}", np.zeros(3), radial, inner, HOLE_DEPTH, HOLE_CHAMFER,
                                  rim_inner))
    for geom in geoms:
        geom.solref = [CONTACT_TIMECONST, 1]
        geom.solimp = list(STIFF_SOLIMP)
        geom.friction = [0.5, 0.005, 0.0001]
        geom.condim = 4
        # Walls (bit 4) meet the peg and the fingers; the outer ones also rest on the table.
        geom.contype, geom.conaffinity = 4, 0 if geom.name.startswith("hole_chamfer") else 1
        geom.rgba = [0.3, 0.4, 0.75, 1]


def build_biman_insert(clearance: float) -> mujoco.MjModel:
    """Compile the biman_insert scene with the given clearance (hole width minus peg width, m)."""
    if not 0 < clearance < BIMAN_MAX_CLEARANCE:
        raise ValueError(f"clearance must be in (0, 5) mm, got {clearance * 1000:.3f} mm")
    with resources.as_file(ASSETS) as assets_dir:
        spec = mujoco.MjSpec.from_file(str(assets_dir / "biman_insert.xml"))
        for arm in BIMAN_ARMS:
            panda = mujoco.MjSpec.from_file(str(assets_dir / "panda.xml"))
            # panda.xml states joint ranges in radians; included by the single-arm scenes it takes
            # their compiler setting, attached it keeps its own, so set it.
            panda.compiler.degree = False
            spec.attach(panda, site=f"{arm}_mount", prefix=f"{arm}/")
    _block_bore(spec.body("block"), clearance)
    model = spec.compile()
    qpos, ctrl = model.qpos0.copy(), np.zeros(model.nu)
    for arm in BIMAN_ARMS:
        for i, q in enumerate(BIMAN_HOME_ARM):
            qpos[model.joint(f"{arm}/joint{i + 1}").qposadr[0]] = q
            ctrl[model.actuator(f"{arm}/joint{i + 1}").id] = q
        for finger in ("finger_left", "finger_right"):
            qpos[model.joint(f"{arm}/{finger}").qposadr[0]] = 0.04
            ctrl[model.actuator(f"{arm}/{finger}").id] = 0.04
    spec.add_key(name="home", qpos=qpos, ctrl=ctrl)
    return spec.compile()
