"""peg_in_hole's scripted expert with the arm's joint targets low-pass filtered (`filtered_arm.py`, time
constant TAU s; 0: as shipped); prints one JSON line.

Usage (from the repository root): python docs/results/blowups/probes/filter_expert.py TAU EPISODES [RANDOMNESS]
"""
import json
import os
import sys

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from filtered_arm import use_filtered_arm  # noqa: E402

from lerobot_resip.envs.expert import expert_success  # noqa: E402

TAU, EPISODES = float(sys.argv[1]), int(sys.argv[2])
RANDOMNESS = sys.argv[3] if len(sys.argv) > 3 else "low"
if TAU > 0:
    use_filtered_arm(TAU)
result = expert_success("peg_in_hole", RANDOMNESS, 0.5, episodes=EPISODES, num_envs=50, first_seed=0)
print(json.dumps({"tau": TAU, **{k: v for k, v in result.items() if not isinstance(v, (list, dict))}}))
