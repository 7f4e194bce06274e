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
Build the teleop node's Servo messages (TwistStamped, JointJog) from message classes passed in.

No rclpy and no ``*_msgs`` import: the node passes rclpy's generated classes, the tests pass the
``rosbags`` typestore classes. The messages every package shares (headers, trajectories, the
gripper goal, Float64 / String, joint states by name) are built and read by
``ar4_description.ros_messages``, with a :class:`MessageTypes` as their ``classes``.
"""

from dataclasses import dataclass
from typing import Any

from ar4_description.ros_messages import float_sequence, header_msg
from ar4_teleop.teleop_mapping import JointJogCommand, TwistCommand


@dataclass(frozen=True)
class MessageTypes:
    """The message classes the teleop node builds (rclpy's or the rosbags typestore's)."""

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
