"""Pre/post-processing pipelines of the `resip` policy: the base's normalization, reused as is, after a step
that splits a robot's single state vector into the policy's state and environment state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from lerobot.configs import FeatureType, PipelineFeatureType, PolicyFeature
from lerobot.processor import (
    NormalizerProcessorStep,
    ObservationProcessorStep,
    PolicyAction,
    PolicyProcessorPipeline,
    ProcessorStepRegistry,
)
from lerobot.processor.factory import make_default_policy_processor_steps, make_policy_processor_pipelines
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE, POLICY_PREPROCESSOR_DEFAULT_NAME

from lerobot_resip.policies.resip.configuration_resip import ResipConfig, resolve_checkpoint_file

_STAT_NAMES = ("min", "max")  # what MIN_MAX normalization reads


def load_base_stats(base_path: str) -> dict[str, dict[str, torch.Tensor]]:
    """The normalization statistics saved with a LeRobot checkpoint's preprocessor.

    Returns {feature: {stat: tensor}} as `make_*_pre_post_processors(dataset_stats=...)` takes it.
    """
    resolve_checkpoint_file(str(base_path), f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json")
    pipeline = PolicyProcessorPipeline.from_pretrained(
        str(base_path), config_filename=f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json"
    )
    normalizers = [step for step in pipeline.steps if isinstance(step, NormalizerProcessorStep)]
    if not normalizers:
        raise ValueError(f"the preprocessor saved in {base_path} has no normalizer step, so no statistics")
    stats: dict[str, dict[str, torch.Tensor]] = {}
    for flat_key, tensor in normalizers[0].state_dict().items():
        key, stat_name = flat_key.rsplit(".", 1)
        stats.setdefault(key, {})[stat_name] = tensor
    return stats


def check_stats(config: ResipConfig, stats: dict[str, dict[str, Any]], source: str) -> None:
    """Every normalized feature needs min/max statistics of its own shape."""
    features = {**(config.input_features or {}), **(config.output_features or {})}
    for key in (OBS_STATE, OBS_ENV_STATE, ACTION):
        shape = tuple(features[key].shape)
        for stat_name in _STAT_NAMES:
            value = stats.get(key, {}).get(stat_name)
            if value is None:
                raise ValueError(f"{source} has no `{stat_name}` statistics for `{key}`; it is incomplete")
            found = tuple(torch.as_tensor(value).shape)
            if found != shape:
                raise ValueError(
                    f"{source} has `{key}.{stat_name}` of shape {found} but the "
                    f"policy expects {shape}; the statistics belong to a different env or dataset"
                )


@dataclass
@ProcessorStepRegistry.register(name="resip_split_robot_state")
class SplitRobotStateStep(ObservationProcessorStep):
    """Split a robot's one `observation.state` into the policy's `observation.state` and
    `observation.environment_state`.

    `lerobot-rollout` gathers every `.pos`/`.vel` value a robot reports into one `observation.state` and
    never supplies an environment state. The `franka` robot reports the simulator's 16 proprio values first
    and the part poses after them, so the first `state_dim` values are the state and the next
    `env_state_dim` the environment state. Observations that already carry an environment state (the
    simulator, datasets) pass through unchanged.
    """

    state_dim: int = 16
    env_state_dim: int = 14

    def observation(self, observation):
        if OBS_ENV_STATE in observation or OBS_STATE not in observation:
            return observation
        state = observation[OBS_STATE]
        size = state.shape[-1]
        if size != self.state_dim + self.env_state_dim:
            raise ValueError(
                f"the policy needs {self.state_dim} state and {self.env_state_dim} part-pose values, but the "
                f"observation has one state of {size} and no environment state; a franka robot observes part "
                "poses only with --robot.task and --robot.tag_calibration"
            )
        observation = dict(observation)
        observation[OBS_STATE] = state[..., : self.state_dim]
        observation[OBS_ENV_STATE] = state[..., self.state_dim :]
        return observation

    def get_config(self) -> dict[str, Any]:
        return {"state_dim": self.state_dim, "env_state_dim": self.env_state_dim}

    def transform_features(
        self, features: dict[PipelineFeatureType, dict[str, PolicyFeature]]
    ) -> dict[PipelineFeatureType, dict[str, PolicyFeature]]:
        observation = dict(features.get(PipelineFeatureType.OBSERVATION, {}))
        combined = observation.get(OBS_STATE)
        if OBS_ENV_STATE in observation or combined is None or combined.shape != (self.state_dim + self.env_state_dim,):
            return features
        observation[OBS_STATE] = PolicyFeature(type=FeatureType.STATE, shape=(self.state_dim,))
        observation[OBS_ENV_STATE] = PolicyFeature(type=FeatureType.ENV, shape=(self.env_state_dim,))
        return {**features, PipelineFeatureType.OBSERVATION: observation}


@dataclass
@ProcessorStepRegistry.register(name="resip_clip_to_training_range")
class ClipToTrainingRangeStep(ObservationProcessorStep):
    """Clip observations to the [min, max] the policy was trained on, before the normalizer.

    A state policy trained in simulation sees no variation at all in some inputs (the hole's height and tilt
    stay exactly constant, the tool's tilt within 0.1 degree), and LeRobot's min-max normalization divides by
    that range (an epsilon of 1e-8 when it is zero): 0.2 mm of tag noise on the hole's height becomes -2e4
    normalized, and the base's actions are noise. Clipping maps such an input back to what the policy saw;
    inside the training range it changes nothing. A deployment step: training and the simulator's evaluations
    do not use it.
    """

    ranges: dict[str, tuple[list[float], list[float]]] | None = None

    def observation(self, observation):
        if not self.ranges:
            return observation
        observation = dict(observation)
        for key, (low, high) in self.ranges.items():
            value = observation.get(key)
            if value is not None:
                low_t = torch.as_tensor(low, dtype=value.dtype, device=value.device)
                high_t = torch.as_tensor(high, dtype=value.dtype, device=value.device)
                observation[key] = torch.clamp(value, low_t, high_t)
        return observation

    def get_config(self) -> dict[str, Any]:
        return {"ranges": self.ranges}

    def transform_features(self, features):
        return features


def clip_to_training_range_step(preprocessor) -> ClipToTrainingRangeStep:
    """The clip step for the state features the preprocessor's normalizer holds min/max statistics of."""
    normalizers = [step for step in preprocessor.steps if isinstance(step, NormalizerProcessorStep)]
    if len(normalizers) != 1:
        raise ValueError("the policy's preprocessor must have exactly one normalizer step")
    stats: dict[str, dict[str, torch.Tensor]] = {}
    for flat_key, tensor in normalizers[0].state_dict().items():
        key, stat_name = flat_key.rsplit(".", 1)
        stats.setdefault(key, {})[stat_name] = tensor
    ranges = {
        key: (torch.as_tensor(stats[key]["min"]).tolist(), torch.as_tensor(stats[key]["max"]).tolist())
        for key in (OBS_STATE, OBS_ENV_STATE)
        if key in stats and "min" in stats[key] and "max" in stats[key]
    }
    return ClipToTrainingRangeStep(ranges=ranges)


def split_robot_state_step(config) -> SplitRobotStateStep:
    """The split step for a policy with `observation.state` and `observation.environment_state` inputs."""
    inputs = config.input_features
    if OBS_STATE not in inputs or OBS_ENV_STATE not in inputs:
        raise ValueError("the policy has no observation.state and observation.environment_state inputs to split into")
    return SplitRobotStateStep(state_dim=inputs[OBS_STATE].shape[0], env_state_dim=inputs[OBS_ENV_STATE].shape[0])


def make_resip_pre_post_processors(
    config: ResipConfig,
    dataset_stats: dict[str, dict[str, torch.Tensor]] | None = None,
    **kwargs: Any,
) -> tuple[
    PolicyProcessorPipeline[dict[str, Any], dict[str, Any]],
    PolicyProcessorPipeline[PolicyAction, PolicyAction],
]:
    """LeRobot's default pipelines (rename -> batch dim -> device -> normalize; unnormalize -> cpu), with the
    robot-state split (`SplitRobotStateStep`) first, so a saved checkpoint runs through `lerobot-rollout`.

    With a `base_path`, the statistics are the base's own (its weights only make sense in its normalized
    space) and `dataset_stats` is ignored; without one (pretraining a new base with `lerobot-train`)
    they are `dataset_stats`.
    """
    stats = dataset_stats
    if config.base_path is not None:
        stats = load_base_stats(config.base_path)
        check_stats(config, stats, f"the base preprocessor in {config.base_path}")
    steps = make_default_policy_processor_steps(config, stats)
    return make_policy_processor_pipelines(
        input_steps=[
            split_robot_state_step(config),
            steps.rename_observations,
            steps.add_batch_dim,
            steps.to_device,
            steps.normalize,
        ],
        output_steps=[steps.unnormalize, steps.to_cpu],
    )
