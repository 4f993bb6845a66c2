"""Where leg 4's stud is relative to the table top's holes, from a one_leg observation (handover.py,
oracle_carry.py, residual_direction.py)."""

import numpy as np

from lerobot_resip.envs.rotation import quat_to_matrix
from lerobot_resip.envs.scenes import LEG_BODY_LENGTH, LEG_HALF_LENGTH, ONE_LEG_THREAD

STUD_LENGTH = 2 * LEG_HALF_LENGTH - LEG_BODY_LENGTH  # m, the stud's end is this far above seated at the bore's mouth
SEATS = np.asarray(ONE_LEG_THREAD.seats)


def stud_offsets(environment_state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, holes, 3) lateral offset (m) of the stud's end from each hole's axis, (n, holes) its height above
    its seated position along that axis, and (n,) the cosine between the leg's axis and the top's."""
    n = len(environment_state)
    parts = np.asarray(environment_state, dtype=np.float64).reshape(n, -1, 7)
    top_rot, leg_rot = quat_to_matrix(parts[:, 0, 3:]), quat_to_matrix(parts[:, 4, 3:])
    axis, leg_axis = top_rot[:, :, 2], leg_rot[:, :, 2]
    holes = parts[:, 0, None, :3] + np.einsum("nij,hj->nhi", top_rot, SEATS)  # seated leg frames
    offset = (parts[:, 4, :3] - LEG_HALF_LENGTH * leg_axis)[:, None] - (holes - LEG_HALF_LENGTH * axis[:, None])
    height = np.einsum("nhi,ni->nh", offset, axis)
    lateral = offset - height[..., None] * axis[:, None]
    return lateral, height, np.einsum("ni,ni->n", axis, leg_axis)


# O23's region (oracle_carry.py's defaults): the leg upright in the closed hand, its stud near a hole and above it.
ORACLE_RADIUS = 0.020  # m, the stud's end within this of a hole's axis
ORACLE_HEIGHT = 0.060  # m, and at most this above the bore's mouth
HELD = 0.05  # m, the leg's centre within this of the tool: in the hand


def oracle_region(obs: dict, gripper: np.ndarray, radius: float = ORACLE_RADIUS,
                  height_above: float = ORACLE_HEIGHT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n,) whether each env is in O23's region given its gripper command (> 0: closed), (n, 2) the tool's xy
    and (n, 2) the stud's lateral xy offset from the nearest hole's axis, metres."""
    n = len(gripper)
    tool = obs["agent_pos"][:, :3].astype(np.float64)
    lateral, height, cos_tilt = stud_offsets(obs["environment_state"])
    nearest = np.linalg.norm(lateral, axis=-1).argmin(axis=1)
    lateral, height = lateral[np.arange(n), nearest], height[np.arange(n), nearest]
    leg = np.asarray(obs["environment_state"], dtype=np.float64).reshape(n, -1, 7)[:, 4, :3]
    held = (np.linalg.norm(leg - tool, axis=1) < HELD) & (gripper > 0)
    near = ((cos_tilt > np.cos(np.deg2rad(15))) & held & (np.linalg.norm(lateral, axis=1) < radius)
            & (height < STUD_LENGTH + height_above))
    return near, tool[:, :2], lateral[:, :2]
