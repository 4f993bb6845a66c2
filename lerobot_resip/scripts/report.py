"""`lerobot-resip-report`: learning curve and base-vs-resip table from a run's outputs.

    lerobot-resip-report --run_dir outputs/demo/resip \\
        --eval "base=outputs/demo/eval/base.json" --eval "resip=outputs/demo/eval/resip.json" \\
        --eval "base, perturbed=outputs/demo/eval/base_perturbed.json" ... --out_dir outputs/demo/report

Writes (under --out_dir):
  - `learning_curve.csv`: one row per PPO iteration of `--run_dir/metrics.jsonl`: env steps, training
    wall-clock (sum of iteration times, so a resumed run does not count its pause), training success
    (residual samples) and evaluation success (residual mean) where evaluated;
  - `learning_curve.png`: evaluation success vs env steps and vs wall-clock, with the training success
    and, when an eval named `base` is given, the base's success as a line;
  - `summary.md`: the table printed on stdout: each evaluation's episodes, success and 95% interval, and
    for each `X` / `resip...` pair with the same suffix, the lift and whether the intervals are disjoint.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

CSV_FIELDS = ("iteration", "env_steps", "wall_clock_s", "train_success_rate", "eval_success_rate")


def learning_curve(metrics_path: Path) -> list[dict]:
    """Rows of CSV_FIELDS from a trainer's metrics.jsonl (the last record of an iteration wins: a run
    resumed after a crash may have logged an iteration twice)."""
    by_iteration = {}
    for line in metrics_path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            by_iteration[record["iteration"]] = record
    rows, wall = [], 0.0
    for iteration in sorted(by_iteration):
        record = by_iteration[iteration]
        wall += record.get("perf/iteration_s", 0.0)
        rows.append({
            "iteration": iteration,
            "env_steps": record["env_steps"],
            "wall_clock_s": round(wall, 2),
            "train_success_rate": record["train/success_rate"],
            "eval_success_rate": record.get("eval/success_rate", ""),
        })
    return rows


def write_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def plot_curve(rows: list[dict], path: Path, base_success: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    evaluated = [r for r in rows if r["eval_success_rate"] != ""]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, key, scale, label in ((axes[0], "env_steps", 1e6, "env steps (millions)"),
                                  (axes[1], "wall_clock_s", 60.0, "training wall-clock (minutes)")):
        ax.plot([r[key] / scale for r in rows], [r["train_success_rate"] for r in rows], color="0.7",
                label="train (residual samples)")
        ax.plot([r[key] / scale for r in evaluated], [r["eval_success_rate"] for r in evaluated], "o-",
                color="C0", label="eval (residual mean)")
        if base_success is not None:
            ax.axhline(base_success, color="C3", linestyle="--", label="base (diffusion)")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("success rate")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary_table(evals: dict[str, dict]) -> str:
    lines = ["| policy | episodes | success | 95% interval |", "|---|---:|---:|---|"]
    for name, result in evals.items():
        low, high = result["success_ci95"]
        lines.append(f"| {name} | {result['episodes']} | {result['success_rate']:.1%} | {low:.1%} - {high:.1%} |")
    comparisons = []
    for name, result in evals.items():
        if not name.startswith("base"):
            continue
        partner = "resip" + name[len("base"):]
        if partner in evals:
            other = evals[partner]
            lift = other["success_rate"] - result["success_rate"]
            disjoint = other["success_ci95"][0] > result["success_ci95"][1] or other["success_ci95"][1] < result["success_ci95"][0]
            comparisons.append(f"- {partner} vs {name}: lift {100 * lift:+.1f} points; 95% intervals "
                               f"{'disjoint' if disjoint else 'OVERLAP'}")
    return "\n".join(lines + ([""] + comparisons if comparisons else []))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lerobot-resip-report", description=__doc__.splitlines()[0])
    parser.add_argument("--run_dir", type=Path, help="a lerobot-resip-train output_dir (has metrics.jsonl)")
    parser.add_argument("--eval", action="append", default=[], metavar="NAME=PATH",
                        help="a lerobot-resip-eval JSON, named (repeatable)")
    parser.add_argument("--out_dir", type=Path, required=True)
    args = parser.parse_args(argv)

    evals = {}
    try:
        for item in args.eval:
            name, sep, path = item.partition("=")
            if not sep:
                raise ValueError(f"--eval expects NAME=PATH, got {item!r}")
            evals[name.strip()] = json.loads(Path(path).read_text())
        metrics = args.run_dir / "metrics.jsonl" if args.run_dir else None
        if metrics is not None and not metrics.is_file():
            raise ValueError(f"{metrics} does not exist; is --run_dir a lerobot-resip-train output_dir?")
    except (OSError, ValueError) as err:
        print(f"lerobot-resip-report: error: {str(err).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    if metrics is not None:
        rows = learning_curve(metrics)
        write_csv(rows, args.out_dir / "learning_curve.csv")
        base = evals.get("base", {}).get("success_rate")
        plot_curve(rows, args.out_dir / "learning_curve.png", base)
    table = summary_table(evals)
    (args.out_dir / "summary.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
