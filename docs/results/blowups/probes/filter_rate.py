"""`benchmarks/blowup_rate.py` with the arm's joint targets low-pass filtered (`filtered_arm.py`, time
constant TAU s). Every other argument goes to blowup_rate.

Usage (from the repository root): python docs/results/blowups/probes/filter_rate.py TAU <blowup_rate.py arguments>
"""
import os
import sys

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
from benchmarks import blowup_rate  # noqa: E402
from filtered_arm import use_filtered_arm  # noqa: E402

TAU = float(sys.argv.pop(1))
use_filtered_arm(TAU)
print(f"filter_rate: arm joint targets filtered, tau {TAU * 1000:.0f} ms", file=sys.stderr, flush=True)
blowup_rate.main()
