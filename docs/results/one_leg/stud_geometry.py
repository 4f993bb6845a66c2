"""Where leg 4's stud is relative to the table top's holes, from a one_leg observation (handover.py,
oracle_carry.py)."""

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
