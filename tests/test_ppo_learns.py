"""PPO core (`lerobot_resip.rl.ppo`): GAE by hand, non-finite losses, and learning a toy residual task.

The toy task mirrors ResiP in miniature: a 2-D point must end inside a small disc (sparse reward +1,
episode terminated on reaching it, horizon 20). A fixed "base" controller steers toward a point 0.1
beside the disc, so alone it almost never succeeds; a Gaussian residual MLP (zero-initialised output,
fixed log-std -1, scaled by 0.1 and added to the base action, as ResiP) has to learn the correction.
"""

import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Normal

from lerobot_resip.rl.ppo import PPOConfig, compute_gae, lr_factor, make_optimizers, make_schedulers, ppo_update

TARGET = np.array([0.3, -0.2])
RADIUS = 0.04
BASE_BIAS = np.array([0.15, 0.0])  # where the base aims, relative to the target
ACTION_SCALE = 0.1
HORIZON = 20



class PointReach:
    """N 2-D points; `step(residual)` moves each by the base action plus ACTION_SCALE * residual."""

    def __init__(self, num_envs: int, seed: int):
        self.num_envs = num_envs
        self.rng = np.random.default_rng(seed)
        self.pos = np.zeros((num_envs, 2))

    def reset(self) -> np.ndarray:
        # start beyond the base's aim point, so its path never crosses the disc on the way
        self.pos = self.rng.uniform([0.5, -1.0], [1.0, 1.0], (self.num_envs, 2))
        return self.pos.astype(np.float32)

    def base_action(self) -> np.ndarray:
        return (0.5 * (TARGET + BASE_BIAS - self.pos)).astype(np.float32)

    def step(self, action: np.ndarray):
        self.pos = self.pos + np.clip(action, -0.3, 0.3)
        success = np.linalg.norm(self.pos - TARGET, axis=1) < RADIUS
        return self.pos.astype(np.float32), success.astype(np.float32), success


class Residual(nn.Module):
    def __init__(self, in_dim: int = 4, action_dim: int = 2, hidden: int = 64):
        super().__init__()
        self.mean = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                  nn.Linear(hidden, action_dim, bias=False))
        nn.init.zeros_(self.mean[-1].weight)
        self.log_std = nn.Parameter(torch.full((action_dim,), -1.0), requires_grad=False)

    def forward(self, x):
        mean = self.mean(x)
        return Normal(mean, self.log_std.exp().expand_as(mean))


class Critic(nn.Module):
    def __init__(self, in_dim: int = 4, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def rollout(env: PointReach, actor: Residual, critic: Critic, deterministic: bool = False):
    """One whole episode per env; steps after an env's success are masked out."""
    pos = env.reset()
    n = env.num_envs
    obs_buf = torch.zeros(HORIZON, n, 4)
    act_buf = torch.zeros(HORIZON, n, 2)
    logp_buf, val_buf, rew_buf, done_buf, valid = (torch.zeros(HORIZON, n) for _ in range(5))
    done = np.zeros(n, dtype=bool)
    with torch.no_grad():
        for t in range(HORIZON):
            base = env.base_action()
            x = torch.from_numpy(np.concatenate([pos, base], axis=1))
            dist = actor(x)
            residual = dist.mean if deterministic else dist.sample()
            pos, reward, success = env.step(base + ACTION_SCALE * residual.numpy())
            reward[done] = 0.0
            obs_buf[t], act_buf[t] = x, residual
            logp_buf[t], val_buf[t] = dist.log_prob(residual).sum(-1), critic(x)
            rew_buf[t] = torch.from_numpy(reward)
            valid[t] = torch.from_numpy(~done).float()
            done = done | success
            done_buf[t] = torch.from_numpy(done | (t == HORIZON - 1)).float()
    return obs_buf, act_buf, logp_buf, val_buf, rew_buf, done_buf, valid, float(done.mean())


def test_gae_matches_hand_computation():
    gamma, lam = 0.9, 0.5
    # one env, three steps, episode ends at t=1 (reward 1), a new one starts at t=2
    rewards = torch.tensor([[0.0], [1.0], [0.0]])
    values = torch.tensor([[0.5], [0.8], [0.2]])
    dones = torch.tensor([[0.0], [1.0], [0.0]])
    next_value = torch.tensor([0.4])
    adv, ret = compute_gae(rewards, values, dones, gamma, lam, next_value=next_value)
    d2 = 0.0 + gamma * 0.4 - 0.2  # bootstrapped from next_value
    d1 = 1.0 - 0.8  # terminal: no bootstrap
    d0 = 0.0 + gamma * 0.8 - 0.5
    a2, a1 = d2, d1
    a0 = d0 + gamma * lam * a1
    torch.testing.assert_close(adv, torch.tensor([[a0], [a1], [a2]]))
    torch.testing.assert_close(ret, adv + values)
    # next_value=None: the rollout ends episodes (timeouts are terminal, nothing bootstrapped)
    adv0, _ = compute_gae(rewards, values, dones, gamma, lam)
    assert adv0[2, 0] == pytest.approx(-0.2)


@pytest.mark.filterwarnings("ignore:Detected call of")
def test_lr_schedule_warms_up_the_actor_then_decays():
    assert lr_factor(0, 100, 5, "cosine") == pytest.approx(1 / 6)
    assert lr_factor(5, 100, 5, "cosine") == pytest.approx(1.0)
    assert lr_factor(100, 100, 5, "cosine") == pytest.approx(0.0)
    assert lr_factor(0, 100, 0, "cosine") == pytest.approx(1.0)
    actor, critic = Residual(), Critic()
    opts = make_optimizers(actor, critic, PPOConfig())
    assert len(opts[0].param_groups[0]["params"]) == 5  # log_std is fixed, not optimized
    scheds = make_schedulers(opts, PPOConfig(), num_iterations=10)
    assert opts[0].param_groups[0]["lr"] == pytest.approx(3e-4 / 6)
    assert opts[1].param_groups[0]["lr"] == pytest.approx(5e-3)
    for s in scheds:
        s.step()
    assert opts[0].param_groups[0]["lr"] == pytest.approx(3e-4 * 2 / 6)


def _batch(n: int = 64):
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(n, 4, generator=g)
    actions = torch.randn(n, 2, generator=g)
    return obs, actions, torch.full((n,), -2.0), torch.randn(n, generator=g), torch.randn(n, generator=g)


def test_nonfinite_loss_skips_the_update_without_raising():
    torch.manual_seed(0)
    actor, critic = Residual(), Critic()
    opts = make_optimizers(actor, critic, PPOConfig())
    before = [p.detach().clone() for p in [*actor.parameters(), *critic.parameters()]]
    obs, actions, logprobs, adv, returns = _batch()
    returns[3] = float("nan")  # e.g. a blown-up value target
    stats = ppo_update(actor, critic, obs, actions, logprobs, adv, returns, torch.zeros_like(returns), opts,
                       PPOConfig(target_kl=None))
    assert stats["nonfinite_skipped"] == 1 and stats["updates"] == 0
    for p, q in zip(before, [*actor.parameters(), *critic.parameters()], strict=True):
        assert torch.equal(p, q)
    assert all(p.grad is None for p in actor.parameters())


def test_kl_early_stop_stops_before_the_step_that_would_exceed_it():
    torch.manual_seed(0)
    actor, critic = Residual(), Critic()
    opts = make_optimizers(actor, critic, PPOConfig(actor_lr=0.05))
    obs, actions, _, adv, returns = _batch()
    with torch.no_grad():
        logprobs = actor(obs).log_prob(actions).sum(-1)
    stats = ppo_update(actor, critic, obs, actions, logprobs, adv, returns, torch.zeros_like(returns), opts,
                       PPOConfig(actor_lr=0.05, target_kl=0.01))
    assert stats["early_stopped"] == 1.0
    assert stats["approx_kl"] > 0.01
    assert 0 < stats["updates"] < 50


@torch.no_grad()
def _mean_sq(actor: Residual, obs: torch.Tensor) -> float:
    return float(actor(obs).mean.pow(2).sum(-1).mean())


def test_mean_penalty_pulls_an_uninformed_mean_toward_zero():
    obs, actions, logprobs, _, returns = _batch()
    no_signal = torch.zeros(len(obs))  # every advantage 0: the surrogate gives the mean no direction
    initial, final = {}, {}
    for coef in (0.0, 1.0):
        torch.manual_seed(0)
        actor, critic = Residual(), Critic()
        nn.init.normal_(actor.mean[-1].weight, std=0.5)  # a mean that has drifted away from 0
        cfg = PPOConfig(mean_l2_coef=coef, target_kl=None, update_epochs=20)
        initial[coef] = _mean_sq(actor, obs)
        ppo_update(actor, critic, obs, actions, logprobs, no_signal, returns, torch.zeros_like(returns),
                   make_optimizers(actor, critic, cfg), cfg)
        final[coef] = _mean_sq(actor, obs)
    assert final[0.0] == pytest.approx(initial[0.0], rel=0.05)  # only weight decay moves it
    assert final[1.0] < 0.5 * initial[1.0]


def test_the_actor_learns_only_from_the_draws_that_were_executed():
    """With `acted`, the actor's update is the one from the executed draws alone, whatever the others'
    advantages; the critic still learns from every sample."""
    obs, actions, logprobs, adv, returns = _batch()
    acted = torch.arange(len(obs)) % 3 == 0
    cfg = PPOConfig(num_minibatches=1, update_epochs=3, target_kl=None)
    actors = []
    for kwargs in ({"acted": acted}, {"acted": acted, "other_advantages": 100.0}, {"subset": True}):
        torch.manual_seed(0)
        actor, critic = Residual(), Critic()
        critic_before = [p.detach().clone() for p in critic.parameters()]
        advantages = adv.clone()
        advantages[~acted] = kwargs.get("other_advantages", advantages[~acted])
        if kwargs.get("subset"):
            args = (obs[acted], actions[acted], logprobs[acted], advantages[acted], returns[acted], returns[acted] * 0)
            stats = ppo_update(actor, critic, *args, make_optimizers(actor, critic, cfg), cfg)
            assert stats["acted_share"] == 1.0
        else:
            stats = ppo_update(actor, critic, obs, actions, logprobs, advantages, returns, returns * 0,
                               make_optimizers(actor, critic, cfg), cfg, acted=acted)
            assert stats["acted_share"] == pytest.approx(acted.float().mean().item())
            assert any(not torch.equal(p, q) for p, q in zip(critic_before, critic.parameters(), strict=True))
        actors.append([p.detach().clone() for p in actor.parameters()])
    for other in actors[1:]:
        for p, q in zip(actors[0], other, strict=True):
            torch.testing.assert_close(p, q)


def test_negative_mean_penalty_is_refused():
    with pytest.raises(ValueError, match="mean_l2_coef"):
        PPOConfig(mean_l2_coef=-0.1)


def test_minibatches_split_the_batch_evenly():
    torch.manual_seed(0)
    actor, critic = Residual(), Critic()
    opts = make_optimizers(actor, critic, PPOConfig())
    sizes = []
    recording_critic = lambda x: (sizes.append(len(x)), critic(x))[1]  # noqa: E731
    obs, actions, logprobs, adv, returns = _batch(n=10)
    stats = ppo_update(actor, recording_critic, obs, actions, logprobs, adv, returns, torch.zeros_like(returns),
                       opts, PPOConfig(update_epochs=2, num_minibatches=4, target_kl=None))
    assert stats["updates"] == 8 and stats["epochs"] == 2
    assert sorted(sizes[:4]) == [2, 2, 3, 3]  # no remainder minibatch of 10 % 4 samples


def test_ppo_learns_sparse_point_reach():
    torch.manual_seed(0)
    env = PointReach(num_envs=256, seed=0)
    actor, critic = Residual(), Critic()
    cfg = PPOConfig()  # the paper's settings
    num_iterations = 20
    opts = make_optimizers(actor, critic, cfg)
    scheds = make_schedulers(opts, cfg, num_iterations)

    initial_mean = rollout(PointReach(num_envs=512, seed=123), actor, critic, deterministic=True)[-1]
    train_success = []
    for _ in range(num_iterations):
        obs, act, logp, val, rew, done, valid, success = rollout(env, actor, critic)
        train_success.append(success)
        adv, ret = compute_gae(rew, val, done, cfg.gamma, cfg.gae_lambda)
        m = valid.bool()
        stats = ppo_update(actor, critic, obs[m], act[m], logp[m], adv[m], ret[m], val[m], opts, cfg)
        assert stats["nonfinite_skipped"] == 0
        for s in scheds:
            s.step()
    final_mean = rollout(PointReach(num_envs=512, seed=123), actor, critic, deterministic=True)[-1]
    # the base alone never gets there, exploration with the initial residual rarely does
    assert initial_mean < 0.05 and train_success[0] < 0.2, (initial_mean, train_success[0])
    assert final_mean > 0.8, (final_mean, train_success)
    assert train_success[-1] > 0.8, train_success
