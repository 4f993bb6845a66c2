"""Batched simulator of an assembly task: N environments stepped together in one process.

This is the single implementation of every task. `FurnitureEnv` (the gymnasium face used by
`lerobot-eval`) is this class with N = 1; RL training steps N environments at once, and
`mujoco.batch` runs their physics on a thread pool with the GIL released.

Control (10 Hz): the 10-d absolute end-effector action (position in the robot base frame,
6D rotation, gripper +1 close / -1 open) is turned into joint position targets by one
damped-least-squares IK step per control step; MuJoCo's position actuators are the joint PD
and run every physics step (2.5 ms, 40 per control step).
"""

from __future__ import annotations

import mujoco
import mujoco.batch
import numpy as np

from lerobot_resip.envs.controller import DiffIKConfig, diff_ik
from lerobot_resip.envs.rotation import (
    canonical_quat,
    matrix_from_rot6d,
    orientation_error,
    rot6d_from_matrix,
)
from lerobot_resip.envs.tasks import assembled, check_randomness, get_task, sample_part_poses
from lerobot_resip.envs.threads import ThreadEngagement

CONTROL_HZ = 10
ACTION_DIM = 10
STATE_DIM = 16
PART_POSE_DIM = 7
ARM_DOF = 7
GRIPPER_OPEN = 0.04  # m per finger
# Tool positions the IK is asked to reach are clipped to this box (m, robot base frame).
WORKSPACE_LOW = np.array([0.15, -0.45, 0.005])
WORKSPACE_HIGH = np.array([0.80, 0.45, 0.60])
# A state with a speed above this (m/s or rad/s) or a non-finite value is a physics blow-up.
MAX_SPEED = 50.0
# A reset whose parts overlap by more than this (m) is drawn again.
RESET_MAX_PENETRATION = 0.001


class BatchedAssemblySim:
    """N copies of one task, reset and stepped together.

    Observations are dicts of (N, ...) float32 arrays:
      - agent_pos (16): tool position (3), 6D rotation (6), linear velocity (3), angular velocity
        (3), all in the robot base frame, and gripper opening (1), m;
      - environment_state (7 per part): position (3) and unit quaternion (w, x, y, z), w >= 0,
        of every part's body frame in the robot base frame, in `task.parts` order.

    Args:
        task: task name (see `lerobot_resip.envs.tasks.TASKS`).
        num_envs: number of environments.
        randomness: "low" or "med" (reset offsets of the parts).
        clearance: hole width minus peg width, metres.
        perturb: push each part with probability `perturb_prob` at every control step.
        max_episode_steps: control steps before truncation (default: the task's).
        num_threads: physics threads (0: all CPUs).
        seed: seeds environment i with seed + i.
    """

    def __init__(
        self,
        task: str,
        num_envs: int,
        randomness: str = "low",
        clearance: float = 0.0005,
        perturb: bool = False,
        perturb_prob: float = 0.01,
        max_episode_steps: int | None = None,
        num_threads: int = 0,
        seed: int | None = None,
        ik: DiffIKConfig | None = None,
    ):
        self.task = get_task(task)
        self.randomness = check_randomness(randomness)
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = num_envs
        self.perturb = perturb
        self.perturb_prob = perturb_prob
        self.max_episode_steps = max_episode_steps or self.task.episode_length
        self.ik = ik or DiffIKConfig()

        self.model = self.task.build_model(clearance)
        self.substeps = round(1.0 / (CONTROL_HZ * self.model.opt.timestep))
        self.batch = mujoco.batch.Batch(self.model, num_envs, nthread=num_threads, persistent=True)
        self._qpos = self.batch.bind("qpos")
        self._qvel = self.batch.bind("qvel")
        self._ctrl = self.batch.bind("ctrl")
        self._xpos = self.batch.bind("xpos")
        self._xquat = self.batch.bind("xquat")
        self._site_xpos = self.batch.bind("site_xpos")
        self._site_xmat = self.batch.bind("site_xmat")
        self._sensordata = self.batch.bind("sensordata")

        m = self.model
        self._home = m.keyframe("home")
        self._q_home = self._home.qpos[:ARM_DOF].copy()
        self._hand = m.body("hand").id
        self._tcp = m.site("tcp").id
        self._arm_dofs = np.array([m.joint(f"joint{i + 1}").dofadr[0] for i in range(ARM_DOF)])
        self._arm_qpos = np.array([m.joint(f"joint{i + 1}").qposadr[0] for i in range(ARM_DOF)])
        self._finger_qpos = np.array([m.joint(n).qposadr[0] for n in ("finger_left", "finger_right")])
        self._joint_low = m.jnt_range[[m.joint(f"joint{i + 1}").id for i in range(ARM_DOF)], 0]
        self._joint_high = m.jnt_range[[m.joint(f"joint{i + 1}").id for i in range(ARM_DOF)], 1]
        self._linvel = slice(m.sensor("tcp_linvel").adr[0], m.sensor("tcp_linvel").adr[0] + 3)
        self._angvel = slice(m.sensor("tcp_angvel").adr[0], m.sensor("tcp_angvel").adr[0] + 3)
        self._part_bodies = np.array([m.body(p).id for p in self.task.parts])
        # Free joints of the movable parts: qpos address (7 values) and dof address (6 values).
        self._part_qpos = {p: m.joint(p).qposadr[0] for p in self.task.resets}
        self._part_dofs = {p: m.joint(p).dofadr[0] for p in self.task.resets}
        # Fixtures are mocap bodies, placed per environment at reset.
        self._mocap_pos, self._mocap_quat = self.batch.bind("mocap_pos"), self.batch.bind("mocap_quat")
        self._fixture_mocap = {f: m.body(f).mocapid[0] for f in self.task.fixtures}
        self._threads = [
            ThreadEngagement(m, thread, clearance, self.batch, self._xpos, self._xquat) for thread in self.task.threads
        ]
        self._scratch = mujoco.MjData(m)  # for the reset's overlap test

        self._rngs = [np.random.default_rng(None if seed is None else seed + i) for i in range(num_envs)]
        self.elapsed_steps = np.zeros(num_envs, dtype=np.int64)

    # ------------------------------------------------------------------ spaces
    @property
    def env_state_dim(self) -> int:
        return PART_POSE_DIM * len(self.task.parts)

    # ------------------------------------------------------------------ reset
    def reset(self, ids=None, seeds=None) -> dict[str, np.ndarray]:
        """Reset environments `ids` (default: all); `seeds` reseeds them, one int each."""
        ids = np.arange(self.num_envs) if ids is None else np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if seeds is not None:
            seeds = np.atleast_1d(seeds)
            if len(seeds) != len(ids):
                raise ValueError(f"got {len(seeds)} seeds for {len(ids)} environments")
            for i, s in zip(ids, seeds, strict=True):
                self._rngs[i] = np.random.default_rng(int(s))
        if len(ids):
            self.batch.reset(ids, keyframe=self._home.id, stage=mujoco.mjtStage.mjSTAGE_NONE)
            for i in ids:
                self._place_parts(i)
            for thread in self._threads:
                thread.reset(ids)
            self.batch.forward(ids)
            self.elapsed_steps[ids] = 0
        return self.observation()

    def _place_parts(self, env: int) -> None:
        """Draw the parts' and fixtures' reset poses (`tasks.sample_part_poses`), again while any two overlap."""
        while True:
            for name, (pos, quat) in sample_part_poses(self.task, self.randomness, self._rngs[env]).items():
                if name in self._fixture_mocap:
                    mocap = self._fixture_mocap[name]
                    self._mocap_pos[env, mocap], self._mocap_quat[env, mocap] = pos, quat
                else:
                    adr = self._part_qpos[name]
                    self._qpos[env, adr : adr + 3] = pos
                    self._qpos[env, adr + 3 : adr + 7] = quat
            if not self._overlapping(env):
                return

    def _overlapping(self, env: int) -> bool:
        data = self._scratch
        data.qpos[:], data.mocap_pos[:], data.mocap_quat[:] = self._qpos[env], self._mocap_pos[env], self._mocap_quat[env]
        mujoco.mj_fwdPosition(self.model, data)
        return bool(data.ncon) and bool((data.contact.dist[: data.ncon] < -RESET_MAX_PENETRATION).any())

    # ------------------------------------------------------------------ step
    def step(self, action: np.ndarray, active: np.ndarray | None = None):
        """Apply one 10 Hz action to every environment, or only to those where `active` (N bools).

        Returns (observation, reward, terminated, truncated, info) with (N,) arrays; info holds
        `is_success` and `physics_unstable` (an episode that blew up is truncated as a failure
        and its state rolled back to the last good one; the caller should reset it). Inactive
        environments are not simulated (their episodes are over and cost no physics): their state
        stays as it was and their reward and flags are zero. Their actions must still be finite.
        """
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.num_envs, ACTION_DIM):
            raise ValueError(f"action must have shape ({self.num_envs}, {ACTION_DIM}), got {action.shape}")
        if not np.isfinite(action).all():
            raise ValueError("action contains NaN or inf")
        if active is None:
            active = np.ones(self.num_envs, dtype=bool)
        active = np.asarray(active, dtype=bool)
        if active.shape != (self.num_envs,):
            raise ValueError(f"active must have shape ({self.num_envs},), got {active.shape}")
        ids = np.flatnonzero(active)

        self._ctrl[:, :ARM_DOF] = self._joint_targets(action)
        self._ctrl[:, ARM_DOF:] = np.where(action[:, 9:10] > 0, 0.0, GRIPPER_OPEN)
        if self.perturb:
            self._push_parts(ids)

        last_qpos = self._qpos.copy()
        failed = np.zeros(self.num_envs, dtype=bool)
        if len(ids):
            try:
                self.batch.step(None if len(ids) == self.num_envs else ids, nstep=self.substeps,
                                stage=mujoco.mjtStage.mjSTAGE_VEL)
            except mujoco.batch.SimulationError as err:
                failed[np.asarray(err.ids, dtype=np.int64)] = True
        failed |= self._blown_up()
        failed &= active
        if failed.any():
            self._roll_back(np.flatnonzero(failed), last_qpos)
        for thread in self._threads:
            thread.update(np.flatnonzero(active & ~failed))

        self.elapsed_steps[ids] += 1
        success = self.is_success() & active & ~failed
        obs = self.observation()
        reward = success.astype(np.float32)
        truncated = active & ((self.elapsed_steps >= self.max_episode_steps) | failed)
        info = {"is_success": success, "physics_unstable": failed}
        return obs, reward, success, truncated, info

    def _joint_targets(self, action: np.ndarray) -> np.ndarray:
        target_pos = np.clip(action[:, :3], WORKSPACE_LOW, WORKSPACE_HIGH)
        target_rot = matrix_from_rot6d(action[:, 3:9])
        tcp_pos = self._site_xpos[:, self._tcp]
        tcp_rot = self._site_xmat[:, self._tcp].reshape(-1, 3, 3)
        jacp, jacr = self.batch.jac(self._hand, tcp_pos)
        jac = np.concatenate([jacp[..., self._arm_dofs], jacr[..., self._arm_dofs]], axis=1)
        qpos = self._qpos[:, self._arm_qpos]
        targets = diff_ik(
            jac, target_pos - tcp_pos, orientation_error(target_rot, tcp_rot), qpos, self._q_home, self.ik
        )
        return np.clip(targets, self._joint_low, self._joint_high)

    def _push_parts(self, ids: np.ndarray) -> None:
        """Paper's perturbation protocol: each part, with probability p per step, gets a push
        sized like the reset randomisation (a velocity that would carry a free part the reset
        offset within one control step; friction shortens it)."""
        period = 1.0 / CONTROL_HZ
        for part, reset in self.task.resets.items():
            xy_range, yaw_range = reset.xy_range[self.randomness], reset.yaw_range[self.randomness]
            dof = self._part_dofs[part]
            for env in ids:
                rng = self._rngs[env]
                if rng.random() < self.perturb_prob:
                    self._qvel[env, dof : dof + 2] += rng.uniform(-xy_range, xy_range, 2) / period
                    self._qvel[env, dof + 5] += rng.uniform(-yaw_range, yaw_range) / period

    def _blown_up(self) -> np.ndarray:
        finite = np.isfinite(self._qpos).all(axis=1) & np.isfinite(self._qvel).all(axis=1)
        too_fast = np.abs(self._qvel).max(axis=1) > MAX_SPEED
        return ~finite | too_fast

    def _roll_back(self, ids: np.ndarray, last_qpos: np.ndarray) -> None:
        """Put diverged envs back in their state before the step (or at home if that was bad)."""
        good = np.isfinite(last_qpos[ids]).all(axis=1, keepdims=True)
        self._qpos[ids] = np.where(good, last_qpos[ids], self._home.qpos)
        self._qvel[ids] = 0.0
        self._ctrl[ids, :ARM_DOF] = self._qpos[np.ix_(ids, self._arm_qpos)]
        self.batch.forward(ids)

    # ------------------------------------------------------------------ observation
    def observation(self) -> dict[str, np.ndarray]:
        tcp_rot = self._site_xmat[:, self._tcp].reshape(-1, 3, 3)
        agent_pos = np.concatenate(
            [
                self._site_xpos[:, self._tcp],
                rot6d_from_matrix(tcp_rot),
                self._sensordata[:, self._linvel],
                self._sensordata[:, self._angvel],
                self._qpos[:, self._finger_qpos].sum(axis=1, keepdims=True),
            ],
            axis=1,
        )
        poses = np.concatenate(
            [self._xpos[:, self._part_bodies], canonical_quat(self._xquat[:, self._part_bodies])], axis=2
        )
        return {
            "agent_pos": agent_pos.astype(np.float32),
            "environment_state": poses.reshape(self.num_envs, -1).astype(np.float32),
        }

    def is_success(self) -> np.ndarray:
        """(N,) whether every assembly pair of the task is assembled (see `tasks.assembled`)."""
        return assembled(self.task, self._xpos[:, self._part_bodies], self._xquat[:, self._part_bodies])

    # ------------------------------------------------------------------ helpers
    def hold_action(self) -> np.ndarray:
        """(N, 10) actions that hold every tool where it is, gripper open."""
        tcp_rot = self._site_xmat[:, self._tcp].reshape(-1, 3, 3)
        return np.concatenate(
            [self._site_xpos[:, self._tcp], rot6d_from_matrix(tcp_rot), -np.ones((self.num_envs, 1))], axis=1
        )

    def get_data(self, env: int, data: mujoco.MjData | None = None) -> mujoco.MjData:
        """MjData of one environment (for rendering or inspection)."""
        return self.batch.get_data(env, data)
