"""Task definitions: scene, parts, what "assembled" means, and how resets are randomised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import mujoco
import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.controller import DiffIKConfig
from lerobot_resip.envs.rotation import multiply_quat, quat_to_matrix, yaw_quat

RANDOMNESS_LEVELS = ("low", "med")


@dataclass(frozen=True)
class AssemblyPair:
    """A part that is assembled once its pose relative to `parent` matches `relative_pos`.

    The pose test (from the reference implementation): relative position within
    `pos_tolerance` on every axis (metres, in the parent's frame) and every row of the relative
    rotation, taken modulo the pair's symmetries, with cosine >= `rot_cosine`. Insertion depth
    counts: `relative_pos` is the fully inserted position, so a peg resting on the rim is not
    assembled. A child that fits several places of its parent (a leg, any of four holes) lists
    the others in `other_positions`: it is assembled at any of them.
    """

    child: str
    parent: str
    relative_pos: tuple[float, float, float]
    symmetries: np.ndarray  # (S, 3, 3) rotations of the child that look the same when assembled
    pos_tolerance: float = 0.005
    rot_cosine: float = 0.94
    other_positions: tuple[tuple[float, float, float], ...] = ()

    @property
    def positions(self) -> np.ndarray:
        """(K, 3) every assembled position, `relative_pos` first."""
        return np.array([self.relative_pos, *self.other_positions])


@dataclass(frozen=True)
class PartReset:
    """Nominal pose of a part at reset, and how far each randomness level moves it."""

    xy: tuple[float, float]  # m, in the robot base frame
    z: float  # m, height of the body frame when resting on the table
    quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)  # (w, x, y, z) before the yaw
    xy_range: dict[str, float] = field(default_factory=lambda: {"low": 0.015, "med": 0.05})  # +- m
    yaw_range: dict[str, float] = field(  # +- rad
        default_factory=lambda: {"low": np.deg2rad(15), "med": np.deg2rad(45)}
    )


# m, box in the world frame the tool positions of the single-arm tasks are clipped to (the arm's
# base is the world origin).
ONE_ARM_WORKSPACE = ((0.15, -0.45, 0.005), (0.80, 0.45, 0.60))


@dataclass(frozen=True)
class TaskSpec:
    name: str
    description: str
    build_model: Callable[[float], mujoco.MjModel]  # clearance (m) -> compiled scene
    parts: tuple[str, ...]  # body names, in the order of `environment_state`
    resets: dict[str, PartReset]
    pairs: tuple[AssemblyPair, ...]
    episode_length: int  # control steps at `control_hz`
    # Fixed bodies (mocap) placed per environment at reset, not pushed by the perturbations.
    fixtures: dict[str, PartReset] = field(default_factory=dict)
    threads: tuple[scenes.ScrewThread, ...] = ()  # threaded pairs, engaged by the simulator
    # The arms, in the order of the action and `agent_pos`: the name prefix of each arm's elements
    # in the scene ("" for the single arm of panda.xml included as is; "left" for "left/joint1"...).
    arms: tuple[str, ...] = ("",)
    control_hz: int = 10  # control steps per second
    workspace: tuple[tuple[float, float, float], tuple[float, float, float]] = ONE_ARM_WORKSPACE
    # Parts whose frame must be at least this high (m) for the task to count as done (held parts).
    held_above: dict[str, float] = field(default_factory=dict)
    # Camera images the env renders: observation key -> camera name in the scene.
    cameras: dict[str, str] = field(default_factory=lambda: {"front": "front", "wrist": "wrist"})
    ik: DiffIKConfig = DiffIKConfig()  # the IK step's limits (the simulator's default)

    @property
    def num_arms(self) -> int:
        return len(self.arms)


def _z_rotations(count: int) -> np.ndarray:
    angles = 2 * np.pi * np.arange(count) / count
    c, s = np.cos(angles), np.sin(angles)
    rots = np.zeros((count, 3, 3))
    rots[:, 0, 0], rots[:, 0, 1], rots[:, 1, 0], rots[:, 1, 1], rots[:, 2, 2] = c, -s, s, c, 1
    return rots


TASKS: dict[str, TaskSpec] = {
    "peg_in_hole": TaskSpec(
        name="peg_in_hole",
        description="Grasp the peg and insert it into the hole.",
        build_model=scenes.build_peg_in_hole,
        parts=("peg", "hole"),
        resets={
            "peg": PartReset(xy=(0.45, 0.15), z=scenes.PEG_HALF_LENGTH),
            "hole": PartReset(xy=(0.55, -0.10), z=0.01),
        },
        pairs=(
            AssemblyPair(
                child="peg",
                parent="hole",
                relative_pos=(0.0, 0.0, scenes.PEG_HALF_LENGTH),
                symmetries=_z_rotations(4),  # a square peg fits the square hole four ways
            ),
        ),
        episode_length=200,
    ),
}


_LYING_ALONG_X = (float(np.cos(np.pi / 4)), 0.0, float(np.sin(np.pi / 4)), 0.0)  # long axis (z) along +x
# FurnitureBench's randomness of the fixture, +- m.
_FIXTURE_RANGE = {"low": 0.02, "med": 0.04}
_NO_YAW = {"low": 0.0, "med": 0.0}

TASKS["one_leg"] = TaskSpec(
    name="one_leg",
    description="Screw the table leg into the table top.",
    build_model=scenes.build_one_leg,
    parts=(
        "square_table_top",
        "square_table_leg1",
        "square_table_leg2",
        "square_table_leg3",
        "square_table_leg4",
        "fixture",
    ),
    resets={
        "square_table_top": PartReset(xy=(0.5415, 0.0), z=scenes.TOP_HALF_THICKNESS),
        **{
            f"square_table_leg{k + 1}": PartReset(xy=(0.3715, y), z=scenes.LEG_HALF_WIDTH, quat=_LYING_ALONG_X)
            for k, y in enumerate((-0.20, -0.12, 0.12, 0.20))
        },
    },
    fixtures={"fixture": PartReset(xy=(0.6815, 0.0), z=0.015, xy_range=_FIXTURE_RANGE, yaw_range=_NO_YAW)},
    pairs=(
        AssemblyPair(
            child=scenes.ONE_LEG_THREAD.child,
            parent=scenes.ONE_LEG_THREAD.parent,
            relative_pos=scenes.ONE_LEG_THREAD.seats[0],
            other_positions=scenes.ONE_LEG_THREAD.seats[1:],  # any of the four holes
            symmetries=np.eye(3)[None],  # the thread fixes the seated leg's turn
        ),
    ),
    episode_length=700,
    threads=(scenes.ONE_LEG_THREAD,),
)


_MOUTH_ALONG_MINUS_X = (float(np.cos(np.pi / 4)), 0.0, float(-np.sin(np.pi / 4)), 0.0)  # block z along -x


def _square_peg_symmetries() -> np.ndarray:
    """(8, 3, 3): a square bar, symmetric end for end, fits a square hole after any quarter turn
    about its axis, either way round."""
    flip = np.diag([1.0, -1.0, -1.0])  # half a turn about x
    quarters = _z_rotations(4)
    return np.concatenate([quarters, quarters @ flip])


TASKS["biman_insert"] = TaskSpec(
    name="biman_insert",
    description="Pick up the peg and the block, one with each arm, and insert the peg into the block's hole in the air.",
    build_model=scenes.build_biman_insert,
    parts=("peg", "block"),
    resets={
        "peg": PartReset(xy=(-0.12, 0.06), z=scenes.PEG_HALF_WIDTH, quat=_LYING_ALONG_X),
        "block": PartReset(xy=(0.12, -0.06), z=scenes.BLOCK_HALF_WIDTH, quat=_MOUTH_ALONG_MINUS_X),
    },
    pairs=(
        AssemblyPair(
            child="peg",
            parent="block",
            relative_pos=(0.0, 0.0, scenes.BIMAN_PEG_HALF_LENGTH),  # the peg's end on the hole's bottom
            symmetries=_square_peg_symmetries(),
        ),
    ),
    episode_length=500,  # 10 s, the paper's 500 steps at 50 Hz
    arms=scenes.BIMAN_ARMS,
    control_hz=50,
    workspace=((-0.45, -0.45, 0.005), (0.45, 0.45, 0.60)),
    # Both parts lifted: each frame 5 cm above the table (lying, they are 1 and 2.5 cm high).
    held_above={"peg": 0.05, "block": 0.05},
    cameras={"front": "front", "left_wrist": "left/wrist", "right_wrist": "right/wrist"},
    # No joint-step limit: it cut the single-arm tasks' squeeze blow-ups, but here it slowed the arms' carry
    # to the meeting point and left pegs seated so that a 3 mm shove sank them up to 1 mm into the walls (4 of
    # 12 seeds, none without it; docs/results/blowups, S4).
    ik=DiffIKConfig(max_joint_step=None),
)


def sample_part_poses(
    task: TaskSpec, randomness: str, rng: np.random.Generator
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One draw of the reset poses: {part or fixture: (position (3,), quaternion (w, x, y, z))}, base frame.

    The draws (x, y offsets then yaw, part by part in `task.resets` order, then the fixtures) fix what a
    seed means; the simulator (which draws again while two parts overlap) and the franky-sim bench both
    place parts with this function.
    """
    check_randomness(randomness)
    poses = {}
    for name, reset in (*task.resets.items(), *task.fixtures.items()):
        xy_range, yaw_range = reset.xy_range[randomness], reset.yaw_range[randomness]
        xy = np.asarray(reset.xy) + rng.uniform(-xy_range, xy_range, 2)
        quat = multiply_quat(yaw_quat(rng.uniform(-yaw_range, yaw_range)), np.asarray(reset.quat))
        poses[name] = (np.array([xy[0], xy[1], reset.z]), quat)
    return poses


def assembled(task: TaskSpec, positions: np.ndarray, quats: np.ndarray) -> np.ndarray:
    """(N,) whether every assembly pair of `task` is assembled (see `AssemblyPair`).

    Args:
        positions: (N, P, 3) part positions, parts in `task.parts` order (any common frame).
        quats: (N, P, 4) unit quaternions (w, x, y, z) of the parts in the same frame.
    """
    positions, quats = np.asarray(positions, dtype=np.float64), np.asarray(quats, dtype=np.float64)
    success = np.ones(len(positions), dtype=bool)
    for pair in task.pairs:
        child, parent = task.parts.index(pair.child), task.parts.index(pair.parent)
        parent_rot, child_rot = quat_to_matrix(quats[:, parent]), quat_to_matrix(quats[:, child])
        rel_pos = np.einsum("nji,nj->ni", parent_rot, positions[:, child] - positions[:, parent])
        rel_rot = np.swapaxes(parent_rot, 1, 2) @ child_rot
        # At any of the pair's assembled positions (K of them, most pairs one).
        pos_ok = (np.abs(rel_pos[:, None] - pair.positions[None]) <= pair.pos_tolerance).all(axis=2).any(axis=1)
        # diag(rel_rot @ S^T) = row-wise cosines against each symmetric assembled rotation.
        cosines = np.einsum("nij,sij->nsi", rel_rot, pair.symmetries)
        rot_ok = (cosines >= pair.rot_cosine).all(axis=2).any(axis=1)
        success &= pos_ok & rot_ok
    return success


def get_task(name: str) -> TaskSpec:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; available tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name]


def check_randomness(level: str) -> str:
    if level not in RANDOMNESS_LEVELS:
        raise ValueError(f"unknown randomness {level!r}; choose one of {', '.join(RANDOMNESS_LEVELS)}")
    return level
