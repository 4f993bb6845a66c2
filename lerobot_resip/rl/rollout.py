"""Running a resip policy in the batched simulator: one PPO rollout, or a seeded evaluation.

Both loops take the same step (`ResipPolicy.act`) between LeRobot's own processors: the saved
preprocessor normalizes the simulator's observations (and moves them to the policy's device), the
postprocessor un-normalizes the actions (and brings them back to the CPU, where the physics runs).
The trainer, the evaluator and the benchmarks all use these two functions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from lerobot.processor import PolicyProcessorPipeline
from lerobot.utils.constants import OBS_ENV_STATE, OBS_STATE
from torch import Tensor

from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.policies.resip import ResipPolicy


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


class PolicyIO:
    """The simulator's numpy observations -> the policy's normalized batch, and back for actions,
    through the checkpoint's own processor pipelines."""

    def __init__(self, pre: PolicyProcessorPipeline, post: PolicyProcessorPipeline):
        self.pre, self.post = pre, post

    def batch(self, obs: dict[str, np.ndarray]) -> dict[str, Tensor]:
        return self.pre({OBS_STATE: torch.from_numpy(obs["agent_pos"]),
                         OBS_ENV_STATE: torch.from_numpy(obs["environment_state"])})

    def env_action(self, action: Tensor) -> np.ndarray:
        return self.post(action).numpy()


# ---------------------------------------------------------------------------------------------- rollout


@dataclass
class Rollout:
    """(T, N, ...) tensors of one episode per env, on the policy's device; `valid` masks the steps
    after an env's episode ended, `acted` the steps where the residual was added to the base action
    (all of them unless the policy's `residual_gate_cm` held it back)."""

    inputs: Tensor
    residuals: Tensor
    logprobs: Tensor
    values: Tensor
    rewards: Tensor
    dones: Tensor
    valid: Tensor
    acted: Tensor
    success: np.ndarray
    physics_unstable: int
    nonfinite_actions: int
    timing: dict

    @property
    def success_rate(self) -> float:
        return float(self.success.mean())


@dataclass
class ExpertStart:
    """Episodes that a scripted expert starts: in the envs of `envs` (N bools) `expert` acts from the reset
    until its `phase` array first holds `phase`; the policy plays the rest of the episode."""

    expert: object
    envs: np.ndarray
    phase: int


def play_expert_start(sim: BatchedAssemblySim, obs: dict, start: ExpertStart) -> tuple[dict, np.ndarray]:
    """The expert's part of the expert-started episodes, before the policy's first step: each such env is
    stepped with the expert's actions until the expert enters the phase, then held there (not simulated)
    while the others catch up, so that the policy starts every episode at once: a chunked base then samples
    all envs' chunks in one batched call, not one call per hand-over step. Returns the observations the
    policy starts from and the (N,) envs whose episode ended before the hand-over (timeout, blow-up or the
    expert's own success: none of them is the policy's)."""
    start.expert.reset()
    playing, ended = start.envs.copy(), np.zeros(sim.num_envs, dtype=bool)
    while playing.any():
        action = start.expert.act(obs)
        playing &= start.expert.phase != start.phase
        obs, _, terminated, truncated, _ = sim.step(action, active=playing)
        ended |= playing & (terminated | truncated)
        playing &= ~ended
    return obs, ended


@torch.no_grad()
def collect_rollout(
    policy: ResipPolicy,
    io: PolicyIO,
    sim: BatchedAssemblySim,
    seeds: np.ndarray,
    exploration_hold_steps: int = 1,
    expert_start: ExpertStart | None = None,
) -> Rollout:
    """Reset every env with `seeds` and roll out one episode each with residual samples (an env whose
    episode ended is no longer simulated). Timeouts are terminal (`dones` is 1 on the last step).
    With `expert_start`, the expert's steps (`play_expert_start`) come first and are not in the rollout:
    its episodes are shorter by them, and one that ends before the hand-over counts as no success."""
    n, horizon = sim.num_envs, sim.max_episode_steps
    device = torch.device(policy.config.device)
    timing = dict.fromkeys(("normalize", "policy", "unnormalize", "sim"), 0.0)
    obs = sim.reset(seeds=seeds)
    policy.reset()
    done = torch.zeros(n, dtype=torch.bool, device=device)
    expert_s = time.perf_counter()
    if expert_start is not None:
        obs, ended = play_expert_start(sim, obs, expert_start)
        done |= torch.as_tensor(ended, device=device)
    expert_s = time.perf_counter() - expert_s
    buf: dict[str, Tensor] = {}
    success = np.zeros(n, dtype=bool)
    unstable = nonfinite = steps = 0
    noise = None
    for t in range(horizon):
        t0 = time.perf_counter()
        batch = io.batch(obs)
        t1 = time.perf_counter()
        if t % exploration_hold_steps == 0:
            noise = None  # a fresh draw this step, held for the next exploration_hold_steps - 1
        step = policy.act(batch, deterministic=False, noise=noise, active=~done, with_value=True)
        noise = step.noise
        t2 = time.perf_counter()
        env_action = io.env_action(step.action)
        t3 = time.perf_counter()
        obs, reward, terminated, truncated, info = sim.step(env_action, active=~done.cpu().numpy())
        t4 = time.perf_counter()
        if not buf:
            buf = {"inputs": torch.zeros(horizon, n, step.residual_input.shape[-1], device=device),
                   "residuals": torch.zeros(horizon, n, step.residual.shape[-1], device=device),
                   **{k: torch.zeros(horizon, n, device=device)
                      for k in ("logprobs", "values", "rewards", "dones", "valid", "acted")}}
        nonfinite += int(step.nonfinite.sum())
        ended = torch.as_tensor(terminated | truncated, device=device)
        buf["inputs"][t], buf["residuals"][t] = step.residual_input, step.residual
        buf["logprobs"][t], buf["values"][t] = step.logprob, step.value
        buf["rewards"][t] = torch.as_tensor(reward, device=device) * ~done
        buf["valid"][t] = (~done).float()
        buf["acted"][t] = step.acted.float()
        newly = (ended & ~done).cpu().numpy()
        success |= newly & info["is_success"]
        unstable += int((newly & info["physics_unstable"]).sum())
        done = done | ended
        buf["dones"][t] = (done | (t == horizon - 1)).float()
        for key, dt in zip(timing, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            timing[key] += dt
        steps += 1
        if done.all():
            break
    buf = {key: value[:steps] for key, value in buf.items()}  # all envs done early: drop the unused steps
    buf["dones"][-1] = 1.0
    timing["expert"] = expert_s
    return Rollout(**buf, success=success, physics_unstable=unstable, nonfinite_actions=nonfinite,
                   timing={f"perf/{k}_ms_per_step": 1000 * v / steps for k, v in timing.items()})


# ------------------------------------------------------------------------------------------- evaluate


@torch.no_grad()
def evaluate(
    policy: ResipPolicy,
    io: PolicyIO,
    sim: BatchedAssemblySim,
    seeds: np.ndarray,
    sampling_seed: int = 0,
    deterministic: bool = True,
    progress=None,
    record=None,
) -> dict:
    """Run one episode per seed, `sim.num_envs` at a time, with the residual MEAN (deterministic) or a
    residual sample. The base's sampling noise comes from a generator seeded with `sampling_seed`,
    so the same seeds and settings give the same numbers. `record(first, live)`, if given, is called
    after every reset and step with the index of the round's first episode and the (N,) mask of the
    envs whose episode was running before that step (for video).

    Returns success (list of bools), episode lengths, physics blow-ups, success rate and its 95% Wilson
    interval, mean episode length, wall time.
    """
    start = time.perf_counter()
    n = sim.num_envs
    generator = torch.Generator(device=policy.config.device).manual_seed(sampling_seed)
    success, lengths, unstable = [], [], 0
    was_training = policy.training
    policy.eval()
    for first in range(0, len(seeds), n):
        chunk = seeds[first : first + n]
        padded = np.concatenate([chunk, chunk[-1:].repeat(n - len(chunk))])  # spare envs are ignored
        obs = sim.reset(seeds=padded)
        policy.reset()
        done = np.zeros(n, dtype=bool)
        done[len(chunk) :] = True
        ok = np.zeros(n, dtype=bool)
        length = np.full(n, sim.max_episode_steps)
        if record is not None:
            record(first, ~done)
        for t in range(sim.max_episode_steps):
            step = policy.act(io.batch(obs), deterministic=deterministic, generator=generator,
                              active=torch.as_tensor(~done, device=policy.config.device))
            obs, _, terminated, truncated, info = sim.step(io.env_action(step.action), active=~done)
            ended = ~done & (terminated | truncated)
            ok |= ended & info["is_success"]
            unstable += int((ended & info["physics_unstable"]).sum())
            length[ended] = t + 1
            if record is not None:
                record(first, ~done)
            done |= ended
            if progress is not None:
                progress()
            if done.all():
                break
        success += ok[: len(chunk)].tolist()
        lengths += length[: len(chunk)].tolist()
    policy.train(was_training)
    k = int(sum(success))
    low, high = wilson_interval(k, len(success))
    return {
        "success_rate": k / max(1, len(success)),
        "success_ci95": [low, high],
        "successes": k,
        "episodes": len(success),
        "mean_episode_length": float(np.mean(lengths)) if lengths else 0.0,
        "physics_unstable": unstable,
        "seeds": [int(s) for s in seeds],
        "success": [bool(s) for s in success],
        "episode_lengths": [int(x) for x in lengths],
        "wall_s": time.perf_counter() - start,
    }
