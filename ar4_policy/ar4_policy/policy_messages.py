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
The policy node's command rules on top of the shared message builders (pure; no *_msgs imports).

Messages are built with ``ar4_description.ros_messages`` from classes passed in (rclpy's in the
node, the rosbags typestore's in the tests); incoming Image messages are parsed with
``ar4_teleop.recording.adapters`` and joint states with ``ar4_description.ros_messages``.

- The arm target goes to the joint trajectory controller as a one-point
  ``trajectory_msgs/JointTrajectory``: header stamp 0 ("start now"), ``time_from_start`` at
  least one control period (a point at 0 would be a step jump; the JTC rejects it).
- The gripper target goes out as ``std_msgs/Float64`` (metres per jaw, what the recorder reads)
  and, when it changed meaningfully (:class:`GripperCommandGate`), as a
  ``control_msgs/action/ParallelGripperCommand`` goal (``ros_messages.gripper_goal_msg``).
"""

import math
from typing import Optional, Sequence

from ar4_description import ros_messages
import numpy as np


def joint_trajectory_msg(classes, joint_names: Sequence[str], positions, period_s: float,
                         time_from_start_s: Optional[float] = None):
    """
    Build a one-point JointTrajectory reaching ``positions`` after ``time_from_start_s``.

    ``classes`` gives ``JointTrajectory``, ``JointTrajectoryPoint``, ``Header``, ``Time`` and
    ``Duration`` as attributes (a namespace or module-like object). ``time_from_start_s``
    defaults to one control period and may never be shorter than one. Raise ValueError
    (``ros_messages.MessageError``) for mismatched or non-finite positions.
    """
    if not period_s > 0:
        raise ValueError(f'period_s must be positive, got {period_s!r}')
    reach = period_s if time_from_start_s is None else max(float(time_from_start_s), period_s)
    positions = np.asarray(positions, dtype=np.float64).reshape(1, -1)
    return ros_messages.joint_trajectory_msg(classes, joint_names, [reach], positions)


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
