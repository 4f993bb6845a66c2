import os
import sys, json, numpy as np
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from benchmarks.blowup_rate import diagnose, make_sim
for f in sys.argv[1:]:
    z = np.load(f)
    sim = make_sim(1, int(z["episode_length"]), float(z["clearance_mm"]), str(z["randomness"]), 1)
    r = diagnose(sim, int(z["seed"]), z["actions"])
    print(f, json.dumps(r)); print()
