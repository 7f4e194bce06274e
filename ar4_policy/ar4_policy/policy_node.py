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
The policy node: wrist camera and joint states in, joint trajectory and gripper targets out.

Thin shell around :mod:`ar4_policy.control_loop`: its parameter table, checks and start-up
(:func:`~ar4_policy.control_loop.start_policy`: the checkpoint through
:class:`ar4_policy.runner.PolicyRunner`) and :class:`~ar4_policy.control_loop.PolicyController`
(chunking, background inference, safety filter). Messages are parsed with
``ar4_teleop.recording.adapters`` and ``ar4_description.ros_messages`` and built with
``ar4_policy.policy_messages`` and ``ar4_description.ros_messages``. Publishes straight to the
joint trajectory controller, bypassing Servo.

A node that cannot start (no checkpoint or task, a missing checkpoint folder, CUDA asked for and
absent, a parameter out of range) prints one line on stderr and exits with status 2
(``ar4_description.node_startup.run_node``), so ``docker compose run --rm infer`` fails loudly.
"""

from types import SimpleNamespace
import sys

from ar4_description import qos
from ar4_description.node_startup import run_node
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import (
    float64_msg, gripper_goal_msg, joint_positions, MessageError)
from ar4_teleop.recording.adapters import image_to_rgb
from builtin_interfaces.msg import Duration, Time
from control_msgs.action import ParallelGripperCommand
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
import rclpy
from rclpy.action import ActionClient
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy, HistoryPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy)
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64, Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .control_loop import (
    CONFIG_ERRORS, POLICY_PARAMETERS, ParameterSpec, policy_settings, start_policy)
from .policy_messages import joint_trajectory_msg

# The arm command, chosen on purpose: reliable and depth 10 like the joint trajectory
# controller's own subscription (SystemDefaultsQoS in joint_trajectory_controller.cpp,
# on_configure) and the recorder's, which samples every command; each message replaces the
# previous one in the controller, so the depth costs nothing there. Volatile, never latched: a
# controller or recorder joining late must not receive an old zero-stamped trajectory, which the
# controller would start "now" as a jump to a stale target.
TRAJECTORY_COMMAND = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                                reliability=ReliabilityPolicy.RELIABLE,
                                durability=DurabilityPolicy.VOLATILE)
# rclpy rejects an out-of-range or mistyped parameter override while declaring it: a
# configuration error too, reported the same way.
NODE_CONFIG_ERRORS = CONFIG_ERRORS + (InvalidParameterValueException,
                                      InvalidParameterTypeException)


def parameter_descriptor(spec: ParameterSpec) -> ParameterDescriptor:
    """
    Describe one parameter: read-only, with its range.

    Every parameter is read once at start-up, so a later ``ros2 param set`` is refused instead
    of succeeding and changing nothing.
    """
    descriptor = ParameterDescriptor(description=spec.description, read_only=True)
    if spec.bounds is not None and isinstance(spec.default, float):
        descriptor.floating_point_range = [FloatingPointRange(
            from_value=float(spec.bounds[0]), to_value=float(spec.bounds[1]), step=0.0)]
    elif spec.bounds is not None:
        descriptor.integer_range = [IntegerRange(
            from_value=int(spec.bounds[0]), to_value=int(spec.bounds[1]), step=1)]
    return descriptor


class PolicyNode(Node):
    """Run a SmolVLA or diffusion checkpoint on the AR4 at a fixed control rate."""

    def __init__(self):
        """Declare and check parameters, load the policy, wire topics and start the timer."""
        super().__init__('policy_node')
        for spec in POLICY_PARAMETERS:
            self.declare_parameter(spec.name, spec.default, parameter_descriptor(spec))
        settings = policy_settings({spec.name: self.get_parameter(spec.name).value
                                    for spec in POLICY_PARAMETERS})
        self.constants = robot_constants()
        self.names7 = list(self.constants.names7)
        self.period_s = settings.period_s
        self.controller = start_policy(settings, self.get_logger())
        self.classes = SimpleNamespace(JointTrajectory=JointTrajectory,
                                       JointTrajectoryPoint=JointTrajectoryPoint,
                                       Header=Header, Time=Time, Duration=Duration,
                                       JointState=JointState)

        self.trajectory_pub = self.create_publisher(
            JointTrajectory, '/joint_trajectory_controller/joint_trajectory', TRAJECTORY_COMMAND)
        # Transient local like every /gripper_target endpoint: the recorder subscribes so, and a
        # transient-local subscription does not match a volatile publisher.
        self.gripper_pub = self.create_publisher(Float64, '/gripper_target', qos.GRIPPER_TARGET)
        self.gripper_action = ActionClient(self, ParallelGripperCommand,
                                           '/gripper_controller/gripper_cmd')
        self.create_subscription(Image, '/wrist_camera/image', self.on_image,
                                 qos_profile_sensor_data)
        self.create_subscription(JointState, '/joint_states', self.on_joint_state,
                                 qos.JOINT_STATES)
        self.timer = self.create_timer(self.period_s, self.on_tick)

    def now_s(self) -> float:
        """Return the node clock (sim time under use_sim_time) in seconds."""
        return self.get_clock().now().nanoseconds * 1e-9

    def on_image(self, msg) -> None:
        """Store the newest wrist image."""
        try:
            self.controller.on_image(image_to_rgb(msg), self.now_s())
        except MessageError as error:
            self.get_logger().warning(f'wrist image ignored: {error}', throttle_duration_sec=5.0)

    def on_joint_state(self, msg) -> None:
        """Store the newest arm and gripper positions (ordered by name)."""
        try:
            self.controller.on_joint_state(joint_positions(msg, self.names7), self.now_s())
        except MessageError as error:
            self.get_logger().warning(f'joint state ignored: {error}', throttle_duration_sec=5.0)

    def on_tick(self) -> None:
        """Run one control period and publish its targets."""
        command = self.controller.tick(self.now_s())
        if command is None:
            self.get_logger().info('waiting for /joint_states', throttle_duration_sec=5.0)
            return
        self.trajectory_pub.publish(joint_trajectory_msg(
            self.classes, self.constants.joint_names, command.arm, self.period_s))
        self.gripper_pub.publish(float64_msg(Float64, command.gripper))
        if command.send_gripper_goal and self.gripper_action.server_is_ready():
            goal = gripper_goal_msg(ParallelGripperCommand.Goal, self.classes,
                                    self.constants.gripper.joint_name, command.gripper,
                                    max_effort=self.constants.gripper.effort_limit)
            self.gripper_action.send_goal_async(goal)

    def close(self) -> None:
        """Stop the inference thread and close the log (run_node calls this before destroy)."""
        self.timer.cancel()
        self.controller.close()


def main(args=None):
    """Entry point of ``policy_node``: exit status 2 with one line on stderr if it cannot start."""
    sys.exit(run_node('policy_node', PolicyNode, rclpy,
                      shutdown_errors=(ExternalShutdownException,), args=args,
                      config_errors=NODE_CONFIG_ERRORS))


if __name__ == '__main__':
    main()
