"""Instability or a real flick? Each recorded blow-up continued past the simulator's 50 rad/s check.

Replays a blow-up's episode from its seed and actions up to its last good state, then runs its last control
step's command (joint targets and gripper) for 40 + HOLD substeps with no speed check, one substep at a time,
and prints per event: the peg's spin about its long axis (`peg[5]`, rad/s) at each substep of the burst, how
often the spin changes sign from one substep to the next while above 10 rad/s (an oscillation of the
discrete contact dynamics flips it every substep; a flick does not), the angle the peg turns through, the
largest speed anywhere afterwards, and whether the state stays finite.

Usage (from the repository root):
    python docs/results/blowups/probes/continue_past.py [--hold 400] [--finger-kv KV --wrist-limit NM] <npz files>
with the gripper and wrist the episodes were recorded on (`recorded_physics.py`; S2's: --finger-kv 20 --wrist-limit 0).
"""
import argparse
import os
import sys

import mujoco
import numpy as np

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "."]
import recorded_physics  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold", type=int, default=400, help="substeps (2.5 ms) after the control step")
    recorded_physics.add_arguments(parser)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    recorded_physics.apply_arguments(args)
    for path in args.files:
        sim, data, ctrl = recorded_physics.last_good_state(path)
        model = sim.model
        data.ctrl[:] = ctrl
        peg = model.joint("peg").dofadr[0]
        spin, speed = [], []
        angle = 0.0
        for _ in range(40 + args.hold):
            mujoco.mj_step(model, data)
            spin.append(float(data.qvel[peg + 5]))
            speed.append(float(np.abs(data.qvel).max()))
            angle += spin[-1] * model.opt.timestep
            if not np.isfinite(data.qvel).all():
                break
        spin, speed = np.array(spin), np.array(speed)
        fast = np.abs(spin) > 10
        flips = int(np.sum(fast[1:] & fast[:-1] & (np.sign(spin[1:]) != np.sign(spin[:-1]))))
        first = int(np.argmax(np.abs(spin) > 50)) if (np.abs(spin) > 50).any() else -1
        burst = np.flatnonzero(fast)
        print(f"{os.path.basename(path)}: peak spin {np.abs(spin).max():.1f} rad/s at substep "
              f"{int(np.abs(spin).argmax())}, first >50 at {first}, substeps >10 rad/s {int(fast.sum())}, "
              f"sign flips among them {flips}, peg turned {np.degrees(angle):.0f} deg, "
              f"max speed after substep 40 {speed[40:].max():.2f}, finite {bool(np.isfinite(speed).all())}")
        if len(burst):
            lo, hi = max(burst[0] - 2, 0), min(burst[-1] + 3, len(spin))
            print("  spin", np.round(spin[lo:hi], 1).tolist()[:60])


if __name__ == "__main__":
    main()
