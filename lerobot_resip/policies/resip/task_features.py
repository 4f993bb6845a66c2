"""Task-space inputs for the residual and the critic (`ResipConfig.task_features`).

The paper's residual sees only the normalized state, environment state and base action. The
correction a precise insertion needs near the hole (move the tool by the peg-to-hole offset) is then a
difference of two normalized coordinates whose scales differ per feature, and the fine offsets that
matter (millimetres) are a tiny fraction of each feature's range. These features state those offsets
directly, in centimetres: for every assembly pair of the task, how far the child part is from its
nearest assembled position, and how far the base action's commanded tool position is from the tool.
"""

from __future__ import annotations

import numpy as np
import torch
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE
from torch import Tensor, nn

from lerobot_resip.envs.sim import PART_POSE_DIM
from lerobot_resip.envs.tasks import get_task

# (key in the normalization statistics, buffer name prefix)
_STATS = ((OBS_STATE, "state"), (OBS_ENV_STATE, "env"), (ACTION, "action"))
TOOL_XY = slice(0, 2)  # observation.state[:2] is the tool's x, y and action[:2] their target, m


def _rotate(quat_wxyz: Tensor, vec: Tensor) -> Tensor:
    """Rotate (B, 3) vectors by (B, 4) unit quaternions (w, x, y, z)."""
    w, q = quat_wxyz[:, :1], quat_wxyz[:, 1:]
    t = 2 * torch.cross(q, vec, dim=-1)
    return vec + w * t + torch.cross(q, t, dim=-1)


class TaskFeatures(nn.Module):
    """(B, 3 * pairs + 2) features, cm, clipped to +-`clip_cm`, from normalized policy inputs.

    Per assembly pair of `task`: the child part's assembled position minus its current position (x, y,
    z, robot base frame), the assembled position being the parent's pose applied to the pair's
    `relative_pos`, or, for a child that fits several places (one_leg's leg, any of four holes), to
    whichever of `AssemblyPair.positions` is nearest the child: the place it is being brought to. (One
    place only would be 11 cm in x and in y from the hole the expert and its clones use, beyond the
    clip: the offset that decides the insertion would not be seen.) Then the base action's commanded
    tool position minus the tool position (x, y).

    The min-max statistics that undo the normalization are buffers (`set_stats`), so they are saved in
    the policy's weights and a checkpoint needs nothing else to compute the features.
    """

    def __init__(self, task: str, clip_cm: float, state_dim: int, env_dim: int, action_dim: int):
        super().__init__()
        spec = get_task(task)
        if env_dim != PART_POSE_DIM * len(spec.parts):
            raise ValueError(
                f"task_features={task!r} needs observation.environment_state of {PART_POSE_DIM * len(spec.parts)} "
                f"values (parts {', '.join(spec.parts)}), but the policy's has {env_dim}; "
                "name the task it was trained on"
            )
        self.clip_cm = clip_cm
        self.child = [spec.parts.index(pair.child) for pair in spec.pairs]
        self.parent = [spec.parts.index(pair.parent) for pair in spec.pairs]
        self.register_buffer(
            "relative_pos", torch.tensor([pair.relative_pos for pair in spec.pairs], dtype=torch.float32)
        )
        # (pairs, K - 1, 3) the other places each child fits (`AssemblyPair.other_positions`), padded
        # with its first; not saved: the task defines them, and checkpoints load as they were made.
        others = max(len(pair.other_positions) for pair in spec.pairs)
        self.register_buffer(
            "other_positions",
            torch.tensor(
                np.array([[*pair.other_positions] + [pair.relative_pos] * (others - len(pair.other_positions))
                          for pair in spec.pairs]).reshape(len(spec.pairs), others, 3),
                dtype=torch.float32,
            ),
            persistent=False,
        )
        for (_, name), dim in zip(_STATS, (state_dim, env_dim, action_dim), strict=True):
            self.register_buffer(f"{name}_min", torch.zeros(dim))
            self.register_buffer(f"{name}_max", torch.ones(dim))
        self.dim = 3 * len(spec.pairs) + 2

    def set_stats(self, stats: dict[str, dict[str, Tensor]]) -> None:
        """Take the min/max statistics of the policy's (base's) normalizer."""
        for key, name in _STATS:
            for stat in ("min", "max"):
                getattr(self, f"{name}_{stat}").copy_(torch.as_tensor(stats[key][stat], dtype=torch.float32))

    def stats_match(self, stats: dict[str, dict[str, Tensor]]) -> bool:
        return all(
            torch.allclose(
                getattr(self, f"{name}_{stat}").cpu(), torch.as_tensor(stats[key][stat], dtype=torch.float32).cpu()
            )
            for key, name in _STATS
            for stat in ("min", "max")
        )

    def _raw(self, x: Tensor, name: str) -> Tensor:
        """Undo LeRobot's MIN_MAX normalization, 2 * (x - min) / (max - min) - 1."""
        low, high = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
        return (x + 1) / 2 * (high - low) + low

    def child_offsets(self, env_state: Tensor) -> Tensor:
        """(B, pairs, 3) each pair's nearest assembled child position minus the child's position, m."""
        poses = self._raw(env_state, "env").reshape(len(env_state), -1, PART_POSE_DIM)
        offsets = []
        batch, places = len(poses), 1 + self.other_positions.shape[1]
        for pair, (child, parent) in enumerate(zip(self.child, self.parent, strict=True)):
            parent_pose = poses[:, parent].repeat_interleave(places, dim=0)
            relative = torch.cat([self.relative_pos[pair, None], self.other_positions[pair]])  # (K, 3), parent frame
            goals = parent_pose[:, :3] + _rotate(parent_pose[:, 3:], relative.repeat(batch, 1))
            to_goal = goals.reshape(batch, places, 3) - poses[:, child, None, :3]
            nearest = to_goal.norm(dim=-1).argmin(dim=1)
            offsets.append(to_goal[torch.arange(batch), nearest])
        return torch.stack(offsets, dim=1)

    def near_assembly(self, env_state: Tensor, radius_cm: float, low_cm: float, high_cm: float) -> Tensor:
        """(B,) bool: some pair's child is within `radius_cm` of its nearest assembled position in x, y and
        between `low_cm` and `high_cm` above it (`ResipConfig.residual_gate_cm`)."""
        offsets = 100 * self.child_offsets(env_state)
        above = -offsets[..., 2]
        near = (offsets[..., :2].norm(dim=-1) < radius_cm) & (above > low_cm) & (above < high_cm)
        return near.any(dim=1)

    def forward(self, state: Tensor, env_state: Tensor, base_action: Tensor) -> Tensor:
        state, base_action = self._raw(state, "state"), self._raw(base_action.to(state.dtype), "action")
        features = [self.child_offsets(env_state).flatten(1), base_action[:, TOOL_XY] - state[:, TOOL_XY]]
        return (100 * torch.cat(features, dim=-1)).clamp(-self.clip_cm, self.clip_cm)
