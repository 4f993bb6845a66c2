"""Configuration of the `resip` policy (`--policy.type=resip`)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import draccus
from lerobot.configs import FeatureType, NormalizationMode, PreTrainedConfig
from lerobot.configs.train import TRAIN_CONFIG_NAME
from lerobot.optim import AdamConfig, DiffuserSchedulerConfig
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE

from lerobot_resip.envs.tasks import get_task

# The paper's base Diffusion Policy (Table IV). Used only when the base is pretrained from scratch
# through `lerobot-train --policy.type=resip` (no `base_path`); a loaded base keeps its own settings.
PAPER_BASE_SETTINGS: dict[str, Any] = {
    "n_obs_steps": 1,
    "horizon": 32,
    "down_dims": (256, 512, 1024),
    "diffusion_step_embed_dim": 256,
    "kernel_size": 5,
    "n_groups": 8,
    "num_train_timesteps": 100,
    "beta_schedule": "squaredcos_cap_v2",
    "prediction_type": "epsilon",
    "clip_sample": True,
}

# Which normalization each feature type gets. The residual's `action_scale` is measured in this space.
_NORMALIZED_TYPES = ("STATE", "ENV", "ACTION")


@PreTrainedConfig.register_subclass("resip")
@dataclass
class ResipConfig(PreTrainedConfig):
    """ResiP: a frozen diffusion policy (the base) plus a per-step Gaussian residual and a critic.

    The base predicts a chunk of actions from the current state; `n_action_steps` of them are executed,
    one per control step. At every step the residual sees the normalized state and the base's action and
    outputs a correction; the executed action is `base + action_scale * residual`, in the base's
    min-max normalized action space ([-1, 1]). PPO trains the residual and the critic only.

    The fields a user most likely changes: `base_path` (which base to build on) and, for the RL stage,
    `action_scale` and `init_log_std`.

    Args:
        base_path: a LeRobot diffusion checkpoint: a local `.../pretrained_model` directory (with
            config.json, model.safetensors and the processor files) or a Hub id. Read when the policy is
            created fresh; a saved resip checkpoint embeds the base and no longer needs it.
            None (only for `lerobot-train --policy.type=resip`): a new base with the paper's
            architecture (`PAPER_BASE_SETTINGS`) is pretrained by behaviour cloning.
        base_config: the base's DiffusionConfig as saved in its config.json. Filled from `base_path`
            automatically (never set it by hand); it is what rebuilds the base from a resip checkpoint.
        base_dataset_repo_id: the dataset the base was cloned from, read from the base's
            `train_config.json` (what `lerobot-train` saves) with `base_config`; the model card's
            `datasets`. None when the base has no training config.
        n_action_steps: base actions executed per sampled chunk (paper: T_a = 8 of T_p = 32).
        base_num_inference_steps: DDIM denoising steps when the base samples a chunk (paper: 4, eta 0).
            The base is trained with DDPM-style noising; it always samples with DDIM here.
        base_warm_start_timestep: 0 (default): every chunk is sampled from pure noise. k > 0: a chunk
            that follows another one in the same episode starts from the previous chunk's unexecuted
            actions (moved forward by `n_action_steps`, the last one repeated) noised to diffusion
            timestep k of the base's `num_train_timesteps`, and is denoised from there by the DDIM
            steps at or below k. The reference code warm-starts at 50 of 100.
        base_noise_scale: scale of the Gaussian noise each base chunk is denoised from (paper: 1.0).
            0 makes the base deterministic: the same observation always gives the same chunk, so the
            only randomness PPO sees in a rollout is the residual's own noise and the resets.
        residual_hidden_dims: hidden layer widths of the residual actor MLP (paper: 256, 256).
        critic_hidden_dims: hidden layer widths of the critic MLP (paper: 256, 256).
        action_scale: factor on the residual before it is added to the normalized base action
            (paper: 0.1, i.e. 5% of each action dimension's range).
        init_log_std: initial log standard deviation of the residual, the same for every action dimension
            (paper: -1.0).
        init_log_std_per_dim: None (paper): `init_log_std` everywhere. A list with one value per action
            dimension overrides it, so exploration can be wide where the base tolerates it and narrow where
            it does not (one_leg: noise on the tool's x, y leaves the base's success intact, the same noise
            on its height and rotation cuts it by three quarters; docs/results/one_leg/README.md).
        residual_action_dims: None (paper): the residual corrects every action dimension. A list of action
            indices (e.g. [0, 1], the tool's x and y): it corrects those only; its mean, noise and
            log-probabilities have one entry per listed dimension, and every other dimension executes the
            base's action exactly. `init_log_std_per_dim` still lists one value per action dimension. Where the
            base tolerates exploration on a few dimensions only (one_leg: x and y), the others then cannot
            drift under PPO's updates, and the approximate KL counts only the dimensions that explore.
        learn_log_std: whether PPO trains the log standard deviation (paper: False, fixed).
        obs_clip: the normalized observations the residual and the critic see are clamped to
            [-obs_clip, obs_clip] (paper: 3.0).
        task_features: None (paper): the residual and the critic see the normalized state, environment
            state and base action only. A `furniture` task name (e.g. `peg_in_hole`): they also see
            task-space offsets in cm (`task_features.TaskFeatures`): per assembly pair of that task, the
            child part's assembled position (the nearest, where it fits several) minus its position (x, y,
            z), and the base action's tool target minus the tool position (x, y). Near the hole the
            insertion's correction is then a simple function of the input. Measured effect:
            docs/results/README.md ("What let PPO lift the base").
        residual_gate_cm: None (paper): the residual acts at every step. (radius, low, high) in cm, with
            `task_features`: it acts only while an assembly pair's child is within `radius` of its nearest
            assembled position in x and y, and between `low` and `high` above it: on the approach to the
            hole. Elsewhere the executed action is the base's, and PPO's actor loss counts only the steps
            where the residual acted (the critic learns from every step). one_leg: a trained residual's
            correction above the bore's mouth is what the insertion needs, while the same correction with
            the stud in the bore, during the grasp-turn cycles, costs the base its successes
            (docs/results/one_leg/README.md, "Where the residual costs the base").
        residual_inputs: "all" (paper): the residual actor sees everything the critic sees. "task_features":
            the actor sees the task-space offsets only (the critic still sees everything, as its value needs
            the task's stage). The correction an insertion needs is a function of those few offsets, and an
            actor fitted to every input learns, from the few hundred episodes of an update, directions that
            depend on inputs the correction does not (one_leg: a third of its steps pointed away from the
            hole's axis; docs/results/one_leg/README.md, "The residual actor on the task features only").
        task_feature_clip_cm: the task-space offsets are clamped to +-this many cm (10: beyond that, only
            the direction matters to a correction of `action_scale` size).
        normalization_mapping: normalization per feature type; min-max for state, environment state and
            action (paper). It must equal the base's, since the base was trained in that space.
        optimizer_*, scheduler_*: presets for `lerobot-train`, which trains the base by behaviour
            cloning (pretraining stage); the same values as LeRobot's diffusion policy.
    """

    base_path: str | None = None
    base_config: dict[str, Any] | None = None
    base_dataset_repo_id: str | None = None

    n_action_steps: int = 8
    base_num_inference_steps: int = 4
    base_warm_start_timestep: int = 0
    base_noise_scale: float = 1.0

    residual_hidden_dims: tuple[int, ...] = (256, 256)
    critic_hidden_dims: tuple[int, ...] = (256, 256)
    action_scale: float = 0.1
    init_log_std: float = -1.0
    init_log_std_per_dim: tuple[float, ...] | None = None
    residual_action_dims: tuple[int, ...] | None = None
    learn_log_std: bool = False
    obs_clip: float = 3.0
    task_features: str | None = None
    task_feature_clip_cm: float = 10.0
    residual_gate_cm: tuple[float, float, float] | None = None
    residual_inputs: str = "all"

    normalization_mapping: dict[str, NormalizationMode] = field(
        default_factory=lambda: {
            "STATE": NormalizationMode.MIN_MAX,
            "ENV": NormalizationMode.MIN_MAX,
            "ACTION": NormalizationMode.MIN_MAX,
        }
    )

    # Pretraining-stage (lerobot-train) presets, as LeRobot's diffusion policy.
    optimizer_lr: float = 1e-4
    optimizer_betas: tuple[float, float] = (0.95, 0.999)
    optimizer_eps: float = 1e-8
    optimizer_weight_decay: float = 1e-6
    scheduler_name: str = "cosine"
    scheduler_warmup_steps: int = 500

    def __post_init__(self):
        super().__post_init__()
        for name in ("n_action_steps", "base_num_inference_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1, got {getattr(self, name)}")
        for name in ("action_scale", "obs_clip", "task_feature_clip_cm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"`{name}` must be > 0, got {getattr(self, name)}")
        if not 0 <= self.base_noise_scale < float("inf"):
            raise ValueError(f"`base_noise_scale` must be >= 0 (0: deterministic base), got {self.base_noise_scale}")
        for name in ("residual_hidden_dims", "critic_hidden_dims"):
            dims = tuple(getattr(self, name))
            if not dims or any(d < 1 for d in dims):
                raise ValueError(f"`{name}` must be a non-empty list of positive widths, got {dims}")
            setattr(self, name, dims)
        if self.init_log_std_per_dim is not None:
            self.init_log_std_per_dim = tuple(float(v) for v in self.init_log_std_per_dim)
            if not self.init_log_std_per_dim or not all(math.isfinite(v) for v in self.init_log_std_per_dim):
                raise ValueError(f"`init_log_std_per_dim` must be finite numbers, got {self.init_log_std_per_dim}")
        if self.residual_action_dims is not None:
            dims = tuple(int(d) for d in self.residual_action_dims)
            if not dims or len(set(dims)) != len(dims) or min(dims) < 0:
                raise ValueError(f"`residual_action_dims` must be distinct action indices >= 0, got {dims}")
            self.residual_action_dims = dims
        if self.task_features is not None:
            get_task(self.task_features)  # a one-line error naming the known tasks
        if self.residual_gate_cm is not None:
            gate = tuple(float(v) for v in self.residual_gate_cm)
            if len(gate) != 3 or not all(math.isfinite(v) for v in gate) or gate[0] <= 0 or gate[1] >= gate[2]:
                raise ValueError(
                    f"`residual_gate_cm` must be [radius, low, high] in cm with radius > 0 and low < high, got {gate}"
                )
            if self.task_features is None:
                raise ValueError("`residual_gate_cm` needs `task_features` (the task whose parts it measures)")
            self.residual_gate_cm = gate
        if self.residual_inputs not in ("all", "task_features"):
            raise ValueError(f"`residual_inputs` must be 'all' or 'task_features', got {self.residual_inputs!r}")
        if self.residual_inputs == "task_features" and self.task_features is None:
            raise ValueError("`residual_inputs=task_features` needs `task_features` (the task whose offsets it sees)")
        if self.base_config is None and self.base_path is not None:
            self.base_config = read_base_config(self.base_path)
            self.base_dataset_repo_id = read_base_dataset_repo_id(self.base_path)
        if self.base_config is not None:
            base = self.base_diffusion_config()
            if not self.input_features:
                self.input_features = dict(base.input_features)
            if not self.output_features:
                self.output_features = dict(base.output_features)

    # ---- the base -------------------------------------------------------------------------------------

    def base_diffusion_config(self) -> DiffusionConfig:
        """The base's DiffusionConfig rebuilt from `base_config`, set up to sample as ResiP does
        (DDIM, `base_num_inference_steps`, on this policy's device)."""
        if self.base_config is None:
            raise ValueError("resip has no base yet: set `--policy.base_path` to a diffusion checkpoint")
        settings = dict(self.base_config)
        base_type = settings.pop("type", "diffusion")
        if base_type != "diffusion":
            raise ValueError(
                f"the resip base must be a `diffusion` policy, got `{base_type}` "
                f"(from {self.base_path}); point `--policy.base_path` at a diffusion checkpoint"
            )
        settings["device"] = self.device
        settings["push_to_hub"] = False
        settings["noise_scheduler_type"] = "DDIM"
        settings["num_inference_steps"] = self.base_num_inference_steps
        return draccus.decode(DiffusionConfig, settings)

    def make_default_base_config(self) -> None:
        """Fill `base_config` with the paper's architecture for this policy's features (pretraining)."""
        base = DiffusionConfig(
            input_features=dict(self.input_features),
            output_features=dict(self.output_features),
            normalization_mapping=dict(self.normalization_mapping),
            n_action_steps=self.n_action_steps,
            # Demos end on the assembled step, so their last frames are the insertion: keep them.
            drop_n_last_frames=0,
            pretrained_backbone_weights=None,
            noise_scheduler_type="DDIM",
            num_inference_steps=self.base_num_inference_steps,
            optimizer_lr=self.optimizer_lr,
            device=self.device,
            push_to_hub=False,
            **PAPER_BASE_SETTINGS,
        )
        self.base_config = draccus.encode(base, PreTrainedConfig)

    def _base_setting(self, name: str) -> Any:
        if self.base_config is None:
            return PAPER_BASE_SETTINGS[name]
        return self.base_config.get(name, PAPER_BASE_SETTINGS[name])

    # ---- PreTrainedConfig interface ------------------------------------------------------------------

    def validate_features(self) -> None:
        """The residual is state-only: it needs exactly `observation.state`, `observation.environment_state`
        and `action`; with a base, the shapes, the normalization and the chunking must be the base's."""
        inputs = self.input_features or {}
        outputs = self.output_features or {}
        images = [key for key, ft in inputs.items() if ft.type is FeatureType.VISUAL]
        if images:
            raise ValueError(f"resip is state-only; remove the image features {images} from its inputs")
        for key, features in ((OBS_STATE, inputs), (OBS_ENV_STATE, inputs), (ACTION, outputs)):
            if key not in features:
                raise ValueError(f"resip needs the feature `{key}`; the policy has {sorted(features)}")
        if self.base_config is None:
            return
        base = self.base_diffusion_config()
        for key, features, base_features in (
            (OBS_STATE, inputs, base.input_features),
            (OBS_ENV_STATE, inputs, base.input_features),
            (ACTION, outputs, base.output_features),
        ):
            ours = tuple(features[key].shape)
            theirs = tuple(base_features[key].shape) if key in base_features else None
            if ours != theirs:
                raise ValueError(
                    f"`{key}` has shape {ours} here but {theirs} in the base ({self.base_path}); "
                    "use a base trained on this env's features"
                )
        if self.n_action_steps > base.horizon:
            raise ValueError(
                f"`n_action_steps`={self.n_action_steps} exceeds the base's horizon {base.horizon}; lower it"
            )
        if self.base_warm_start_timestep:
            if not 0 < self.base_warm_start_timestep < base.num_train_timesteps:
                raise ValueError(
                    f"`base_warm_start_timestep` must be 0 (off) or in (0, {base.num_train_timesteps}), "
                    f"the base's num_train_timesteps; got {self.base_warm_start_timestep}"
                )
            if self.n_action_steps == base.horizon:
                raise ValueError(
                    "`base_warm_start_timestep` needs unexecuted actions to start from: set `n_action_steps` "
                    f"below the base's horizon {base.horizon}, or the warm start to 0"
                )
        for type_name in _NORMALIZED_TYPES:
            ours = NormalizationMode(self.normalization_mapping.get(type_name)).value
            theirs = NormalizationMode(base.normalization_mapping.get(type_name, "IDENTITY")).value
            if ours != theirs:
                raise ValueError(
                    f"the base normalizes {type_name} with {theirs} but resip with {ours}; retrain the base "
                    f'with --policy.normalization_mapping=\'{{"{type_name}": "{ours}", ...}}\''
                )

    @property
    def observation_delta_indices(self) -> list:
        return list(range(1 - self._base_setting("n_obs_steps"), 1))

    @property
    def action_delta_indices(self) -> list:
        n_obs = self._base_setting("n_obs_steps")
        return list(range(1 - n_obs, 1 - n_obs + self._base_setting("horizon")))

    @property
    def reward_delta_indices(self) -> None:
        return None

    def get_optimizer_preset(self) -> AdamConfig:
        return AdamConfig(
            lr=self.optimizer_lr,
            betas=self.optimizer_betas,
            eps=self.optimizer_eps,
            weight_decay=self.optimizer_weight_decay,
        )

    def get_scheduler_preset(self) -> DiffuserSchedulerConfig:
        return DiffuserSchedulerConfig(name=self.scheduler_name, num_warmup_steps=self.scheduler_warmup_steps)


def resolve_checkpoint_file(path_or_id: str, filename: str) -> Path:
    """`filename` inside a local checkpoint directory or a (cached, when offline) Hub model repo."""
    if os.path.isdir(path_or_id):
        file = Path(path_or_id) / filename
        if not file.is_file():
            raise ValueError(f"{path_or_id} is not a LeRobot checkpoint directory: it has no {filename}")
        return file
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id=path_or_id, filename=filename))
    except Exception as e:  # noqa: BLE001 - any Hub/validation failure means "not found" here
        raise ValueError(
            f"base checkpoint {path_or_id!r} not found: give a local `.../pretrained_model` directory "
            f"or a downloadable Hub model id ({type(e).__name__})"
        ) from None


def read_json_file(file: str | Path) -> dict[str, Any]:
    """A checkpoint's JSON file; a malformed one is a one-line ValueError that names it."""
    try:
        with open(file) as f:
            content = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{file} is not valid JSON ({err}); the checkpoint is incomplete or corrupt: re-download or re-train it"
        ) from None
    if not isinstance(content, dict):
        raise ValueError(f"{file} does not hold a JSON object; the checkpoint is corrupt: re-download or re-train it")
    return content


def read_base_dataset_repo_id(base_path: str) -> str | None:
    """`dataset.repo_id` of the base's `train_config.json` (saved by `lerobot-train`), if it has one."""
    try:
        file = resolve_checkpoint_file(str(base_path), TRAIN_CONFIG_NAME)
    except ValueError:
        return None
    repo_id = (read_json_file(file).get("dataset") or {}).get("repo_id")
    return repo_id if isinstance(repo_id, str) else None


def read_base_config(base_path: str) -> dict[str, Any]:
    """The base checkpoint's config.json as a dict (what `ResipConfig.base_config` holds)."""
    settings = read_json_file(resolve_checkpoint_file(str(base_path), "config.json"))
    if settings.get("type") != "diffusion":
        raise ValueError(
            f"the resip base must be a `diffusion` checkpoint, but {base_path} is a {settings.get('type')!r}"
        )
    return settings

