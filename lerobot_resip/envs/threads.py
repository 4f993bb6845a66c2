"""Screw threads in the batched simulator: engaging and releasing a threaded part per environment.

The thread itself is MuJoCo constraints (`lerobot_resip.envs.scenes.ScrewThread` describes the
model): a follower body per hole, coupled to its helix and locked at the thread's start until a
part engages it. This module decides, once per control step and for every environment, when a
part engages a hole (the follower's lock is released and the part welded to it, at the turn the
part has) and when it is released again (turned back out past the start). The rules are data of
the task's ScrewThread, so any task can declare threads; none of this runs for tasks without.
"""

from __future__ import annotations

import mujoco
import numpy as np

from lerobot_resip.envs.rotation import quat_to_matrix, wrap_angle
from lerobot_resip.envs.scenes import ScrewThread


class ThreadEngagement:
    """Engagement state machine of one ScrewThread over a batch of environments.

    Args:
        model: the compiled scene.
        thread: the thread (child, parent, holes, rules).
        clearance: the child's clearance in the holes (m); engaging needs the child's axis within
            this distance of the hole's axis.
        batch: the mujoco.batch.Batch; its state fields (qpos, qvel, eq_active) are written.
        xpos, xquat: the batch's bound body poses (read).
    """

    def __init__(self, model: mujoco.MjModel, thread: ScrewThread, clearance: float, batch, xpos, xquat):
        self.thread = thread
        self.max_offset = clearance
        self._qpos, self._qvel, self._eq_active = batch.bind("qpos"), batch.bind("qvel"), batch.bind("eq_active")
        self._xpos, self._xquat = xpos, xquat
        self._child, self._parent = model.body(thread.child).id, model.body(thread.parent).id
        self._seats = np.asarray(thread.seats)  # (H, 3) seated child frames, parent frame
        self._turn_q = np.array([model.joint(f"{h}_turn").qposadr[0] for h in thread.holes])
        self._travel_q = np.array([model.joint(f"{h}_travel").qposadr[0] for h in thread.holes])
        self._turn_v = np.array([model.joint(f"{h}_turn").dofadr[0] for h in thread.holes])
        self._travel_v = np.array([model.joint(f"{h}_travel").dofadr[0] for h in thread.holes])
        self._lock = np.array([model.equality(f"{h}_lock").id for h in thread.holes])
        self._weld = np.array([model.equality(f"{h}_weld").id for h in thread.holes])
        self._rest_height = thread.start_angle * thread.travel_per_radian - thread.rest_gap
        self._cos_tilt = np.cos(thread.max_tilt)
        # Child's turn past the thread's start at the last control step, while it rested on a
        # crest (NaN otherwise): engaging needs a clockwise crossing of the start.
        self._last_turn = np.full(batch.nsim, np.nan)

    def engaged(self) -> np.ndarray:
        """(N, H) whether the child is engaged in each hole."""
        return self._eq_active[:, self._weld] > 0.5

    def reset(self, ids: np.ndarray) -> None:
        """Forget the child's last turn in environments `ids` (their episodes start over)."""
        self._last_turn[ids] = np.nan

    def update(self, ids: np.ndarray) -> None:
        """Engage or release the child in environments `ids` (after a control step)."""
        if not len(ids):
            return
        engaged = self.engaged()[ids].any(axis=1)
        self._release(ids[engaged])
        self._last_turn[ids[engaged]] = np.nan
        free = ids[~engaged]
        if len(free):
            self._engage(free)

    def _engage(self, ids: np.ndarray) -> None:
        t = self.thread
        parent_rot = quat_to_matrix(self._xquat[ids, self._parent])
        child_rot = quat_to_matrix(self._xquat[ids, self._child])
        rel_pos = np.einsum("nji,nj->ni", parent_rot, self._xpos[ids, self._child] - self._xpos[ids, self._parent])
        rel_rot = np.swapaxes(parent_rot, 1, 2) @ child_rot
        offset = rel_pos[:, None, :] - self._seats[None]  # (n, H, 3) child frame from its seats
        # The thread's end from the hole axis (the child's frame is far up a tilted child).
        end = offset[..., :2] - t.tip * rel_rot[:, None, :2, 2]
        on_crest = (
            (np.linalg.norm(end, axis=2) <= self.max_offset)
            & (np.abs(offset[..., 2] - self._rest_height) <= t.depth_tolerance)
            & (rel_rot[:, 2, 2] >= self._cos_tilt)[:, None]
        )  # (n, H): at most one hole per environment
        resting = on_crest.any(axis=1)
        hole = on_crest.argmax(axis=1)
        # Turn of the child about the hole axis, measured from the thread's start (<= 0: past it,
        # clockwise seen from above), now and at the last control step.
        past = wrap_angle(np.arctan2(rel_rot[:, 1, 0], rel_rot[:, 0, 0]) - t.start_angle)
        before = self._last_turn[ids]
        step = wrap_angle(past - before)
        crossed = resting & (before > 0) & (past <= 0) & (step < 0) & (past > -t.start_window)
        self._last_turn[ids] = np.where(resting, past, np.nan)
        for env, k, turned in zip(ids[crossed], hole[crossed], past[crossed], strict=True):
            angle = t.start_angle + turned
            self._qpos[env, self._turn_q[k]] = angle
            self._qpos[env, self._travel_q[k]] = angle * t.travel_per_radian
            self._qvel[env, [self._turn_v[k], self._travel_v[k]]] = 0.0
            self._eq_active[env, self._lock[k]] = 0.0
            self._eq_active[env, self._weld[k]] = 1.0
            self._last_turn[env] = np.nan

    def _release(self, ids: np.ndarray) -> None:
        t = self.thread
        for env in ids:
            hole = int(np.argmax(self._eq_active[env, self._weld] > 0.5))
            if self._qpos[env, self._turn_q[hole]] <= t.start_angle:
                continue  # still on the thread
            self._qpos[env, self._turn_q[hole]] = t.start_angle
            self._qpos[env, self._travel_q[hole]] = t.start_angle * t.travel_per_radian
            self._qvel[env, [self._turn_v[hole], self._travel_v[hole]]] = 0.0
            self._eq_active[env, self._weld[hole]] = 0.0
            self._eq_active[env, self._lock[hole]] = 1.0
