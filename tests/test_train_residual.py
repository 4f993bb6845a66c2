"""`lerobot-resip-train` and `lerobot-resip-eval` on a tiny random base: checkpoints, exact resume,
deterministic evaluation, the one action path, and the CLI grammar."""

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from resip_fixtures import make_tiny_base
from safetensors.torch import load_file

from lerobot_resip.envs.configs import FurnitureEnvConfig
from lerobot_resip.envs.expert import PHASES, make_expert
from lerobot_resip.policies.resip import ResipConfig, ResipPolicy
from lerobot_resip.rl.ppo import PPOConfig, compute_gae, make_optimizers, ppo_update
from lerobot_resip.rl.rollout import ExpertStart, PolicyIO, collect_rollout, wilson_interval
from lerobot_resip.rl.runtime import episode_seeds, load_policy, make_sim
from lerobot_resip.scripts.evaluate import EvalResidualConfig, run
from lerobot_resip.scripts.train_residual import TrainError, TrainResidualConfig, train, validate

BIN = Path(sys.executable).parent



@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return make_tiny_base(tmp_path_factory.mktemp("base"))


def train_cfg(base: Path, out: Path, iterations: int, resume: bool = False) -> TrainResidualConfig:
    return TrainResidualConfig(
        env=FurnitureEnvConfig(episode_length=8),
        policy=None if resume else ResipConfig(base_path=str(base), device="cpu", push_to_hub=False),
        ppo=PPOConfig(update_epochs=3),
        num_envs=3,
        num_iterations=iterations,
        eval_every=1,
        eval_episodes=4,
        output_dir=out,
        resume=resume,
        num_threads=1,
    )


DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", DEVICES)
def test_rollout_and_update_are_device_generic(base, device):
    """The policy, the rollout's tensors and PPO live on the policy's device (`--policy.device`); only the
    physics runs on CPU threads. On a machine without a GPU this runs the same code on the CPU."""
    policy, pre, post = load_policy(ResipConfig(base_path=str(base), device=device, push_to_hub=False,
                                                task_features="peg_in_hole"))
    sim = make_sim(FurnitureEnvConfig(episode_length=4), 2, seed=0, num_threads=1)
    ro = collect_rollout(policy, PolicyIO(pre, post), sim, np.arange(2))
    for tensor in (ro.inputs, ro.residuals, ro.logprobs, ro.values, ro.rewards, ro.dones, ro.valid):
        assert tensor.device.type == device
    optimizers = make_optimizers(policy.residual, policy.critic, PPOConfig(update_epochs=1))
    adv, ret = compute_gae(ro.rewards, ro.values, ro.dones, 0.99, 0.95)
    m = ro.valid.bool()
    stats = ppo_update(policy.residual_distribution, policy.value, ro.inputs[m], ro.residuals[m], ro.logprobs[m],
                       adv[m], ret[m], ro.values[m], optimizers, PPOConfig(update_epochs=1))
    assert stats["updates"] == 1 and next(policy.residual.parameters()).device.type == device


def test_wilson_interval_and_seeds():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0
    np.testing.assert_array_equal(episode_seeds(0, 1, 2, 3), episode_seeds(0, 1, 0, 5)[2:])


@pytest.mark.parametrize("hold", [1, 4])
def test_exploration_noise_is_held_for_the_given_steps(base, hold):
    policy, pre, post = load_policy(ResipConfig(base_path=str(base), device="cpu", push_to_hub=False))
    # A residual whose mean depends on the state, so a held noise is not a held residual.
    torch.nn.init.normal_(policy.residual.mean[-1].weight, std=0.5)
    sim = make_sim(FurnitureEnvConfig(episode_length=8), 3, seed=0, num_threads=1)
    torch.manual_seed(0)
    ro = collect_rollout(policy, PolicyIO(pre, post), sim, np.arange(3), hold)
    dist = policy.residual_distribution(ro.inputs.reshape(-1, ro.inputs.shape[-1]))
    noise = ((ro.residuals.reshape(-1, ro.residuals.shape[-1]) - dist.mean) / dist.stddev).reshape(ro.residuals.shape)
    steps = noise.shape[0]
    assert steps == 8
    for t in range(1, steps):
        same = torch.allclose(noise[t], noise[t - 1], atol=1e-4)
        assert same == (t % hold != 0), f"step {t}"
    assert not torch.allclose(ro.residuals[1], ro.residuals[0])  # the mean still follows the state
    logprobs = dist.log_prob(ro.residuals.reshape(-1, 10)).sum(-1).reshape(steps, 3)
    torch.testing.assert_close(ro.logprobs, logprobs, rtol=1e-4, atol=1e-4)


def test_expert_started_episodes_train_only_on_the_policy_steps(base):
    """`--expert_start_phase`: in the expert-started envs the scripted expert acts (its actions reach the
    simulator) until it first enters the phase; then the policy plays the rest of the episode, and only its
    steps are in the rollout. The other envs are the policy's from the reset, all 40 steps."""
    policy, pre, post = load_policy(ResipConfig(base_path=str(base), device="cpu", push_to_hub=False))
    env, seeds, phase = FurnitureEnvConfig(episode_length=40), np.array([5, 6]), PHASES.index("descend")
    # The hand-over step, from the expert alone on the same episodes.
    sim = make_sim(env, 2, seed=0, num_threads=1)
    expert, obs = make_expert("peg_in_hole", 2, seed=3), sim.reset(seeds=seeds)
    expert.reset()
    expert_poses = []
    while len(expert_poses) < 40:
        action = expert.act(obs)
        if expert.phase[0] == phase:
            break
        expert_poses.append(action[0, :3])
        obs, *_ = sim.step(action)
    handover = len(expert_poses)
    assert 0 < handover < 40
    start = ExpertStart(make_expert("peg_in_hole", 2, seed=3), np.array([True, False]), phase)
    tool_targets = []
    original_step = sim.step
    sim.step = lambda action, **kw: (tool_targets.append(action[0, :3].copy()), original_step(action, **kw))[1]
    ro = collect_rollout(policy, PolicyIO(pre, post), sim, seeds, expert_start=start)
    valid = ro.valid.numpy()
    assert len(valid) == 40 and valid[:, 1].all()
    np.testing.assert_array_equal(valid[:, 0], np.arange(40) < 40 - handover)
    np.testing.assert_allclose(np.array(tool_targets[:handover]), np.array(expert_poses))


def test_expert_start_phase_is_checked(base, tmp_path):
    cfg = train_cfg(base, tmp_path / "run", iterations=1)
    cfg.expert_start_phase = "screw"
    with pytest.raises(TrainError, match="not a phase of the peg_in_hole expert; choose one of: approach"):
        validate(cfg)
    cfg.expert_start_phase, cfg.expert_start_fraction = "descend", 0.0
    with pytest.raises(TrainError, match="expert_start_fraction"):
        validate(cfg)
    cfg.expert_start_fraction = 0.5
    cfg.num_envs, cfg.env.episode_length = 2, 40
    train(cfg)
    line = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    assert {"train/success_rate_expert_start", "train/success_rate_from_reset"} <= line.keys()


def test_checkpoints_and_exact_resume(base, tmp_path):
    out = tmp_path / "run"
    state = train(train_cfg(base, out, iterations=1))
    assert state["iteration"] == 1
    ckpt = out / "checkpoints"
    for name in ("last", "best"):
        model = ckpt / name / "pretrained_model"
        for f in ("config.json", "model.safetensors", "policy_preprocessor.json", "policy_postprocessor.json"):
            assert (model / f).is_file(), f"{name}/{f}"
        ResipPolicy.from_pretrained(str(model))
    training = ckpt / "last" / "training_state"
    for f in ("actor/optimizer_state.safetensors", "critic/optimizer_state.safetensors", "rng_state.safetensors",
              "training_state.json"):
        assert (training / f).is_file(), f
    assert sorted(p.name for p in ckpt.iterdir()) == ["best", "last"]  # no temporary or .old directories left
    saved_actor = load_file(training / "actor" / "optimizer_state.safetensors")
    steps_after_1 = float(saved_actor["state/0/step"])
    assert steps_after_1 > 0

    # a fresh run refuses to overwrite it
    with pytest.raises(Exception, match="resume"):
        train(train_cfg(base, out, iterations=2))

    state = train(train_cfg(base, out, iterations=2, resume=True))
    assert state["iteration"] == 2
    assert json.loads((training / "training_state.json").read_text())["iteration"] == 2
    resumed_actor = load_file(training / "actor" / "optimizer_state.safetensors")
    # Adam's step counter and moments continued from the saved ones, not from zero
    assert float(resumed_actor["state/0/step"]) > steps_after_1
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["iteration"] for line in lines] == [1, 2]
    # the actor's warm-up continued: iteration 2 ran at the second warm-up learning rate
    assert lines[1]["ppo/actor_lr"] == pytest.approx(3e-4 * 3 / 6)

    # resuming an identical copy of the 1-iteration run gives the same weights as not stopping
    straight = tmp_path / "straight"
    train(train_cfg(base, straight, iterations=2))
    a = load_file(ckpt / "last" / "pretrained_model" / "model.safetensors")
    b = load_file(straight / "checkpoints" / "last" / "pretrained_model" / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)


def test_a_residual_on_chosen_dimensions_trains_only_those(base, tmp_path):
    cfg = train_cfg(base, tmp_path / "run", iterations=1)
    cfg.policy = ResipConfig(base_path=str(base), device="cpu", push_to_hub=False, residual_action_dims=(0, 1))
    train(cfg)
    trained = ResipPolicy.from_pretrained(str(tmp_path / "run" / "checkpoints" / "last" / "pretrained_model"))
    assert trained.config.residual_action_dims == (0, 1) and trained.residual.log_std.shape == (2,)
    assert trained.residual.mean[-1].weight.abs().sum() > 0  # PPO moved the mean off its zero start


def test_a_gated_residual_that_never_acts_is_not_trained(base, tmp_path):
    """`--policy.residual_gate_cm`: in 8-step episodes the peg never comes near the hole, so no residual draw
    is executed; the critic's optimizer steps, the actor's mean stays at its zero start."""
    cfg = train_cfg(base, tmp_path / "run", iterations=1)
    cfg.policy = ResipConfig(base_path=str(base), device="cpu", push_to_hub=False, task_features="peg_in_hole",
                             residual_gate_cm=(1.0, 1.0, 5.0))
    train(cfg)
    line = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    assert line["ppo/acted_share"] == 0.0 and line["ppo/updates"] > 0
    trained = ResipPolicy.from_pretrained(str(tmp_path / "run" / "checkpoints" / "last" / "pretrained_model"))
    assert trained.config.residual_gate_cm == (1.0, 1.0, 5.0)
    assert trained.residual.mean[-1].weight.abs().sum() == 0  # ungated, PPO moves it (the test above)


def test_eval_is_deterministic_for_the_same_seeds(base, tmp_path):
    def evaluate(seed: int, name: str) -> dict:
        cfg = EvalResidualConfig(
            env=FurnitureEnvConfig(episode_length=8),
            policy=ResipConfig(base_path=str(base), device="cpu", push_to_hub=False),
            num_episodes=5, num_envs=3, seed=seed, output_path=tmp_path / name, num_threads=1,
        )
        run(cfg)
        return json.loads((tmp_path / name).read_text())

    first, second, other = evaluate(0, "a.json"), evaluate(0, "b.json"), evaluate(1, "c.json")
    for r in (first, second):
        r.pop("wall_s")
    assert first == second
    assert first["episodes"] == 5 and len(first["seeds"]) == 5 and len(first["success"]) == 5
    assert first["seeds"] != other["seeds"]
    assert 0 <= first["success_ci95"][0] <= first["success_rate"] <= first["success_ci95"][1] <= 1


def test_cli_trains_from_a_diffusion_path_and_evaluates(base, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    common = ["--env.type=furniture", "--env.episode_length=4", "--num_threads=1", "--torch_threads=1"]
    result = subprocess.run(
        [str(BIN / "lerobot-resip-train"), f"--policy.path={base}", "--policy.action_scale=0.05", *common,
         "--num_envs=2", "--num_iterations=1", "--eval_episodes=2", "--ppo.update_epochs=2",
         f"--output_dir={tmp_path / 'run'}"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    model = tmp_path / "run" / "checkpoints" / "best" / "pretrained_model"
    assert json.loads((model / "config.json").read_text())["action_scale"] == 0.05
    result = subprocess.run(
        [str(BIN / "lerobot-resip-eval"), f"--policy.path={model}", *common, "--env.perturb=true",
         "--num_episodes=3", "--num_envs=2", "--num_videos=2", "--video_height=48", "--video_width=64",
         f"--output_path={tmp_path / 'eval.json'}"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads((tmp_path / "eval.json").read_text())
    assert info["episodes"] == 3 and info["env"]["perturb"] is True and info["policy_type"] == "resip"
    videos = sorted(Path(p) for p in info["videos"])
    assert [v.name.split("_")[1] for v in videos] == ["0", "1"]
    for video, length in zip(videos, info["episode_lengths"][:2], strict=True):
        with av.open(str(video)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(frames) == length + 1 and frames[0].shape[:2] == (48, 64)  # reset frame + one per step
