"""Pre/post-processing pipelines of the `resip` policy: the base's normalization, reused as is."""

from __future__ import annotations

from typing import Any

import torch
from lerobot.processor import (
    NormalizerProcessorStep,
    PolicyAction,
    PolicyProcessorPipeline,
    make_default_pre_post_processors,
)
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


def make_resip_pre_post_processors(
    config: ResipConfig,
    dataset_stats: dict[str, dict[str, torch.Tensor]] | None = None,
    **kwargs: Any,
) -> tuple[
    PolicyProcessorPipeline[dict[str, Any], dict[str, Any]],
    PolicyProcessorPipeline[PolicyAction, PolicyAction],
]:
    """LeRobot's default pipelines (rename -> batch dim -> device -> normalize; unnormalize -> cpu).

    With a `base_path`, the statistics are the base's own (its weights only make sense in its normalized
    space) and `dataset_stats` is ignored; without one (pretraining a new base with `lerobot-train`)
    they are `dataset_stats`.
    """
    stats = dataset_stats
    if config.base_path is not None:
        stats = load_base_stats(config.base_path)
        check_stats(config, stats, f"the base preprocessor in {config.base_path}")
    return make_default_pre_post_processors(config, stats)
