"""Does the peg slide in the hand at the hole? From a closed loop's recorded dataset.

Per episode, from the observations (tool point, peg and hole poses): the tool point's height above the peg's
centre when the tool first rises 1 cm above its height at the close (the grasp as lifted) and at the episode's end
(a drop of about 20 mm: the peg has slid up between the fingers until it met the hand), the lowest it went,
the peg's tilt from vertical at the end (degrees), its closest approach to the hole's axis (mm), and its height
above the hole's frame at the end (mm; about 40-52 when inserted, 57-60 resting on the mouth).

    PYTHONPATH=. .venv/bin/python docs/results/franka_sim/grasp_slip.py outputs/franka_sim/<run>/dataset
"""

import json
import sys

import numpy as np
from lerobot.datasets import LeRobotDataset

PEG, PEG_QUAT, HOLE = slice(16, 19), slice(19, 23), slice(23, 26)  # observation.state
TOOL_Z, GRIP = 2, 9


def tilt_deg(quat: np.ndarray) -> float:
    """Angle between the body's z axis and the vertical (w, x, y, z quaternion)."""
    _, x, y, _ = quat
    return float(np.degrees(np.arccos(np.clip(1 - 2 * (x * x + y * y), -1.0, 1.0))))


def main(root: str) -> None:
    frames = LeRobotDataset("local/rollout_peg_in_hole_franky_sim", root=root).hf_dataset.with_format("numpy")
    state, act = np.stack(frames["observation.state"]), np.stack(frames["action"])
    episode = np.asarray(frames["episode_index"])
    for i in sorted(set(episode.tolist())):
        s, a = state[episode == i], act[episode == i]
        above = 1000 * (s[:, TOOL_Z] - s[:, PEG][:, 2])
        off_axis = 1000 * np.linalg.norm((s[:, PEG] - s[:, HOLE])[:, :2], axis=1)
        row = {"episode": i, "steps": len(s)}
        closes = np.flatnonzero(a[:, GRIP] > 0)
        if len(closes):
            c = int(closes[0])
            lifted = np.flatnonzero(s[c:, TOOL_Z] > s[c, TOOL_Z] + 0.01)
            if len(lifted):
                lift = c + int(lifted[0])
                row.update(
                    tool_above_peg_at_lift_mm=round(float(above[lift]), 1),
                    tool_above_peg_end_mm=round(float(above[-1]), 1),
                    tool_above_peg_min_mm=round(float(above[lift:].min()), 1),
                )
        row.update(
            peg_tilt_end_deg=round(tilt_deg(s[-1, PEG_QUAT]), 1),
            peg_closest_to_axis_mm=round(float(off_axis.min()), 1),
            peg_above_hole_end_mm=round(float(1000 * (s[-1, PEG][2] - s[-1, HOLE][2])), 1),
        )
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1])
