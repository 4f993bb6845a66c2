"""Can an MLP map biman_insert's observations to its actions? R² per action dimension on 5 held-out episodes.
Usage: python docs/results/biman_insert_base/mlp_fit.py <dataset root> <steps ahead (0: the first action)>"""
import sys, glob, numpy as np, pandas as pd, torch
torch.set_num_threads(2); torch.manual_seed(0)
root = sys.argv[1]; H = int(sys.argv[2]) if len(sys.argv) > 2 else 0
df = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(root + '/data/*/*.parquet'))]).reset_index(drop=True)
o = np.concatenate([np.stack(df['observation.state']), np.stack(df['observation.environment_state'])], 1)
a = np.stack(df['action']); ep = df.episode_index.values
# target: action H steps ahead within the episode (clipped at the end)
idx = np.arange(len(df)); tgt = idx.copy()
for e in np.unique(ep):
    m = np.where(ep == e)[0]; tgt[m] = np.minimum(m + H, m[-1])
a = a[tgt]
def norm(x): lo, hi = x.min(0), x.max(0); return (x - lo) / (hi - lo + 1e-8) * 2 - 1
X, Y = torch.tensor(norm(o), dtype=torch.float32), torch.tensor(norm(a), dtype=torch.float32)
test = np.isin(ep, np.unique(ep)[-5:]); tr = ~test
net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 256), torch.nn.Mish(), torch.nn.Linear(256, 256), torch.nn.Mish(), torch.nn.Linear(256, Y.shape[1]))
opt = torch.optim.Adam(net.parameters(), 1e-3)
Xt, Yt = X[tr], Y[tr]
for s in range(3000):
    i = torch.randint(0, len(Xt), (256,)); l = ((net(Xt[i]) - Yt[i]) ** 2).mean()
    opt.zero_grad(); l.backward(); opt.step()
with torch.no_grad():
    for name, m in [("train", tr), ("heldout eps", test)]:
        err = ((net(X[m]) - Y[m]) ** 2).mean(0); var = Y[m].var(0)
        print(name, "mse", err.mean().item().__round__(4), "R2 per dim", (1 - err / var).numpy().round(2))
