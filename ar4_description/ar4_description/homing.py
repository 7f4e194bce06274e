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
Plan the homing motion: a synchronised quintic from the current joints to the home pose.

Every joint follows s(u) = 10u^3 - 15u^4 + 6u^5 (u = t / T), so all joints start and stop
together with zero velocity and acceleration at both ends. The duration T is the shortest that
keeps each joint's peak velocity (1.875 |d| / T) within ``velocity_fraction`` of its velocity
limit and its peak acceleration (5.7735 |d| / T^2) within the constants' max_acceleration.
Pure NumPy; :func:`homing_trajectory_msg` turns the plan into a trajectory_msgs/JointTrajectory
from message classes passed in. The teleop node (Start button, /ar4_teleop/go_home) and the
sim's ready step (ar4_gazebo.go_home_and_report_ready) both send this plan.
"""

from dataclasses import dataclass
import math
from typing import Optional, Sequence, Tuple

from ar4_description.robot_constants import robot_constants, RobotConstants
from ar4_description.ros_messages import joint_trajectory_msg
import numpy as np

# Peak |ds/du| and |d2s/du2| of the quintic 10u^3 - 15u^4 + 6u^5.
QUINTIC_PEAK_VELOCITY = 1.875
QUINTIC_PEAK_ACCELERATION = 10.0 / math.sqrt(3.0)


class HomingError(ValueError):
    """The current joint positions cannot be used to plan a homing motion."""


@dataclass(frozen=True)
class HomingPlan:
    """Sampled trajectory: times (s, strictly increasing, first > 0) and per-point states."""

    joint_names: Tuple[str, ...]
    times: np.ndarray          # (N,)
    positions: np.ndarray      # (N, J)
    velocities: np.ndarray     # (N, J)
    accelerations: np.ndarray  # (N, J)

    @property
    def duration(self) -> float:
        """Return the time of the last point (s)."""
        return float(self.times[-1])


def quintic(u: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return s, ds/du and d2s/du2 of the minimum-jerk blend at u in [0, 1]."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    s = u ** 3 * (10.0 - 15.0 * u + 6.0 * u ** 2)
    ds = 30.0 * u ** 2 * (1.0 - u) ** 2
    dds = 60.0 * u * (1.0 - u) * (1.0 - 2.0 * u)
    return s, ds, dds


def homing_duration(start: np.ndarray, goal: np.ndarray, velocity_limits: np.ndarray,
                    max_acceleration: float, velocity_fraction: float = 0.5,
                    min_duration: float = 1.0) -> float:
    """Return the shortest quintic duration within the velocity and acceleration limits."""
    distance = np.abs(np.asarray(goal, dtype=np.float64) - np.asarray(start, dtype=np.float64))
    velocity = QUINTIC_PEAK_VELOCITY * distance / (velocity_fraction * velocity_limits)
    acceleration = np.sqrt(QUINTIC_PEAK_ACCELERATION * distance / max_acceleration)
    return float(max(min_duration, velocity.max(initial=0.0), acceleration.max(initial=0.0)))


def homing_trajectory(current: Sequence[float],
                      constants: Optional[RobotConstants] = None,
                      goal: Optional[Sequence[float]] = None,
                      velocity_fraction: float = 0.5, sample_period: float = 0.1,
                      min_duration: float = 1.0) -> HomingPlan:
    """
    Plan from ``current`` (arm joints, constants' order) to ``goal`` (default: home).

    Raise HomingError for a wrong length, a non-finite value or bad timing arguments. A current
    pose already at the goal still gives a valid (min_duration) plan that holds it.
    """
    constants = constants or robot_constants()
    names = constants.joint_names
    start = np.asarray(current, dtype=np.float64).reshape(-1)
    target = np.asarray(constants.home if goal is None else goal, dtype=np.float64).reshape(-1)
    for label, values in (('current', start), ('goal', target)):
        if values.shape != (len(names),):
            raise HomingError(f'{label} positions: expected {len(names)} values for '
                              f'{", ".join(names)}, got {values.size}')
        if not np.all(np.isfinite(values)):
            raise HomingError(f'{label} positions contain a non-finite value: {values.tolist()}')
    lower, upper = np.asarray(constants.lower), np.asarray(constants.upper)
    if np.any(target < lower) or np.any(target > upper):
        raise HomingError(f'goal {target.tolist()} is outside the joint limits')
    if not 0.0 < velocity_fraction <= 1.0:
        raise HomingError(f'velocity_fraction must be in (0, 1], got {velocity_fraction}')
    if sample_period <= 0.0 or min_duration <= 0.0:
        raise HomingError('sample_period and min_duration must be positive')

    velocity_limits = np.asarray(constants.velocity_limits, dtype=np.float64)
    duration = homing_duration(start, target, velocity_limits, constants.max_acceleration,
                               velocity_fraction, min_duration)
    count = max(2, int(math.ceil(duration / sample_period)))
    times = np.linspace(duration / count, duration, count)
    s, ds, dds = quintic(times / duration)
    delta = target - start
    positions = start + np.outer(s, delta)
    velocities = np.outer(ds / duration, delta)
    accelerations = np.outer(dds / duration ** 2, delta)
    # The last sample is exactly the goal, with zero velocity and acceleration.
    positions[-1] = target
    velocities[-1] = 0.0
    accelerations[-1] = 0.0
    return HomingPlan(joint_names=tuple(names), times=times, positions=positions,
                      velocities=velocities, accelerations=accelerations)


def homing_trajectory_msg(classes, plan: HomingPlan, stamp_ns: int = 0, frame_id: str = ''):
    """
    Build the trajectory_msgs/JointTrajectory of a homing plan (positions, velocities, accels).

    ``classes`` is as for :func:`ar4_description.ros_messages.joint_trajectory_msg`. A zero stamp
    tells the joint trajectory controller to start on receipt.
    """
    return joint_trajectory_msg(classes, plan.joint_names, plan.times, plan.positions,
                                plan.velocities, plan.accelerations, stamp_ns, frame_id)
