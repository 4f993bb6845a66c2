"""Copy a state-only LeRobotDataset keeping every k-th frame (fps / k): biman_insert's demos at 10 Hz.
Usage: python resample.py <source root> <destination root> <k>"""

import glob
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from lerobot.datasets.lerobot_dataset import LeRobotDataset

src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
info = json.loads(Path(src, "meta/info.json").read_text())
feats = {
    n: f for n, f in info["features"].items() if n in ("observation.state", "observation.environment_state", "action")
}
df = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(src + "/data/*/*.parquet"))]).reset_index(drop=True)
shutil.rmtree(dst, ignore_errors=True)
ds = LeRobotDataset.create(
    "local/resampled",
    fps=info["fps"] // k,
    features=feats,
    root=dst,
    robot_type=info.get("robot_type"),
    use_videos=False,
)
for _, g in df.groupby("episode_index"):
    g = g.sort_values("frame_index").iloc[::k]
    for _, r in g.iterrows():
        ds.add_frame({n: np.asarray(r[n], dtype=np.float32) for n in feats} | {"task": "insert"})
    ds.save_episode()
ds.finalize()
print("frames", ds.meta.total_frames, "fps", ds.fps)
