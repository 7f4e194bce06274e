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
Teleoperate the AR4 with an Xbox controller or a SpaceMouse through MoveIt Servo: the ROS shell.

The node declares its parameters from ar4_teleop.teleop_config.PARAMETERS, subscribes to the
joint states and the recorder's state, offers /ar4_teleop/go_home, reads the input device named
by ``device`` (gamepad_device or spacemouse_device) and the keyboard, and once per Servo period
hands their state to ar4_teleop.teleop_core.TeleopCore, then publishes what it returns: Servo
commands, gripper target and goal, /episode_control requests (arm, save, discard, home), the
homing trajectory and flag, and the service calls to Servo. The rules (when to stream, the clock
check, homing with timeouts, recorder presence) live in the core.

QoS (ar4_description.qos): Servo commands and the homing trajectory LATEST_COMMAND, the joint
states JOINT_STATES, /recorder/state and /ar4_teleop/homing LATCHED, /gripper_target
GRIPPER_TARGET.

Shutdown: rclpy's signal handlers shut the context down on SIGINT before close() runs, and a
publisher of a shut-down context cannot publish. main() therefore starts rclpy without them
(SIGINT and SIGTERM raise KeyboardInterrupt in spin), so that close() can still send Servo the
zero command that stops the arm at once instead of after Servo's command timeout.
"""

import signal
import sys
from types import SimpleNamespace

from ar4_description import qos
from ar4_description.homing import homing_trajectory_msg
from ar4_description.node_startup import ConfigError, run_node
from ar4_description.ros_messages import float64_msg, gripper_goal_msg, string_msg
from ar4_teleop.gamepad_device import GamepadReader, KeyboardReader
from ar4_teleop.spacemouse_device import SpaceMouseReader
from ar4_teleop.teleop_config import load_config, PARAMETERS, updated_settings
from ar4_teleop.teleop_core import call_outcome, Graph, SWITCH_COMMAND_TYPE, TeleopCore
from ar4_teleop.teleop_mapping import JointJogCommand
from ar4_teleop.teleop_messages import joint_jog_msg, MessageTypes, twist_stamped_msg
from builtin_interfaces.msg import Duration, Time
from control_msgs.action import ParallelGripperCommand
from control_msgs.msg import JointJog
from geometry_msgs.msg import Twist, TwistStamped, Vector3
from moveit_msgs.srv import ServoCommandType
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor, SetParametersResult
import rclpy
from rclpy.action import ActionClient
from rclpy.duration import Duration as RclpyDuration
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64, Header, String
from std_srvs.srv import SetBool, Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

# rclpy refuses an override of the wrong type or outside a declared range while declaring.
CONFIG_ERRORS = (ConfigError, InvalidParameterTypeException, InvalidParameterValueException)
# How long close() waits for Servo to acknowledge the zero command.
ZERO_COMMAND_ACK_S = 0.3
# The reader of each input device (teleop_config.DEVICES).
READERS = {'gamepad': GamepadReader, 'spacemouse': SpaceMouseReader}


def _descriptor(spec) -> ParameterDescriptor:
    descriptor = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
    if spec.choices is not None:
        descriptor.additional_constraints = f'one of: {", ".join(spec.choices)}'
    if spec.float_range is not None:
        low, high = spec.float_range
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=low, to_value=high, step=0.0)]
    return descriptor


class TeleopNode(Node):
    """Gamepad or SpaceMouse -> MoveIt Servo, gripper, episode control and homing."""

    def __init__(self):
        """Declare and check the parameters, then wire publishers, clients, readers and timer."""
        super().__init__('ar4_teleop')
        for spec in PARAMETERS:
            self.declare_parameter(spec.name, spec.default, _descriptor(spec))
        config = load_config({spec.name: self.get_parameter(spec.name).value
                              for spec in PARAMETERS})
        self.config = config
        topic = config.topics
        self.types = MessageTypes(
            Time=Time, Duration=Duration, Header=Header, Vector3=Vector3, Twist=Twist,
            TwistStamped=TwistStamped, JointJog=JointJog, JointTrajectory=JointTrajectory,
            JointTrajectoryPoint=JointTrajectoryPoint, JointState=JointState, Float64=Float64,
            String=String)

        self.twist_pub = self.create_publisher(
            TwistStamped, topic['twist_topic'], qos.LATEST_COMMAND)
        self.jog_pub = self.create_publisher(JointJog, topic['joint_jog_topic'],
                                             qos.LATEST_COMMAND)
        self.trajectory_pub = self.create_publisher(
            JointTrajectory, topic['joint_trajectory_topic'], qos.LATEST_COMMAND)
        self.gripper_target_pub = self.create_publisher(
            Float64, topic['gripper_target_topic'], qos.GRIPPER_TARGET)
        # Requests, not state: volatile, so that a recorder started later replays none of them.
        self.episode_pub = self.create_publisher(String, topic['episode_control_topic'], 10)
        # Latched so that a recorder started mid-homing learns it (it refuses to arm a take).
        self.homing_pub = self.create_publisher(Bool, topic['homing_state_topic'], qos.LATCHED)
        self.create_subscription(JointState, topic['joint_states_topic'], self._on_joint_state,
                                 qos.JOINT_STATES)
        self.create_subscription(String, topic['recorder_state_topic'], self._on_recorder_state,
                                 qos.LATCHED)
        self.switch_client = self.create_client(
            ServoCommandType, topic['switch_command_type_service'])
        self.pause_client = self.create_client(SetBool, topic['pause_servo_service'])
        self.gripper_client = ActionClient(self, ParallelGripperCommand, topic['gripper_action'])
        self.create_service(Trigger, topic['go_home_service'], self._on_go_home)
        self.core = TeleopCore(config, Graph(
            switch_ready=self.switch_client.service_is_ready,
            pause_ready=self.pause_client.service_is_ready,
            gripper_ready=self.gripper_client.server_is_ready,
            recorder_publishers=lambda: self.count_publishers(topic['recorder_state_topic'])),
            self.get_logger())

        log = self.get_logger().info
        self.reader = None
        if config.read_device:
            self.reader = READERS[config.device].for_mapping(config.mapping, log=log)
            self.reader.start()
        self.keyboard = None
        if config.keyboard:
            self.keyboard = KeyboardReader(log=log)
            if not self.keyboard.start():
                self.keyboard = None
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.create_timer(config.period, self._tick)
        self.get_logger().info(
            f'waiting for Servo ({topic["switch_command_type_service"]}) to accept '
            f'{"JOINT_JOG" if config.settings.joint_jog else "TWIST"} commands')

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        try:
            self.core.settings = updated_settings(
                self.core.settings, {parameter.name: parameter.value for parameter in parameters})
        except ConfigError as error:
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _on_joint_state(self, message: JointState):
        self.core.on_joint_state(message, self._now_ns())

    def _on_recorder_state(self, message: String):
        self.core.on_recorder_state(message.data)

    def _on_go_home(self, request, response):
        response.success, response.message = self.core.request_homing()
        return response

    def _tick(self):
        now = self._now_ns()
        state = self.reader.snapshot() if self.reader is not None else None
        keys = self.keyboard.drain() if self.keyboard is not None else ()
        out = self.core.tick(now, state, keys)
        for call in out.service_calls:
            self._call(call)
        if out.homing is not None:
            self.homing_pub.publish(Bool(data=out.homing))
        if out.homing_plan is not None:
            self.trajectory_pub.publish(homing_trajectory_msg(self.types, out.homing_plan))
        if out.gripper_target is not None:
            self.gripper_target_pub.publish(float64_msg(Float64, out.gripper_target))
        if out.gripper_goal is not None:
            self.gripper_client.send_goal_async(gripper_goal_msg(
                ParallelGripperCommand.Goal, self.types,
                self.config.constants.gripper.joint_name, out.gripper_goal, now))
        for request in out.episode_requests:
            self.episode_pub.publish(string_msg(String, request))
        if out.command is not None:
            self._publish_command(out.command, now)

    def _call(self, call):
        if call.service == SWITCH_COMMAND_TYPE:
            client, request = self.switch_client, ServoCommandType.Request(command_type=(
                ServoCommandType.Request.JOINT_JOG if call.value
                else ServoCommandType.Request.TWIST))
        else:
            client, request = self.pause_client, SetBool.Request(data=call.value)
        client.call_async(request).add_done_callback(
            lambda future: self.core.on_service_result(call.token, *call_outcome(future)))

    def _publish_command(self, command, now: int):
        frame = self.config.planning_frame
        if isinstance(command, JointJogCommand):
            self.jog_pub.publish(joint_jog_msg(self.types, command, now, frame,
                                               self.config.period))
            return self.jog_pub
        self.twist_pub.publish(twist_stamped_msg(self.types, command, now, frame))
        return self.twist_pub

    def close(self):
        """Send Servo a zero command if it was streaming, stop the device threads."""
        try:
            command = self.core.shutdown_command()
            if command is not None and self.context.ok():
                publisher = self._publish_command(command, self._now_ns())
                publisher.wait_for_all_acked(RclpyDuration(seconds=ZERO_COMMAND_ACK_S))
        finally:
            if self.reader is not None:
                self.reader.stop()
            if self.keyboard is not None:
                self.keyboard.stop()


def _init_keeping_the_context(args=None):
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


# run_node's rclpy, with the signal handling described in the module docstring.
RCLPY_FOR_CLOSE = SimpleNamespace(init=_init_keeping_the_context, spin=rclpy.spin,
                                  try_shutdown=rclpy.try_shutdown)


def main(args=None):
    """Run the teleop node until Ctrl-C or SIGTERM; exit 2 with one line on a bad config."""
    return run_node('teleop_node', TeleopNode, RCLPY_FOR_CLOSE, args=args,
                    shutdown_errors=(ExternalShutdownException,), config_errors=CONFIG_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
