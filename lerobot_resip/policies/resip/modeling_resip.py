"""ResiP: residual RL on top of a frozen LeRobot Diffusion Policy.

The base (a `DiffusionPolicy`) samples a chunk of actions per environment and executes
`n_action_steps` of them; at every step a small Gaussian MLP (`ResidualActor`) sees the normalized
state and the base's action and outputs a correction, and a `Critic` estimates the state value for PPO.
Everything here works in the base's normalized space; LeRobot's processors (un)normalize around it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import ModelCard
from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE, POLICY_PREPROCESSOR_DEFAULT_NAME
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import Tensor, nn
from torch.distributions import Normal

from lerobot_resip.hub import resip_model_card
from lerobot_resip.policies.resip.configuration_resip import ResipConfig
from lerobot_resip.policies.resip.task_features import TaskFeatures


class ExpMish(nn.Module):
    """Mish, x tanh(softplus(x)), computed as x (n / (n + 2)) with n = (e^x + 2) e^x.

    The same function (tanh(log(1 + u)) = (u^2 + 2u) / (u^2 + 2u + 2) with u = e^x; within 1e-6 of
    torch's `mish` in float32), from one exponential and four cheap element-wise operations: on the CPU, torch's own Mish
    kernel costs twice as much and was a quarter of the base's chunk sampling (the diffusion U-Net calls it
    38 times per denoising step; docs/results/loop_speed/README.md, row T11). Above x = 20 the
    exponential is clamped, where Mish(x) = x to float precision.
    """

    def forward(self, x: Tensor) -> Tensor:
        e = torch.exp(x.clamp(max=20.0))
        n = (e + 2) * e
        return x * (n / (n + 2))


def use_exp_mish(module: nn.Module) -> nn.Module:
    """Replace every `nn.Mish` inside `module` (LeRobot's diffusion U-Net) by `ExpMish`, in place."""
    for name, child in module.named_children():
        if isinstance(child, nn.Mish):
            setattr(module, name, ExpMish())
        else:
            use_exp_mish(child)
    return module


def _mlp(in_dim: int, hidden_dims: tuple[int, ...], out_dim: int, out_gain: float, out_bias: float | None):
    """ReLU MLP; hidden layers Kaiming-normal with zero bias, output layer orthogonal(`out_gain`)."""
    layers: list[nn.Module] = []
    for width in hidden_dims:
        linear = nn.Linear(in_dim, width)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
        in_dim = width
    out = nn.Linear(in_dim, out_dim, bias=out_bias is not None)
    nn.init.orthogonal_(out.weight, gain=out_gain)
    if out_bias is not None:
        nn.init.constant_(out.bias, out_bias)
    layers.append(out)
    return nn.Sequential(*layers)


class ResidualActor(nn.Module):
    """Gaussian residual: mean from an MLP whose last layer starts at zero, state-independent log-std.

    The output layer is orthogonal with gain 0 and has no bias, so the residual mean is exactly 0
    until PPO moves it: a fresh ResiP policy acts exactly like its base. `init_log_std` is one value for
    every action dimension or a sequence of one per dimension.
    """

    def __init__(self, in_dim: int, action_dim: int, hidden_dims: tuple[int, ...],
                 init_log_std: float | tuple[float, ...], learn_log_std: bool):
        super().__init__()
        self.mean = _mlp(in_dim, hidden_dims, action_dim, out_gain=0.0, out_bias=None)
        if isinstance(init_log_std, tuple | list):  # one per dimension (ResipPolicy checks the count)
            log_std = torch.tensor(init_log_std, dtype=torch.float32)
        else:
            log_std = torch.full((action_dim,), float(init_log_std))
        self.log_std = nn.Parameter(log_std, requires_grad=learn_log_std)

    def forward(self, residual_input: Tensor) -> Normal:
        mean = self.mean(residual_input)
        return Normal(mean, self.log_std.exp().expand_as(mean))


class Critic(nn.Module):
    """State-value MLP; last layer orthogonal with gain 0.25 and bias 0.25 (as the reference code)."""

    def __init__(self, in_dim: int, hidden_dims: tuple[int, ...]):
        super().__init__()
        self.net = _mlp(in_dim, hidden_dims, 1, out_gain=0.25, out_bias=0.25)

    def forward(self, residual_input: Tensor) -> Tensor:
        return self.net(residual_input).squeeze(-1)


def sample_base_chunk(
    base: DiffusionPolicy,
    batch: dict[str, Tensor],
    num_inference_steps: int,
    generator: torch.Generator | None = None,
    warm_start: Tensor | None = None,
    warm_start_timestep: int = 0,
    noise_scale: float = 1.0,
) -> Tensor:
    """The base's full predicted chunk, (B, horizon, A), for normalized observations: (B, dim), or
    (B, n_obs_steps, dim) for a base that conditions on a history.

    The one place that uses LeRobot's private diffusion API (`_prepare_global_conditioning`,
    `conditional_sample`, the U-Net and its scheduler), because `DiffusionPolicy.predict_action_chunk`
    returns only the executed slice and keeps a batch-wide queue. Samples with the base's scheduler
    (DDIM in ResiP) and `num_inference_steps` denoising steps.

    `warm_start` (B, horizon, A), normalized actions: instead of pure noise, start from these actions
    noised to the largest DDIM timestep at or below `warm_start_timestep`, and run only the DDIM steps
    from there down (`conditional_sample` always starts from pure noise at its first timestep).

    `noise_scale` multiplies the Gaussian noise the sampling starts from; 0 makes the chunk a
    deterministic function of the observation (DDIM with eta 0 adds no noise of its own).
    """
    model = base.diffusion
    obs = {key: batch[key] if batch[key].dim() == 3 else batch[key].unsqueeze(1)  # (B, n_obs_steps, dim)
           for key in (OBS_STATE, OBS_ENV_STATE)}
    global_cond = model._prepare_global_conditioning(obs)
    model.num_inference_steps = num_inference_steps  # conditional_sample sets the scheduler's steps from it
    batch_size = obs[OBS_STATE].shape[0]
    if warm_start is None:
        noise = None  # conditional_sample draws it from `generator`: the same draw as below at scale 1
        if noise_scale != 1.0:
            shape = (batch_size, model.config.horizon, model.config.action_feature.shape[0])
            noise = torch.randn(shape, dtype=global_cond.dtype, device=global_cond.device, generator=generator)
            noise = noise_scale * noise
        return model.conditional_sample(batch_size, global_cond=global_cond, generator=generator, noise=noise)
    scheduler = model.noise_scheduler
    scheduler.set_timesteps(num_inference_steps)
    timesteps = scheduler.timesteps[scheduler.timesteps <= warm_start_timestep]
    noise = torch.randn(warm_start.shape, dtype=warm_start.dtype, device=warm_start.device, generator=generator)
    noise = noise_scale * noise
    sample = scheduler.add_noise(warm_start, noise, timesteps[:1])
    for t in timesteps:
        model_output = model.unet(
            sample, torch.full(sample.shape[:1], t, dtype=torch.long, device=sample.device), global_cond=global_cond
        )
        sample = scheduler.step(model_output, t, sample, generator=generator).prev_sample
    return sample


@dataclass
class ResipStep:
    """What `ResipPolicy.act` returns for a batch of B envs (normalized space)."""

    action: Tensor  # (B, A) executed action
    base_action: Tensor  # (B, A)
    residual: Tensor  # (B, A) the unscaled residual (mean or sample)
    noise: Tensor | None  # (B, A) the standard-normal draw of a sample (None for the mean)
    logprob: Tensor  # (B,) log-prob of `residual` under the residual's Gaussian
    value: Tensor | None  # (B,) critic value, when asked for
    residual_input: Tensor  # (B, D) what the residual and the critic saw
    nonfinite: Tensor  # (B,) bool: the action was not finite and the base action was executed
    acted: Tensor  # (B,) bool: the residual was added (False where `residual_gate_cm` held it back)


class ResipPolicy(PreTrainedPolicy):
    """Frozen diffusion base + per-step Gaussian residual + critic (see `ResipConfig`).

    All tensors are in the base's normalized space; batches are what the preprocessor outputs, with
    `observation.state` (B, S) and `observation.environment_state` (B, E).
    """

    config_class = ResipConfig
    name = "resip"

    def __init__(self, config: ResipConfig, load_base_weights: bool = True, **kwargs):
        """
        Args:
            config: the policy configuration.
            load_base_weights: read the base's weights from `config.base_path` (a fresh policy). False
                when the weights come from a resip checkpoint (`from_pretrained`).
            kwargs: `dataset_stats`, `dataset_meta` from LeRobot's factory; normalization is the
                processors' business. Only `config.task_features` reads statistics: the base's when
                there is a `base_path`, else `dataset_stats`.
        """
        super().__init__(config)
        if config.base_config is None:
            if config.base_path is not None:  # the config was built before base_path was set
                config.__post_init__()
            else:  # pretraining a new base from scratch with lerobot-train
                config.validate_features()
                config.make_default_base_config()
        config.validate_features()
        self.config = config

        base_config = config.base_diffusion_config()
        if load_base_weights and config.base_path is not None:
            self.base = DiffusionPolicy.from_pretrained(config.base_path, config=base_config)
        else:
            self.base = DiffusionPolicy(base_config)
        use_exp_mish(self.base)  # no parameters: the weights and the checkpoint format are LeRobot's
        self.set_base_trainable(False)

        state_dim = config.input_features[OBS_STATE].shape[0]
        env_dim = config.input_features[OBS_ENV_STATE].shape[0]
        self.action_dim = config.output_features[ACTION].shape[0]
        in_dim = state_dim + env_dim + self.action_dim
        self.task_features: TaskFeatures | None = None
        if config.task_features is not None:
            self.task_features = TaskFeatures(
                config.task_features, config.task_feature_clip_cm, state_dim, env_dim, self.action_dim
            )
            in_dim += self.task_features.dim
            if load_base_weights:  # a resip checkpoint's weights hold the statistics already
                self.task_features.set_stats(_fresh_policy_stats(config, kwargs.get("dataset_stats")))
        # The action dimensions the residual corrects (all by default); `combine` adds it to those only.
        residual_dims = config.residual_action_dims or tuple(range(self.action_dim))
        if max(residual_dims) >= self.action_dim:
            raise ValueError(
                f"`residual_action_dims` must be below the action dimension ({self.action_dim}), got {residual_dims}"
            )
        self.register_buffer("residual_action_index", torch.tensor(residual_dims), persistent=False)
        init_log_std = config.init_log_std
        if config.init_log_std_per_dim is not None:
            if len(config.init_log_std_per_dim) != self.action_dim:
                raise ValueError(
                    f"`init_log_std_per_dim` needs one value per action dimension ({self.action_dim}), "
                    f"got {len(config.init_log_std_per_dim)}"
                )
            init_log_std = tuple(config.init_log_std_per_dim[d] for d in residual_dims)
        # With `residual_inputs=task_features` the actor reads the last columns of the residual input only.
        actor_in_dim = self.task_features.dim if config.residual_inputs == "task_features" else in_dim
        self.residual = ResidualActor(
            actor_in_dim, len(residual_dims), config.residual_hidden_dims, init_log_std, config.learn_log_std
        )
        self.critic = Critic(in_dim, config.critic_hidden_dims)

        # Per-env queues of base actions: (B, n_action_steps, A) and the next index per env
        # (n_action_steps = empty). Allocated on the first call and whenever the batch size changes.
        # `_tail` keeps each env's unexecuted rest of its last chunk, (B, horizon - n_action_steps, A),
        # for the warm start; `_has_tail` (B,) is False until an env's episode has sampled a chunk.
        # A base with n_obs_steps > 1 conditions on its last observations: `_history` holds them per env,
        # {key: (B, n_obs_steps, dim)}, and `_history_stale` (B,) marks the envs whose episode restarted.
        self._queue: Tensor | None = None
        self._queue_pos: Tensor | None = None
        self._tail: Tensor | None = None
        self._has_tail: Tensor | None = None
        self._history: dict[str, Tensor] | None = None
        self._history_stale: Tensor | None = None

    # ---- the base ------------------------------------------------------------------------------------

    def set_base_trainable(self, trainable: bool) -> None:
        """Freeze (RL stage: no gradients, eval mode) or unfreeze (BC pretraining) the base."""
        self._base_trainable = trainable
        self.base.requires_grad_(trainable)
        self.base.train(trainable and self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        self.base.train(mode and self._base_trainable)  # a frozen base stays in eval mode
        return self

    def reset(self, env_ids: Tensor | list[int] | None = None) -> None:
        """Empty the base-action queues (and observation histories) of `env_ids` (all envs if None); the
        others keep theirs."""
        if env_ids is None or self._queue_pos is None:
            self._queue = self._queue_pos = self._tail = self._has_tail = None
            self._history = self._history_stale = None
            return
        ids = torch.as_tensor(env_ids, dtype=torch.long, device=self._queue_pos.device).reshape(-1)
        # Out-of-place updates: the queue may have been made under torch.inference_mode (lerobot-eval).
        self._queue_pos = self._queue_pos.index_fill(0, ids, self.config.n_action_steps)
        self._has_tail = self._has_tail.index_fill(0, ids, False)
        self._history_stale = self._history_stale.index_fill(0, ids, True)

    def _remember_observations(self, batch: dict[str, Tensor], active: Tensor) -> None:
        """Push this step's observations into the active envs' histories. As in LeRobot's
        `DiffusionPolicy` (whose queue is batch-wide), an episode's first observation fills every slot."""
        n_obs = self.base.config.n_obs_steps
        start = (self._history_stale & active)[:, None, None]
        if self._history is None:
            self._history = {key: batch[key].unsqueeze(1).repeat(1, n_obs, 1) for key in (OBS_STATE, OBS_ENV_STATE)}
        for key, history in self._history.items():
            now = batch[key].unsqueeze(1).to(history.dtype)
            pushed = torch.where(start, now.expand_as(history), torch.cat([history[:, 1:], now], dim=1))
            self._history[key] = torch.where(active[:, None, None], pushed, history)
        self._history_stale = self._history_stale & ~active

    @torch.no_grad()
    def base_action(
        self, batch: dict[str, Tensor], generator: torch.Generator | None = None, active: Tensor | None = None
    ) -> Tensor:
        """This step's base action per env, (B, A).

        Each env pops the next action of its own queue; the envs whose queue is empty (first step, after
        `reset`, or after `n_action_steps` steps) get a fresh chunk, sampled for those envs only in one
        batched call (two with `base_warm_start_timestep`: the envs starting an episode from noise, the
        others from the rest of their previous chunk), and its first `n_action_steps` actions are
        enqueued. A change of batch size
        empties every queue. `active` (B bools, default all) leaves the other envs' queues as they are
        (no sampling, no pop: their episode is over); their returned action is a finite placeholder.
        A base with n_obs_steps > 1 sees each env's last observations (`_remember_observations`).
        """
        n_steps = self.config.n_action_steps
        horizon = self.base.config.horizon
        with_history = self.base.config.n_obs_steps > 1
        batch_size = batch[OBS_STATE].shape[0]
        device = batch[OBS_STATE].device
        if self._queue is None or self._queue.shape[0] != batch_size or self._queue.device != device:
            self._queue = torch.zeros(batch_size, n_steps, self.action_dim, device=device)
            self._queue_pos = torch.full((batch_size,), n_steps, dtype=torch.long, device=device)
            self._tail = torch.zeros(batch_size, horizon - n_steps, self.action_dim, device=device)
            self._has_tail = torch.zeros(batch_size, dtype=torch.bool, device=device)
            self._history = None
            self._history_stale = torch.ones(batch_size, dtype=torch.bool, device=device)
        active = torch.ones(batch_size, dtype=torch.bool, device=device) if active is None else active.to(device)
        if with_history:
            self._remember_observations(batch, active)
        observations = self._history if with_history else batch
        empty = (self._queue_pos >= n_steps) & active
        warm_timestep = self.config.base_warm_start_timestep
        warm = empty & self._has_tail if warm_timestep > 0 else torch.zeros_like(empty)
        # Cold and warm envs denoise from different timesteps: one batched call each, cold first.
        for ids in ((empty & ~warm).nonzero().squeeze(-1), warm.nonzero().squeeze(-1)):
            if len(ids) == 0:
                continue
            sub_batch = {key: observations[key][ids] for key in (OBS_STATE, OBS_ENV_STATE)}
            warm_start = None
            if warm[ids[0]]:
                tail = self._tail[ids]
                warm_start = torch.cat([tail, tail[:, -1:].expand(-1, n_steps, -1)], dim=1)
            chunk = sample_base_chunk(
                self.base,
                sub_batch,
                self.config.base_num_inference_steps,
                generator,
                warm_start,
                warm_timestep,
                self.config.base_noise_scale,
            ).to(self._queue.dtype)
            self._queue = self._queue.index_copy(0, ids, chunk[:, :n_steps])
            self._queue_pos = self._queue_pos.index_fill(0, ids, 0)
            self._tail = self._tail.index_copy(0, ids, chunk[:, n_steps:])
            self._has_tail = self._has_tail.index_fill(0, ids, True)
        action = self._queue[torch.arange(batch_size, device=device), self._queue_pos.clamp(max=n_steps - 1)]
        self._queue_pos = self._queue_pos + active.long()
        return action

    # ---- the residual and the critic ---------------------------------------------------------------

    def residual_input(self, batch: dict[str, Tensor], base_action: Tensor) -> Tensor:
        """(B, S+E+A[+F]): normalized state and environment state clamped to +-obs_clip (a non-finite
        value becomes 0, or the clip with its sign), the base action, and with `task_features` the
        task-space offsets."""
        clip = self.config.obs_clip
        obs = torch.cat([batch[OBS_STATE], batch[OBS_ENV_STATE]], dim=-1).clamp(-clip, clip)
        parts = [obs, base_action.to(obs.dtype)]
        if self.task_features is not None:
            parts.append(self.task_features(batch[OBS_STATE], batch[OBS_ENV_STATE], base_action))
        return torch.nan_to_num(torch.cat(parts, dim=-1), nan=0.0, posinf=clip, neginf=-clip)

    def residual_distribution(self, residual_input: Tensor) -> Normal:
        """Gaussian over the UNSCALED residual (PPO's log-probs are taken under it)."""
        if self.config.residual_inputs == "task_features":
            residual_input = residual_input[:, -self.task_features.dim:]
        return self.residual(residual_input)

    def value(self, residual_input: Tensor) -> Tensor:
        """State value, (B,)."""
        return self.critic(residual_input)

    def combine(self, base_action: Tensor, residual: Tensor) -> Tensor:
        """The executed normalized action: base_action + action_scale * residual, the residual added to
        `residual_action_dims` only (every dimension by default)."""
        return base_action.index_add(-1, self.residual_action_index, self.config.action_scale * residual)

    def residual_acts(self, batch: dict[str, Tensor]) -> Tensor:
        """(B,) bool: where the residual acts this step (everywhere unless `residual_gate_cm`)."""
        env_state = batch[OBS_ENV_STATE]
        if self.config.residual_gate_cm is None:
            return torch.ones(len(env_state), dtype=torch.bool, device=env_state.device)
        return self.task_features.near_assembly(env_state, *self.config.residual_gate_cm)

    @torch.no_grad()
    def act(
        self,
        batch: dict[str, Tensor],
        deterministic: bool = True,
        noise: Tensor | None = None,
        generator: torch.Generator | None = None,
        active: Tensor | None = None,
        with_value: bool = False,
    ) -> ResipStep:
        """One control step for a batch of envs, in the normalized space: the base action (per-env
        queues, see `base_action`), the residual's mean (`deterministic`) or a sample `mean + std *
        noise` (noise drawn from `generator` when not given), the executed action `base +
        action_scale * residual` (an env whose action is not finite, or where `residual_gate_cm` holds
        the residual back, executes its base action), the
        residual's log-prob and, `with_value`, the critic's value. The one action path of ResiP:
        `select_action` (lerobot-eval), evaluation and PPO rollouts all take it."""
        base = self.base_action(batch, generator=generator, active=active)
        residual_input = self.residual_input(batch, base)
        dist = self.residual_distribution(residual_input)
        if deterministic:
            residual = dist.mean
        else:
            if noise is None:
                noise = torch.randn(dist.mean.shape, generator=generator, dtype=dist.mean.dtype,
                                    device=dist.mean.device)
            residual = dist.mean + dist.stddev * noise
        acted = self.residual_acts(batch)
        action = self.combine(base, residual)
        nonfinite = ~torch.isfinite(action).all(-1)
        action = torch.where((nonfinite | ~acted)[:, None], base, action)
        return ResipStep(
            action=action,
            base_action=base,
            residual=residual,
            noise=noise,
            logprob=dist.log_prob(residual).sum(-1),
            value=self.value(residual_input) if with_value else None,
            residual_input=residual_input,
            nonfinite=nonfinite,
            acted=acted,
        )

    # ---- LeRobot policy interface -------------------------------------------------------------------

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], **kwargs) -> Tensor:
        """One normalized action per env, (B, A): the base action plus the scaled residual MEAN
        (deterministic given the base's sampling noise). Queues per env as `base_action`."""
        return self.act(batch).action

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs) -> Tensor:
        """(B, 1, A): ResiP corrects every step, so its "chunk" is the single action of `select_action`."""
        return self.select_action(batch).unsqueeze(1)

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
        """Behaviour-cloning loss of the base (the diffusion noise-prediction loss), for `lerobot-train`
        (pretraining stage). The residual and the critic are untouched."""
        loss, _ = self.base.forward(batch)
        return loss, {"base_bc_loss": loss.item()}

    def get_optim_params(self):
        """The base's parameters, for `lerobot-train` (pretraining stage); unfreezes the base.

        The PPO trainer optimizes `residual` and `critic` directly and leaves the base frozen.
        """
        self.set_base_trainable(True)
        return self.base.get_optim_params()

    # ---- checkpoints ----------------------------------------------------------------------------------

    def generate_model_card(self, dataset_repo_id: str, model_type: str, license: str | None,
                            tags: list[str] | None, cfg=None, dataset_meta=None) -> ModelCard:
        """The resip model card, for LeRobot's own push (`lerobot-train --policy.type=resip
        --policy.push_to_hub=true`); `lerobot-resip-train` and `lerobot-resip-push` add evaluations."""
        return resip_model_card(self.config, self.config.repo_id, dataset_repo_id=dataset_repo_id)

    @classmethod
    def from_pretrained(cls, pretrained_name_or_path: str | Path, **kwargs):
        """Load a resip checkpoint; it is self-contained (the base's weights are inside it)."""
        kwargs.setdefault("load_base_weights", False)
        policy = super().from_pretrained(pretrained_name_or_path, **kwargs)
        if os.path.isdir(pretrained_name_or_path):
            _check_saved_stats(policy, Path(pretrained_name_or_path))
        return policy

    @classmethod
    def _load_as_safetensor(cls, model, model_file: str, map_location: str, strict: bool):
        """Strict load that names the first mismatch, or a file that cannot be read, in a one-line ValueError."""
        try:
            state = load_file(model_file)
        except (SafetensorError, OSError) as err:
            raise ValueError(
                f"{model_file} cannot be read ({(str(err).strip() or type(err).__name__).splitlines()[0]}): "
                "the checkpoint is incomplete or corrupt; "
                "re-download it or re-train"
            ) from None
        expected = model.state_dict()
        for key, tensor in expected.items():
            if key not in state:
                raise ValueError(f"{model_file} has no `{key}`: it is not a checkpoint of this resip config")
            if state[key].shape != tensor.shape:
                raise ValueError(
                    f"{model_file}: `{key}` has shape {tuple(state[key].shape)} but this config needs "
                    f"{tuple(tensor.shape)}; the checkpoint was made for other features or sizes"
                )
        unexpected = sorted(set(state) - set(expected))
        if unexpected:
            raise ValueError(f"{model_file} has weights this resip config lacks, e.g. `{unexpected[0]}`")
        model.load_state_dict(state, strict=True)
        return model


def _fresh_policy_stats(config: ResipConfig, dataset_stats: dict | None) -> dict:
    """The normalization statistics of a new policy: its base's, else the dataset's (pretraining)."""
    from lerobot_resip.policies.resip.processor_resip import check_stats, load_base_stats

    if config.base_path is not None:
        return load_base_stats(config.base_path)
    if dataset_stats is None:
        raise ValueError(
            "`task_features` needs normalization statistics: set `--policy.base_path` or train on a dataset"
        )
    check_stats(config, dataset_stats, "the dataset statistics")
    return dataset_stats


def _check_saved_stats(policy: ResipPolicy, directory: Path) -> None:
    """The normalization statistics saved beside a resip checkpoint must fit its features (and, with
    task features, equal the statistics inside its weights)."""
    from lerobot_resip.policies.resip.processor_resip import check_stats, load_base_stats

    if not (directory / f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json").is_file():
        return  # weights without processors (e.g. an intermediate save); nothing to check
    stats = load_base_stats(str(directory))
    check_stats(policy.config, stats, f"the preprocessor saved in {directory}")
    if policy.task_features is not None and not policy.task_features.stats_match(stats):
        raise ValueError(
            f"the preprocessor saved in {directory} normalizes with other statistics than the policy's "
            "task features were made with; the checkpoint's files come from different runs"
        )

