"""PPO for the residual policy, CleanRL style: settings, GAE, one update function.

Written against a generic actor-critic interface so the same code trains the ResiP residual and the
toy problem of the tests:

    actor(x)  -> torch.distributions.Normal over the action (log-probs summed over the last dim)
    critic(x) -> (B,) state values

The defaults are the paper's (ResiP, Table VI/IX and the authors' code): one full batch, 50 epochs,
clipped surrogate (0.2) without value clipping, no entropy bonus, no penalty on the action's mean, value
coefficient 1, gradient norm clipped to 1, early stop when the k3 estimate of the KL exceeds 0.1, separate
AdamW optimizers for the actor (3e-4, warm-up 5 iterations) and the critic (5e-3), cosine learning-rate
decay, normalized advantages, and timeouts treated as terminal (no bootstrap at the end of an episode).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.distributions import Normal


@dataclass
class PPOConfig:
    """PPO hyper-parameters (`--ppo.*`); defaults are the paper's."""

    gamma: float = 0.999
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE lambda (bias/variance trade-off of the advantage estimate)."""
    update_epochs: int = 50
    """Passes over the rollout per iteration (cut short by `target_kl`)."""
    num_minibatches: int = 1
    """Minibatches per epoch (1: the whole rollout is one batch)."""
    clip_coef: float = 0.2
    """Clipping range of the probability ratio in the surrogate objective (values are not clipped)."""
    ent_coef: float = 0.0
    """Entropy bonus coefficient."""
    mean_l2_coef: float = 0.0
    """Penalty on the action distribution's squared mean (summed over dimensions, averaged over the batch).
    For a residual it pulls the correction toward zero, the base's own action, wherever the advantages give
    no consistent direction; 0 (the paper's) leaves the mean free."""
    vf_coef: float = 1.0
    """Value-loss coefficient."""
    max_grad_norm: float = 1.0
    """Gradient norm clip, applied to the actor's and the critic's gradients separately."""
    target_kl: float | None = 0.1
    """Stop the epochs once the approximate KL (k3 estimator) to the rollout policy exceeds this; None: never."""
    norm_adv: bool = True
    """Normalize the advantages of each minibatch to zero mean and unit std."""
    actor_lr: float = 3e-4
    """Actor (residual) learning rate."""
    critic_lr: float = 5e-3
    """Critic learning rate."""
    adam_eps: float = 1e-5
    """AdamW epsilon."""
    weight_decay: float = 1e-6
    """AdamW weight decay (actor and critic)."""
    lr_schedule: str = "cosine"
    """Learning-rate schedule over the iterations: `cosine` (decay to 0) or `constant`."""
    actor_warmup_iterations: int = 5
    """Iterations of linear actor learning-rate warm-up (the critic has none)."""

    def __post_init__(self):
        if not 0 <= self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError(f"ppo.gamma and ppo.gae_lambda must be in [0, 1], got {self.gamma}, {self.gae_lambda}")
        for name in ("update_epochs", "num_minibatches"):
            if getattr(self, name) < 1:
                raise ValueError(f"ppo.{name} must be >= 1, got {getattr(self, name)}")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ValueError(f"ppo.lr_schedule must be `cosine` or `constant`, got {self.lr_schedule!r}")
        if self.mean_l2_coef < 0:
            raise ValueError(f"ppo.mean_l2_coef must be >= 0, got {self.mean_l2_coef}")
        if self.target_kl is not None and self.target_kl <= 0:
            raise ValueError(f"ppo.target_kl must be > 0 or None, got {self.target_kl}")


# ---------------------------------------------------------------------------------------------- optim


def make_optimizers(actor: nn.Module, critic: nn.Module, cfg: PPOConfig) -> list[torch.optim.Optimizer]:
    """[actor AdamW, critic AdamW] over the trainable parameters (a fixed log-std is left out)."""

    def adamw(module: nn.Module, lr: float) -> torch.optim.Optimizer:
        params = [p for p in module.parameters() if p.requires_grad]
        return torch.optim.AdamW(params, lr=lr, eps=cfg.adam_eps, weight_decay=cfg.weight_decay)

    return [adamw(actor, cfg.actor_lr), adamw(critic, cfg.critic_lr)]


def lr_factor(iteration: int, num_iterations: int, warmup: int, schedule: str) -> float:
    """Multiplier of the base learning rate at `iteration` (0-based): linear warm-up over `warmup`
    iterations, then cosine decay from 1 to 0 at `num_iterations` (or constant 1)."""
    if iteration < warmup:
        return (iteration + 1) / (warmup + 1)
    if schedule == "constant":
        return 1.0
    progress = (iteration - warmup) / max(1, num_iterations - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_schedulers(
    optimizers: Sequence[torch.optim.Optimizer], cfg: PPOConfig, num_iterations: int
) -> list[torch.optim.lr_scheduler.LambdaLR]:
    """One LambdaLR per optimizer, stepped once per iteration; only the actor (first) warms up."""
    warmups = [cfg.actor_warmup_iterations, 0]
    return [
        torch.optim.lr_scheduler.LambdaLR(
            opt, lambda it, w=w: lr_factor(it, num_iterations, w, cfg.lr_schedule)
        )
        for opt, w in zip(optimizers, warmups, strict=True)
    ]


# ------------------------------------------------------------------------------------------------ GAE


@torch.no_grad()
def compute_gae(
    rewards: Tensor,
    values: Tensor,
    dones: Tensor,
    gamma: float,
    gae_lambda: float,
    next_value: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Generalized advantage estimation over a (T, N) rollout.

    Args:
        rewards: r_t, reward after the action at step t.
        values: V(s_t).
        dones: 1 where the episode ended with step t (terminated or truncated: timeouts are terminal,
            so nothing is bootstrapped across them).
        next_value: V(s_T) of the state after the last step, bootstrapped unless dones[T-1];
            None means 0 (the rollout covers whole episodes).

    Returns:
        (advantages, returns), both (T, N); returns = advantages + values.
    """
    num_steps = rewards.shape[0]
    dones = dones.to(values.dtype)
    advantages = torch.zeros_like(values)
    last_gae = torch.zeros_like(values[0])
    for t in reversed(range(num_steps)):
        if t == num_steps - 1:
            next_values = torch.zeros_like(values[0]) if next_value is None else next_value
        else:
            next_values = values[t + 1]
        next_nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_values * next_nonterminal - values[t]
        last_gae = delta + gamma * gae_lambda * next_nonterminal * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


# --------------------------------------------------------------------------------------------- update


def _params(optimizer: torch.optim.Optimizer) -> list[Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def _mean(x: Tensor) -> Tensor:
    """The mean, 0 for no elements (a minibatch without executed residual draws)."""
    return x.mean() if x.numel() else x.sum()


def explained_variance(values: Tensor, returns: Tensor) -> float:
    """1 - Var[returns - values] / Var[returns] (nan when the returns are constant)."""
    var_returns = returns.var()
    if var_returns == 0:
        return float("nan")
    return float(1.0 - (returns - values).var() / var_returns)


def ppo_update(
    actor: Callable[[Tensor], Normal],
    critic: Callable[[Tensor], Tensor],
    obs: Tensor,
    actions: Tensor,
    logprobs: Tensor,
    advantages: Tensor,
    returns: Tensor,
    values: Tensor,
    optimizers: Sequence[torch.optim.Optimizer],
    cfg: PPOConfig,
    generator: torch.Generator | None = None,
    acted: Tensor | None = None,
) -> dict[str, float]:
    """Clipped-surrogate PPO epochs on a flat batch of B samples.

    Args:
        actor, critic: the networks (see the module docstring).
        obs: (B, D) actor/critic inputs; actions: (B, A) sampled actions; logprobs: (B,) their
            log-probs under the rollout policy; advantages, returns, values: (B,) from `compute_gae`
            and the rollout.
        optimizers: [actor optimizer, critic optimizer]; each one's gradients are clipped separately.
        generator: shuffles the minibatches (only matters with num_minibatches > 1).
        acted: (B,) bool, the samples whose residual was executed (`Rollout.acted`); None: all. The
            actor's terms (surrogate, entropy, mean penalty, KL) are taken over those only, since a draw
            that was not executed had no effect on the return; the critic learns from every sample.

    Before each optimizer step the approximate KL (k3: E[(r - 1) - log r]) of the current policy to
    the rollout policy is checked: above `cfg.target_kl` the update stops without taking that step.
    A non-finite loss or gradient skips the step and ends the update (the same data would give the
    same result again); it is counted in `nonfinite_skipped` and never raises.

    Returns diagnostics: policy_loss, value_loss, entropy, mean_sq (the mean's squared norm, what
    `cfg.mean_l2_coef` weighs), approx_kl, old_approx_kl, clipfrac,
    explained_variance, acted_share (the share of samples in the actor's terms), grad_norm_actor,
    grad_norm_critic, epochs (completed passes), updates
    (optimizer steps taken), early_stopped (1.0/0.0), nonfinite_skipped.
    """
    batch_size = obs.shape[0]
    actor_params, critic_params = _params(optimizers[0]), _params(optimizers[1])

    stats = {"policy_loss": float("nan"), "value_loss": float("nan"), "entropy": float("nan"),
             "mean_sq": float("nan"),
             "approx_kl": 0.0, "old_approx_kl": 0.0, "grad_norm_actor": float("nan"),
             "grad_norm_critic": float("nan")}
    clipfracs: list[float] = []
    updates = epochs = nonfinite = 0
    early_stopped = False

    for _epoch in range(cfg.update_epochs):
        order = torch.randperm(batch_size, generator=generator, device=obs.device)
        # Equal-sized minibatches (sizes differ by at most one): no tiny remainder minibatch whose
        # normalized advantages and KL estimate would be noise.
        for idx in torch.tensor_split(order, min(cfg.num_minibatches, batch_size)):
            idx_actor = idx if acted is None else idx[acted[idx]]  # may be empty: then the critic's step only
            dist = actor(obs[idx_actor])
            new_logprob = dist.log_prob(actions[idx_actor]).sum(-1)
            log_ratio = new_logprob - logprobs[idx_actor]
            ratio = log_ratio.exp()

            with torch.no_grad():
                old_approx_kl = _mean(-log_ratio)
                approx_kl = _mean((ratio - 1) - log_ratio)
                if len(idx_actor):
                    clipfracs.append(float(((ratio - 1.0).abs() > cfg.clip_coef).float().mean()))
            stats["approx_kl"], stats["old_approx_kl"] = float(approx_kl), float(old_approx_kl)
            if cfg.target_kl is not None and approx_kl > cfg.target_kl:
                early_stopped = True
                break

            mb_adv = advantages[idx_actor]
            if cfg.norm_adv and len(idx_actor) > 1:
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
            pg_loss = _mean(torch.max(
                -mb_adv * ratio, -mb_adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
            ))
            v_loss = 0.5 * ((critic(obs[idx]) - returns[idx]) ** 2).mean()
            mean_sq = _mean(dist.mean.pow(2).sum(-1))
            entropy = _mean(dist.entropy().sum(-1))
            loss = pg_loss - cfg.ent_coef * entropy + cfg.mean_l2_coef * mean_sq + cfg.vf_coef * v_loss
            stats.update(policy_loss=pg_loss.item(), value_loss=v_loss.item(), entropy=entropy.item(),
                         mean_sq=mean_sq.item())

            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            if not torch.isfinite(loss):
                nonfinite += 1
                break
            loss.backward()
            norm_actor = nn.utils.clip_grad_norm_(actor_params, cfg.max_grad_norm)
            norm_critic = nn.utils.clip_grad_norm_(critic_params, cfg.max_grad_norm)
            stats.update(grad_norm_actor=float(norm_actor), grad_norm_critic=float(norm_critic))
            if not (torch.isfinite(norm_actor) and torch.isfinite(norm_critic)):
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                nonfinite += 1
                break
            for opt in optimizers:
                opt.step()
            updates += 1
        else:
            epochs += 1
            continue
        break  # early stop or non-finite: leave the epoch loop too

    stats.update(
        clipfrac=sum(clipfracs) / max(1, len(clipfracs)),
        explained_variance=explained_variance(values, returns),
        acted_share=1.0 if acted is None else float(acted.float().mean()),
        epochs=float(epochs),
        updates=float(updates),
        early_stopped=float(early_stopped),
        nonfinite_skipped=float(nonfinite),
    )
    return stats
