"""What the resip policy did at each control step, for the one_leg analysis scripts (residual_direction.py,
residual_gate.py, advantage_direction.py)."""

import numpy as np

from lerobot_resip.policies.resip.modeling_resip import ResipPolicy
from lerobot_resip.rl.rollout import PolicyIO


def capture_policy_steps() -> dict:
    """Patch `ResipPolicy.act` and `PolicyIO.env_action`; the returned dict then holds, after each policy step,
    "step" (its ResipStep) and "t" (policy steps since the caller last set it to -1), and once that step's action
    is converted for the simulator, "executed" and "base" ((n, A) float64 env actions with and without the
    residual), which the caller's simulator hook pops."""
    last = {"t": -1}
    original_act, original_env_action = ResipPolicy.act, PolicyIO.env_action

    def act(self, *args, **kwargs):
        last["step"] = step = original_act(self, *args, **kwargs)
        last["t"] += 1
        return step

    def env_action(self, action):
        out = original_env_action(self, action)
        if "step" in last and action is last["step"].action:
            base = original_env_action(self, last["step"].base_action)
            last["executed"], last["base"] = np.asarray(out, np.float64), np.asarray(base, np.float64)
        return out

    ResipPolicy.act, PolicyIO.env_action = act, env_action
    return last
