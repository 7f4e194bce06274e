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
Build and read the teleop node's ROS messages from message classes passed in.

No rclpy and no ``*_msgs`` import: the node passes rclpy's generated classes, the tests pass the
``rosbags`` typestore classes, and every message is built with keyword arguments for every
field. Number sequences go in as NumPy float64 arrays for ``rosbags`` classes (its serializer
needs them) and as lists of floats for rclpy classes (whose setters reject NumPy arrays for
unbounded sequences); a class is a ``rosbags`` class when it carries ``__msgtype__``.
"""

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ar4_teleop.gamepad import JointJogCommand, TwistCommand
from ar4_teleop.homing import HomingPlan
import numpy as np

NANOSECONDS = 1_000_000_000


@dataclass(frozen=True)
class MessageTypes:
    """The message classes the builders need (rclpy's or the rosbags typestore's)."""

    Time: Any                  # builtin_interfaces/msg/Time
    Duration: Any              # builtin_interfaces/msg/Duration
    Header: Any                # std_msgs/msg/Header
    Vector3: Any               # geometry_msgs/msg/Vector3
    Twist: Any                 # geometry_msgs/msg/Twist
    TwistStamped: Any          # geometry_msgs/msg/TwistStamped
    JointJog: Any              # control_msgs/msg/JointJog
    JointTrajectory: Any       # trajectory_msgs/msg/JointTrajectory
    JointTrajectoryPoint: Any  # trajectory_msgs/msg/JointTrajectoryPoint
    JointState: Any            # sensor_msgs/msg/JointState
    Float64: Any               # std_msgs/msg/Float64
    String: Any                # std_msgs/msg/String


def float_sequence(message_class, values: Sequence[float]):
    """Return ``values`` in the sequence type ``message_class``'s float64[] fields accept."""
    if hasattr(message_class, '__msgtype__'):
        return np.asarray(values, dtype=np.float64).reshape(-1)
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def time_msg(types: MessageTypes, nanoseconds: int):
    """Build builtin_interfaces/Time from integer nanoseconds."""
    nanoseconds = int(nanoseconds)
    return types.Time(sec=nanoseconds // NANOSECONDS, nanosec=nanoseconds % NANOSECONDS)


def duration_msg(types: MessageTypes, seconds: float):
    """Build builtin_interfaces/Duration from seconds (rounded to the nanosecond)."""
    nanoseconds = int(round(float(seconds) * NANOSECONDS))
    return types.Duration(sec=nanoseconds // NANOSECONDS, nanosec=nanoseconds % NANOSECONDS)


def header_msg(types: MessageTypes, stamp_ns: int, frame_id: str = ''):
    """Build std_msgs/Header."""
    return types.Header(stamp=time_msg(types, stamp_ns), frame_id=frame_id)


def twist_stamped_msg(types: MessageTypes, command: TwistCommand, stamp_ns: int,
                      frame_id: str = 'base_link'):
    """Build the geometry_msgs/TwistStamped Servo reads on ~/delta_twist_cmds."""
    linear, angular = command.linear, command.angular
    twist = types.Twist(
        linear=types.Vector3(x=float(linear[0]), y=float(linear[1]), z=float(linear[2])),
        angular=types.Vector3(x=float(angular[0]), y=float(angular[1]), z=float(angular[2])))
    return types.TwistStamped(header=header_msg(types, stamp_ns, frame_id), twist=twist)


def joint_jog_msg(types: MessageTypes, command: JointJogCommand, stamp_ns: int,
                  frame_id: str = 'base_link', duration: float = 0.0):
    """Build the control_msgs/JointJog Servo reads on ~/delta_joint_cmds (velocities only)."""
    return types.JointJog(
        header=header_msg(types, stamp_ns, frame_id),
        joint_names=list(command.joint_names),
        displacements=float_sequence(types.JointJog, []),
        velocities=float_sequence(types.JointJog, command.velocities),
        duration=float(duration))


def joint_trajectory_msg(types: MessageTypes, plan: HomingPlan, stamp_ns: int = 0,
                         frame_id: str = ''):
    """
    Build the trajectory_msgs/JointTrajectory for a homing plan.

    A zero stamp tells the joint trajectory controller to start on receipt.
    """
    point_class = types.JointTrajectoryPoint
    points = [
        point_class(
            positions=float_sequence(point_class, plan.positions[i]),
            velocities=float_sequence(point_class, plan.velocities[i]),
            accelerations=float_sequence(point_class, plan.accelerations[i]),
            effort=float_sequence(point_class, []),
            time_from_start=duration_msg(types, plan.times[i]))
        for i in range(len(plan.times))]
    return types.JointTrajectory(header=header_msg(types, stamp_ns, frame_id),
                                 joint_names=list(plan.joint_names), points=points)


def gripper_command_msg(types: MessageTypes, joint_name: str, position: float,
                        stamp_ns: int = 0, max_effort: Optional[float] = None):
    """Build the sensor_msgs/JointState command of a ParallelGripperCommand goal."""
    effort = [] if max_effort is None else [float(max_effort)]
    return types.JointState(
        header=header_msg(types, stamp_ns),
        name=[joint_name],
        position=float_sequence(types.JointState, [position]),
        velocity=float_sequence(types.JointState, []),
        effort=float_sequence(types.JointState, effort))


def float64_msg(types: MessageTypes, value: float):
    """Build std_msgs/Float64."""
    return types.Float64(data=float(value))


def string_msg(types: MessageTypes, text: str):
    """Build std_msgs/String."""
    return types.String(data=str(text))


def joint_positions(joint_state, joint_names: Sequence[str]) -> Optional[np.ndarray]:
    """
    Return the named joints' positions from a sensor_msgs/JointState, by name.

    None when a joint is missing or the message has fewer positions than names.
    """
    names = list(joint_state.name)
    positions = np.asarray(joint_state.position, dtype=np.float64)
    if positions.size != len(names):
        return None
    index = {name: i for i, name in enumerate(names)}
    if any(name not in index for name in joint_names):
        return None
    return np.array([positions[index[name]] for name in joint_names], dtype=np.float64)
