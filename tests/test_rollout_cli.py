"""Real-robot evaluation: the robot-state split step, `lerobot-resip-rollout`'s checks, and the command (and
LeRobot's own `lerobot-rollout`) running a resip checkpoint on the franka robot against franky-sim."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from lerobot.configs import FeatureType, PipelineFeatureType, PolicyFeature
from lerobot.processor import PolicyProcessorPipeline
from lerobot.utils.constants import OBS_ENV_STATE, OBS_STATE
from resip_fixtures import make_tiny_base, make_tiny_resip

from lerobot_resip.policies.resip import make_resip_pre_post_processors
from lerobot_resip.policies.resip.processor_resip import SplitRobotStateStep
from lerobot_resip.rl.runtime import EVAL_SEEDS, episode_seeds
from lerobot_resip.scripts.rollout import ensure_split_step

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny resip checkpoint saved as the trainer saves one (its preprocessor has the split step)."""
    tmp = tmp_path_factory.mktemp("tiny_resip")
    policy = make_tiny_resip(tmp)
    pre, post = make_resip_pre_post_processors(policy.config)
    out = tmp / "pretrained_model"
    policy.save_pretrained(out)
    pre.save_pretrained(out)
    post.save_pretrained(out)
    return out


def test_split_step_splits_passes_through_and_explains():
    step = SplitRobotStateStep(state_dim=16, env_state_dim=14)
    combined = torch.arange(30, dtype=torch.float32)[None]
    out = step.observation({OBS_STATE: combined})
    assert torch.equal(out[OBS_STATE], combined[:, :16]) and torch.equal(out[OBS_ENV_STATE], combined[:, 16:])
    both = {OBS_STATE: combined[:, :16], OBS_ENV_STATE: combined[:, 16:]}
    assert step.observation(dict(both)) == both  # the simulator's observations pass unchanged
    with pytest.raises(ValueError, match="--robot.task") as err:
        step.observation({OBS_STATE: combined[:, :16]})  # a robot without part poses
    assert "\n" not in str(err.value)
    features = step.transform_features(
        {PipelineFeatureType.OBSERVATION: {OBS_STATE: PolicyFeature(type=FeatureType.STATE, shape=(30,))}}
    )[PipelineFeatureType.OBSERVATION]
    assert features[OBS_STATE].shape == (16,) and features[OBS_ENV_STATE].shape == (14,)


def test_saved_resip_preprocessor_carries_the_split(tiny_checkpoint):
    pre = PolicyProcessorPipeline.from_pretrained(str(tiny_checkpoint), config_filename="policy_preprocessor.json")
    assert isinstance(pre.steps[0], SplitRobotStateStep)
    assert (pre.steps[0].state_dim, pre.steps[0].env_state_dim) == (16, 14)


def test_split_added_to_a_diffusion_base_once(tmp_path):
    base = make_tiny_base(tmp_path)
    from lerobot.configs import PreTrainedConfig

    config = PreTrainedConfig.from_pretrained(base)
    pre = PolicyProcessorPipeline.from_pretrained(str(base), config_filename="policy_preprocessor.json")
    assert ensure_split_step(pre, config) and not ensure_split_step(pre, config)
    assert isinstance(pre.steps[0], SplitRobotStateStep)
    out = pre({OBS_STATE: torch.rand(1, 30)})
    assert out[OBS_ENV_STATE].shape == (1, 14)


def test_training_range_clip_sits_before_the_normalizer(tiny_checkpoint):
    """Inputs the simulator never varied (a zero-width range) would be divided by 1e-8: the clip maps them
    back into the training range, and leaves in-range inputs alone."""
    from lerobot.processor import NormalizerProcessorStep

    from lerobot_resip.policies.resip.processor_resip import ClipToTrainingRangeStep
    from lerobot_resip.scripts.rollout import add_training_range_clip

    pre = PolicyProcessorPipeline.from_pretrained(str(tiny_checkpoint), config_filename="policy_preprocessor.json")
    add_training_range_clip(pre)
    add_training_range_clip(pre)  # once only
    kinds = [type(step) for step in pre.steps]
    assert kinds.count(ClipToTrainingRangeStep) == 1
    assert kinds.index(ClipToTrainingRangeStep) == kinds.index(NormalizerProcessorStep) - 1
    clip = pre.steps[kinds.index(ClipToTrainingRangeStep)]
    low, high = (torch.tensor(v) for v in clip.ranges[OBS_ENV_STATE])
    inside = (low + high) / 2
    out = clip.observation({OBS_ENV_STATE: torch.stack([inside, high + 1.0, low - 1.0])})[OBS_ENV_STATE]
    assert torch.equal(out[0], inside) and torch.equal(out[1], high) and torch.equal(out[2], low)
    normalized = pre({OBS_STATE: torch.rand(1, 30) * 10 - 5})  # a robot's state, far out of range
    assert normalized[OBS_STATE].abs().max() <= 1 + 1e-5 and normalized[OBS_ENV_STATE].abs().max() <= 1 + 1e-5


def _rollout(args: list[str], timeout: float = 600, module: str = "lerobot_resip.scripts.rollout"):
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "MUJOCO_GL": "egl"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strategy.type=base"], "use --strategy.type=episodic"),
        (["--strategy.type=episodic", "--fps=30"], "--fps=30 and --dataset.fps=10 must be equal"),
        (["--strategy.type=episodic", "--fps=30", "--dataset.fps=30"], "--robot.control_hz=10"),
        (["--strategy.type=episodic", "--success=operator"], "run in a terminal"),
        (["--strategy.type=episodic", "--scene_reset=nowhere:nothing"], "not an importable module:function"),
    ],
)
def test_bad_rollout_arguments_fail_with_one_line(tiny_checkpoint, tmp_path, extra, message):
    base = [
        f"--policy.path={tiny_checkpoint}",
        "--robot.type=franka",
        "--robot.robot_ip=127.0.0.1",
        f"--robot.calibration_dir={tmp_path}",
        "--dataset.repo_id=local/rollout_x",
        "--dataset.fps=10",
        "--fps=10",
    ]
    result = _rollout(base + extra, timeout=300)
    assert result.returncode == 1, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("lerobot-resip-rollout: error:") and message in last, last


def _bench_robot_args(bench, tmp_path: Path) -> list[str]:
    from lerobot_resip.perception.tags import save_calibration
    from lerobot_resip.robots.franka.sim_scene import bench_calibration

    sizes = {"front": (1280, 960), "side": (1280, 960), "wrist": (640, 480)}
    client = bench.client()
    _, qpos = client.state()
    save_calibration(tmp_path / "bench.json", bench_calibration(client.model_xml(), qpos, sizes))
    client.close()
    cameras = ", ".join(
        f"{n}: {{type: mujoco_sim, bench_address: {bench.address}, camera: {n}, width: {w}, height: {h}, fps: 10}}"
        for n, (w, h) in sizes.items()
    )
    return [
        "--robot.type=franka",
        f"--robot.robot_ip={bench.hostname}",
        "--robot.enforce_realtime=false",
        "--robot.sync_to_robot_clock=true",
        "--robot.task=peg_in_hole",
        f"--robot.tag_calibration={tmp_path / 'bench.json'}",
        f"--robot.cameras={{{cameras}}}",
        f"--robot.calibration_dir={tmp_path / 'calib'}",
        "--device=cpu",
        "--fps=10",
        "--play_sounds=false",
    ]


def test_rollout_command_runs_episodes_on_franky_sim(tiny_checkpoint, tmp_path):
    """The real-robot command against franky-sim: two short episodes recorded, judged by the tag-based check,
    each starting from the part placement lerobot-resip-eval gives the same episode."""
    from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, FrankySimBench

    with FrankySimBench(BenchConfig(task="peg_in_hole")) as bench:
        args = [
            "--strategy.type=episodic",
            f"--policy.path={tiny_checkpoint}",
            *_bench_robot_args(bench, tmp_path),
            "--robot.image_observations=false",
            "--robot.wait_for_gripper=false",  # the untrained policy's grip flips: each wait would lengthen a step
            "--dataset.fps=10",
            "--dataset.repo_id=local/rollout_test",
            f"--dataset.root={tmp_path / 'ds'}",
            "--dataset.num_episodes=2",
            "--dataset.episode_time_s=0.8",
            "--dataset.reset_time_s=0",
            "--dataset.single_task=insert",
            "--dataset.push_to_hub=false",
            "--scene_reset=lerobot_resip.robots.franka.franky_sim_bench:reset_bench_parts",
            "--seed=7",
            f"--results_path={tmp_path / 'results.json'}",
        ]
        result = _rollout(args)
        assert result.returncode == 0, result.stderr[-4000:]
        history = bench.client().history()
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["episodes"] == 2 and results["success_source"] == "tags" and not results["interrupted"]
    seeds = [int(s) for s in episode_seeds(7, EVAL_SEEDS, 0, 2)]
    assert [e["seed"] for e in results["per_episode"]] == seeds == [h["seed"] for h in history]
    for episode in results["per_episode"]:
        assert episode["steps"] == 8 and episode["end"] == "time" and not episode["success"]
        # 10 Hz on the robot's clock: never faster; slower only when the machine is too busy to keep up
        assert 95 <= episode["period_ms"] <= 300
    from lerobot.datasets import LeRobotDataset

    dataset = LeRobotDataset(results["dataset"]["repo_id"], root=results["dataset"]["root"])
    assert dataset.num_episodes == 2 and dataset.meta.robot_type == "franka"
    assert dataset.meta.features["observation.state"]["shape"] == (30,)
    assert dataset.meta.features["observation.state"]["names"][16:23] == [
        f"peg.{a}.pos" for a in ("x", "y", "z", "qw", "qx", "qy", "qz")
    ]
    state = np.stack([np.asarray(dataset[i]["observation.state"]) for i in range(len(dataset))])
    assert np.all(np.abs(state[:, 16:18] - [0.45, 0.15]) < 0.02)  # the peg seen by tags where the reset put it


def test_lerobot_rollout_runs_a_resip_checkpoint_on_franka(tiny_checkpoint, tmp_path):
    """LeRobot's own `lerobot-rollout` (base strategy) runs a resip checkpoint on the franka robot: the split
    step saved in the checkpoint's preprocessor gives the policy its environment state."""
    from lerobot_resip.robots.franka.franky_sim_bench import BenchConfig, FrankySimBench

    with FrankySimBench(BenchConfig(task="peg_in_hole")) as bench:
        args = [
            "--strategy.type=base",
            f"--policy.path={tiny_checkpoint}",
            *_bench_robot_args(bench, tmp_path),
            "--duration=1.5",
            "--return_to_initial_position=false",
        ]
        result = _rollout(args, module="lerobot.scripts.lerobot_rollout")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Rollout finished" in result.stderr
