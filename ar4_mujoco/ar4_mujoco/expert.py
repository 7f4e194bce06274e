# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
The scripted expert: a top-down pick and place planned with the twin's own kinematics.

From the cube pose at the start of the episode it plans, frame by frame (30 per second), the
absolute targets a teleoperator would have commanded: look down from a fixed pose above the
cube's unrandomised place, approach above the cube with the jaws open, descend, close, lift, move
above the goal tier, descend, open, retreat. Straight segments are solved with inverse
kinematics at every frame; the long moves interpolate in joint space with a trapezoidal velocity
profile whose duration keeps every joint under its velocity limit.
"""

from dataclasses import dataclass
import math
from typing import List, Optional

from ar4_description.robot_constants import robot_constants
import mujoco
import numpy as np

from .env import AR4Twin
from .kinematics import Kinematics
from .tasks import Task

FPS = 30
#: Pad centre heights above the cube centre / release point (m).
APPROACH_CLEARANCE_M = 0.05
#: Pad centre height of the look pose above the task cube's unrandomised centre (m).
LOOK_HEIGHT_M = 0.12
GRASP_OFFSET_M = 0.002
RELEASE_GAP_M = 0.004
#: Height above the highest tier surface the cube travels at (m, cube bottom).
TRANSIT_CLEARANCE_M = 0.03
#: Cartesian speed of the straight descents and lifts (m/s).
LINEAR_SPEED = 0.2
#: Peak over mean speed of the trapezoidal profile with 25 % ramps.
PEAK_FACTOR = 1.0 / 0.75
#: Fraction of each joint's velocity limit the plans may use (tracking margin).
SPEED_FRACTION = 0.95
#: Dwell times (s).
CLOSE_S = 0.4
OPEN_S = 0.3
SETTLE_S = 0.1
FINAL_S = 0.2
#: Place the cube this far in front of the tier's centre, towards the robot (m).
PLACE_FORWARD_M = 0.005
#: Approach tilts (rad, about the jaw axis) tried in order when straight down is out of reach.
TILTS = (0.0, 0.2, 0.4, 0.6, 0.8)
#: World yaw of the jaw axis preferred for grasps (of the four a square cube allows, the
#: closest is taken): one grasp for every cube yaw in the twin's randomisation range.
GRASP_REFERENCE_YAW = math.pi


class PlanError(RuntimeError):
    """The expert found no kinematic solution for this scene; the episode is skipped."""


@dataclass
class Plan:
    """Targets for every frame (N x 7) and the phase name of each frame."""

    targets: np.ndarray
    phases: List[str]


def trapezoid(fraction: np.ndarray, ramp: float = 0.25) -> np.ndarray:
    """
    Return a trapezoidal-velocity position profile (0..1) at fractions of the move (0..1).

    Constant acceleration over the first and last ``ramp`` of the move, constant speed in
    between; the peak speed is 1 / (1 - ramp) times the mean (1.33 for 0.25, against 1.875 for
    minimum jerk), so moves are shorter at the same velocity limit.
    """
    fraction = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0)
    scale = 1.0 / (2.0 * ramp * (1.0 - ramp))
    return np.where(
        fraction < ramp, scale * fraction ** 2,
        np.where(fraction > 1.0 - ramp, 1.0 - scale * (1.0 - fraction) ** 2,
                 (fraction - ramp / 2.0) / (1.0 - ramp)))


def down_rotation(jaw_yaw: float, tilt: float = 0.0) -> np.ndarray:
    """
    Return the pad-site frame with the jaws pointing down, tilted ``tilt`` about the jaw axis.

    The gripper approaches along the site's -y and the jaws slide along its x: x is horizontal
    at ``jaw_yaw``; untilted, y is world up. Tilting about the jaw axis keeps the pads parallel
    to the cube's side faces, so a tilted approach still grasps flat.
    """
    jaw = np.array([math.cos(jaw_yaw), math.sin(jaw_yaw), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    frame = np.column_stack([jaw, up, np.cross(jaw, up)])
    if tilt:
        quat, matrix = np.zeros(4), np.zeros(9)
        mujoco.mju_axisAngle2Quat(quat, jaw, tilt)
        mujoco.mju_quat2Mat(matrix, quat)
        frame = matrix.reshape(3, 3) @ frame
    return frame


def wrap_angle(angle: float) -> float:
    """Return ``angle`` wrapped to [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def quat_yaw(quat: np.ndarray) -> float:
    """Return the rotation about world z of a (w, x, y, z) quaternion."""
    matrix = np.zeros(9)
    mujoco.mju_quat2Mat(matrix, np.asarray(quat, dtype=float))
    return math.atan2(matrix[3], matrix[0])


class ScriptedExpert:
    """Plans pick-and-place targets for an AR4Twin; see the module docstring."""

    def __init__(self, env: AR4Twin, constants=None):
        self.env = env
        self.constants = constants or robot_constants()
        self.kinematics = Kinematics(env.twin, self.constants)
        self.velocity = np.array(self.constants.velocity_limits) * SPEED_FRACTION
        self.gripper_open = self.constants.gripper.open
        self.gripper_closed = self.constants.gripper.closed
        self.frame = 1.0 / FPS

    # ------------------------------------------------------------------------- primitives
    def _joint_move(self, start, goal, minimum_s: float = 0.3) -> np.ndarray:
        start, goal = np.asarray(start), np.asarray(goal)
        # The trapezoid peaks at PEAK_FACTOR times the mean speed.
        duration = max(minimum_s,
                       PEAK_FACTOR * float(np.max(np.abs(goal - start) / self.velocity)))
        frames = max(1, int(math.ceil(duration / self.frame)))
        profile = trapezoid(np.arange(1, frames + 1) / frames)[:, None]
        return start + profile * (goal - start)

    def _solve(self, position, rotation, seed):
        result = self.kinematics.solve(position, rotation, seed)
        if not result.ok:
            raise PlanError(f'no IK solution for the pad centre at {np.round(position, 3)} '
                            f'(error {result.position_error:.4f} m, '
                            f'{result.angle_error:.3f} rad)')
        return result.q

    def _linear_move(self, start_q, start_position, goal_position, rotation) -> np.ndarray:
        start_position = np.asarray(start_position, dtype=float)
        goal_position = np.asarray(goal_position, dtype=float)
        distance = float(np.linalg.norm(goal_position - start_position))
        duration = max(0.25, PEAK_FACTOR * distance / LINEAR_SPEED)
        for _ in range(4):
            frames = max(1, int(math.ceil(duration / self.frame)))
            profile = trapezoid(np.arange(1, frames + 1) / frames)
            q = np.asarray(start_q, dtype=float)
            path = []
            for fraction in profile:
                q = self._solve(start_position + fraction * (goal_position - start_position),
                                rotation, q)
                path.append(q)
            path = np.array(path)
            steps = np.abs(np.diff(np.vstack([start_q, path]), axis=0)) / self.frame
            ratio = float(np.max(steps / self.velocity))
            if ratio <= 1.0:
                return path
            duration *= ratio * 1.05
        return path

    @staticmethod
    def _wrist_seeds(seed):
        """Return IK seeds with the wrist bent either way (j4 near 0 or near pi, j5 = +-0.8)."""
        seeds = []
        for wrist_sign in (1.0, -1.0):
            start = np.array(seed, dtype=float)
            start[4] = wrist_sign * max(abs(start[4]), 0.8)
            if wrist_sign < 0:
                start[3] = math.copysign(math.pi - 0.01, start[3] or 1.0)
            else:
                start[3] = 0.0
            seeds.append(start)
        return seeds

    def _best_grasp(self, positions, yaws, seed, reference_yaw: float):
        """
        Return (qs, yaw, tilt): IK solutions for a gripper pointing down at each position.

        ``positions`` is a vertical segment, lowest first (grasp, then above it); one
        orientation must reach all of them. The choice follows a fixed order of preference, not
        the fastest motion: demonstrations of similar scenes must choose alike, or a policy
        learns the average of two grasps (with the time as the criterion, cubes of the same yaw
        were taken with jaw yaws a quarter turn apart and the wrist bent either way). The order:
        the yaw closest to ``reference_yaw`` first; then the wrist bent the usual way (j4 near 0)
        before flipped; then straight down before tilted, least tilt first (near the base the
        j5 = 0 singularity is in the way), positive before negative.
        """
        by_reference = sorted(yaws, key=lambda yaw: abs(wrap_angle(yaw - reference_yaw)))
        for yaw in by_reference:
            for start in self._wrist_seeds(seed):
                for level in TILTS:
                    for tilt in ((level, -level) if level else (0.0,)):
                        rotation = down_rotation(yaw, tilt)
                        solutions, guess = [], start
                        for position in positions:
                            result = self.kinematics.solve(position, rotation, guess)
                            if not result.ok:
                                break
                            solutions.append(result.q)
                            guess = result.q
                        if len(solutions) == len(positions):
                            return solutions, yaw, tilt
        raise PlanError(f'no IK solution for the gripper pointing down at '
                        f'{np.round(positions[0], 3)}')

    # --------------------------------------------------------------------------- planning
    def place_point(self, task: Task) -> np.ndarray:
        """Return the cube centre goal: the tier's centre, nudged towards the robot."""
        tier = self.env.scene.tier(task.tier)
        cube = self.env.scene.cube(task.colour)
        x, y, _ = tier.centre
        # Away from the next tier's front panel behind this one (the robot is at y = 0).
        y -= math.copysign(PLACE_FORWARD_M, y)
        return np.array([x, y, tier.z + cube.edge / 2.0])

    def transit_height(self, task: Task) -> float:
        """
        Return the height of the cube's bottom while it is carried to the goal tier.

        It clears the goal tier and the next higher one: the stepped shelf's higher tier stands
        right behind the goal with its front panel and posts, and the arm's joint-space moves
        do not follow straight lines.
        """
        goal = self.env.scene.tier(task.tier).z
        higher = [t.z for t in self.env.scene.tiers if t.z > goal]
        return (min(higher) if higher else goal) + TRANSIT_CLEARANCE_M

    def plan(self, task, start_q: Optional[np.ndarray] = None, cube_pose=None) -> Plan:
        """
        Plan the whole episode from the twin's current state; raise PlanError if unreachable.

        ``cube_pose`` (position, quaternion w x y z) replaces the task cube's true pose: a plan
        made for a wrong estimate shows how precisely a policy has to locate the cube.
        """
        task = task if isinstance(task, Task) else self.env.parse_task(task)
        cube = self.env.scene.cube(task.colour)
        cube_position, cube_quat = cube_pose or self.env.cube_poses()[task.colour]
        cube_position = np.asarray(cube_position, dtype=float)
        q0 = self.env.joint_positions() if start_q is None else np.asarray(start_q, float)
        gripper0 = self.env.gripper()
        segments, phases = [], []

        def add(name, arm, jaw):
            arm = np.atleast_2d(arm)
            jaw = np.broadcast_to(np.asarray(jaw, dtype=float), (len(arm),))
            segments.append(np.column_stack([arm, jaw]))
            phases.extend([name] * len(arm))

        def hold(name, q, jaw, seconds):
            frames = max(1, int(round(seconds / self.frame)))
            add(name, np.repeat(np.atleast_2d(q), frames, axis=0), jaw)

        # Grasp: the pads straddle the cube centre; the jaws close across two side faces.
        cube_yaw = quat_yaw(cube_quat)
        yaws = [cube_yaw + k * math.pi / 2 for k in range(4)]
        grasp = cube_position + np.array([0.0, 0.0, GRASP_OFFSET_M])
        above = grasp + np.array([0.0, 0.0, APPROACH_CLEARANCE_M])
        # Look first: the camera reaches the same pose above where the cube would be without
        # randomisation, whatever the arm's start, so the image that decides the grasp is taken
        # from one viewpoint, close up. Straight from the start, the cube is a few pixels wide
        # and the view shifts with the start pose: a policy learned the mean grasp instead.
        look = np.array(cube.position, dtype=float) + np.array([0.0, 0.0, LOOK_HEIGHT_M])
        (q_look,), _, _ = self._best_grasp([look], [GRASP_REFERENCE_YAW], q0,
                                           GRASP_REFERENCE_YAW)
        move = self._joint_move(q0, q_look, minimum_s=0.8)
        jaw = gripper0 + trapezoid(np.linspace(0, 1, len(move))) * (self.gripper_open - gripper0)
        add('look', move, jaw)
        (_, q_above), yaw, tilt = self._best_grasp([grasp, above], yaws, q_look,
                                                   GRASP_REFERENCE_YAW)
        rotation = down_rotation(yaw, tilt)
        add('approach', self._joint_move(q_look, q_above), self.gripper_open)
        descend = self._linear_move(q_above, above, grasp, rotation)
        add('descend', descend, self.gripper_open)
        hold('settle', descend[-1], self.gripper_open, SETTLE_S)
        hold('close', descend[-1], self.gripper_closed, CLOSE_S)
        lift = self._linear_move(descend[-1], grasp, above, rotation)
        add('lift', lift, self.gripper_closed)

        # Carry: rise to a height that clears the goal tier (the stepped shelf's lower tiers
        # are in front of it), cross over, lower onto the tier, release and back off.
        place = self.place_point(task) + np.array([0.0, 0.0, GRASP_OFFSET_M + RELEASE_GAP_M])
        transit_z = max(above[2], self.transit_height(task) + cube.edge / 2 + GRASP_OFFSET_M)
        over = np.array([place[0], place[1], transit_z])
        # The tiers are wide in x and shallow in y: the jaws (and the housing, wider than the
        # cube) open along x there, so they keep clear of the panel behind the tier.
        place_yaws = [yaw + k * math.pi / 2 for k in range(4)
                      if abs(math.cos(yaw + k * math.pi / 2)) >= math.sqrt(0.5) - 1e-9]
        # Carrying keeps the grasp's yaw where it can: the least turn of the wrist.
        (_, q_over), place_yaw, place_tilt = self._best_grasp(
            [place, over], place_yaws, lift[-1], yaw)
        q_rise = lift[-1]
        if transit_z > above[2] + 0.01:
            high = np.array([grasp[0], grasp[1], transit_z])
            (q_rise,), _, _ = self._best_grasp([high], place_yaws, lift[-1], place_yaw)
            add('rise', self._joint_move(lift[-1], q_rise), self.gripper_closed)
        add('transfer', self._joint_move(q_rise, q_over, minimum_s=0.5), self.gripper_closed)
        place_rotation = down_rotation(place_yaw, place_tilt)
        lower = self._linear_move(q_over, over, place, place_rotation)
        add('lower', lower, self.gripper_closed)
        hold('release', lower[-1], self.gripper_open, OPEN_S)
        retreat_to = place + np.array([0.0, 0.0, APPROACH_CLEARANCE_M])
        retreat = self._linear_move(lower[-1], place, retreat_to, place_rotation)
        add('retreat', retreat, self.gripper_open)
        hold('wait', retreat[-1], self.gripper_open, FINAL_S)
        return Plan(targets=np.vstack(segments), phases=phases)


def run_episode(env: AR4Twin, expert: ScriptedExpert, task, seed: Optional[int] = None,
                randomize: bool = True, on_frame=None) -> bool:
    """
    Reset the twin, plan and execute one expert episode; return whether the task succeeded.

    ``on_frame(observation, targets7)`` is called for every frame before the targets are applied:
    the observation at time t and the action commanded at time t, as the recorder pairs them.
    Raise PlanError when the scene has no kinematic solution.
    """
    task = task if isinstance(task, Task) else env.parse_task(task)
    observation = env.reset(seed=seed, randomize=randomize)
    plan = expert.plan(task)
    for targets in plan.targets:
        if on_frame is not None:
            on_frame(observation, targets)
        observation = env.step(targets)
    return env.is_success(task)
