"""The `resip` policy: a frozen LeRobot diffusion policy plus a per-step Gaussian residual and a critic."""

from lerobot_resip.policies.resip.configuration_resip import ResipConfig
from lerobot_resip.policies.resip.modeling_resip import Critic, ResidualActor, ResipPolicy, sample_base_chunk
from lerobot_resip.policies.resip.processor_resip import load_base_stats, make_resip_pre_post_processors

__all__ = [
    "Critic",
    "ResidualActor",
    "ResipConfig",
    "ResipPolicy",
    "load_base_stats",
    "make_resip_pre_post_processors",
    "sample_base_chunk",
]
