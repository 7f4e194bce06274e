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
The commanded-target contract: what "the action of a frame" means for the arm and the gripper.

For the frame of the image stamped t, the arm action is the most recent commanded trajectory
sampled at t + 1/fps; the gripper action is the latest gripper target received at or before t.
This is the meaning the policy node gives its own output (the position to reach one control
period later), so a policy trained on recorded data is deployed with the same semantics.

Why sampling, and why not ``points[0]``: MoveIt Servo (moveit_servo 2.12, Jazzy) does not send
one-point targets. ``servo_node.cpp`` ``servoLoop`` computes each cycle the state for
now + ``max_expected_latency``; ``utils/common.cpp`` ``updateSlidingWindow`` keeps the states
stamped within [now - latency, now + latency] and ``composeTrajectoryMessage`` publishes all but
the newest, with ``header.stamp`` = the oldest state's time and ``time_from_start`` relative to
it. With our servo.yaml (period 0.04 s, latency 0.2 s) ``points[0]`` is the target for about
0.2 s ago: recording it makes a policy command where the arm was.

How a trajectory is read, as the joint_trajectory_controller reads it (ros2_controllers 4.x,
Jazzy, ``joint_trajectory_controller.cpp`` ``topic_callback`` / ``validate_trajectory_msg`` and
``trajectory.cpp`` ``Trajectory::sample``):

- every valid message replaces the previous trajectory; the absolute time of a point is
  ``header.stamp + time_from_start``, and a zero stamp means "from when it is first sampled",
  i.e. the time it was received;
- a message is rejected when it has no points, joints the controller does not drive, a partial
  set of joints (``allow_partial_joints_goal: false`` in controllers.yaml), times that do not
  strictly increase, or a non-zero stamp whose last point lies before its receipt time;
- between points the position is interpolated linearly (Servo publishes positions only,
  ``publish_joint_velocities: false``, and the controller interpolates a positions-only segment
  linearly); past the last point the last point is held.

One deliberate difference: before its first point the controller interpolates from its last
command (``interpolate_from_desired_state: true`` in controllers.yaml; from the state it measured
on receipt otherwise); here the first point is used. Servo's first point always lies in the
past, and the policy node's one-point trajectories are meant to be reached at their point, so
neither input reaches that case in practice, and the recorded action stays a commanded value
rather than a measured one.

Times are integer nanoseconds on one clock: the clock the image and joint-state stamps use (sim
time in simulation). Receipt times come from the caller (the live node's clock, or a bag's log
times) and are mapped onto the stamp clock by :class:`StampClock`.
"""

from collections import deque
from dataclasses import dataclass
from typing import Deque, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class TrajectoryWindow:
    """A commanded trajectory: stamp, per-point offsets (ns) and positions (points x joints)."""

    stamp_ns: int
    offsets_ns: np.ndarray
    positions: np.ndarray

    def absolute_ns(self, receive_ns: int) -> np.ndarray:
        """Return the points' absolute times; a zero stamp starts at ``receive_ns``."""
        start = self.stamp_ns if self.stamp_ns != 0 else int(receive_ns)
        return start + self.offsets_ns


class CommandedTrajectory:
    """The trajectory the controller is executing, as the recorder reconstructs it."""

    def __init__(self, joint_count: int):
        self.joint_count = int(joint_count)
        self._times: Optional[np.ndarray] = None
        self._positions: Optional[np.ndarray] = None

    @property
    def known(self) -> bool:
        """Return True once a trajectory has been accepted."""
        return self._times is not None

    def offer(self, window: TrajectoryWindow, receive_ns: int) -> Optional[str]:
        """
        Take a trajectory received at ``receive_ns``; return None, or why it was rejected.

        A rejected trajectory leaves the current one in force, as in the controller.
        """
        offsets = np.asarray(window.offsets_ns, dtype=np.int64).reshape(-1)
        positions = np.asarray(window.positions, dtype=np.float64)
        if offsets.size == 0:
            return 'trajectory has no points'
        if positions.shape != (offsets.size, self.joint_count):
            return (f'trajectory positions have shape {positions.shape}, expected '
                    f'({offsets.size}, {self.joint_count})')
        if not np.all(np.isfinite(positions)):
            return 'trajectory has non-finite positions'
        if offsets[0] < 0 or np.any(np.diff(offsets) <= 0):
            return 'trajectory times_from_start do not strictly increase from >= 0'
        times = window.absolute_ns(receive_ns)
        if window.stamp_ns != 0 and times[-1] < receive_ns:
            return (f'trajectory ended {(receive_ns - times[-1]) / 1e6:.0f} ms before it was '
                    'received (the controller rejects it)')
        self._times, self._positions = times, positions
        return None

    def sample(self, time_ns: int) -> Optional[np.ndarray]:
        """Return the commanded positions at ``time_ns``; None before any trajectory."""
        if self._times is None:
            return None
        times, positions = self._times, self._positions
        if time_ns <= times[0]:
            return positions[0].copy()
        if time_ns >= times[-1]:
            return positions[-1].copy()
        after = int(np.searchsorted(times, time_ns, side='right'))
        t0, t1 = times[after - 1], times[after]
        weight = (time_ns - t0) / float(t1 - t0)
        return positions[after - 1] + weight * (positions[after] - positions[after - 1])


class GripperTargets:
    """Gripper targets by receipt time; the action of a frame is the latest at or before it."""

    def __init__(self, history: int = 256):
        self._targets: Deque[Tuple[int, float]] = deque(maxlen=history)

    def add(self, receive_ns: int, target: float) -> None:
        """Record a target; one received out of order is placed by its receipt time."""
        self._targets.append((int(receive_ns), float(target)))
        if len(self._targets) > 1 and self._targets[-1][0] < self._targets[-2][0]:
            ordered = sorted(self._targets, key=lambda item: item[0])
            self._targets.clear()
            self._targets.extend(ordered)

    def at(self, time_ns: int) -> Optional[float]:
        """Return the latest target received at or before ``time_ns`` (None if none)."""
        for receive_ns, target in reversed(self._targets):
            if receive_ns <= time_ns:
                return target
        return None


class StampClock:
    """
    Map receipt times onto the clock of the message stamps.

    Receipts are taken on the receiver's clock: a bag's log times are wall time unless
    ``ros2 bag record --use-sim-time``, and a recorder node started without ``use_sim_time``
    reads wall time, while images and joint states are stamped in sim time. Messages without a
    stamp (std_msgs/Float64 gripper targets, zero-stamped trajectories) are placed on the stamp
    clock at their receipt minus the offset last seen on a stamped stream (the joint states);
    the offset includes the joint states' transport latency (about a millisecond), which is how
    precisely a receipt is placed.
    """

    def __init__(self):
        self.offset_ns: Optional[int] = None

    def observe(self, log_ns: int, stamp_ns: int) -> None:
        """Record a stamped message's log time and header stamp."""
        if stamp_ns > 0:
            self.offset_ns = int(log_ns) - int(stamp_ns)

    def to_stamp_clock(self, log_ns: int) -> int:
        """Return a log time on the stamp clock (unchanged before any stamped message)."""
        return int(log_ns) - (self.offset_ns or 0)
