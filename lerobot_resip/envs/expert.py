"""Scripted experts, one per task (`make_expert`); here the peg_in_hole one (one_leg's and
biman_insert's live in their own modules).

peg_in_hole's expert is a waypoint planner on privileged state, batched over envs.

It reads only the observation (tool pose, gripper opening, part poses) and plans per env:
approach over the peg, descend, grasp, lift, carry over the hole, align, insert; with
recovery (a lost peg sends it back to the approach, a stalled insertion lifts and re-aligns).
Per-episode random speed, grasp height and hover heights, and small per-step jitter, keep the
demos diverse and imperfect (the paper's demos were human).
"""

from __future__ import annotations

import time

import numpy as np

from lerobot_resip.envs.expert_biman import BimanInsertExpert
from lerobot_resip.envs.expert_one_leg import OneLegExpert
from lerobot_resip.envs.rotation import matrix_from_rot6d, quat_to_matrix, rot6d_from_matrix, wrap_angle, yaw_of
from lerobot_resip.envs.scenes import HOLE_DEPTH, PEG_HALF_LENGTH
from lerobot_resip.envs.sim import BatchedAssemblySim
from lerobot_resip.envs.tasks import get_task

# The expert's phases, by the number `PegInHoleExpert.phase` holds (names for `--expert_start_phase`).
PHASES = ("approach", "descend", "close", "lift", "carry", "align", "insert", "release")
APPROACH, DESCEND, CLOSE, LIFT, CARRY, ALIGN, INSERT, RELEASE = range(len(PHASES))
QUARTER = np.pi / 2  # the square peg and hole look the same every quarter turn
DOWN = np.diag([1.0, -1.0, -1.0])  # tool orientation pointing at the table, at yaw 0
CARRY_HEIGHT = 0.16  # m, tool height while carrying
HOVER = 0.005  # m, gap between peg bottom and hole mouth before inserting
GRASP_LOST = 0.02  # m, peg further than this from where the grasp holds it: lost
ALIGN_TOLERANCE = 0.0015  # m, peg-hole offset per axis that the mouth chamfer still guides in
# m, how far below the tool the insertion aims until the peg is in the mouth: a target that leads
# the tool keeps it moving down, so a policy imitating these absolute targets does not stall over
# the hole. Inside, it pushes gently (at most 5 mm) and the walls guide the peg.
INSERT_LEAD = 0.01


class PegInHoleExpert:
    """Batched peg_in_hole expert. `act(obs)` -> (N, 10) absolute tool-pose actions."""

    PHASES = PHASES

    def __init__(self, num_envs: int, seed: int | None = None, noise: float = 1.0):
        self.num_envs = num_envs
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.phase = np.zeros(num_envs, dtype=np.int64)
        self.timer = np.zeros(num_envs, dtype=np.int64)
        self.retries = np.zeros(num_envs, dtype=np.int64)
        self.speed = np.zeros(num_envs)
        self.grasp_height = np.zeros(num_envs)
        self.hover_height = np.zeros(num_envs)
        self.insert_start_z = np.zeros(num_envs)
        self.reset()

    def reset(self, ids=None) -> None:
        ids = np.arange(self.num_envs) if ids is None else np.atleast_1d(ids)
        n = len(ids)
        self.phase[ids] = APPROACH
        self.timer[ids] = 0
        self.retries[ids] = 0
        # Per-episode style: speed (m per 10 Hz step), where on the peg to grasp, hover height.
        self.speed[ids] = 0.025 * (1 + 0.3 * self.noise * self.rng.uniform(-1, 1, n))
        self.grasp_height[ids] = 0.015 + 0.004 * self.noise * self.rng.uniform(-1, 1, n)
        self.hover_height[ids] = 0.08 + 0.02 * self.noise * self.rng.uniform(-1, 1, n)

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        agent = np.asarray(obs["agent_pos"], dtype=np.float64)
        parts = np.asarray(obs["environment_state"], dtype=np.float64)
        tcp, tcp_rot = agent[:, :3], matrix_from_rot6d(agent[:, 3:9])
        peg, peg_rot = parts[:, 0:3], quat_to_matrix(parts[:, 3:7])
        hole, hole_rot = parts[:, 7:10], quat_to_matrix(parts[:, 10:14])
        tcp_yaw, peg_yaw, hole_yaw = yaw_of(tcp_rot), yaw_of(peg_rot), yaw_of(hole_rot)

        # Where the peg sits in the grasp, and the tool pose that puts it over the hole.
        peg_offset = peg - tcp
        peg_bottom = peg[:, 2] - PEG_HALF_LENGTH
        hole_mouth = hole[:, 2] + HOLE_DEPTH
        grasp_yaw = tcp_yaw + wrap_angle(peg_yaw - tcp_yaw, QUARTER)
        in_hand_yaw = wrap_angle(peg_yaw - tcp_yaw, QUARTER)
        insert_yaw = tcp_yaw + wrap_angle(hole_yaw - in_hand_yaw - tcp_yaw, QUARTER)
        peg_xy_error = hole[:, :2] - peg[:, :2]
        lost = np.linalg.norm(peg_offset - np.array([0, 0, -1.0]) * self.grasp_height[:, None], axis=1) > GRASP_LOST

        goal = tcp.copy()
        yaw = tcp_yaw.copy()
        close = np.zeros(self.num_envs, dtype=bool)
        self.timer += 1
        for env in range(self.num_envs):
            phase = self.phase[env]
            reached = lambda tol, env=env: np.linalg.norm(goal[env] - tcp[env]) < tol  # noqa: E731
            if phase in (LIFT, CARRY, ALIGN, INSERT) and lost[env]:
                self._goto(env, RELEASE)
                phase = RELEASE
            if phase == APPROACH:
                goal[env] = [*peg[env, :2], peg[env, 2] + self.grasp_height[env] + self.hover_height[env]]
                yaw[env] = grasp_yaw[env]
                if reached(0.01) and abs(wrap_angle(grasp_yaw[env] - tcp_yaw[env])) < 0.05:
                    self._goto(env, DESCEND)
            elif phase == DESCEND:
                goal[env] = [*peg[env, :2], peg[env, 2] + self.grasp_height[env]]
                yaw[env] = grasp_yaw[env]
                if reached(0.003):
                    self._goto(env, CLOSE)
            elif phase == CLOSE:
                goal[env] = tcp[env]
                close[env] = True
                if self.timer[env] >= 4:
                    self._goto(env, LIFT)
            elif phase == LIFT:
                goal[env] = [*tcp[env, :2], CARRY_HEIGHT]
                close[env] = True
                if reached(0.01):
                    self._goto(env, CARRY)
            elif phase == CARRY:
                goal[env] = [*(tcp[env, :2] + peg_xy_error[env]), CARRY_HEIGHT]
                yaw[env] = insert_yaw[env]
                close[env] = True
                if reached(0.005):
                    self._goto(env, ALIGN)
            elif phase == ALIGN:
                lower = hole_mouth[env] + HOVER - peg_bottom[env]
                goal[env] = [*(tcp[env, :2] + peg_xy_error[env]), tcp[env, 2] + lower]
                yaw[env] = insert_yaw[env]
                close[env] = True
                aligned = np.abs(peg_xy_error[env]).max() < ALIGN_TOLERANCE
                yaw_ok = abs(wrap_angle(hole_yaw[env] - peg_yaw[env], QUARTER)) < 0.01
                if aligned and yaw_ok and abs(lower) < 0.003:
                    self._goto(env, INSERT)
                    self.insert_start_z[env] = peg[env, 2]
            elif phase == INSERT:
                depth_left = peg_bottom[env] - hole[env, 2]
                # Centre the peg until it is in the mouth; inside, the walls guide it and a servo
                # on the measured peg would only bang it from wall to wall.
                above_mouth = peg_bottom[env] > hole_mouth[env]
                xy = tcp[env, :2] + (peg_xy_error[env] if above_mouth else 0.0)
                lead = INSERT_LEAD if above_mouth else min(depth_left + 0.003, 0.005)
                goal[env] = [*xy, tcp[env, 2] - lead]
                yaw[env] = insert_yaw[env]
                close[env] = True
                if self.timer[env] > 25:  # stalled: back off and align again
                    self.retries[env] += 1
                    self._goto(env, ALIGN)
            elif phase == RELEASE:  # lost the peg: open, rise, start over
                goal[env] = [*tcp[env, :2], CARRY_HEIGHT]
                if self.timer[env] >= 5:
                    self._goto(env, APPROACH)

        step = goal - tcp
        step *= np.minimum(1.0, self.speed / np.maximum(np.linalg.norm(step, axis=1), 1e-9))[:, None]
        free_space = np.isin(self.phase, (APPROACH, LIFT, CARRY, RELEASE))
        jitter = self.rng.normal(0, 0.001 * self.noise, (self.num_envs, 3)) * free_space[:, None]
        target = tcp + step + jitter
        cos, sin = np.cos(yaw), np.sin(yaw)
        rot = np.zeros((self.num_envs, 3, 3))
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1], rot[:, 2, 2] = cos, -sin, sin, cos, 1
        rot6d = rot6d_from_matrix(rot @ DOWN)
        gripper = np.where(close, 1.0, -1.0)[:, None]
        return np.concatenate([target, rot6d, gripper], axis=1).astype(np.float32)

    def _goto(self, env: int, phase: int) -> None:
        self.phase[env] = phase
        self.timer[env] = 0


# Scripted expert of each task: a class taking (num_envs, seed, noise), with reset(ids) and act(obs).
EXPERTS = {"peg_in_hole": PegInHoleExpert, "one_leg": OneLegExpert, "biman_insert": BimanInsertExpert}
# Experts whose timings are in seconds and that run at any control rate (`control_hz` argument);
# the others count control steps and run at their task's rate only.
ANY_RATE_EXPERTS = {"biman_insert"}


def make_expert(task: str, num_envs: int, seed: int | None = None, noise: float = 1.0, control_hz: int | None = None):
    """The scripted expert of `task` for `num_envs` environments; `noise` scales its randomness;
    `control_hz` is the rate it acts at (default: the task's)."""
    if task not in EXPERTS:
        raise ValueError(f"no scripted expert for task {task!r}; available: {', '.join(sorted(EXPERTS))}")
    if task in ANY_RATE_EXPERTS:
        return EXPERTS[task](num_envs, seed=seed, noise=noise, control_hz=control_hz)
    task_hz = get_task(task).control_hz
    if control_hz not in (None, task_hz):
        raise ValueError(f"the {task} expert acts at {task_hz} Hz only (got --env.fps={control_hz})")
    return EXPERTS[task](num_envs, seed=seed, noise=noise)


def expert_success(
    task: str,
    randomness: str,
    clearance_mm: float,
    episodes: int,
    num_envs: int,
    first_seed: int,
    control_hz: int | None = None,
    episode_length: int | None = None,
) -> dict:
    """The scripted expert's success rate over episodes `first_seed`..`first_seed + episodes - 1` (episode
    i resets with seed `first_seed + i`; each batch's expert noise is seeded with its first seed)."""
    seeds = np.arange(first_seed, first_seed + episodes)
    successes, lengths = [], []
    start = time.perf_counter()
    for chunk in np.array_split(seeds, int(np.ceil(episodes / num_envs))):
        n = len(chunk)
        sim = BatchedAssemblySim(
            task, n, randomness=randomness, clearance=clearance_mm / 1000, control_hz=control_hz,
            max_episode_steps=episode_length,
        )
        expert = make_expert(task, n, seed=int(chunk[0]), control_hz=sim.control_hz)
        obs = sim.reset(seeds=chunk)
        done = np.zeros(n, dtype=bool)
        success = np.zeros(n, dtype=bool)
        length = np.full(n, sim.max_episode_steps)
        for step in range(sim.max_episode_steps):
            obs, _, terminated, truncated, info = sim.step(expert.act(obs))
            ended = (terminated | truncated) & ~done
            success |= info["is_success"] & ~done
            length[ended] = step + 1
            done |= ended
            if done.all():
                break
        successes.append(success)
        lengths.append(length)
    success, length = np.concatenate(successes), np.concatenate(lengths)
    return {
        "task": task,
        "randomness": randomness,
        "clearance_mm": clearance_mm,
        "control_hz": int(sim.control_hz),
        "episode_length": int(sim.max_episode_steps),
        "episodes": episodes,
        "seeds": [int(seeds[0]), int(seeds[-1])],
        "success_rate": float(success.mean()),
        "mean_success_length": float(length[success].mean()) if success.any() else None,
        "wall_clock_s": round(time.perf_counter() - start, 1),
    }
