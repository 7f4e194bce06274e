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
The policy node's outgoing messages, built from classes passed in (pure; no *_msgs imports).

Every message is constructed with keyword arguments for all of its fields, so the same code
serves rclpy's generated classes and the rosbags typestore classes the tests use. Incoming
Image and JointState messages are parsed with ``ar4_teleop.recording.adapters``.

- The arm target goes to the joint trajectory controller as a one-point
  ``trajectory_msgs/JointTrajectory``: header stamp 0 ("start now"), ``time_from_start`` at
  least one control period (a point at 0 would be a step jump; the JTC rejects it).
- The gripper target goes out as ``std_msgs/Float64`` (metres per jaw, what the recorder reads)
  and, when it changed meaningfully (:class:`GripperCommandGate`), as a
  ``control_msgs/action/ParallelGripperCommand`` goal.
"""

import math
from typing import Optional, Sequence

import numpy as np

NS_PER_S = 1_000_000_000


def duration_msg(duration_class, seconds: float):
    """Build a builtin_interfaces/Duration from seconds (rounded to nanoseconds, >= 0)."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f'duration must be a finite number of seconds >= 0, got {seconds!r}')
    sec, nanosec = divmod(int(round(seconds * NS_PER_S)), NS_PER_S)
    return duration_class(sec=sec, nanosec=nanosec)


def header_msg(header_class, time_class, frame_id: str = '', stamp_ns: int = 0):
    """Build a std_msgs/Header; stamp 0 tells the JTC to start the trajectory now."""
    sec, nanosec = divmod(int(stamp_ns), NS_PER_S)
    return header_class(stamp=time_class(sec=sec, nanosec=nanosec), frame_id=frame_id)


def joint_trajectory_msg(classes, joint_names: Sequence[str], positions, period_s: float,
                         time_from_start_s: Optional[float] = None):
    """
    Build a one-point JointTrajectory reaching ``positions`` after ``time_from_start_s``.

    ``classes`` gives ``JointTrajectory``, ``JointTrajectoryPoint``, ``Header``, ``Time`` and
    ``Duration`` as attributes (a namespace or module-like object). ``time_from_start_s``
    defaults to one control period and may never be shorter than one.
    """
    positions = np.asarray(positions, dtype=np.float64).reshape(-1)
    if positions.shape != (len(joint_names),):
        raise ValueError(f'{len(joint_names)} joint names but {positions.size} positions')
    if not np.all(np.isfinite(positions)):
        raise ValueError('refusing to build a trajectory with non-finite positions')
    if not period_s > 0:
        raise ValueError(f'period_s must be positive, got {period_s!r}')
    reach = period_s if time_from_start_s is None else max(float(time_from_start_s), period_s)
    point = classes.JointTrajectoryPoint(
        positions=positions.copy(),
        velocities=np.zeros(0, dtype=np.float64),
        accelerations=np.zeros(0, dtype=np.float64),
        effort=np.zeros(0, dtype=np.float64),
        time_from_start=duration_msg(classes.Duration, reach),
    )
    return classes.JointTrajectory(
        header=header_msg(classes.Header, classes.Time),
        joint_names=list(joint_names),
        points=[point],
    )


def float64_msg(float64_class, value: float):
    """Build a std_msgs/Float64."""
    return float64_class(data=float(value))


def gripper_goal_msg(goal_class, joint_state_class, header_class, time_class, joint_name: str,
                     position: float, max_velocity: Optional[float] = None,
                     max_effort: Optional[float] = None):
    """
    Build a ParallelGripperCommand goal: ``command`` is a JointState naming the driven jaw.

    Velocity and effort are optional limits; left empty they are not used by the controller.
    """
    if not math.isfinite(position):
        raise ValueError(f'gripper position must be finite, got {position!r}')
    velocity = [] if max_velocity is None else [float(max_velocity)]
    effort = [] if max_effort is None else [float(max_effort)]
    command = joint_state_class(
        header=header_msg(header_class, time_class),
        name=[joint_name],
        position=np.array([float(position)], dtype=np.float64),
        velocity=np.array(velocity, dtype=np.float64),
        effort=np.array(effort, dtype=np.float64),
    )
    return goal_class(command=command)


class GripperCommandGate:
    """Decide when a new gripper action goal is worth sending (not every 30 Hz tick)."""

    def __init__(self, threshold: float):
        """Send when the target moves by more than ``threshold`` from the last one sent."""
        if not threshold > 0:
            raise ValueError(f'threshold must be positive, got {threshold!r}')
        self.threshold = float(threshold)
        self.last_sent: Optional[float] = None

    def reset(self) -> None:
        """Forget the last goal (a new episode sends its first target)."""
        self.last_sent = None

    def should_send(self, target: float) -> bool:
        """Return True (and remember ``target``) when it differs meaningfully from the last."""
        if not math.isfinite(target):
            return False
        if self.last_sent is None or abs(target - self.last_sent) > self.threshold:
            self.last_sent = float(target)
            return True
        return False
