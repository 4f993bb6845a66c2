"""Batched simulator of an assembly task: N environments stepped together in one process.

This is the single implementation of every task, with one arm or two. `FurnitureEnv` (the
gymnasium face used by `lerobot-eval`) is this class with N = 1; RL training steps N environments
at once, and `mujoco.batch` runs their physics on a thread pool with the GIL released.

Control (the task's rate: 10 Hz for the single-arm tasks, 50 Hz for biman_insert): per arm, the
10-d absolute end-effector action (position in the world frame, which is the robot base frame of
the single-arm tasks, 6D rotation, gripper +1 close / -1 open) is turned into joint position
targets by one damped-least-squares IK step per control step; MuJoCo's position actuators are the
joint PD and run every physics step (2.5 ms, 40 per control step at 10 Hz, 8 at 50 Hz). A task with
A arms takes 10 * A action values and observes 16 * A proprio values, arm after arm.
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
from lerobot_resip.envs.tasks import ONE_ARM_WORKSPACE, assembled, check_randomness, get_task, sample_part_poses
from lerobot_resip.envs.threads import ThreadEngagement

CONTROL_HZ = 10  # the single-arm tasks' control rate; a task's own is `TaskSpec.control_hz`
ACTION_DIM = 10  # per arm
STATE_DIM = 16  # per arm
PART_POSE_DIM = 7
ARM_DOF = 7
GRIPPER_OPEN = 0.04  # m per finger
# Tool positions the IK is asked to reach are clipped to the task's workspace box (m, world frame);
# the single-arm tasks' box:
WORKSPACE_LOW, WORKSPACE_HIGH = (np.array(corner) for corner in ONE_ARM_WORKSPACE)
PUSH_DURATION = 0.1  # s, a perturbation's velocity is the reset offset over this time
# A state with a speed above this (m/s or rad/s) or a non-finite value is a physics blow-up.
MAX_SPEED = 50.0
# A reset whose parts overlap by more than this (m) is drawn again.
RESET_MAX_PENETRATION = 0.001


class ArmIndices:
    """Where one arm's quantities live in the model (names prefixed `prefix`, e.g. "left/")."""

    def __init__(self, m: mujoco.MjModel, prefix: str, home_qpos: np.ndarray):
        joints = [m.joint(f"{prefix}joint{i + 1}") for i in range(ARM_DOF)]
        self.hand = m.body(f"{prefix}hand").id
        self.tcp = m.site(f"{prefix}tcp").id
        self.dofs = np.array([j.dofadr[0] for j in joints])
        self.qpos = np.array([j.qposadr[0] for j in joints])
        self.finger_qpos = np.array([m.joint(f"{prefix}{n}").qposadr[0] for n in ("finger_left", "finger_right")])
        self.joint_low = m.jnt_range[[j.id for j in joints], 0]
        self.joint_high = m.jnt_range[[j.id for j in joints], 1]
        self.arm_ctrl = np.array([m.actuator(f"{prefix}joint{i + 1}").id for i in range(ARM_DOF)])
        self.finger_ctrl = np.array([m.actuator(f"{prefix}{n}").id for n in ("finger_left", "finger_right")])
        linvel, angvel = m.sensor(f"{prefix}tcp_linvel").adr[0], m.sensor(f"{prefix}tcp_angvel").adr[0]
        self.linvel, self.angvel = slice(linvel, linvel + 3), slice(angvel, angvel + 3)
        self.q_home = home_qpos[self.qpos].copy()


def tool_stiffness(model: mujoco.MjModel, push_n: float = 20.0) -> list[float]:
    """Static stiffness (N/m) of a single-arm scene's arm at its tool point along x, y, z: every servo held at
    the home keyframe's joints, `push_n` newtons on the hand along each axis in turn (`--env.arm_stiffness`'s
    effect, measured; benchmarks/arm_stiffness_probe.py)."""
    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, 0)
    for i in range(model.nu):
        data.ctrl[i] = data.qpos[model.jnt_qposadr[model.actuator_trnid[i, 0]]]
    tcp = next(i for i in range(model.nsite) if model.site(i).name.endswith("tcp"))
    hand = model.site_bodyid[tcp]
    stiffness = []
    for axis in range(3):
        data.xfrc_applied[hand] = 0.0
        for _ in range(1600):  # 4 s at 400 Hz: settled
            mujoco.mj_step(model, data)
        rest = data.site_xpos[tcp, axis]
        data.xfrc_applied[hand, axis] = push_n
        for _ in range(1600):
            mujoco.mj_step(model, data)
        stiffness.append(round(push_n / float(data.site_xpos[tcp, axis] - rest)))
    return stiffness


class BatchedAssemblySim:
    """N copies of one task, reset and stepped together.

    Observations are dicts of (N, ...) float32 arrays:
      - agent_pos (16 per arm, arm after arm in `task.arms` order): tool position (3), 6D rotation
        (6), linear velocity (3), angular velocity (3), all in the world frame (the robot base
        frame of the single-arm tasks), and gripper opening (1), m;
      - environment_state (7 per part): position (3) and unit quaternion (w, x, y, z), w >= 0,
        of every part's body frame in the world frame, in `task.parts` order.

    Args:
        task: task name (see `lerobot_resip.envs.tasks.TASKS`).
        num_envs: number of environments.
        randomness: "low" or "med" (reset offsets of the parts).
        clearance: hole width minus peg width, metres.
        perturb: push each part with probability `perturb_prob` at every control step.
        max_episode_steps: control steps before truncation (default: the task's).
        num_threads: physics threads (0: all CPUs).
        seed: seeds environment i with seed + i.
        ik: the IK step's settings (default: the task's, `TaskSpec.ik`).
        control_hz: control steps per second (default: the task's).
        arm_stiffness: factor on every arm joint servo's kp and kv (`panda.xml`; their 0.1 s time
            constant stays). 1: the stiff arm the tasks and results here use (about 33k / 8.4k / 8.7k N/m
            at the tool along x / y / z, home posture); 0.3: about 10k / 2.5k / 2.6k N/m, the order of a
            2000 N/m Cartesian impedance controller's on a real FR3 (docs/results/franka_sim).
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
        control_hz: int | None = None,
        arm_stiffness: float = 1.0,
    ):
        self.task = get_task(task)
        self.randomness = check_randomness(randomness)
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = num_envs
        self.perturb = perturb
        self.perturb_prob = perturb_prob
        self.max_episode_steps = max_episode_steps or self.task.episode_length
        self.control_hz = self.task.control_hz if control_hz is None else control_hz
        # The same IK limits at any control rate: they bound the error the IK step turns into joint
        # targets, and the joint PD's time constant (kv / kp = 0.1 s) sets how fast the arm follows.
        self.ik = ik or self.task.ik
        self.num_arms = self.task.num_arms
        self.action_dim = ACTION_DIM * self.num_arms
        self.state_dim = STATE_DIM * self.num_arms
        self._workspace_low, self._workspace_high = (np.array(corner) for corner in self.task.workspace)

        self.model = self.task.build_model(clearance)
        if not 0 < arm_stiffness < float("inf"):
            raise ValueError(f"arm_stiffness must be a positive factor, got {arm_stiffness}")
        self.arm_stiffness = arm_stiffness
        for i in range(self.model.nu):
            if self.model.actuator(i).name.split("/")[-1].startswith("joint"):
                # A position servo's force: kp ctrl - kp q - kv qdot (gainprm[0], biasprm[1], biasprm[2]).
                self.model.actuator_gainprm[i, 0] *= arm_stiffness
                self.model.actuator_biasprm[i, 1:3] *= arm_stiffness
        physics_hz = 1.0 / self.model.opt.timestep
        substeps = physics_hz / self.control_hz if self.control_hz > 0 else 0.0
        if substeps < 1 or abs(substeps - round(substeps)) > 1e-6:
            raise ValueError(
                f"control rate {self.control_hz} Hz does not divide the {physics_hz:g} Hz physics rate; "
                "choose e.g. 10, 20, 25 or 50"
            )
        self.substeps = round(substeps)
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
        self._arms = [ArmIndices(m, f"{arm}/" if arm else "", self._home.qpos) for arm in self.task.arms]
        # The first arm's tool site and joints (what the single-arm tests and benchmarks read).
        self._tcp, self._arm_qpos = self._arms[0].tcp, self._arms[0].qpos
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

    def arm_action(self, action: np.ndarray, arm: int) -> np.ndarray:
        """The (N, 10) slice of (N, 10 * A) actions that drives arm `arm`."""
        return action[:, ACTION_DIM * arm : ACTION_DIM * (arm + 1)]

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
        """Apply one control step's (N, 10 * A) action to every environment, or only to those where
        `active` (N bools).

        Returns (observation, reward, terminated, truncated, info) with (N,) arrays; info holds
        `is_success` and `physics_unstable` (an episode that blew up is truncated as a failure
        and its state rolled back to the last good one; the caller should reset it). Inactive
        environments are not simulated (their episodes are over and cost no physics): their state
        stays as it was and their reward and flags are zero. Their actions must still be finite.
        """
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.num_envs, self.action_dim):
            raise ValueError(f"action must have shape ({self.num_envs}, {self.action_dim}), got {action.shape}")
        if not np.isfinite(action).all():
            raise ValueError("action contains NaN or inf")
        if active is None:
            active = np.ones(self.num_envs, dtype=bool)
        active = np.asarray(active, dtype=bool)
        if active.shape != (self.num_envs,):
            raise ValueError(f"active must have shape ({self.num_envs},), got {active.shape}")
        ids = np.flatnonzero(active)

        for k, arm in enumerate(self._arms):
            arm_action = self.arm_action(action, k)
            self._ctrl[:, arm.arm_ctrl] = self._joint_targets(arm, arm_action)
            self._ctrl[:, arm.finger_ctrl] = np.where(arm_action[:, 9:10] > 0, 0.0, GRIPPER_OPEN)
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

    def _joint_targets(self, arm: ArmIndices, action: np.ndarray) -> np.ndarray:
        target_pos = np.clip(action[:, :3], self._workspace_low, self._workspace_high)
        target_rot = matrix_from_rot6d(action[:, 3:9])
        tcp_pos = self._site_xpos[:, arm.tcp]
        tcp_rot = self._site_xmat[:, arm.tcp].reshape(-1, 3, 3)
        jacp, jacr = self.batch.jac(arm.hand, tcp_pos)
        jac = np.concatenate([jacp[..., arm.dofs], jacr[..., arm.dofs]], axis=1)
        qpos = self._qpos[:, arm.qpos]
        targets = diff_ik(
            jac, target_pos - tcp_pos, orientation_error(target_rot, tcp_rot), qpos, arm.q_home, self.ik
        )
        return np.clip(targets, arm.joint_low, arm.joint_high)

    def _push_parts(self, ids: np.ndarray) -> None:
        """Paper's perturbation protocol: each part, with probability p per control step, gets a
        push sized like the reset randomisation (a velocity that would carry a free part the reset
        offset within `PUSH_DURATION`, one control step of the single-arm tasks; friction shortens
        it). At 50 Hz the pushes are as strong and five times as frequent per second."""
        period = PUSH_DURATION
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
        for arm in self._arms:
            self._ctrl[np.ix_(ids, arm.arm_ctrl)] = self._qpos[np.ix_(ids, arm.qpos)]
        self.batch.forward(ids)

    # ------------------------------------------------------------------ observation
    def observation(self) -> dict[str, np.ndarray]:
        proprio = []
        for arm in self._arms:
            tcp_rot = self._site_xmat[:, arm.tcp].reshape(-1, 3, 3)
            proprio.append(
                np.concatenate(
                    [
                        self._site_xpos[:, arm.tcp],
                        rot6d_from_matrix(tcp_rot),
                        self._sensordata[:, arm.linvel],
                        self._sensordata[:, arm.angvel],
                        self._qpos[:, arm.finger_qpos].sum(axis=1, keepdims=True),
                    ],
                    axis=1,
                )
            )
        agent_pos = np.concatenate(proprio, axis=1)
        poses = np.concatenate(
            [self._xpos[:, self._part_bodies], canonical_quat(self._xquat[:, self._part_bodies])], axis=2
        )
        return {
            "agent_pos": agent_pos.astype(np.float32),
            "environment_state": poses.reshape(self.num_envs, -1).astype(np.float32),
        }

    def is_success(self) -> np.ndarray:
        """(N,) whether every assembly pair of the task is assembled (see `tasks.assembled`), with the
        task's held parts (`TaskSpec.held_above`) off the table."""
        success = assembled(self.task, self._xpos[:, self._part_bodies], self._xquat[:, self._part_bodies])
        for part, height in self.task.held_above.items():
            success &= self._xpos[:, self.model.body(part).id, 2] >= height
        return success

    # ------------------------------------------------------------------ helpers
    def hold_action(self) -> np.ndarray:
        """(N, 10 * A) actions that hold every tool where it is, grippers open."""
        actions = []
        for arm in self._arms:
            tcp_rot = self._site_xmat[:, arm.tcp].reshape(-1, 3, 3)
            actions += [self._site_xpos[:, arm.tcp], rot6d_from_matrix(tcp_rot), -np.ones((self.num_envs, 1))]
        return np.concatenate(actions, axis=1)

    def get_data(self, env: int, data: mujoco.MjData | None = None) -> mujoco.MjData:
        """MjData of one environment (for rendering or inspection)."""
        return self.batch.get_data(env, data)
