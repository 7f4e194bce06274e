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
Build and read the ROS 2 messages every package shares (pure: no rclpy, no ``*_msgs`` import).

Message classes are passed in: rclpy's generated classes in the nodes, the ``rosbags`` typestore
classes (``get_typestore(Stores.ROS2_JAZZY)``) in the tests. A builder that makes one message
takes its class; one that makes nested messages takes ``classes``, any object with the needed
classes as attributes named like the ROS types (``Header``, ``Time``, ``Duration``,
``JointState``, ``JointTrajectory``, ``JointTrajectoryPoint``): a namespace, a dataclass.
Every message is constructed with keyword arguments for all of its fields, and messages are read
by attribute access with number sequences through ``np.asarray`` (rclpy gives array.array,
rosbags numpy).
"""

import math
from types import SimpleNamespace
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

NS_PER_S = 1_000_000_000
# The attribute names builders read from ``classes``, and the full ROS type each stands for.
TYPE_NAMES = {
    'Time': 'builtin_interfaces/msg/Time',
    'Duration': 'builtin_interfaces/msg/Duration',
    'Header': 'std_msgs/msg/Header',
    'JointState': 'sensor_msgs/msg/JointState',
    'JointTrajectory': 'trajectory_msgs/msg/JointTrajectory',
    'JointTrajectoryPoint': 'trajectory_msgs/msg/JointTrajectoryPoint',
}


class MessageError(ValueError):
    """A message cannot be used or built; the text says why and what was expected."""


def message_classes(types: Mapping[str, type]) -> SimpleNamespace:
    """Return a ``classes`` namespace from full type names, e.g. a rosbags ``typestore.types``."""
    return SimpleNamespace(**{name: types[full] for name, full in TYPE_NAMES.items()})


# -- building -------------------------------------------------------------------------------

def float_sequence(message_class, values: Sequence[float]):
    """
    Return ``values`` in the type ``message_class``'s float64[] fields accept.

    The ``rosbags`` classes (they carry ``__msgtype__``) need NumPy float64 arrays for their
    serializer; rclpy's setters reject NumPy arrays for unbounded sequences, so they get a list
    of Python floats.
    """
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if hasattr(message_class, '__msgtype__'):
        return array
    return [float(value) for value in array]


def time_msg(time_class, nanoseconds: int):
    """Build a builtin_interfaces/Time from integer nanoseconds."""
    sec, nanosec = divmod(int(nanoseconds), NS_PER_S)
    return time_class(sec=sec, nanosec=nanosec)


def duration_msg(duration_class, seconds: float):
    """Build a builtin_interfaces/Duration from seconds (rounded to nanoseconds, >= 0)."""
    seconds = float(seconds)
    if not math.isfinite(seconds) or seconds < 0:
        raise MessageError(
            f'duration must be a finite number of seconds >= 0, got {seconds!r}')
    sec, nanosec = divmod(int(round(seconds * NS_PER_S)), NS_PER_S)
    return duration_class(sec=sec, nanosec=nanosec)


def header_msg(classes, stamp_ns: int = 0, frame_id: str = ''):
    """Build a std_msgs/Header; a zero stamp tells a trajectory controller to start now."""
    return classes.Header(stamp=time_msg(classes.Time, stamp_ns), frame_id=frame_id)


def float64_msg(float64_class, value: float):
    """Build a std_msgs/Float64."""
    return float64_class(data=float(value))


def string_msg(string_class, text: str):
    """Build a std_msgs/String."""
    return string_class(data=str(text))


def joint_trajectory_msg(classes, joint_names: Sequence[str], times: Sequence[float],
                         positions, velocities=None, accelerations=None,
                         stamp_ns: int = 0, frame_id: str = ''):
    """
    Build a trajectory_msgs/JointTrajectory with one point per entry of ``times``.

    ``positions`` (and the optional ``velocities`` and ``accelerations``) hold one row per
    point, one column per joint name; left out, those fields stay empty. ``times`` are the
    points' time_from_start in seconds, strictly increasing (the joint trajectory controller
    rejects anything else) and positive; the first may be 0 only under a non-zero stamp, as in
    MoveIt Servo's windows (with a zero stamp it would be a step to that point on receipt). The
    default zero stamp starts the trajectory on receipt.
    Raise MessageError for mismatched sizes, non-finite values or bad times.
    """
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    count = len(joint_names)
    rows = {}
    for label, values in (('positions', positions), ('velocities', velocities),
                          ('accelerations', accelerations)):
        if values is None:
            continue
        values = np.asarray(values, dtype=np.float64)
        values = values.reshape(1, -1) if values.ndim == 1 else values
        if values.ndim != 2 or values.shape[1] != count:
            raise MessageError(f'{count} joint names but {values.shape[-1]} {label}')
        if values.shape[0] != times.size:
            raise MessageError(f'{times.size} times but {values.shape[0]} rows of {label}')
        if not np.all(np.isfinite(values)):
            raise MessageError(f'refusing to build a trajectory with non-finite {label}')
        rows[label] = values
    if 'positions' not in rows:
        raise MessageError('a trajectory needs positions')
    first_ok = times.size and (times[0] > 0.0 or (times[0] == 0.0 and stamp_ns != 0))
    if not first_ok or not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0.0):
        raise MessageError(f'times must be positive and strictly increasing, got '
                           f'{times.tolist()}')
    point_class = classes.JointTrajectoryPoint
    empty = float_sequence(point_class, [])

    def field(label, index):
        return float_sequence(point_class, rows[label][index]) if label in rows else empty

    points = [point_class(positions=field('positions', i), velocities=field('velocities', i),
                          accelerations=field('accelerations', i), effort=empty,
                          time_from_start=duration_msg(classes.Duration, times[i]))
              for i in range(times.size)]
    return classes.JointTrajectory(header=header_msg(classes, stamp_ns, frame_id),
                                   joint_names=list(joint_names), points=points)


def gripper_command_msg(classes, joint_name: str, position: float, stamp_ns: int = 0,
                        max_velocity: Optional[float] = None,
                        max_effort: Optional[float] = None):
    """
    Build the sensor_msgs/JointState ``command`` of a ParallelGripperCommand goal.

    It names the driven jaw and its target; velocity and effort are optional limits, left
    empty when not given (the controller then does not use them).
    """
    position = float(position)
    if not math.isfinite(position):
        raise MessageError(f'gripper position must be finite, got {position!r}')
    velocity = [] if max_velocity is None else [float(max_velocity)]
    effort = [] if max_effort is None else [float(max_effort)]
    state_class = classes.JointState
    return state_class(header=header_msg(classes, stamp_ns), name=[joint_name],
                       position=float_sequence(state_class, [position]),
                       velocity=float_sequence(state_class, velocity),
                       effort=float_sequence(state_class, effort))


def gripper_goal_msg(goal_class, classes, joint_name: str, position: float, stamp_ns: int = 0,
                     max_velocity: Optional[float] = None, max_effort: Optional[float] = None):
    """Build a control_msgs/action/ParallelGripperCommand goal (see gripper_command_msg)."""
    return goal_class(command=gripper_command_msg(classes, joint_name, position, stamp_ns,
                                                  max_velocity, max_effort))


# -- reading --------------------------------------------------------------------------------

def stamp_ns(stamp) -> int:
    """Return a builtin_interfaces/Time (sec, nanosec) as integer nanoseconds."""
    return int(stamp.sec) * NS_PER_S + int(stamp.nanosec)


def positions_by_name(joint_state) -> Dict[str, float]:
    """Return name -> position of every joint in a sensor_msgs/JointState."""
    positions = np.asarray(joint_state.position, dtype=np.float64)
    return {name: float(value) for name, value in zip(joint_state.name, positions)}


def joint_positions(joint_state, names: Sequence[str], require_finite: bool = True):
    """
    Return the positions of ``names`` from a sensor_msgs/JointState, ordered by name.

    Extra joints are ignored. Raise MessageError when a joint is missing, the name and position
    arrays differ in length, or (with ``require_finite``) a value is not finite.
    """
    state_names = list(joint_state.name)
    positions = np.asarray(joint_state.position, dtype=np.float64)
    if len(state_names) != positions.size:
        raise MessageError(f'joint state has {len(state_names)} names but {positions.size} '
                           'positions')
    index = {name: i for i, name in enumerate(state_names)}
    missing = [name for name in names if name not in index]
    if missing:
        raise MessageError(f'joint state lacks {", ".join(missing)} '
                           f'(has {", ".join(state_names)})')
    values = positions[[index[name] for name in names]]
    if require_finite and not np.all(np.isfinite(values)):
        bad = [name for name, value in zip(names, values) if not np.isfinite(value)]
        raise MessageError(f'joint state has non-finite positions for {", ".join(bad)}')
    return values


def joint_positions_or_none(joint_state, names: Sequence[str]) -> Optional[np.ndarray]:
    """
    Return the positions of ``names`` by name, or None when the message does not hold them all.

    None for a missing joint or mismatched name and position arrays; non-finite values are
    returned as they are (a consumer such as the homing planner rejects them with its own error).
    """
    try:
        return joint_positions(joint_state, names, require_finite=False)
    except MessageError:
        return None
