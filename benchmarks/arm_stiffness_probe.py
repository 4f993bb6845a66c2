"""Does a softer arm break a policy? The training simulator with its arm's joint servos made more compliant.

The training simulator's arm follows each IK target with stiff joint position servos (`panda.xml`: kp 2000-4500
N m/rad, about 10x the tool stiffness of a 2000 N/m Cartesian impedance controller), so a target below a
surface the peg rests on presses it hard and a sideways correction still moves it. On franky-sim's FR3
(`docs/results/franka_sim`) the impedance controller stops short where its spring balances the contact. This runs
the same seeded episodes as `lerobot-resip-eval` with `--env.arm_stiffness` at each factor (every arm joint
servo's kp and kv times the factor: the servos' time constant stays 0.1 s, the stiffness falls by the factor)
and prints one JSON object with a row per factor: the arm's stiffness at the tool (home posture) and the policy's
success.

    .venv/bin/python -m benchmarks.arm_stiffness_probe \\
        --policy_path outputs/demo/resip/checkpoints/best/pretrained_model --scale 1 0.3 0.1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from benchmarks.sim_probe import add_probe_arguments, load_probe, summary
from lerobot_resip.envs.sim import tool_stiffness
from lerobot_resip.rl.rollout import evaluate
from lerobot_resip.rl.runtime import make_sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_probe_arguments(parser)
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0, 0.3, 0.1])
    args = parser.parse_args()
    if min(args.scale) <= 0:
        parser.error("--scale factors must be positive")

    policy, io, env, seeds = load_probe(args)
    rows = []
    for scale in args.scale:
        sim = make_sim(dataclasses.replace(env, arm_stiffness=scale), min(args.num_envs, args.episodes), args.seed)
        stiffness = tool_stiffness(sim.model)
        result = evaluate(policy, io, sim, seeds, sampling_seed=args.seed)
        rows.append({"arm_stiffness": scale, "tool_stiffness_xyz_n_per_m": stiffness, **summary(result)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps({"policy_path": args.policy_path, "task": args.task, "randomness": args.randomness,
                      "seed": args.seed, "num_envs": sim.num_envs, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
