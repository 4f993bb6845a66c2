"""A base's first action on 64 of its training frames against the demo's: median error per dimension and
position error per arm. Usage: PYTHONPATH=. python docs/results/biman_insert_base/offline_error.py <checkpoint>"""
import contextlib, sys, glob, numpy as np, torch, pandas as pd
from lerobot.utils.constants import OBS_STATE, OBS_ENV_STATE, ACTION
from lerobot_resip.rl.rollout import PolicyIO
from lerobot_resip.rl.runtime import load_policy, resolve_policy_config
path=sys.argv[1]
with contextlib.redirect_stdout(sys.stderr):
    policy, pre, post = load_policy(resolve_policy_config(path, []))
io = PolicyIO(pre, post)
f=glob.glob('outputs/biman_insert/dataset/data/**/*.parquet',recursive=True)
df=pd.concat([pd.read_parquet(x) for x in f])
idx = np.arange(0, len(df), 97)[:64]
rows = df.iloc[idx]
obs = {"agent_pos": np.stack(rows['observation.state'].values).astype(np.float32),
       "environment_state": np.stack(rows['observation.environment_state'].values).astype(np.float32)}
policy.reset()
with torch.no_grad():
    step = policy.act(io.batch(obs), deterministic=True, generator=torch.Generator().manual_seed(0), active=torch.ones(64, dtype=torch.bool))
a = io.env_action(step.action)
true = np.stack(rows['action'].values)
err = np.abs(a-true)
print("median abs err per dim", np.median(err,0).round(4))
print("pos err mm left/right", np.median(np.linalg.norm(a[:,:3]-true[:,:3],axis=1))*1000, np.median(np.linalg.norm(a[:,10:13]-true[:,10:13],axis=1))*1000)
