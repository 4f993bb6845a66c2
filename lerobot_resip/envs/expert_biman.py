"""Scripted expert for biman_insert, batched over envs.

It reads only the observation (both tools' poses and gripper openings, the two parts' poses) and
plans per env:
  1. each arm on its own: the left arm grasps the lying peg from above behind its middle, the right
     arm grasps the lying block from above across its middle, and each lifts its part;
  2. once both hold their parts: the right arm brings the block to a meeting pose in the air with
     its mouth towards the left arm, while the left arm brings the peg onto the hole's axis in front
     of the mouth (both using the parts' measured poses in the hands);
  3. the left arm aligns the peg with the hole (position and orientation, the hole's square
     symmetries taken into account) and pushes it in along the axis; the right arm holds the block.
Recovery: a part lost from a hand (too far from where the grasp held it, or the fingers closed on
nothing) is released and picked up again while the other arm takes its part back to where it lifted
it; a descent onto a part that does not arrive starts over; a stalled insertion backs off and aligns
again.
Per-episode random speeds, grasp points, heights and meeting pose, and jitter in free space, keep
the demos diverse. Speeds and timings are per second, so the expert runs at any control rate.
"""

from __future__ import annotations

import mujoco
import numpy as np

from lerobot_resip.envs.rotation import matrix_from_rot6d, quat_to_matrix, rot6d_from_matrix, wrap_angle
from lerobot_resip.envs.scenes import BIMAN_PEG_HALF_LENGTH, BLOCK_CENTRE, BLOCK_HALF_WIDTH, HOLE_DEPTH, PEG_HALF_WIDTH
from lerobot_resip.envs.tasks import get_task

# Per-arm phases.
ABOVE, DOWN, CLOSE, LIFT, HELD, RELEASE = range(6)
# Phases of the pair, once both arms hold their parts.
WAIT, MEET, ALIGN, INSERT = range(4)

PEG_ARM, BLOCK_ARM = 0, 1  # arm order of the action and agent_pos: left, right
PEG, BLOCK = 0, 1  # part order of environment_state
DOWN_ROT = np.diag([1.0, -1.0, -1.0])  # tool pointing at the table, at yaw 0
NATURAL_YAW = (0.0, np.pi)  # tool yaw of each arm at home: each faces the other
# The block in the air: mouth (its z) along -x, towards the left arm, its x up.
BLOCK_MEET_ROT = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
QUARTER_TURNS = np.stack(
    [
        np.round(np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]))
        for a in np.arange(4) * np.pi / 2
    ]
)
PEG_SYMMETRIES = get_task("biman_insert").pairs[0].symmetries  # (8, 3, 3)
PART_WIDTH = (2 * PEG_HALF_WIDTH, 2 * BLOCK_HALF_WIDTH)  # m, across the fingers
GRASP_ABOVE_CENTRE = (0.004, 0.0)  # m, tool above the part's axis when grasping (pads clear the table)
GRASP_LOST = 0.02  # m, part further than this from where the grasp held it: lost
EMPTY_GRIP = 0.006  # m, fingers this much narrower than the part: they closed on nothing
# The tool's target leads it by speed x LEAD_TIME: the joint PD's time constant (kv / kp = 0.1 s)
# turns that lead into about that speed at any control rate.
LEAD_TIME = 0.1  # s
FREE_SPEED = 0.25  # m/s, mean tool speed in free space
DESCENT_SPEED = 0.08  # m/s, last approach onto a part
ALIGN_SPEED = 0.05  # m/s
INSERT_SPEED = 0.03  # m/s
TURN_SPEED = 1.5  # rad/s, tool orientation change
MEET_STANDOFF = 0.04  # m, peg end before the mouth while the arms meet
ALIGN_STANDOFF = 0.002  # m, peg end before the mouth when aligned
ALIGN_TOLERANCE = 0.001  # m, peg's offset from the hole's axis that the mouth chamfer still guides in
ALIGN_ANGLE = 0.015  # rad
INSERT_PAST = 0.003  # m, how far past full depth the insertion aims (it presses the peg home)
CLOSE_TIME, RELEASE_TIME = 0.4, 0.4  # s
DESCENT_TIMEOUT, ALIGN_TIMEOUT, INSERT_TIMEOUT = 2.0, 3.0, 2.5  # s


def _rot_z(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _closest(candidates: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The rotation of (K, 3, 3) `candidates` nearest to `reference` (largest trace of R^T ref)."""
    return candidates[np.argmax((candidates * reference).sum(axis=(1, 2)))]


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.arccos(np.clip(((a * b).sum() - 1) / 2, -1.0, 1.0)))


def _turn_towards(current: np.ndarray, goal: np.ndarray, max_angle: float) -> np.ndarray:
    """`current` rotated towards `goal` by at most `max_angle` (rad), about the shortest axis."""
    quat, rotvec = np.empty(4), np.empty(3)
    mujoco.mju_mat2Quat(quat, (goal @ current.T).ravel())
    mujoco.mju_quat2Vel(rotvec, quat, 1.0)
    angle = np.linalg.norm(rotvec)
    if angle <= max_angle:
        return goal
    mujoco.mju_axisAngle2Quat(quat, rotvec / angle, max_angle)
    step = np.empty(9)
    mujoco.mju_quat2Mat(step, quat)
    return step.reshape(3, 3) @ current


class BimanInsertExpert:
    """Batched biman_insert expert. `act(obs)` -> (N, 20) absolute tool-pose actions (left, right)."""

    def __init__(self, num_envs: int, seed: int | None = None, noise: float = 1.0, control_hz: int | None = None):
        self.num_envs = num_envs
        self.hz = get_task("biman_insert").control_hz if control_hz is None else control_hz  # timings are in seconds
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        n = num_envs
        self.phase = np.zeros((n, 2), dtype=np.int64)  # per arm
        self.pair = np.zeros(n, dtype=np.int64)
        self.timer = np.zeros((n, 2), dtype=np.int64)
        self.pair_timer = np.zeros(n, dtype=np.int64)
        self.retries = np.zeros(n, dtype=np.int64)
        self.grasp_rot = np.tile(DOWN_ROT, (n, 2, 1, 1))  # tool orientation of the grasp
        self.in_hand = np.zeros((n, 2, 3))  # part frame in the tool frame after the grasp, m
        self.lift_pose = np.zeros((n, 2, 3))  # tool position where the part was lifted to
        self.hold_pos = np.zeros((n, 2, 3))
        self.hold_rot = np.tile(DOWN_ROT, (n, 2, 1, 1))
        self.speed = np.zeros((n, 2))  # per arm
        self.peg_grasp_back = np.zeros(n)
        self.hover = np.zeros((n, 2))  # per arm
        self.lift_height = np.zeros(n)
        self.meet = np.zeros((n, 3))
        self.insert_speed = np.zeros(n)
        self.reset()

    def reset(self, ids=None) -> None:
        ids = np.arange(self.num_envs) if ids is None else np.atleast_1d(ids)
        k = len(ids)
        self.phase[ids] = ABOVE
        self.pair[ids] = WAIT
        self.timer[ids] = 0
        self.pair_timer[ids] = 0
        self.retries[ids] = 0
        u = lambda: self.noise * self.rng.uniform(-1, 1, k)  # noqa: E731
        # Per-episode style: speed, grasp point on the peg (behind its middle), heights, meeting point.
        # Each arm draws its own speed and hover height, so the two reach their parts at different
        # times: with one draw for both, both grippers closed in the same control step of every demo,
        # and a base cloned from them closed both at once wherever the slower arm was.
        self.speed[ids] = FREE_SPEED * (1 + 0.3 * np.stack([u(), u()], axis=1))
        self.peg_grasp_back[ids] = 0.025 + 0.006 * u()
        self.hover[ids] = 0.07 + 0.02 * np.stack([u(), u()], axis=1)
        self.lift_height[ids] = 0.18 + 0.02 * u()
        self.meet[ids] = np.stack([0.07 + 0.015 * u(), 0.03 * u(), 0.20 + 0.02 * u()], axis=1)
        self.insert_speed[ids] = INSERT_SPEED * (1 + 0.2 * u())

    # ------------------------------------------------------------------ planning
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        agent = np.asarray(obs["agent_pos"], dtype=np.float64).reshape(self.num_envs, 2, 16)
        parts = np.asarray(obs["environment_state"], dtype=np.float64).reshape(self.num_envs, 2, 7)
        tcp, tcp_rot, width = agent[..., :3], matrix_from_rot6d(agent[..., 3:9]), agent[..., 15]
        part_pos, part_rot = parts[..., :3], quat_to_matrix(parts[..., 3:])
        # Part frames in their tool frames (arm k holds part k).
        in_hand = np.einsum("naji,naj->nai", tcp_rot, part_pos - tcp)

        goal_pos, goal_rot = tcp.copy(), tcp_rot.copy()
        speed = self.speed.copy()
        close = np.zeros((self.num_envs, 2), dtype=bool)
        free = np.zeros((self.num_envs, 2), dtype=bool)
        self.timer += 1
        self.pair_timer += 1
        for env in range(self.num_envs):
            holding = self.phase[env] >= LIFT
            lost = holding & (
                (np.linalg.norm(in_hand[env] - self.in_hand[env], axis=1) > GRASP_LOST)
                | (width[env] < np.array(PART_WIDTH) - EMPTY_GRIP)
            )
            lost &= self.phase[env] != RELEASE
            for arm in np.flatnonzero(lost):
                self._arm_goto(env, arm, RELEASE)
                if self.pair[env] != WAIT:  # the other arm takes its part back out of the way
                    other = 1 - arm
                    self.hold_pos[env, other] = self.lift_pose[env, other]
                    self.hold_rot[env, other] = tcp_rot[env, other]
                self.pair[env] = WAIT
            if self.pair[env] == WAIT:
                for arm in range(2):
                    self._pick(env, arm, tcp, tcp_rot, part_pos, part_rot, goal_pos, goal_rot, speed, close, free)
                if (self.phase[env] == HELD).all():
                    self._pair_goto(env, MEET)
            if self.pair[env] != WAIT:
                close[env] = True
                self._assemble(env, tcp, tcp_rot, part_pos, part_rot, goal_pos, goal_rot, speed, free)

        step = goal_pos - tcp
        step *= np.minimum(1.0, speed * LEAD_TIME / np.maximum(np.linalg.norm(step, axis=2), 1e-9))[..., None]
        jitter = self.rng.normal(0, 0.0003 * self.noise, (self.num_envs, 2, 3)) * free[..., None]
        target = tcp + step + jitter
        rot = np.empty_like(goal_rot)
        for env in range(self.num_envs):
            for arm in range(2):
                rot[env, arm] = _turn_towards(tcp_rot[env, arm], goal_rot[env, arm], TURN_SPEED * LEAD_TIME)
        gripper = np.where(close, 1.0, -1.0)[..., None]
        action = np.concatenate([target, rot6d_from_matrix(rot), gripper], axis=2)
        return action.reshape(self.num_envs, 20).astype(np.float32)

    def _pick(self, env, arm, tcp, tcp_rot, part_pos, part_rot, goal_pos, goal_rot, speed, close, free) -> None:
        """One arm's grasp-and-lift of its part (phases ABOVE .. HELD, RELEASE)."""
        phase = self.phase[env, arm]
        axis = part_rot[env, arm][:, 2]  # the part's long axis (peg) or hole axis (block), lying
        yaw = NATURAL_YAW[arm] + wrap_angle(np.arctan2(axis[1], axis[0]) - NATURAL_YAW[arm], np.pi)
        rot = _rot_z(yaw) @ DOWN_ROT
        along = rot[:, 0]  # the tool's x: along the part, away from the arm
        if arm == PEG_ARM:
            grasp = part_pos[env, arm] - self.peg_grasp_back[env] * along
        else:
            grasp = part_pos[env, arm] + BLOCK_CENTRE * axis
        grasp = grasp + [0.0, 0.0, GRASP_ABOVE_CENTRE[arm]]
        timer = self.timer[env, arm]
        if phase == ABOVE:
            goal_pos[env, arm] = grasp + [0.0, 0.0, self.hover[env, arm]]
            goal_rot[env, arm] = rot
            free[env, arm] = True
            if np.linalg.norm(goal_pos[env, arm] - tcp[env, arm]) < 0.01 and _angle(rot, tcp_rot[env, arm]) < 0.05:
                self._arm_goto(env, arm, DOWN)
        elif phase == DOWN:
            goal_pos[env, arm] = grasp
            goal_rot[env, arm] = rot
            speed[env, arm] = DESCENT_SPEED
            if np.linalg.norm(grasp - tcp[env, arm]) < 0.002:
                self._arm_goto(env, arm, CLOSE)
            elif timer > DESCENT_TIMEOUT * self.hz:
                self._arm_goto(env, arm, RELEASE)
        elif phase == CLOSE:
            goal_rot[env, arm] = self.grasp_rot[env, arm] = tcp_rot[env, arm]
            close[env, arm] = True
            if timer >= CLOSE_TIME * self.hz:
                self.in_hand[env, arm] = tcp_rot[env, arm].T @ (part_pos[env, arm] - tcp[env, arm])
                self._arm_goto(env, arm, LIFT)
        elif phase == LIFT:
            goal_pos[env, arm] = [*tcp[env, arm, :2], self.lift_height[env]]
            goal_rot[env, arm] = self.grasp_rot[env, arm]
            close[env, arm] = True
            free[env, arm] = True
            if abs(self.lift_height[env] - tcp[env, arm, 2]) < 0.01:
                self.lift_pose[env, arm] = goal_pos[env, arm]
                self.hold_pos[env, arm], self.hold_rot[env, arm] = goal_pos[env, arm], self.grasp_rot[env, arm]
                self._arm_goto(env, arm, HELD)
        elif phase == HELD:
            goal_pos[env, arm], goal_rot[env, arm] = self.hold_pos[env, arm], self.hold_rot[env, arm]
            close[env, arm] = True
        elif phase == RELEASE:  # open, rise, start over
            goal_pos[env, arm] = [*tcp[env, arm, :2], max(tcp[env, arm, 2], grasp[2] + self.hover[env, arm])]
            free[env, arm] = True
            if timer >= RELEASE_TIME * self.hz:
                self._arm_goto(env, arm, ABOVE)

    def _assemble(self, env, tcp, tcp_rot, part_pos, part_rot, goal_pos, goal_rot, speed, free) -> None:
        """Both parts held: meet in the air, align the peg with the hole, insert."""
        # Right arm: the block to its meeting pose, turned by the hole's quarter symmetry that turns
        # the tool least.
        block_in_hand_rot = tcp_rot[env, BLOCK_ARM].T @ part_rot[env, BLOCK_ARM]
        tool_goals = BLOCK_MEET_ROT @ QUARTER_TURNS @ block_in_hand_rot.T
        block_tool_rot = _closest(tool_goals, tcp_rot[env, BLOCK_ARM])
        block_offset = tcp_rot[env, BLOCK_ARM].T @ (part_pos[env, BLOCK_ARM] - tcp[env, BLOCK_ARM])
        goal_rot[env, BLOCK_ARM] = block_tool_rot
        goal_pos[env, BLOCK_ARM] = self.meet[env] - block_tool_rot @ block_offset

        # Left arm: the peg onto the hole's axis, at the symmetry of the hole nearest its pose.
        block_pos, block_rot = part_pos[env, BLOCK_ARM], part_rot[env, BLOCK_ARM]
        peg_pos, peg_rot = part_pos[env, PEG_ARM], part_rot[env, PEG_ARM]
        rel = block_rot.T @ (peg_pos - block_pos)  # peg centre in the block frame
        peg_goal_rot = _closest(block_rot @ PEG_SYMMETRIES, peg_rot)
        end_depth = rel[2] - BIMAN_PEG_HALF_LENGTH  # peg end above the hole's bottom, m
        lateral = np.abs(rel[:2]).max()
        tilt = _angle(peg_goal_rot, peg_rot)
        pair = self.pair[env]
        timer = self.pair_timer[env]
        if pair == MEET:
            depth, centre = HOLE_DEPTH + MEET_STANDOFF, np.zeros(2)
            free[env] = True
            block_there = np.linalg.norm(goal_pos[env, BLOCK_ARM] - tcp[env, BLOCK_ARM]) < 0.005
            if block_there and abs(end_depth - depth) < 0.005 and lateral < 0.005 and tilt < 0.05:
                self._pair_goto(env, ALIGN)
        elif pair == ALIGN:
            depth, centre = HOLE_DEPTH + ALIGN_STANDOFF, np.zeros(2)
            speed[env, PEG_ARM] = ALIGN_SPEED
            aligned = lateral < ALIGN_TOLERANCE and tilt < ALIGN_ANGLE and abs(end_depth - depth) < 0.002
            if aligned or (timer > ALIGN_TIMEOUT * self.hz and lateral < 2 * ALIGN_TOLERANCE):
                self._pair_goto(env, INSERT)
        else:  # INSERT
            depth = -INSERT_PAST
            # Centre the peg until its end is in the mouth; inside, the walls guide it.
            centre = np.zeros(2) if end_depth > HOLE_DEPTH else rel[:2]
            speed[env, PEG_ARM] = self.insert_speed[env]
            if timer > INSERT_TIMEOUT * self.hz:  # stalled: back off and align again
                self.retries[env] += 1
                self._pair_goto(env, ALIGN)
        peg_goal = block_pos + block_rot @ np.array([*centre, depth + BIMAN_PEG_HALF_LENGTH])
        # The tool pose that carries the peg, as it sits in the hand now, to that pose.
        peg_in_hand_rot = tcp_rot[env, PEG_ARM].T @ peg_rot
        peg_offset = tcp_rot[env, PEG_ARM].T @ (peg_pos - tcp[env, PEG_ARM])
        tool_rot = peg_goal_rot @ peg_in_hand_rot.T
        goal_rot[env, PEG_ARM] = tool_rot
        goal_pos[env, PEG_ARM] = peg_goal - tool_rot @ peg_offset

    def _arm_goto(self, env: int, arm: int, phase: int) -> None:
        self.phase[env, arm] = phase
        self.timer[env, arm] = 0

    def _pair_goto(self, env: int, pair: int) -> None:
        self.pair[env] = pair
        self.pair_timer[env] = 0
