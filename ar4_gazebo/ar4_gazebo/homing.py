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
Pure core of the sim's homing step: which controllers must be active, the home trajectory, done.

The node ar4_gazebo.go_home_and_report_ready wires this to ROS; the message classes are passed in
(rclpy's or the rosbags typestore's), and messages are read by attribute access.
"""

import math
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

# Printed once, on its own line, when the simulation is usable. The README quotes it verbatim.
READY_LINE = ('AR4 SIM READY: controllers active, arm at home. '
              'Next: docker compose run --rm record')
REQUIRED_CONTROLLERS = ('joint_state_broadcaster', 'joint_trajectory_controller',
                        'gripper_controller')
TRAJECTORY_TOPIC = '/joint_trajectory_controller/joint_trajectory'


def missing_controllers(states: Iterable[Tuple[str, str]],
                        required: Iterable[str] = REQUIRED_CONTROLLERS) -> List[str]:
    """Return the required controllers that are not 'active', given (name, state) pairs."""
    active = {name for name, state in states if state == 'active'}
    return [name for name in required if name not in active]


def joint_positions(joint_state) -> Dict[str, float]:
    """Return name -> position of a sensor_msgs/JointState (names, never indices, decide)."""
    positions = np.asarray(joint_state.position, dtype=np.float64)
    return {name: float(value) for name, value in zip(joint_state.name, positions)}


def home_error(positions: Dict[str, float], constants) -> Optional[float]:
    """Return the largest |q - home| over the arm joints (rad), or None if a joint is missing."""
    try:
        return max(abs(positions[name] - home)
                   for name, home in zip(constants.joint_names, constants.home))
    except KeyError:
        return None


def home_duration(positions: Optional[Dict[str, float]], constants,
                  speed_fraction: float = 0.5, minimum_s: float = 2.0) -> float:
    """
    Return how long the move home should take, in seconds.

    The slowest joint moves at speed_fraction of its velocity limit; with no measured state
    the worst case (the farthest joint limit) is assumed.
    """
    if not 0 < speed_fraction <= 1:
        raise ValueError(f'speed_fraction must be in (0, 1], got {speed_fraction}')
    longest = 0.0
    for i, name in enumerate(constants.joint_names):
        home = constants.home[i]
        if positions is not None and name in positions:
            distance = abs(positions[name] - home)
        else:
            distance = max(abs(constants.upper[i] - home), abs(constants.lower[i] - home))
        longest = max(longest, distance / (speed_fraction * constants.velocity_limits[i]))
    return max(minimum_s, longest)


def build_home_trajectory(classes, constants, duration_s: float):
    """
    Build a one-point trajectory_msgs/JointTrajectory to the home pose.

    classes maps 'JointTrajectory', 'JointTrajectoryPoint', 'Header', 'Time' and 'Duration'
    to message classes. The header stamp is zero: the controller starts it on arrival.
    """
    if not duration_s > 0 or not math.isfinite(duration_s):
        raise ValueError(f'duration must be positive and finite, got {duration_s}')
    seconds = int(duration_s)
    nanoseconds = int(round((duration_s - seconds) * 1e9))
    if nanoseconds >= 1_000_000_000:
        seconds, nanoseconds = seconds + 1, nanoseconds - 1_000_000_000
    count = len(constants.joint_names)
    point = classes['JointTrajectoryPoint'](
        positions=np.array(constants.home, dtype=np.float64),
        velocities=np.zeros(count, dtype=np.float64),
        accelerations=np.zeros(0, dtype=np.float64),
        effort=np.zeros(0, dtype=np.float64),
        time_from_start=classes['Duration'](sec=seconds, nanosec=nanoseconds))
    header = classes['Header'](stamp=classes['Time'](sec=0, nanosec=0), frame_id='')
    return classes['JointTrajectory'](
        header=header, joint_names=list(constants.joint_names), points=[point])
