"""`lerobot-resip-collect` end to end: demos -> `lerobot-train` (diffusion) -> `lerobot-eval`.

The CLIs run as subprocesses from this venv's bin dir, offline and headless. Collection runs
once per module (a fixture), and the training run is shared by the eval test.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")

BIN = Path(sys.executable).parent
REPO_ID = "local/peg_in_hole_test"
NUM_EPISODES = 3
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl", "TQDM_DISABLE": "1"}


def run_cli(name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / name), *args], env=ENV, capture_output=True, text=True, timeout=timeout, check=False
    )


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"rc={result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result


def assert_one_line_error(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("lerobot-resip-collect: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert expected in errors[0], errors[0]
    # torchcodec prints a harmless loader traceback at start-up when system FFmpeg is missing;
    # nothing after it may be one.
    tail = result.stderr.rsplit("[end of libtorchcodec loading traceback]", 1)[-1]
    assert "Traceback" not in tail, result.stderr[-3000:]


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("collect") / "demos"
    ok(
        run_cli(
            "lerobot-resip-collect",
            "--env.type=furniture",
            "--env.task=peg_in_hole",
            "--env.randomness=low",
            f"--num_episodes={NUM_EPISODES}",
            "--num_envs=4",
            "--seed=0",
            f"--dataset.root={root}",
            f"--dataset.repo_id={REPO_ID}",
        )
    )
    return root


@pytest.fixture(scope="module")
def checkpoint(demos, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("train") / "run"
    ok(
        run_cli(
            "lerobot-train",
            "--policy.type=diffusion",
            f"--dataset.repo_id={REPO_ID}",
            f"--dataset.root={demos}",
            "--steps=2",
            "--batch_size=4",
            "--num_workers=0",
            "--save_freq=2",
            "--log_freq=1",
            "--wandb.enable=false",
            "--policy.push_to_hub=false",
            "--policy.device=cpu",
            "--policy.n_obs_steps=1",
            "--policy.horizon=16",
            "--policy.n_action_steps=8",
            "--policy.down_dims=[32,64]",
            "--policy.diffusion_step_embed_dim=32",
            "--policy.noise_scheduler_type=DDIM",
            "--policy.num_inference_steps=4",
            # DiffusionConfig's default mapping has no ENV entry: the parts' poses would go in raw.
            '--policy.normalization_mapping={"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", '
            '"ENV": "MIN_MAX", "ACTION": "MIN_MAX"}',
            f"--output_dir={out}",
        )
    )
    return out / "checkpoints" / "000002" / "pretrained_model"


def test_collect_writes_successful_episodes(demos):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    from lerobot_resip.envs.scenes import PEG_HALF_LENGTH
    from lerobot_resip.envs.tasks import get_task

    ds = LeRobotDataset(REPO_ID, root=demos)
    assert ds.num_episodes == NUM_EPISODES
    assert ds.fps == 10
    assert ds.meta.robot_type == "franka_panda"
    for key, shape in {"observation.state": (16,), "observation.environment_state": (14,), "action": (10,)}.items():
        assert ds.features[key]["dtype"] == "float32"
        assert tuple(ds.features[key]["shape"]) == shape
        assert len(ds.features[key]["names"]) == shape[0]
    assert ds.features["observation.environment_state"]["names"][:4] == ["peg_pos_x", "peg_pos_y", "peg_pos_z", "peg_quat_w"]

    episode_length = get_task("peg_in_hole").episode_length
    ends = np.asarray(ds.meta.episodes["dataset_to_index"])
    lengths = np.asarray(ds.meta.episodes["length"])
    assert ds.num_frames == lengths.sum()
    for end, length in zip(ends, lengths, strict=True):
        assert 10 < length < episode_length  # ended early: success (failures are not saved)
        last = ds[int(end) - 1]
        assert last["task"] == get_task("peg_in_hole").description
        state = last["observation.environment_state"].numpy()
        rel = state[0:3] - state[7:10]  # peg minus hole (both upright at the end)
        # The last observation precedes the final, succeeding action: the peg is centred on
        # the hole and already well inside it.
        assert np.abs(rel[:2]).max() < 0.002
        assert rel[2] < PEG_HALF_LENGTH + 0.015
    assert np.isfinite(np.stack(ds.hf_dataset.with_format("numpy")["action"])).all()


def run_benchmark(name: str, *args: str) -> subprocess.CompletedProcess:
    """A benchmark script, as its docstring says to run it (from the repository root)."""
    return subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], env=ENV, capture_output=True,
                          text=True, timeout=300, check=False, cwd=Path(__file__).resolve().parents[1])


def test_chunk_error_compares_the_base_with_its_demos(demos, checkpoint):
    result = json.loads(ok(run_benchmark("chunk_error", "--policy_path", str(checkpoint), "--dataset_root",
                                         str(demos), "--repo_id", REPO_ID, "--ddim_steps", "4")).stdout)
    assert result["chunks"] > NUM_EPISODES
    assert len(result["position_error_mm"]) == 8  # the checkpoint executes 8 of its 16 actions
    # A two-step base is far from its demos, and two of its samples differ.
    assert min(result["position_error_mm"]) > 1.0 and min(result["sample_spread_mm"]) > 0.0


def test_bc_throughput_times_lerobots_data_path_and_the_update(demos, checkpoint):
    result = json.loads(ok(run_benchmark("bc_throughput", "--policy_path", str(checkpoint), "--dataset_root",
                                         str(demos), "--repo_id", REPO_ID, "--batch_size", "8", "--batches", "2")).stdout)
    for key in ("data_ms_per_batch", "streaming_data_ms_per_batch", "update_ms_per_batch", "baseline_ms_per_batch"):
        assert result[key] > 0
    # LeRobot's per-item path (several Arrow queries per sample) costs far more than gathering the
    # same rows from memory.
    assert result["data_over_baseline"] > 10
    assert 0 < result["data_share"] < 1
    assert 0 < result["streaming_data_share"] < 1
    failed = run_benchmark("bc_throughput", "--policy_path", str(demos), "--dataset_root", str(demos),
                           "--repo_id", REPO_ID)
    assert failed.returncode != 0 and "not a LeRobot checkpoint directory" in failed.stderr


def test_collect_is_deterministic_and_overwrite_semantics(tmp_path):
    """In-process (no CLI start-up): same seed -> same data; existing datasets need --dataset.overwrite."""
    import pandas as pd

    from lerobot_resip.envs.configs import FurnitureEnvConfig
    from lerobot_resip.scripts.collect import CollectConfig, CollectDatasetConfig, CollectError, collect, validate

    def run(root: Path, seed: int = 5, overwrite: bool = False) -> pd.DataFrame:
        cfg = CollectConfig(
            env=FurnitureEnvConfig(task="peg_in_hole"),
            dataset=CollectDatasetConfig(repo_id="local/det", root=str(root), overwrite=overwrite),
            num_episodes=2,
            num_envs=2,
            seed=seed,
        )
        assert collect(cfg, validate(cfg)) == 2
        return pd.concat([pd.read_parquet(p) for p in sorted((root / "data").rglob("*.parquet"))])

    a = run(tmp_path / "a")
    b = run(tmp_path / "b")
    np.testing.assert_array_equal(np.stack(a["action"]), np.stack(b["action"]))
    np.testing.assert_array_equal(
        np.stack(a["observation.environment_state"]), np.stack(b["observation.environment_state"])
    )

    cfg = CollectConfig(dataset=CollectDatasetConfig(repo_id="local/det", root=str(tmp_path / "a")))
    with pytest.raises(CollectError, match="overwrite"):
        validate(cfg)
    c = run(tmp_path / "a", seed=6, overwrite=True)
    assert not np.array_equal(np.stack(a["action"])[:10], np.stack(c["action"])[:10])

    (tmp_path / "empty").mkdir()
    run(tmp_path / "empty")  # an empty directory is fine


def test_train_then_eval_through_lerobot_clis(checkpoint, tmp_path):
    assert (checkpoint / "model.safetensors").is_file()
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["type"] == "diffusion"
    assert set(config["input_features"]) == {"observation.state", "observation.environment_state"}
    assert config["normalization_mapping"]["ENV"] == "MIN_MAX"

    out = tmp_path / "eval"
    ok(
        run_cli(
            "lerobot-eval",
            f"--policy.path={checkpoint}",
            "--env.type=furniture",
            "--env.task=peg_in_hole",
            "--env.episode_length=20",
            "--eval.n_episodes=2",
            "--eval.batch_size=2",
            "--policy.device=cpu",
            f"--output_dir={out}",
        )
    )
    info = json.loads((out / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 2
    assert 0.0 <= info["overall"]["pc_success"] <= 100.0


@pytest.mark.parametrize(
    "case",
    ["unknown_task", "unknown_randomness", "root_is_file", "root_is_foreign_dir", "zero_episodes"],
)
def test_bad_input_is_one_line_error(case, tmp_path):
    args = ["--env.type=furniture", "--env.task=peg_in_hole", f"--dataset.root={tmp_path / 'new'}"]
    if case == "unknown_task":
        args[1], expected = "--env.task=peg_in_a_haystack", "unknown task 'peg_in_a_haystack'"
    elif case == "unknown_randomness":
        args.append("--env.randomness=extreme")
        expected = "unknown randomness 'extreme'"
    elif case == "root_is_file":
        (tmp_path / "file.txt").write_text("keep me")
        args[2], expected = f"--dataset.root={tmp_path / 'file.txt'}", "is not a directory"
    elif case == "root_is_foreign_dir":
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "notes.txt").write_text("keep me")
        args[2], expected = f"--dataset.root={tmp_path / 'mine'}", "not a LeRobot dataset"
    else:
        args.append("--num_episodes=0")
        expected = "--num_episodes must be >= 1"
    assert_one_line_error(run_cli("lerobot-resip-collect", *args, timeout=120), expected)
    assert not (tmp_path / "new").exists()
    if case == "root_is_file":
        assert (tmp_path / "file.txt").read_text() == "keep me"
    if case == "root_is_foreign_dir":
        assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_push_to_hub_offline_fails_cleanly_and_keeps_dataset(tmp_path):
    root = tmp_path / "pushed"
    result = run_cli(
        "lerobot-resip-collect",
        "--env.type=furniture",
        "--num_episodes=1",
        "--num_envs=1",
        f"--dataset.root={root}",
        "--dataset.repo_id=local/push_test",
        "--dataset.push_to_hub=true",
    )
    assert_one_line_error(result, "push to the Hub failed")
    assert (root / "meta" / "info.json").is_file()
    assert json.loads((root / "meta" / "info.json").read_text())["total_episodes"] == 1


@pytest.mark.parametrize("preset", ["peg_in_hole_diffusion_small.json", "peg_in_hole_diffusion_paper.json"])
def test_base_presets_train_on_the_insertion(demos, preset):
    """A demo ends on the step the peg is assembled, so its last frames are the insertion. LeRobot's
    diffusion default skips the last 7 frames of every episode as training samples; a base trained so
    has never been conditioned on a peg inside the mouth (it commanded the tool up at every chunk
    start there: docs/results/README.md, row B1). The presets must keep them: every frame, the final
    one included, is sampled as `lerobot-train` samples."""
    from lerobot.datasets.lerobot_dataset import LeRobotDatasetMetadata
    from lerobot.datasets.sampler import EpisodeAwareSampler
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

    policy = json.loads((Path(__file__).parents[1] / "policies" / preset).read_text())["policy"]
    meta = LeRobotDatasetMetadata(REPO_ID, root=demos)
    ends = meta.episodes["dataset_to_index"]
    sampler = EpisodeAwareSampler(
        meta.episodes["dataset_from_index"], ends, drop_n_last_frames=policy.get("drop_n_last_frames", DiffusionConfig.drop_n_last_frames)
    )
    sampled = set(iter(sampler))
    assert {end - 1 for end in ends} <= sampled
    assert len(sampled) == meta.total_frames


def test_streaming_reader_gives_the_random_access_samples(demos):
    """The small preset and the README pipeline clone the base through LeRobot's streaming reader
    (`--dataset.streaming=true`: several times cheaper per sample on a CPU). One pass of it must yield
    every frame once, the insertion frames included, with the same observation, action chunk and
    padding as the random-access reader that `lerobot-train` uses otherwise."""
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset

    preset = json.loads((Path(__file__).parents[1] / "policies" / "peg_in_hole_diffusion_small.json").read_text())
    assert preset["dataset"]["streaming"] is True
    fps = LeRobotDatasetMetadata(REPO_ID, root=demos).fps
    delta_timestamps = {"observation.state": [0.0], "observation.environment_state": [0.0],
                        "action": [i / fps for i in range(preset["policy"]["horizon"])]}
    random_access = LeRobotDataset(REPO_ID, root=demos, delta_timestamps=delta_timestamps)
    streamed = list(StreamingLeRobotDataset(REPO_ID, root=demos, delta_timestamps=delta_timestamps))

    indices = [int(item["index"]) for item in streamed]
    assert sorted(indices) == list(range(random_access.num_frames))
    assert indices != sorted(indices)  # shuffled
    for item in streamed:
        expected = random_access[int(item["index"])]
        for key in ("observation.state", "observation.environment_state", "action", "action_is_pad"):
            assert torch.equal(item[key], expected[key]), (key, int(item["index"]))
    assert any(item["action_is_pad"].any() for item in streamed)  # chunks running past an episode's end
