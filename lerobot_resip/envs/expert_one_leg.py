"""Scripted expert for one_leg, in the spirit of FurnitureBench's scripted policy, batched over envs.

It reads only the observation (tool pose, gripper opening, part poses) and plans per env:
  1. push the table top into the fixture's front-left corner (robot +y), first along +x against
     the front bar, then along +y against the left bar, with the closed gripper;
  2. grasp the lying leg 4 from above near its foot, lift it, turn it to lie along +y, roll it
     upright, stud down (the tool then points sideways, along +y), carry it over the hole nearest the
     robot and lower its stud into the bore's mouth; release it, to drop onto the thread's first crest;
  3. back off, point the tool down, and screw: grasp the upright leg's body, turn the tool
     clockwise seen from above by ~95 degrees, release, turn back, repeat until assembled.
Recovery: a leg lost from the hand, or fallen over, is picked up again from where it lies; an
insertion that does not come to rest on the crest is lifted and aligned again.
Per-episode random speed, grasp points, hover heights and turn angles, and jitter in free space,
keep the demos diverse.
"""

from __future__ import annotations

import numpy as np

from lerobot_resip.envs import scenes
from lerobot_resip.envs.rotation import matrix_from_rot6d, quat_to_matrix, rot6d_from_matrix, wrap_angle
from lerobot_resip.envs.scenes import LEG_HALF_LENGTH, LEG_HALF_WIDTH, ONE_LEG_THREAD, TOP_HALF_WIDTH

# The expert's phases, by the number `OneLegExpert.phase` holds (names for `--expert_start_phase`).
PHASES = (
    "push_x_above", "push_x_down", "push_x", "raise_x",
    "push_y_above", "push_y_down", "push_y", "raise_y",
    "leg_above", "leg_down", "leg_close", "leg_lift", "yaw", "roll", "carry", "insert", "place_open", "back_off",
    "screw_above", "screw_down", "screw_close", "screw_turn", "screw_open", "recover",
    "room_above", "room_down", "room_drag",
)  # fmt: skip
(
    PUSH_X_ABOVE, PUSH_X_DOWN, PUSH_X, RAISE_X,
    PUSH_Y_ABOVE, PUSH_Y_DOWN, PUSH_Y, RAISE_Y,
    LEG_ABOVE, LEG_DOWN, LEG_CLOSE, LEG_LIFT, YAW, ROLL, CARRY, INSERT, PLACE_OPEN, BACK_OFF,
    SCREW_ABOVE, SCREW_DOWN, SCREW_CLOSE, SCREW_TURN, SCREW_OPEN, RECOVER,
    ROOM_ABOVE, ROOM_DOWN, ROOM_DRAG,
) = range(len(PHASES))  # fmt: skip

TOP, LEG, FIXTURE = 0, 4, 5  # part indices in environment_state
DISTRACTORS = (1, 2, 3)
# Room the open fingers need beside a lying leg: from its axis to a parallel neighbour's axis (m):
# the opening's half (40 mm) plus a pad (12 mm), the neighbour's half width (15 mm) and 8 mm to spare.
GRASP_ROOM = 0.075
LEG_LENGTH = 2 * LEG_HALF_LENGTH
# The fixture's side and front bars (one_leg.xml): centre line in the fixture frame and half extents
# in x, y (m). A finger lands on a bar closer to the leg's axis than the fingers' room less the
# difference between a neighbouring leg's half width and a bar's.
FIXTURE_BARS = (
    (np.array([0.0, 0.0]), np.array([0.01, 0.175])),
    (np.array([-0.075, 0.175]), np.array([0.085, 0.01])),
    (np.array([-0.075, -0.175]), np.array([0.085, 0.01])),
)
BAR_HALF_WIDTH = 0.01
BAR_ROOM = GRASP_ROOM - (LEG_HALF_WIDTH - BAR_HALF_WIDTH)
FINGER_HALF_WIDTH = 0.012  # m, a pad's half extent along the leg, plus margin
DOWN = np.diag([1.0, -1.0, -1.0])  # tool pointing at the table, at yaw 0
# The leg, grasped lying along the tool's x, is turned so that its axis runs along +y (a quarter
# yaw), then rolled upright about the fingers' axis (+x): the tool then points along +y,
# sideways to the arm, where the Panda's wrist keeps its range (pointing forward it does not).
CARRY_ROT = np.column_stack([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
QUARTER = np.pi / 2
PUSH_HEIGHT = 0.016  # m, tool height while pushing the top (pads just above the table)
PAD_HALF_DEPTH = 0.012  # m, half the closed pads' extent along a push
PUSH_GAP = 0.008  # m, between the pads and the top's edge before a push
PUSH_SQUEEZE = 0.003  # m, how far past the wall the pads are commanded, to seat the top
DRAG_INSET = 0.02  # m, inside the top's edge where the pads press to drag it
PAD_HALF_HEIGHT = 0.013  # m, pads' half extent along the tool's axis
DRAG_PRESS = 0.002  # m, how far into a part the pads are commanded when dragging it
DRAG_HEIGHT = 2 * scenes.TOP_HALF_THICKNESS + PAD_HALF_HEIGHT - DRAG_PRESS  # m, tool height dragging the top
FIXTURE_INNER_X = 0.01  # m, front bar's inner face behind the fixture frame
FIXTURE_INNER_Y = 0.165  # m, side bars' inner faces beside the fixture frame
CONTACT_SPEED = 0.01  # m per step, fingers coming down among the parts
CARRY_HEIGHT = 0.17  # m, tool height while reorienting and carrying the leg
# Where (tool x, y; m) the lifted leg is turned and rolled upright. The Panda rolls it there and
# carries it to the hole in its usual posture; turned nearer its base or further out, the arm wound
# its first joint past 1.2 rad, and the carry that followed stopped at joint 2's limit.
TURN_ZONE = (np.array([0.33, 0.10]), np.array([0.40, 0.22]))
HOLE_PREFERENCE = np.array([0.50, 0.0])  # m, the robot screws into the hole nearest this point
REST_HEIGHT = ONE_LEG_THREAD.start_angle * ONE_LEG_THREAD.travel_per_radian - ONE_LEG_THREAD.rest_gap
ALIGN_TOLERANCE = 0.0002  # m, stud offset from the hole axis before lowering (bore: 0.25 mm a side)
# m, the leg is let go once lowered this close above its resting pose (the stud's end then in the
# bore's mouth chamfer, which guides it down onto the crest): a release height a few millimetres wide
# is one a cloned policy hits, where one that must first bring the leg to rest within 1 mm was not.
RELEASE_HEIGHT = 0.004
GRASP_LOST = 0.025  # m, leg further than this from where the grasp holds it: lost
UPRIGHT_COS = np.cos(np.deg2rad(15))  # a leg tilted more than this has fallen over
# Tool yaw the screwing grasps are centred on: the turns then keep joint 7 (which turns
# clockwise as its angle grows, 0.785 rad at yaw 0) within about +-1.8 rad.
SCREW_YAW = np.deg2rad(100)
TURN_RAMP = 0.05  # rad, how much further ahead of the tool each step of a turn commands its yaw
RETURN_STEP = 1.0  # rad, how far ahead of the tool the turn back is commanded
RETURN_SLACK = np.deg2rad(20)  # rad, a grasp yaw this far clockwise of the tool is not a full turn away


def _rot_z(yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class OneLegExpert:
    """Batched one_leg expert. `act(obs)` -> (N, 10) absolute tool-pose actions."""

    PHASES = PHASES

    def __init__(self, num_envs: int, seed: int | None = None, noise: float = 1.0):
        self.num_envs = num_envs
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.phase = np.zeros(num_envs, dtype=np.int64)
        self.timer = np.zeros(num_envs, dtype=np.int64)
        self.speed = np.zeros(num_envs)
        self.grasp_along = np.zeros(num_envs)
        self.hover = np.zeros(num_envs)
        self.turn = np.zeros(num_envs)
        self.hole = np.zeros(num_envs, dtype=np.int64)
        self.rot = np.tile(DOWN, (num_envs, 1, 1))  # tool orientation target
        self.yaw_goal = np.zeros(num_envs)
        self.in_hand = np.zeros((num_envs, 3))  # leg frame in the tool frame, m, when grasped
        self.push_offset = np.zeros(num_envs)  # m, pads from the top's centre along y while pushing
        self.push_height = np.zeros(num_envs)  # m, tool height while pushing along y
        self.turn_at = np.zeros((num_envs, 2))  # m, tool xy where the leg is turned and rolled
        self.drag_to = np.zeros((num_envs, 3))  # m, where a lying leg is dragged to make room
        self.drag_start = np.zeros((num_envs, 2))  # m, pads from the leg's centre when the drag starts
        self.reset()

    def reset(self, ids=None) -> None:
        ids = np.arange(self.num_envs) if ids is None else np.atleast_1d(ids)
        n = len(ids)
        self.phase[ids] = PUSH_X_ABOVE
        self.timer[ids] = 0
        self.rot[ids] = DOWN
        # Per-episode style: speed (m per 10 Hz step), grasp point along the leg from its centre
        # towards the foot (m), hover height (m), turn per screwing grasp (rad).
        self.speed[ids] = 0.03 * (1 + 0.25 * self.noise * self.rng.uniform(-1, 1, n))
        self.grasp_along[ids] = 0.022 + 0.004 * self.noise * self.rng.uniform(-1, 1, n)
        self.hover[ids] = 0.05 + 0.015 * self.noise * self.rng.uniform(-1, 1, n)
        self.turn[ids] = np.deg2rad(115 + 5 * self.noise * self.rng.uniform(-1, 1, n))

    # ------------------------------------------------------------------ planning
    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        agent = np.asarray(obs["agent_pos"], dtype=np.float64)
        parts = np.asarray(obs["environment_state"], dtype=np.float64).reshape(self.num_envs, -1, 7)
        tcp, tcp_rot = agent[:, :3], matrix_from_rot6d(agent[:, 3:9])
        top, top_rot = parts[:, TOP, :3], quat_to_matrix(parts[:, TOP, 3:])
        leg, leg_rot = parts[:, LEG, :3], quat_to_matrix(parts[:, LEG, 3:])
        fixture = parts[:, FIXTURE, :3]
        seats = np.asarray(ONE_LEG_THREAD.seats)
        holes = top[:, None] + np.einsum("nij,hj->nhi", top_rot, seats)  # (N, H, 3) seated leg frames
        top_yaw = np.arctan2(top_rot[:, 1, 0], top_rot[:, 0, 0])
        extent = TOP_HALF_WIDTH * (np.abs(np.cos(top_yaw)) + np.abs(np.sin(top_yaw)))  # half extent in x, y
        leg_axis = leg_rot[:, :, 2]  # stud -> foot
        upright = leg_axis[:, 2] >= UPRIGHT_COS
        held_error = np.linalg.norm(np.einsum("nji,nj->ni", tcp_rot, leg - tcp) - self.in_hand, axis=1)

        goal = tcp.copy()
        close = np.zeros(self.num_envs, dtype=bool)
        self.timer += 1
        for env in range(self.num_envs):
            phase = self.phase[env]
            if phase in (LEG_LIFT, YAW, ROLL, CARRY, INSERT) and held_error[env] > GRASP_LOST:
                phase = self._goto(env, RECOVER)
            if phase in (SCREW_ABOVE, SCREW_DOWN, SCREW_CLOSE, SCREW_TURN, SCREW_OPEN) and not upright[env]:
                phase = self._goto(env, RECOVER)
            reached = lambda tol, env=env: np.linalg.norm(goal[env] - tcp[env]) < tol  # noqa: E731
            rot_reached = lambda tol, env=env: _angle(self.rot[env], tcp_rot[env]) < tol  # noqa: E731

            # -------------------------------------------------- 1. the top into the corner
            if phase in (PUSH_X_ABOVE, PUSH_X_DOWN, PUSH_X):
                close[env] = True
                start_x = top[env, 0] - extent[env] - PAD_HALF_DEPTH - PUSH_GAP
                if phase == PUSH_X_ABOVE:
                    goal[env] = [start_x, top[env, 1], PUSH_HEIGHT + self.hover[env]]
                    if reached(0.01):
                        self._goto(env, PUSH_X_DOWN)
                elif phase == PUSH_X_DOWN:
                    goal[env] = [start_x, top[env, 1], PUSH_HEIGHT]
                    if reached(0.004):
                        self._goto(env, PUSH_X)
                else:
                    wall = fixture[env, 0] - FIXTURE_INNER_X
                    end_x = wall - 2 * TOP_HALF_WIDTH - PAD_HALF_DEPTH + PUSH_SQUEEZE
                    goal[env] = [end_x, top[env, 1], PUSH_HEIGHT]
                    if reached(0.004) or self.timer[env] > 40:
                        self._goto(env, RAISE_X)
            elif phase in (RAISE_X, RAISE_Y):
                close[env] = True
                goal[env] = [*tcp[env, :2], PUSH_HEIGHT + self.hover[env]]
                if reached(0.01):
                    self._goto(env, PUSH_Y_ABOVE if phase == RAISE_X else LEG_ABOVE)
            elif phase in (PUSH_Y_ABOVE, PUSH_Y_DOWN, PUSH_Y):
                close[env] = True
                if phase == PUSH_Y_ABOVE:
                    # Against the top's -y edge; where the top lies against the right bar (no room
                    # for the fingers), pressing on its surface near that edge and dragging it.
                    room = top[env, 1] - extent[env] - (fixture[env, 1] - FIXTURE_INNER_Y)
                    edge = room > PUSH_GAP + 2 * PAD_HALF_DEPTH + 0.008
                    self.push_offset[env] = -extent[env] - PAD_HALF_DEPTH - PUSH_GAP if edge else -extent[env] + DRAG_INSET
                    self.push_height[env] = PUSH_HEIGHT if edge else DRAG_HEIGHT
                start_y = top[env, 1] + self.push_offset[env]
                if phase == PUSH_Y_ABOVE:
                    goal[env] = [top[env, 0], start_y, PUSH_HEIGHT + self.hover[env] + 0.02]
                    if tcp[env, 2] < goal[env, 2] - 0.01:  # rise clear of the top's edge before crossing it
                        goal[env, :2] = tcp[env, :2]
                    if reached(0.01):
                        self._goto(env, PUSH_Y_DOWN)
                elif phase == PUSH_Y_DOWN:
                    goal[env] = [top[env, 0], start_y, self.push_height[env]]
                    if reached(0.004):
                        self._goto(env, PUSH_Y)
                else:
                    wall = fixture[env, 1] + FIXTURE_INNER_Y
                    end_y = wall - TOP_HALF_WIDTH + self.push_offset[env] + extent[env] - TOP_HALF_WIDTH + PUSH_SQUEEZE
                    goal[env] = [top[env, 0], end_y, self.push_height[env]]
                    if reached(0.004) or self.timer[env] > 40:
                        self._goto(env, RAISE_Y)
                        self.hole[env] = int(np.argmin(np.linalg.norm(holes[env, :, :2] - HOLE_PREFERENCE, axis=1)))

            # -------------------------------------------------- 2. the leg upright into the hole
            elif phase in (LEG_ABOVE, LEG_DOWN, LEG_CLOSE):
                # Tool x along the leg, towards its foot; fingers across it.
                heading = np.arctan2(leg_axis[env, 1], leg_axis[env, 0])
                self.rot[env] = _rot_z(heading) @ DOWN
                grasp = leg[env] + self.grasp_along[env] * leg_axis[env]
                if phase == LEG_ABOVE:
                    goal[env] = [*grasp[:2], grasp[2] + self.hover[env] + 0.03]
                    if reached(0.01) and rot_reached(0.05):
                        shift = self._room_needed(leg[env], leg_axis[env], parts[env], self.grasp_along[env])
                        if shift is None:
                            self._goto(env, LEG_DOWN)
                        else:  # a neighbour lies where a finger would land: drag the leg away first
                            self.drag_to[env] = leg[env] + shift
                            self._goto(env, ROOM_ABOVE)
                elif phase == LEG_DOWN:
                    goal[env] = grasp
                    if reached(0.003):
                        self._goto(env, LEG_CLOSE)
                    elif self.timer[env] > 30:  # a finger stands on something: start over
                        self._goto(env, RECOVER)
                else:
                    goal[env] = tcp[env]
                    close[env] = True
                    if self.timer[env] >= 4:
                        self.in_hand[env] = tcp_rot[env].T @ (leg[env] - tcp[env])
                        self._goto(env, LEG_LIFT)
            elif phase == LEG_LIFT:
                close[env] = True
                if self.timer[env] == 1:
                    self.turn_at[env] = np.clip(tcp[env, :2], TURN_ZONE[0], TURN_ZONE[1])
                rising = tcp[env, 2] < CARRY_HEIGHT - 0.05  # straight up first, clear of the other parts
                goal[env] = [*(tcp[env, :2] if rising else self.turn_at[env]), CARRY_HEIGHT]
                if reached(0.02):
                    self._goto(env, YAW)
            elif phase in (YAW, ROLL):
                self.rot[env] = _rot_z(QUARTER) @ DOWN if phase == YAW else CARRY_ROT
                close[env] = True
                # Held in the turning zone: the IK, busy with the orientation, lets the tool drift.
                goal[env] = [*self.turn_at[env], CARRY_HEIGHT]
                if rot_reached(0.04):
                    self._goto(env, ROLL if phase == YAW else CARRY)
            elif phase in (CARRY, INSERT):
                close[env] = True
                axis = top_rot[env, :, 2]
                hole = holes[env, self.hole[env]]
                # Align the stud's end (not the leg's centre: a leg tilted in the hand) and keep
                # the leg's axis on the hole's.
                offset = leg[env] - LEG_HALF_LENGTH * leg_axis[env] - (hole - LEG_HALF_LENGTH * axis)
                lateral = offset - (offset @ axis) * axis
                height = offset @ axis
                self.rot[env] = _rotation_between(leg_axis[env], axis) @ tcp_rot[env]
                if phase == CARRY:
                    goal[env] = tcp[env] - lateral + (REST_HEIGHT + 0.008 - height) * axis
                    if np.linalg.norm(lateral) < ALIGN_TOLERANCE and abs(height - REST_HEIGHT - 0.008) < 0.003:
                        self._goto(env, INSERT)
                    elif self.timer[env] > 60:
                        self._goto(env, RECOVER)
                else:
                    down = float(np.clip(REST_HEIGHT - 0.002 - height, -0.004, 0.004))
                    goal[env] = tcp[env] - lateral + down * axis
                    if height - REST_HEIGHT < RELEASE_HEIGHT and np.linalg.norm(lateral) < ALIGN_TOLERANCE:
                        self._goto(env, PLACE_OPEN)
                    elif self.timer[env] > 25:
                        self._goto(env, CARRY)
            elif phase == PLACE_OPEN:
                goal[env] = tcp[env]
                if self.timer[env] >= 4:
                    self._goto(env, BACK_OFF)
            elif phase == BACK_OFF:
                goal[env] = tcp[env] - 0.06 * tcp_rot[env, :, 2] + [0, 0, 0.03]
                if self.timer[env] >= 4:
                    self._goto(env, SCREW_ABOVE)

            # -------------------------------------------------- 3. screw
            elif phase in (SCREW_ABOVE, SCREW_DOWN, SCREW_CLOSE, SCREW_TURN, SCREW_OPEN):
                grasp = leg[env] + self.grasp_along[env] * leg_axis[env]
                leg_yaw = np.arctan2(leg_rot[env, 1, 0], leg_rot[env, 0, 0])
                if phase in (SCREW_ABOVE, SCREW_DOWN):
                    # Fingers on two faces of the leg, the tool's yaw nearest the middle of its range.
                    yaw = SCREW_YAW + wrap_angle(leg_yaw - SCREW_YAW, QUARTER)
                    self.yaw_goal[env] = yaw - self.turn[env]
                    if phase == SCREW_DOWN:
                        # Back from a turn: counter-clockwise (the way the turn came), at most
                        # RETURN_STEP ahead, so that the arm never takes the short way round.
                        tool_yaw = np.arctan2(tcp_rot[env, 1, 0], tcp_rot[env, 0, 0])
                        ahead = (yaw - tool_yaw + RETURN_SLACK) % (2 * np.pi) - RETURN_SLACK
                        yaw = tool_yaw + min(ahead, RETURN_STEP)
                    self.rot[env] = _rot_z(yaw) @ DOWN
                if phase == SCREW_ABOVE:
                    goal[env] = [*grasp[:2], max(grasp[2] + self.hover[env], tcp[env, 2])]
                    if reached(0.01) and rot_reached(0.05):
                        self._goto(env, SCREW_DOWN)
                elif phase == SCREW_DOWN:
                    goal[env] = grasp
                    if reached(0.0015) and rot_reached(0.03):
                        self._goto(env, SCREW_CLOSE)
                elif phase == SCREW_CLOSE:
                    goal[env] = grasp
                    close[env] = True
                    if self.timer[env] >= 3:
                        self._goto(env, SCREW_TURN)
                elif phase == SCREW_TURN:
                    # Turn about the leg's axis, letting the thread take it down. The turn speeds up
                    # over its first steps (TURN_RAMP more a step): a full-speed start jerks the wrist
                    # and spins the light leg in the pads, swinging its stud into the bore wall.
                    tool_yaw = np.arctan2(tcp_rot[env, 1, 0], tcp_rot[env, 0, 0])
                    ahead = wrap_angle(self.yaw_goal[env] - tool_yaw)
                    limit = TURN_RAMP * self.timer[env]
                    self.rot[env] = _rot_z(tool_yaw + np.clip(ahead, -limit, limit)) @ DOWN
                    goal[env] = grasp
                    close[env] = True
                    if _angle(_rot_z(self.yaw_goal[env]) @ DOWN, tcp_rot[env]) < 0.05 or self.timer[env] > 15:
                        self._goto(env, SCREW_OPEN)
                else:
                    goal[env] = [*grasp[:2], tcp[env, 2]]
                    if self.timer[env] >= 3:  # turn back and grasp again, from where the tool is
                        self._goto(env, SCREW_DOWN)
            elif phase in (ROOM_ABOVE, ROOM_DOWN, ROOM_DRAG):
                # The closed pads pressed on the lying leg's upper face, sliding it sideways.
                close[env] = True
                on_leg = 2 * LEG_HALF_WIDTH + PAD_HALF_HEIGHT - DRAG_PRESS
                if phase == ROOM_ABOVE:
                    goal[env] = [*leg[env, :2], on_leg + self.hover[env]]
                    if reached(0.01):
                        self._goto(env, ROOM_DOWN)
                elif phase == ROOM_DOWN:
                    goal[env] = [*leg[env, :2], on_leg]
                    if reached(0.003):
                        self.drag_start[env] = tcp[env, :2] - leg[env, :2]
                        self._goto(env, ROOM_DRAG)
                else:
                    goal[env] = [*(self.drag_to[env, :2] + self.drag_start[env]), on_leg]
                    if reached(0.003) or self.timer[env] > 20:
                        self._goto(env, RECOVER)
            elif phase == RECOVER:  # open, rise, pick the leg up again
                self.rot[env] = DOWN
                goal[env] = [*tcp[env, :2], CARRY_HEIGHT]
                if self.timer[env] >= 6 and rot_reached(0.1):
                    self._goto(env, SCREW_ABOVE if upright[env] else LEG_ABOVE)

        step = goal - tcp
        # Slow where the fingers come down among the parts: a pad landing fast on a light
        # distractor leg sets it spinning.
        speed = np.where(np.isin(self.phase, (LEG_DOWN, SCREW_DOWN)), np.minimum(self.speed, CONTACT_SPEED), self.speed)
        step *= np.minimum(1.0, speed / np.maximum(np.linalg.norm(step, axis=1), 1e-9))[:, None]
        free_space = np.isin(self.phase, (PUSH_X_ABOVE, RAISE_X, PUSH_Y_ABOVE, RAISE_Y, LEG_ABOVE, LEG_LIFT, SCREW_ABOVE))
        jitter = self.rng.normal(0, 0.001 * self.noise, (self.num_envs, 3)) * free_space[:, None]
        target = tcp + step + jitter
        gripper = np.where(close, 1.0, -1.0)[:, None]
        return np.concatenate([target, rot6d_from_matrix(self.rot), gripper], axis=1).astype(np.float32)

    @staticmethod
    def _room_needed(leg: np.ndarray, axis: np.ndarray, parts: np.ndarray, grasp_along: float) -> np.ndarray | None:
        """Shift (m) that gives the open fingers room beside the lying leg, or None if they have it."""
        across = np.array([-axis[1], axis[0], 0.0])
        across /= np.linalg.norm(across)
        shift = np.zeros(3)
        # The fixture's bars: points along each bar's centre line that lie where a finger would land.
        for centre, half in FIXTURE_BARS:
            long = int(np.argmax(half))
            steps = np.arange(-half[long], half[long] + 1e-9, 0.01)
            points = np.tile(parts[FIXTURE, :2] + centre, (len(steps), 1))
            points[:, long] += steps
            offset = points - leg[:2]
            along, side = offset @ axis[:2] - grasp_along, offset @ across[:2]
            under = (np.abs(along) < FINGER_HALF_WIDTH + BAR_HALF_WIDTH) & (np.abs(side) < BAR_ROOM)
            if under.any():
                nearest = side[under][np.argmin(np.abs(side[under]))]
                shift -= np.sign(nearest) * (BAR_ROOM - abs(nearest) + 0.01) * across
        for k in DISTRACTORS:
            offset = parts[k, :3] - leg
            side = offset @ across
            if abs(offset @ axis) < LEG_LENGTH and parts[k, 2] < 2 * LEG_HALF_WIDTH and abs(side) < GRASP_ROOM:
                shift -= np.sign(side) * (GRASP_ROOM - abs(side) + 0.01) * across
        # The top: its half extent across the leg replaces the neighbour's half width.
        top_x = quat_to_matrix(parts[TOP, 3:])[:, 0]
        cos = abs(top_x @ across)
        extent_across = TOP_HALF_WIDTH * (cos + np.sqrt(max(0.0, 1 - cos**2)))
        extent_along = TOP_HALF_WIDTH * (np.sqrt(max(0.0, 1 - cos**2)) + cos)
        offset = parts[TOP, :3] - leg
        side, room = offset @ across, GRASP_ROOM - LEG_HALF_WIDTH + extent_across
        if abs(offset @ axis) < LEG_HALF_LENGTH + extent_along and abs(side) < room:
            shift -= np.sign(side) * (room - abs(side) + 0.01) * across
        return None if not shift.any() else shift

    def _goto(self, env: int, phase: int) -> int:
        self.phase[env] = phase
        self.timer[env] = 0
        return phase


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle (rad) of the rotation between two rotation matrices."""
    return float(np.arccos(np.clip((np.trace(a.T @ b) - 1) / 2, -1.0, 1.0)))


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation matrix taking unit vector a onto unit vector b (not opposite)."""
    v, c = np.cross(a, b), float(a @ b)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)
