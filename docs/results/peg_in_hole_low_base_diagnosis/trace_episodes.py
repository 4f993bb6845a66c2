# Per-step traces of the first 32 held-out episodes (seed 1000) of a base; prints every 8th step of
# the first 8 failures: target - tool (mm), gripper command, finger opening (mm), tool height (mm),
# peg - tool (mm: how deep the peg sits in the grasp), peg height (mm), peg - hole in xy (mm).
# usage: trace_episodes.py <checkpoint> [novel]   (novel: the base was trained without velocities)
import sys, numpy as np
from lerobot_resip.rl import runtime as rt
from lerobot_resip.envs import sim as simmod
from lerobot_resip.envs.configs import FurnitureEnvConfig
if len(sys.argv) > 2 and sys.argv[2] == "novel":
    orig = simmod.BatchedAssemblySim.observation
    def observation(self):
        obs = orig(self); obs["agent_pos"][:, 9:15] = 0.0; return obs
    simmod.BatchedAssemblySim.observation = observation
policy, pre, post = rt.load_policy(rt.resolve_policy_config(sys.argv[1], ["--base_num_inference_steps=16"]))
norm = rt.MinMaxNormalizer.from_pipelines(pre, post)
n = 32
sim = rt.make_sim(FurnitureEnvConfig(task="peg_in_hole", randomness="low"), n, 1000)
log = []
step = sim.step
def rec_step(action, active=None):
    out = step(action, active=active)
    o = out[0]
    log.append(np.concatenate([action[:, [0,1,2,9]], o["agent_pos"][:, [0,1,2,15]], o["environment_state"][:, [0,1,2,7,8,9]]], 1))
    return out
sim.step = rec_step
res = rt.evaluate(policy, sim, norm, rt.episode_seeds(1000, rt.EVAL_SEEDS, 0, n), sampling_seed=1000)
L = np.stack(log)  # T, N, 14
succ = np.array(res["success"])
print("success", succ.sum(), "/", n)
for e in np.flatnonzero(~succ)[:8]:
    print("--- episode", e)
    for t in range(0, L.shape[0], 8):
        a = L[t, e]
        tgt, g, tcp, w, peg, hole = a[:3], a[3], a[4:7], a[7], a[8:11], a[11:14]
        print(f"t{t:3d} tgt-tcp {1000*(tgt-tcp)} g{g:+.0f} w{1000*w:4.0f} tcpz{1000*tcp[2]:4.0f} peg-tcp {1000*(peg-tcp)} pegz{1000*peg[2]:4.0f} peg-hole xy {1000*(peg[:2]-hole[:2])}".replace("\n",""))
