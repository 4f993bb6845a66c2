"""lerobot-resip-report: learning curve CSV/PNG from metrics.jsonl, base-vs-resip table."""

from __future__ import annotations

import csv
import json

import pytest

from lerobot_resip.scripts.report import main


def eval_json(path, rate: float, low: float, high: float, episodes: int = 256):
    path.write_text(json.dumps({"success_rate": rate, "success_ci95": [low, high], "episodes": episodes}))
    return path


def test_curve_and_table(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    records = [
        {"iteration": 1, "env_steps": 100, "perf/iteration_s": 2.0, "train/success_rate": 0.1},
        {"iteration": 2, "env_steps": 200, "perf/iteration_s": 2.0, "train/success_rate": 0.2,
         "eval/success_rate": 0.3},
        # iteration 2 again, logged by a resumed run: the last record wins
        {"iteration": 2, "env_steps": 210, "perf/iteration_s": 3.0, "train/success_rate": 0.25,
         "eval/success_rate": 0.35},
    ]
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    base = eval_json(tmp_path / "base.json", 0.2, 0.15, 0.26)
    resip = eval_json(tmp_path / "resip.json", 0.95, 0.92, 0.97)
    base_p = eval_json(tmp_path / "base_p.json", 0.2, 0.15, 0.26)
    resip_p = eval_json(tmp_path / "resip_p.json", 0.25, 0.2, 0.31)
    out = tmp_path / "report"

    main(["--run_dir", str(run), "--out_dir", str(out), "--eval", f"base={base}", "--eval", f"resip={resip}",
          "--eval", f"base_perturbed={base_p}", "--eval", f"resip_perturbed={resip_p}"])

    with open(out / "learning_curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["iteration"] for r in rows] == ["1", "2"]
    assert rows[1]["env_steps"] == "210" and float(rows[1]["wall_clock_s"]) == 5.0
    assert rows[0]["eval_success_rate"] == "" and float(rows[1]["eval_success_rate"]) == 0.35
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    table = capsys.readouterr().out
    assert "| resip | 256 | 95.0% | 92.0% - 97.0% |" in table
    assert "resip vs base: lift +75.0 points; 95% intervals disjoint" in table
    assert "resip_perturbed vs base_perturbed: lift +5.0 points; 95% intervals OVERLAP" in table
    assert (out / "summary.md").read_text().strip() == table.strip()


def test_missing_metrics_is_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--run_dir", str(tmp_path), "--out_dir", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("lerobot-resip-report: error:") and "metrics.jsonl" in err and "\n" not in err
