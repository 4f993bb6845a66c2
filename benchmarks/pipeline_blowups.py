"""Physics blow-ups recorded by a residual-PPO run and its evaluations; prints one JSON object.

Every training iteration's `train/physics_unstable` (episodes of that iteration's rollout that ended in a
blow-up) and every checkpoint-selection evaluation's `eval/physics_unstable` come from the trainer's
`metrics.jsonl`; every `lerobot-resip-eval` JSON holds its own `physics_unstable` count. This adds them up
with their episode counts and 95% Wilson intervals, so a whole pipeline run measures the rate over its
training rollouts (the residual sampled over the base, as in PPO) at no extra cost.

A training iteration rolls out one episode per env (it ends at success, blow-up or the training episode
length), so its episodes are the run's `num_envs`; a trainer evaluation's are its `eval_episodes` (both read
from the run record, `resip_train_config.json`, or given for a run recorded before it existed).

Usage: python benchmarks/pipeline_blowups.py --run_dir outputs/demo/resip --evals outputs/demo/eval/*.json
       python benchmarks/pipeline_blowups.py --run_dir docs/results/peg_in_hole_low_pipeline_eval40_280 \
           --num_envs 64 --eval_episodes 256 --evals docs/results/peg_in_hole_low_pipeline_eval40/*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lerobot_resip.rl.rollout import wilson_interval


def _rate(blowups: int, episodes: int) -> dict:
    low, high = wilson_interval(blowups, episodes)
    return {"blowups": blowups, "episodes": episodes, "rate": blowups / max(episodes, 1), "interval_95": [low, high]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", type=Path, required=True, help="a lerobot-resip-train output_dir")
    parser.add_argument("--evals", type=Path, nargs="*", default=[], help="lerobot-resip-eval JSON files")
    parser.add_argument("--num_envs", type=int, help="the run's --num_envs, for a run dir without its run record")
    parser.add_argument("--eval_episodes", type=int, help="the run's --eval_episodes, likewise")
    args = parser.parse_args()

    metrics_path = args.run_dir / "metrics.jsonl"
    if not metrics_path.is_file():
        raise SystemExit(f"error: {metrics_path} not found: --run_dir must be a lerobot-resip-train output_dir")
    rows = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    record_path = args.run_dir / "checkpoints" / "last" / "pretrained_model" / "resip_train_config.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    per_iteration = args.num_envs or record.get("num_envs")
    eval_episodes = args.eval_episodes or record.get("eval_episodes")
    if per_iteration is None or eval_episodes is None:
        raise SystemExit(f"error: {record_path} not found: pass --num_envs and --eval_episodes of the run")

    iterations = sorted({row["iteration"]: row for row in rows}.values(), key=lambda row: row["iteration"])
    train_blowups = sum(int(row["train/physics_unstable"]) for row in iterations)
    evaluated = [row for row in iterations if "eval/physics_unstable" in row]
    result = {
        "run_dir": str(args.run_dir),
        "iterations": len(iterations),
        "training_rollouts": _rate(train_blowups, per_iteration * len(iterations)),
        "blowup_iterations": [row["iteration"] for row in iterations if row["train/physics_unstable"]],
        "trainer_evaluations": _rate(
            sum(int(row["eval/physics_unstable"]) for row in evaluated), eval_episodes * len(evaluated)
        ),
        "evaluations": {},
    }
    for path in args.evals:
        report = json.loads(path.read_text())
        result["evaluations"][f"{path.parent.name}/{path.name}"] = _rate(
            int(report["physics_unstable"]), int(report["episodes"])
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
