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
The shape of MoveIt Servo's trajectory output, reproduced without ROS.

The twin's rosbag2 output (``ar4-generate --bag-out``), the recorder's tests and
``benchmarks/bench_servo_actions.py`` need trajectories shaped exactly as Servo publishes them.
This follows moveit_servo 2.12 (Jazzy): ``servo_node.cpp`` ``servoLoop`` runs every
``publish_period`` and, when the window's newest state is no longer in the future, clears it;
``utils/common.cpp`` ``updateSlidingWindow`` stamps the new state now + ``max_expected_latency``,
drops states older than now - latency and any state with the new one's stamp, and appends it;
``composeTrajectoryMessage`` needs at least 3 states (MIN_POINTS_FOR_TRAJ_MSG) and publishes
all but the newest, ``header.stamp`` = the oldest, ``time_from_start`` relative to it (so the
first point's is 0). Velocities are not modelled: our servo.yaml publishes positions only.
"""

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Deque, List, Optional, Sequence, Tuple, Union

from ar4_description import ros_messages
from ar4_teleop.recording.commanded import TrajectoryWindow
import numpy as np
import yaml

NS_PER_S = 1_000_000_000
#: moveit_servo's MIN_POINTS_FOR_TRAJ_MSG (include/moveit_servo/utils/common.hpp).
MIN_POINTS_FOR_TRAJ_MSG = 3


@dataclass(frozen=True)
class ServoTiming:
    """Servo's cycle period and the latency its window spans, in seconds."""

    publish_period_s: float = 0.04
    max_expected_latency_s: float = 0.2

    def __post_init__(self):
        if not (self.publish_period_s > 0 and self.max_expected_latency_s > 0):
            raise ValueError('Servo publish_period and max_expected_latency must be positive')


def servo_timing(path: Optional[Union[str, Path]] = None) -> ServoTiming:
    """Read publish_period and max_expected_latency from servo.yaml (ours by default)."""
    if path is None:
        import ar4_description
        from ar4_description.package_files import find_package_file
        path = find_package_file('ar4_description', 'config/moveit/servo.yaml',
                                 Path(ar4_description.__file__))
    with open(path, encoding='utf-8') as stream:
        params = yaml.safe_load(stream)['moveit_servo']
    return ServoTiming(float(params['publish_period']), float(params['max_expected_latency']))


class ServoWindow:
    """Servo's sliding window of commanded states; ``cycle`` returns what Servo publishes."""

    def __init__(self, timing: ServoTiming = ServoTiming()):
        self.timing = timing
        self.period_ns = int(round(timing.publish_period_s * NS_PER_S))
        self.latency_ns = int(round(timing.max_expected_latency_s * NS_PER_S))
        self._states: Deque[Tuple[int, np.ndarray]] = deque()

    def cycle(self, now_ns: int, positions: Sequence[float]) -> Optional[TrajectoryWindow]:
        """
        Run one Servo cycle at ``now_ns`` whose new state is ``positions``.

        ``positions`` is the state Servo computed for now + latency. Return the published
        trajectory, or None while the window holds fewer than three states.
        """
        states = self._states
        if states and states[-1][0] <= now_ns:
            states.clear()  # servoLoop: every command in the window is outdated
        stamp = int(now_ns) + self.latency_ns
        while states and states[0][0] < now_ns - self.latency_ns:
            states.popleft()
        while states and states[-1][0] == stamp:
            states.pop()
        states.append((stamp, np.asarray(positions, dtype=np.float64).copy()))
        if len(states) < MIN_POINTS_FOR_TRAJ_MSG:
            return None
        published = list(states)[:-1]
        start = published[0][0]
        return TrajectoryWindow(start, np.array([t - start for t, _ in published], np.int64),
                                np.stack([p for _, p in published]))


def servo_windows(target_at: Callable[[int], Sequence[float]], start_ns: int, end_ns: int,
                  timing: ServoTiming = ServoTiming()) -> List[Tuple[int, TrajectoryWindow]]:
    """
    Return (publish time, window) of every message Servo publishes from start to end.

    Servo cycles every publish period from ``start_ns``; ``target_at(t)`` is the arm target the
    operator's command asks for at time t, which Servo computes one latency ahead.
    """
    window = ServoWindow(timing)
    published = []
    for now in range(int(start_ns), int(end_ns), window.period_ns):
        message = window.cycle(now, target_at(now + window.latency_ns))
        if message is not None:
            published.append((now, message))
    return published


def window_msg(classes, joint_names: Sequence[str], window: TrajectoryWindow):
    """Build the trajectory_msgs/JointTrajectory Servo publishes for ``window``."""
    return ros_messages.joint_trajectory_msg(
        classes, joint_names, np.asarray(window.offsets_ns) / NS_PER_S, window.positions,
        stamp_ns=window.stamp_ns)
