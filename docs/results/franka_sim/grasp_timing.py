"""When does the policy lift, and what do the fingers hold then? From a closed loop's recorded dataset.

Per episode: the first control step whose gripper action closes, the finger opening (mm) over the 6 observations
after it, the step the tool first rises 1 cm above its height at the close, the opening then, and how high the
peg rose in the episode (mm). A 20 mm peg held between the fingers reads about 20 mm.

    PYTHONPATH=. .venv/bin/python docs/results/franka_sim/grasp_timing.py outputs/franka_sim/<run>/dataset
"""

import json
import sys

import numpy as np
from lerobot.datasets import LeRobotDataset

from lerobot_resip.envs.tasks import get_task

TOOL_Z, WIDTH, PEG_Z, GRIP = 2, 15, 18, 9  # observation.state and action columns


def main(root: str) -> None:
    frames = LeRobotDataset("local/rollout_peg_in_hole_franky_sim", root=root).hf_dataset.with_format("numpy")
    state, act = np.stack(frames["observation.state"]), np.stack(frames["action"])
    episode = np.asarray(frames["episode_index"])
    peg_rest = get_task("peg_in_hole").resets["peg"].z
    for i in sorted(set(episode.tolist())):
        s, a = state[episode == i], act[episode == i]
        closes = np.flatnonzero(a[:, GRIP] > 0)
        row = {"episode": i, "peg_rise_mm": round(1000 * float(s[:, PEG_Z].max() - peg_rest), 1)}
        if len(closes):
            c = int(closes[0])
            lifted = np.flatnonzero(s[c:, TOOL_Z] > s[c, TOOL_Z] + 0.01)
            lift = c + int(lifted[0]) if len(lifted) else None
            row.update(
                close_step=c,
                width_after_close_mm=[round(1000 * float(w), 1) for w in s[c + 1 : c + 7, WIDTH]],
                lift_step=lift,
                width_at_lift_mm=None if lift is None else round(1000 * float(s[lift, WIDTH]), 1),
            )
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1])
