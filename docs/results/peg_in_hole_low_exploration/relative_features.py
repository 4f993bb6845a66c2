"""Diagnostic, since made a package option (`--policy.task_features=peg_in_hole`): the residual and
the critic also see five task-space features, in cm, clipped to +-10: peg-to-hole offset x, y, the
peg bottom's height above the hole mouth, and tool-minus-base-target x, y. With them, the
expert-like correction that lifts the base in oracle_eval.py is a linear function of the residual's
input near the hole.

usage: python relative_features.py train|eval <base ckpt> <lerobot-resip-train / -eval args>
"""
import sys
import torch
from safetensors.torch import load_file
from lerobot.utils.constants import OBS_ENV_STATE, OBS_STATE
from lerobot_resip.envs.scenes import HOLE_DEPTH, PEG_HALF_LENGTH
from lerobot_resip.policies.resip import modeling_resip as m

mode, base_ckpt = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
stats = load_file(f"{base_ckpt}/policy_preprocessor_step_3_normalizer_processor.safetensors")
post = load_file(f"{base_ckpt}/policy_postprocessor_step_0_unnormalizer_processor.safetensors")


def raw(x, key, table):
    low, high = table[f"{key}.min"], table[f"{key}.max"]
    return (x + 1) / 2 * (high - low) + low


EXTRA = 5
original_init = m.ResipPolicy.__init__
original_input = m.ResipPolicy.residual_input


def init(self, config, *args, **kwargs):
    original_init(self, config, *args, **kwargs)
    in_dim = self.residual.mean[0].in_features + EXTRA
    self.residual = m.ResidualActor(in_dim, self.action_dim, config.residual_hidden_dims, config.init_log_std,
                                    config.learn_log_std)
    self.critic = m.Critic(in_dim, config.critic_hidden_dims)


def residual_input(self, batch, base_action):
    x = original_input(self, batch, base_action)
    env = raw(batch[OBS_ENV_STATE], OBS_ENV_STATE, stats)
    tool = raw(batch[OBS_STATE], OBS_STATE, stats)[:, :3]
    target = raw(base_action.to(x.dtype), "action", post)[:, :3]
    peg, hole = env[:, 0:3], env[:, 7:10]
    height = (peg[:, 2] - PEG_HALF_LENGTH) - (hole[:, 2] + HOLE_DEPTH)
    extra = torch.cat([hole[:, :2] - peg[:, :2], height[:, None], tool[:, :2] - target[:, :2]], dim=-1)
    return torch.cat([x, (100 * extra).clamp(-10, 10)], dim=-1)


m.ResipPolicy.__init__ = init
m.ResipPolicy.residual_input = residual_input
if mode == "train":
    from lerobot_resip.scripts.train_residual import main
else:
    from lerobot_resip.scripts.evaluate import main
main()
