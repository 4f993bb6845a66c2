"""The `resip` policy: zero-init residual, per-env queues, self-contained checkpoints, bad input,
the chunk-sampling wrapper, the pretraining loss, and `lerobot-eval` / `lerobot-train --help` through
the real CLIs."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from lerobot.configs import FeatureType, PolicyFeature
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.factory import make_pre_post_processors
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE
from resip_fixtures import ENV_STATE_DIM, TINY_HORIZON, make_tiny_base
from safetensors.torch import load_file, save_file

from lerobot_resip.envs.sim import ACTION_DIM, STATE_DIM
from lerobot_resip.policies.resip import (
    ResipConfig,
    ResipPolicy,
    make_resip_pre_post_processors,
    modeling_resip,
    sample_base_chunk,
)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    return make_tiny_base(tmp_path_factory.mktemp("tiny_base"))


@pytest.fixture(scope="module")
def saved_resip(tmp_path_factory, base_dir) -> Path:
    """A resip checkpoint (weights, config, processors) whose residual is no longer zero."""
    tmp = tmp_path_factory.mktemp("resip")
    policy = ResipPolicy(ResipConfig(base_path=str(base_dir), device="cpu", push_to_hub=False))
    torch.manual_seed(1)
    with torch.no_grad():
        for p in policy.residual.parameters():
            p.add_(0.05 * torch.randn_like(p))
    preprocessor, postprocessor = make_resip_pre_post_processors(policy.config)
    out = tmp / "pretrained_model"
    policy.save_pretrained(out)
    preprocessor.save_pretrained(out)
    postprocessor.save_pretrained(out)
    return out


def make_policy(base_dir: Path, **overrides) -> ResipPolicy:
    return ResipPolicy(ResipConfig(base_path=str(base_dir), device="cpu", push_to_hub=False, **overrides))


def obs_batch(batch_size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        OBS_STATE: torch.rand(batch_size, STATE_DIM, generator=g) * 2 - 1,
        OBS_ENV_STATE: torch.rand(batch_size, ENV_STATE_DIM, generator=g) * 2 - 1,
    }


def assert_one_line_value_error(excinfo, *fragments: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_fresh_resip_acts_exactly_like_its_base(base_dir):
    policy = make_policy(base_dir)
    assert not any(p.requires_grad for p in policy.base.parameters())
    assert not policy.base.training
    batch = obs_batch(4)
    for step in range(10):  # crosses a chunk boundary (n_action_steps = 8)
        torch.manual_seed(step)
        base_action = policy.base_action(batch)
        residual = policy.residual_distribution(policy.residual_input(batch, base_action))
        assert torch.equal(residual.mean, torch.zeros_like(residual.mean))
        assert torch.allclose(residual.stddev, torch.full_like(residual.stddev, torch.e**-1.0))
        assert torch.equal(policy.combine(base_action, residual.mean), base_action)

    # select_action (the lerobot-eval path) with the same sampling noise gives the base's actions.
    policy.reset()
    torch.manual_seed(0)
    base_actions = [policy.base_action(batch) for _ in range(3)]
    policy.reset()
    torch.manual_seed(0)
    for expected in base_actions:
        assert torch.equal(policy.select_action(batch), expected)
    assert policy.predict_action_chunk(batch).shape == (4, 1, ACTION_DIM)
    assert policy.value(policy.residual_input(batch, base_actions[0])).shape == (4,)


def test_reset_one_env_leaves_the_other_queues_alone(base_dir, monkeypatch):
    policy = make_policy(base_dir)
    sampled_batch_sizes = []

    def recording_sampler(base, batch, *args):
        sampled_batch_sizes.append(batch[OBS_STATE].shape[0])
        return sample_base_chunk(base, batch, *args)

    monkeypatch.setattr(modeling_resip, "sample_base_chunk", recording_sampler)
    batch = obs_batch(3)
    for _ in range(3):
        policy.base_action(batch)
    assert sampled_batch_sizes == [3]  # one chunk for all three envs, then popped from the queues
    queue = policy._queue.clone()

    policy.reset(env_ids=[1])
    action = policy.base_action(batch)
    assert sampled_batch_sizes == [3, 1]  # only env 1 resampled
    assert torch.equal(action[0], queue[0, 3]) and torch.equal(action[2], queue[2, 3])
    assert not torch.equal(action[1], queue[1, 3])
    assert torch.equal(action[1], policy._queue[1, 0])
    assert policy._queue_pos.tolist() == [4, 1, 4]

    for _ in range(5):  # envs 0 and 2 finish their chunk and start a new one; env 1 is mid-chunk
        policy.base_action(batch)
    assert sampled_batch_sizes == [3, 1, 2]  # envs 0 and 2 resampled together, env 1 untouched
    assert policy._queue_pos.tolist() == [1, 6, 1]

    policy.reset()  # all envs
    policy.base_action(batch)
    assert sampled_batch_sizes == [3, 1, 2, 3]

    # Queues made under inference_mode (lerobot-eval) keep working in ordinary mode (PPO rollouts).
    policy.reset()
    with torch.inference_mode():
        policy.select_action(batch)
    policy.reset(env_ids=torch.tensor([2]))
    policy.base_action(batch)
    assert policy._queue_pos.tolist() == [2, 2, 1]

    # Envs whose episode is over (inactive) neither pop nor resample.
    policy.reset()
    sampled_batch_sizes.clear()
    active = torch.tensor([True, False, True])
    for _ in range(9):
        action = policy.base_action(batch, active=active)
        assert torch.isfinite(action).all()
    assert sampled_batch_sizes == [2, 2]
    assert policy._queue_pos.tolist() == [1, 8, 1]


def test_save_load_gives_identical_actions_without_the_base_on_disk(tmp_path, saved_resip):
    original = ResipPolicy.from_pretrained(saved_resip)
    base_path = Path(original.config.base_path)
    config = json.loads((saved_resip / "config.json").read_text())
    assert config["type"] == "resip" and config["base_config"]["type"] == "diffusion"

    # The checkpoint holds everything: move the original base away and load again.
    copy = tmp_path / "copy"
    shutil.copytree(saved_resip, copy)
    moved = base_path.with_name("moved_away")
    base_path.rename(moved)
    try:
        loaded = ResipPolicy.from_pretrained(copy)
        preprocessor, _ = make_pre_post_processors(loaded.config, pretrained_path=str(copy))
    finally:
        moved.rename(base_path)
    assert set(original.state_dict()) == set(loaded.state_dict())
    for key, value in original.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    assert not any(p.requires_grad for p in loaded.base.parameters())

    batch = preprocessor({OBS_STATE: torch.rand(2, STATE_DIM), OBS_ENV_STATE: torch.rand(2, ENV_STATE_DIM)})
    for policy in (original, loaded):
        policy.reset()
    for step in range(9):
        torch.manual_seed(step)
        a = original.select_action(batch)
        torch.manual_seed(step)
        b = loaded.select_action(batch)
        assert torch.equal(a, b)
        if step == 0:
            assert not torch.equal(a, original._queue[:, 0])  # the perturbed residual is really applied


def test_missing_base_path_is_one_line_error(tmp_path):
    with pytest.raises(ValueError) as excinfo:
        ResipConfig(base_path=str(tmp_path / "nope"), device="cpu")
    assert_one_line_value_error(excinfo, "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError) as excinfo:
        ResipConfig(base_path=str(tmp_path / "empty"), device="cpu")
    assert_one_line_value_error(excinfo, "config.json")


def test_base_not_matching_the_env_is_one_line_error(tmp_path):
    base7 = make_tiny_base(tmp_path / "base7", action_dim=7)
    config = ResipConfig(base_path=str(base7), device="cpu")
    # make_policy sets the output features from the env (10-d actions) before building the policy.
    config.output_features = {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(ACTION_DIM,))}
    with pytest.raises(ValueError) as excinfo:
        ResipPolicy(config)
    assert_one_line_value_error(excinfo, "action", "(10,)", "(7,)")


def test_base_with_other_normalization_is_one_line_error(tmp_path, base_dir):
    base = tmp_path / "base_no_env_norm"
    shutil.copytree(base_dir, base)
    config = json.loads((base / "config.json").read_text())
    del config["normalization_mapping"]["ENV"]  # LeRobot's default: environment state not normalized
    (base / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError) as excinfo:
        make_policy(base)
    assert_one_line_value_error(excinfo, "ENV", "IDENTITY", "normalization_mapping")


@pytest.mark.parametrize("case", ["action_dim", "weights", "stats_shape"])
def test_mismatched_checkpoint_is_one_line_error(case, tmp_path, saved_resip):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(saved_resip, ckpt)
    if case == "action_dim":
        config = json.loads((ckpt / "config.json").read_text())
        config["output_features"][ACTION]["shape"] = [7]
        (ckpt / "config.json").write_text(json.dumps(config))
        expected = ("action", "(7,)", "(10,)")
    elif case == "weights":
        config = json.loads((ckpt / "config.json").read_text())
        config["residual_hidden_dims"] = [64, 64]
        (ckpt / "config.json").write_text(json.dumps(config))
        expected = ("residual", "shape")
    else:
        stats_file = next(ckpt.glob("policy_preprocessor_step_*_normalizer_processor.safetensors"))
        stats = load_file(stats_file)
        stats["observation.state.min"] = stats["observation.state.min"][:15]
        save_file(stats, stats_file)
        expected = ("observation.state.min", "(15,)", "(16,)")
    with pytest.raises(ValueError) as excinfo:
        ResipPolicy.from_pretrained(ckpt)
    assert_one_line_value_error(excinfo, *expected)


def test_chunk_sampler_returns_full_horizon_with_configured_ddim_steps(base_dir):
    policy = make_policy(base_dir, base_num_inference_steps=3)
    assert isinstance(policy.base.diffusion.noise_scheduler, DDIMScheduler)
    calls = []
    hook = policy.base.diffusion.unet.register_forward_hook(lambda *args: calls.append(1))
    try:
        chunk = sample_base_chunk(policy.base, obs_batch(5), policy.config.base_num_inference_steps)
    finally:
        hook.remove()
    assert chunk.shape == (5, TINY_HORIZON, ACTION_DIM)
    assert len(calls) == 3
    assert len(policy.base.diffusion.noise_scheduler.timesteps) == 3
    # Same generator seed -> same chunk (what makes sampling reproducible).
    a = sample_base_chunk(policy.base, obs_batch(2), 3, generator=torch.Generator().manual_seed(7))
    b = sample_base_chunk(policy.base, obs_batch(2), 3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_exp_mish_is_torchs_mish():
    x = torch.cat([torch.linspace(-100.0, 100.0, 20001), torch.tensor([-1e30, -1e4, 1e4, 1e30])]).requires_grad_()
    reference = x.detach().clone().requires_grad_()
    y, y_ref = modeling_resip.ExpMish()(x), torch.nn.functional.mish(reference)
    assert torch.allclose(y, y_ref, rtol=1e-6, atol=1e-6)
    y.sum().backward()
    y_ref.sum().backward()
    assert torch.allclose(x.grad, reference.grad, rtol=1e-5, atol=1e-5)


def test_resip_samples_the_chunks_lerobots_own_base_samples(base_dir):
    """ResiP's U-Net computes Mish with `ExpMish`: the same chunks as LeRobot's DiffusionPolicy (torch's Mish)
    to 1e-5 in normalized action units (actions span [-1, 1])."""
    policy = make_policy(base_dir)
    assert not any(isinstance(m, torch.nn.Mish) for m in policy.base.modules())
    lerobots = DiffusionPolicy.from_pretrained(base_dir, config=policy.config.base_diffusion_config()).eval()
    assert any(isinstance(m, torch.nn.Mish) for m in lerobots.modules())
    obs = obs_batch(16)
    with torch.no_grad():
        ours = sample_base_chunk(policy.base, obs, 4, generator=torch.Generator().manual_seed(3))
        theirs = sample_base_chunk(lerobots, obs, 4, generator=torch.Generator().manual_seed(3))
    assert (ours - theirs).abs().max() < 1e-5


def test_zero_noise_scale_makes_the_base_deterministic(base_dir):
    policy = make_policy(base_dir, base_num_inference_steps=3, base_noise_scale=0.0)
    obs = obs_batch(3)
    actions = []
    for seed in (1, 2):
        policy.reset()  # a fresh chunk for each seed
        actions.append(policy.base_action(obs, generator=torch.Generator().manual_seed(seed)))
    assert torch.equal(actions[0], actions[1])
    # At the default scale 1 the seed matters.
    a = sample_base_chunk(policy.base, obs, 3, generator=torch.Generator().manual_seed(1))
    b = sample_base_chunk(policy.base, obs, 3, generator=torch.Generator().manual_seed(2))
    assert not torch.equal(a, b)


def test_a_two_observation_base_sees_each_envs_last_two_observations(tmp_path):
    """Per env, as LeRobot's DiffusionPolicy for one env: a chunk is conditioned on the previous and the
    current observation, an episode's first observation fills both slots, and `reset` of one env
    restarts only that env's history."""
    base = make_tiny_base(tmp_path / "base", n_obs_steps=2)
    policy = make_policy(base, base_noise_scale=0.0)  # deterministic chunks: comparable one to one
    steps = [obs_batch(3, seed=t) for t in range(9)]

    def chunk(history: list[dict[str, torch.Tensor]], env: int) -> torch.Tensor:
        obs = {key: torch.stack([h[key][env] for h in history])[None] for key in (OBS_STATE, OBS_ENV_STATE)}
        return sample_base_chunk(policy.base, obs, policy.config.base_num_inference_steps, noise_scale=0.0)[0]

    actions = []
    for t, obs in enumerate(steps):
        if t == 5:
            policy.reset([1])
        actions.append(policy.base_action(obs))
    for env in (0, 2):
        torch.testing.assert_close(actions[0][env], chunk([steps[0], steps[0]], env)[0])
        torch.testing.assert_close(actions[7][env], chunk([steps[0], steps[0]], env)[7])
        torch.testing.assert_close(actions[8][env], chunk([steps[7], steps[8]], env)[0])
    torch.testing.assert_close(actions[5][1], chunk([steps[5], steps[5]], 1)[0])
    torch.testing.assert_close(actions[8][1], chunk([steps[5], steps[5]], 1)[3])
    # The history matters: the chunk of [o7, o8] is not the chunk of [o8, o8].
    assert not torch.allclose(chunk([steps[7], steps[8]], 0), chunk([steps[8], steps[8]], 0))


def test_negative_noise_scale_is_one_line_error(base_dir):
    with pytest.raises(ValueError) as excinfo:
        make_policy(base_dir, base_noise_scale=-0.5)
    assert_one_line_value_error(excinfo, "base_noise_scale", ">= 0")


def test_per_dimension_log_std_sets_each_dimensions_noise_and_survives_save_load(tmp_path, base_dir):
    log_std = tuple(-3.0 + 0.25 * i for i in range(ACTION_DIM))
    policy = make_policy(base_dir, init_log_std_per_dim=log_std)
    batch = obs_batch(2)
    step = policy.act(batch, deterministic=False, generator=torch.Generator().manual_seed(0))
    expected_std = torch.tensor(log_std).exp().expand(2, ACTION_DIM)
    torch.testing.assert_close(step.residual, expected_std * step.noise)  # mean 0: residual = std * noise
    policy.save_pretrained(tmp_path / "resip")
    loaded = ResipPolicy.from_pretrained(tmp_path / "resip")
    assert loaded.config.init_log_std_per_dim == log_std
    torch.testing.assert_close(loaded.residual.log_std, torch.tensor(log_std))


def test_a_residual_on_chosen_dimensions_leaves_the_others_to_the_base_and_survives_save_load(tmp_path, base_dir):
    log_std = tuple(-3.0 + 0.25 * i for i in range(ACTION_DIM))
    policy = make_policy(base_dir, residual_action_dims=(1, 0), init_log_std_per_dim=log_std)
    batch = obs_batch(3)
    step = policy.act(batch, deterministic=False, generator=torch.Generator().manual_seed(0))
    assert step.residual.shape == (3, 2) and step.logprob.shape == (3,)
    torch.testing.assert_close(step.residual, torch.tensor([log_std[1], log_std[0]]).exp() * step.noise)
    moved = step.action - step.base_action
    torch.testing.assert_close(moved[:, [1, 0]], policy.config.action_scale * step.residual)
    assert torch.equal(moved[:, 2:], torch.zeros_like(moved[:, 2:]))  # every other dimension is the base's
    policy.save_pretrained(tmp_path / "resip")
    loaded = ResipPolicy.from_pretrained(tmp_path / "resip")
    assert loaded.config.residual_action_dims == (1, 0)
    torch.testing.assert_close(loaded.residual.log_std, torch.tensor([log_std[1], log_std[0]]))


@pytest.mark.parametrize("dims, fragment", [((0, 0), "distinct"), ((-1,), "distinct"),
                                            ((0, ACTION_DIM), f"below the action dimension ({ACTION_DIM})")])
def test_bad_residual_action_dims_is_one_line_error(base_dir, dims, fragment):
    with pytest.raises(ValueError) as excinfo:
        make_policy(base_dir, residual_action_dims=dims)
    assert_one_line_value_error(excinfo, "residual_action_dims", fragment)


@pytest.mark.parametrize("log_std, fragment", [((-2.0, -2.0), f"one value per action dimension ({ACTION_DIM})"),
                                               ((float("nan"),) * ACTION_DIM, "finite")])
def test_bad_per_dimension_log_std_is_one_line_error(base_dir, log_std, fragment):
    with pytest.raises(ValueError) as excinfo:
        make_policy(base_dir, init_log_std_per_dim=log_std)
    assert_one_line_value_error(excinfo, "init_log_std_per_dim", fragment)


def test_warm_start_continues_the_previous_chunk_and_resets_per_env(base_dir, monkeypatch):
    # 4 DDIM steps over 100 train steps run at t = 75, 50, 25, 0. Warm-started at t = 10, a chunk
    # is the previous chunk's rest, barely noised, denoised by the single step at t = 0.
    policy = make_policy(base_dir, base_warm_start_timestep=10)
    n_steps, batch = policy.config.n_action_steps, obs_batch(3)
    calls = []

    def recording_sampler(base, sub_batch, num_inference_steps, generator, warm_start, *args):
        calls.append((sub_batch[OBS_STATE].shape[0], warm_start is not None))
        return sample_base_chunk(base, sub_batch, num_inference_steps, generator, warm_start, *args)

    monkeypatch.setattr(modeling_resip, "sample_base_chunk", recording_sampler)
    unet_calls = []
    hook = policy.base.diffusion.unet.register_forward_hook(lambda *args: unet_calls.append(1))
    try:
        policy.base_action(batch)
        first_tail = policy._tail.clone()
        assert len(unet_calls) == 4  # the episode's first chunk: pure noise, all four steps
        for _ in range(n_steps):
            policy.base_action(batch)
        assert len(unet_calls) == 5  # the second chunk: one step, from t = 0
    finally:
        hook.remove()
    assert calls == [(3, False), (3, True)]
    # The new chunk continues the old one: its first actions are the old chunk's unexecuted ones.
    # (The noise at t = 0 has std 0.025; two independent chunks of this random base differ by ~0.9.)
    gap = (policy._queue - first_tail[:, :n_steps]).abs()
    assert gap.mean() < 0.03 and gap.max() < 0.15, (gap.mean(), gap.max())

    # A reset env starts its next chunk from noise; the others keep warm-starting.
    policy.reset(env_ids=[1])
    policy.base_action(batch)
    assert calls[-1] == (1, False)
    for _ in range(n_steps - 1):
        policy.base_action(batch)
    assert calls[-2:] == [(1, False), (2, True)]
    policy.base_action(batch)  # env 1's second chunk of its new episode: warm
    assert calls[-1] == (1, True)


def test_warm_start_timestep_out_of_range_is_one_line_error(base_dir):
    with pytest.raises(ValueError) as excinfo:
        make_policy(base_dir, base_warm_start_timestep=100)
    assert_one_line_value_error(excinfo, "base_warm_start_timestep", "(0, 100)")


def test_forward_trains_the_base_by_behaviour_cloning(base_dir):
    policy = make_policy(base_dir)
    params = list(policy.get_optim_params())
    assert params and all(p.requires_grad for p in params)
    g = torch.Generator().manual_seed(0)
    batch = {
        OBS_STATE: torch.rand(4, 1, STATE_DIM, generator=g),
        OBS_ENV_STATE: torch.rand(4, 1, ENV_STATE_DIM, generator=g),
        ACTION: torch.rand(4, TINY_HORIZON, ACTION_DIM, generator=g) * 2 - 1,
        "action_is_pad": torch.zeros(4, TINY_HORIZON, dtype=torch.bool),
    }
    policy.train()
    loss, info = policy.forward(batch)
    assert loss.ndim == 0 and loss.item() > 0 and info["base_bc_loss"] == pytest.approx(loss.item())
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.base.parameters())
    assert all(p.grad is None for p in [*policy.residual.parameters(), *policy.critic.parameters()])
    assert policy.config.action_delta_indices == list(range(TINY_HORIZON))
    assert policy.config.observation_delta_indices == [0]


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "MUJOCO_GL": "egl",
        "OMP_NUM_THREADS": "1",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=600
    )


def test_lerobot_eval_runs_a_saved_resip_checkpoint(tmp_path, saved_resip):
    out = tmp_path / "eval"
    result = _run_cli(
        "lerobot-eval",
        f"--policy.path={saved_resip}",
        "--env.type=furniture",
        "--env.task=peg_in_hole",
        "--eval.n_episodes=2",
        "--eval.batch_size=2",
        "--env.episode_length=10",
        "--policy.device=cpu",
        f"--output_dir={out}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads((out / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 2


def test_lerobot_train_help_lists_resip():
    result = _run_cli("lerobot-train", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "resip" in result.stdout
