"""Reliability through the real commands: `--resume=true` alone restores the run's own settings and
equals the uninterrupted run; an incompatible flag on resume, a truncated weights file and a malformed
config are each one line naming what to do."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from resip_fixtures import make_tiny_base
from safetensors.torch import load_file

BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl", "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
# A run whose settings differ from the command's defaults, so that a resume that forgot them shows; a
# constant learning rate, as the README pipeline, so that extending the run does not reshape a schedule.
RUN_FLAGS = ["--env.type=furniture", "--env.episode_length=6", "--num_envs=2", "--eval_every=1",
             "--eval_episodes=2", "--ppo.update_epochs=2", "--ppo.actor_lr=0.001", "--ppo.lr_schedule=constant", "--num_threads=1",
             "--torch_threads=1", "--seed=3"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / args[0]), *args[1:]], env=ENV, capture_output=True, text=True, timeout=600)


def ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr[-3000:]


def one_line_error(result: subprocess.CompletedProcess, prog: str) -> str:
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith(f"{prog}: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    tail = result.stderr.rsplit("[end of libtorchcodec loading traceback]", 1)[-1]  # harmless, at start-up
    assert "Traceback" not in tail, result.stderr[-3000:]
    return errors[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A 1-iteration run resumed to 2 iterations with `--resume=true` alone, and the same 2 iterations
    straight."""
    tmp = tmp_path_factory.mktemp("reliability")
    base = make_tiny_base(tmp / "base")
    ok(run("lerobot-resip-train", f"--policy.path={base}", *RUN_FLAGS, "--num_iterations=1",
           f"--output_dir={tmp / 'resumed'}"))
    ok(run("lerobot-resip-train", f"--output_dir={tmp / 'resumed'}", "--resume=true", "--num_iterations=2"))
    ok(run("lerobot-resip-train", f"--policy.path={base}", *RUN_FLAGS, "--num_iterations=2",
           f"--output_dir={tmp / 'straight'}"))
    return tmp


def test_resume_alone_equals_the_uninterrupted_run(runs):
    last = "checkpoints/last/pretrained_model/model.safetensors"
    resumed, straight = load_file(runs / "resumed" / last), load_file(runs / "straight" / last)
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=0, atol=0, msg=key)

    def metrics(name):
        lines = [json.loads(line) for line in (runs / name / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in line.items() if not k.startswith("perf/")} for line in lines]

    assert metrics("resumed") == metrics("straight")
    record = json.loads((runs / "resumed/checkpoints/last/pretrained_model/resip_train_config.json").read_text())
    assert record["num_envs"] == 2 and record["env"]["episode_length"] == 6 and record["num_iterations"] == 2
    assert record["state"]["iteration"] == 2


def test_incompatible_flags_on_resume_are_refused_in_one_line(runs):
    out = f"--output_dir={runs / 'resumed'}"
    line = one_line_error(run("lerobot-resip-train", out, "--resume=true", "--num_envs=3", "--num_iterations=3"),
                          "lerobot-resip-train")
    assert "--num_envs=3 differs from the run's 2" in line
    line = one_line_error(run("lerobot-resip-train", out, "--resume=true", "--env.type=furniture", "--env.task=peg_in_hole",
                              "--env.episode_length=60"), "lerobot-resip-train")
    assert "--env.episode_length=60 differs from the run's 6" in line
    line = one_line_error(run("lerobot-resip-train", out, "--resume=true", "--policy.action_scale=0.2"),
                          "lerobot-resip-train")
    assert "a resumed run keeps its policy" in line
    line = one_line_error(run("lerobot-resip-train", out, "--resume=true", "--num_iterations=1"),
                          "lerobot-resip-train")
    assert "below the run's iteration 2" in line
    # Repeating the run's own values is fine (nothing to train: the run is at its end already).
    ok(run("lerobot-resip-train", out, "--resume=true", "--num_envs=2", "--seed=3", "--num_iterations=2"))


def test_truncated_weights_are_one_line_naming_the_file(runs, tmp_path):
    checkpoint = tmp_path / "pretrained_model"
    shutil.copytree(runs / "straight/checkpoints/best/pretrained_model", checkpoint)
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    for prog, args in (("lerobot-resip-eval", ["--num_episodes=1", f"--output_path={tmp_path / 'e.json'}"]),
                       ("lerobot-resip-train", [f"--output_dir={tmp_path / 'run'}", "--num_envs=1"])):
        line = one_line_error(run(prog, f"--policy.path={checkpoint}", *args), prog)
        assert f"{weights} cannot be read" in line and "re-download it or re-train" in line
    result = run("lerobot-eval", f"--policy.path={checkpoint}", "--env.type=furniture", "--eval.n_episodes=1",
                 "--eval.batch_size=1", f"--output_dir={tmp_path / 'lerobot_eval'}")
    assert result.returncode != 0
    assert f"{weights} cannot be read" in result.stderr.strip().splitlines()[-1]


def test_malformed_config_is_one_line_naming_the_file(runs, tmp_path):
    checkpoint = tmp_path / "pretrained_model"
    shutil.copytree(runs / "straight/checkpoints/best/pretrained_model", checkpoint)
    (checkpoint / "config.json").write_text('{"type": "resip", ')
    line = one_line_error(run("lerobot-resip-eval", f"--policy.path={checkpoint}", "--num_episodes=1"),
                          "lerobot-resip-eval")
    assert f"{checkpoint / 'config.json'} is not valid JSON" in line
