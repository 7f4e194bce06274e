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
Teleoperate the AR4 with an Xbox controller through MoveIt Servo (thin ROS 2 shell).

On start the node sets Servo's command type (~/switch_command_type: TWIST, or JOINT_JOG with
joint_jog:=true); Servo accepts nothing before that. It then streams one command per Servo
period (zero when idle), publishes gripper targets (/gripper_target and a ParallelGripperCommand
goal), forwards Y / B as 'save' / 'discard' on /episode_control, and homes the arm: Start (or key
h) goes through the recorder when one listens on /episode_control, else homes directly; the
/ar4_teleop/go_home Trigger service homes on request. Homing pauses Servo, sends a quintic
JointTrajectory within the velocity limits, and resumes Servo when it has run.

All logic lives in ar4_teleop.gamepad, gamepad_device and teleop_messages, and in
ar4_description.homing (the plan) and ar4_description.ros_messages (the shared messages).
"""

import sys

from ar4_description.homing import homing_trajectory, homing_trajectory_msg, HomingError
from ar4_description.robot_constants import robot_constants, RobotConstantsError
from ar4_description.ros_messages import (
    float64_msg, gripper_goal_msg, joint_positions_or_none, string_msg)
from ar4_teleop.gamepad import (
    GamepadState, load_mapping, MappingError, render_control_map, TeleopMapper, TeleopSettings)
from ar4_teleop.gamepad_device import GamepadEventDecoder, GamepadReader, KeyboardReader
from ar4_teleop.teleop_messages import joint_jog_msg, MessageTypes, twist_stamped_msg
from builtin_interfaces.msg import Duration, Time
from control_msgs.action import ParallelGripperCommand
from control_msgs.msg import JointJog
from geometry_msgs.msg import Twist, TwistStamped, Vector3
from moveit_msgs.srv import ServoCommandType
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor, SetParametersResult
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import (
    DurabilityPolicy, qos_profile_sensor_data, QoSProfile, ReliabilityPolicy)
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64, Header, String
from std_srvs.srv import SetBool, Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

COMMAND_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
LATCHED_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Servo keeps publishing for a moment after it is paused; let the homing run out before resuming.
HOMING_SETTLE_S = 0.5

TOPICS = {
    'twist_topic': ('/servo_node/delta_twist_cmds', 'geometry_msgs/TwistStamped to Servo'),
    'joint_jog_topic': ('/servo_node/delta_joint_cmds', 'control_msgs/JointJog to Servo'),
    'switch_command_type_service': ('/servo_node/switch_command_type',
                                    'moveit_msgs/srv/ServoCommandType of Servo'),
    'pause_servo_service': ('/servo_node/pause_servo', 'std_srvs/SetBool pausing Servo'),
    'joint_trajectory_topic': ('/joint_trajectory_controller/joint_trajectory',
                               'trajectory_msgs/JointTrajectory for homing'),
    'joint_states_topic': ('/joint_states', 'sensor_msgs/JointState of the arm'),
    'gripper_action': ('/gripper_controller/gripper_cmd',
                       'control_msgs/action/ParallelGripperCommand server'),
    'gripper_target_topic': ('/gripper_target', 'std_msgs/Float64 gripper targets (m per jaw)'),
    'episode_control_topic': ('/episode_control', 'std_msgs/String save/discard/home requests'),
    'recorder_state_topic': ('/recorder/state', 'std_msgs/String recorder state (latched)'),
    'go_home_service': ('/ar4_teleop/go_home', 'std_srvs/Trigger homing service offered'),
    'homing_state_topic': ('/ar4_teleop/homing', 'std_msgs/Bool: homing now (latched)'),
}


def _float_range(low: float, high: float) -> list:
    return [FloatingPointRange(from_value=low, to_value=high, step=0.0)]


class TeleopNode(Node):
    """Gamepad -> MoveIt Servo, gripper, episode control and homing."""

    def __init__(self):
        """Declare parameters, load the mapping, and wire publishers, clients and timers."""
        super().__init__('ar4_teleop')
        self._declare_parameters()
        param = self.get_parameter
        self.constants = robot_constants()
        self.frame_id = param('planning_frame').value
        self.settings = TeleopSettings(
            speed_scale=param('speed_scale').value, joint_jog=param('joint_jog').value,
            deadzone=param('deadzone').value, dominant_axis=param('dominant_axis').value)
        self.mapping = load_mapping(param('mapping_file').value or None, self.constants)
        self.mapper = TeleopMapper(self.mapping, self.settings, self.constants)
        self.period = 1.0 / param('publish_rate').value
        self.homing_fraction = param('homing_velocity_fraction').value
        self.types = MessageTypes(
            Time=Time, Duration=Duration, Header=Header, Vector3=Vector3, Twist=Twist,
            TwistStamped=TwistStamped, JointJog=JointJog, JointTrajectory=JointTrajectory,
            JointTrajectoryPoint=JointTrajectoryPoint, JointState=JointState, Float64=Float64,
            String=String)
        topic = {name: param(name).value for name in TOPICS}

        self.twist_pub = self.create_publisher(TwistStamped, topic['twist_topic'], COMMAND_QOS)
        self.jog_pub = self.create_publisher(JointJog, topic['joint_jog_topic'], COMMAND_QOS)
        self.trajectory_pub = self.create_publisher(
            JointTrajectory, topic['joint_trajectory_topic'], COMMAND_QOS)
        self.gripper_target_pub = self.create_publisher(
            Float64, topic['gripper_target_topic'], COMMAND_QOS)
        self.episode_pub = self.create_publisher(
            String, topic['episode_control_topic'], COMMAND_QOS)
        # Latched so that a recorder started mid-homing learns it (it refuses to arm a take).
        self.homing_pub = self.create_publisher(Bool, topic['homing_state_topic'], LATCHED_QOS)
        self.create_subscription(JointState, topic['joint_states_topic'], self._on_joint_state,
                                 qos_profile_sensor_data)
        self.create_subscription(String, topic['recorder_state_topic'], self._on_recorder_state,
                                 LATCHED_QOS)
        self.switch_client = self.create_client(
            ServoCommandType, topic['switch_command_type_service'])
        self.pause_client = self.create_client(SetBool, topic['pause_servo_service'])
        self.gripper_client = ActionClient(self, ParallelGripperCommand, topic['gripper_action'])
        self.create_service(Trigger, topic['go_home_service'], self._on_go_home)
        self.topics = topic

        self.joint_positions = None
        self.recorder_state = None
        self.servo_ready = False
        self.switch_pending = False
        self.homing = False
        self.homing_pub.publish(Bool(data=False))
        self.homing_plan = None
        self.homing_timer = None

        log = self.get_logger().info
        self.reader = None
        if param('gamepad').value:
            self.reader = GamepadReader(GamepadEventDecoder(self.mapping.device), log=log)
            self.reader.start()
        self.keyboard = None
        if param('keyboard').value:
            self.keyboard = KeyboardReader(log=log)
            if not self.keyboard.start():
                self.keyboard = None
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.timer = self.create_timer(self.period, self._tick)
        self.get_logger().info(
            f'waiting for Servo ({topic["switch_command_type_service"]}) to accept '
            f'{"JOINT_JOG" if self.settings.joint_jog else "TWIST"} commands')

    # -- parameters ---------------------------------------------------------------------------

    def _declare_parameters(self):
        def declare(name, value, description, read_only=True, **ranges):
            self.declare_parameter(name, value, ParameterDescriptor(
                description=description, read_only=read_only, **ranges))

        declare('speed_scale', 0.35, 'Fraction of the maximum speed at full stick deflection',
                read_only=False, floating_point_range=_float_range(0.01, 1.0))
        declare('joint_jog', False, 'Jog single joints (JOINT_JOG) instead of a Cartesian twist')
        declare('deadzone', 0.1, 'Stick / trigger deflection ignored as drift (rescaled beyond)',
                read_only=False, floating_point_range=_float_range(0.0, 0.9))
        declare('dominant_axis', True, 'Only the stronger axis of each stick is active',
                read_only=False)
        declare('publish_rate', 25.0, 'Command rate, Hz (Servo publish_period 0.04 s = 25 Hz)',
                floating_point_range=_float_range(1.0, 100.0))
        declare('planning_frame', 'base_link', 'Frame of the twist commands')
        declare('mapping_file', '', 'Gamepad mapping YAML (empty: the package default)')
        declare('gamepad', True, 'Read an Xbox controller with the inputs library')
        declare('keyboard', True, 'Read the mapping\'s keys from stdin when it is a terminal')
        declare('homing_velocity_fraction', 0.5, 'Fraction of the velocity limits for homing',
                floating_point_range=_float_range(0.05, 1.0))
        for name, (default, description) in TOPICS.items():
            declare(name, default, description)

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        values = {'speed_scale': self.settings.speed_scale,
                  'deadzone': self.settings.deadzone,
                  'dominant_axis': self.settings.dominant_axis}
        for parameter in parameters:
            if parameter.name in values:
                values[parameter.name] = parameter.value
        try:
            settings = TeleopSettings(joint_jog=self.settings.joint_jog, **values)
        except MappingError as error:
            return SetParametersResult(successful=False, reason=str(error))
        self.settings = settings
        self.mapper.settings = settings
        return SetParametersResult(successful=True)

    # -- subscriptions ------------------------------------------------------------------------

    def _on_joint_state(self, message):
        positions = joint_positions_or_none(message, self.constants.joint_names)
        if positions is not None:
            self.joint_positions = positions

    def _on_recorder_state(self, message):
        if message.data != self.recorder_state:
            self.recorder_state = message.data
            self.get_logger().info(f'recorder: {message.data}')

    # -- Servo command type -------------------------------------------------------------------

    def _ensure_command_type(self):
        if self.servo_ready and not self.switch_client.service_is_ready():
            # Servo went away (restarted): its command type must be set again.
            self.servo_ready = False
            self.get_logger().warning('Servo is gone; waiting for it to come back')
        if self.servo_ready or self.switch_pending:
            return
        if not self.switch_client.service_is_ready():
            self.get_logger().warning(
                f'waiting for {self.topics["switch_command_type_service"]} '
                '(is servo_node running?)', throttle_duration_sec=10.0)
            return
        request = ServoCommandType.Request(
            command_type=(ServoCommandType.Request.JOINT_JOG if self.settings.joint_jog
                          else ServoCommandType.Request.TWIST))
        self.switch_pending = True
        self.switch_client.call_async(request).add_done_callback(self._on_command_type_set)

    def _on_command_type_set(self, future):
        self.switch_pending = False
        try:
            response = future.result()
        except Exception as error:  # noqa: B902 - a failed call is retried on the next tick
            self.get_logger().error(f'switch_command_type failed: {error}; retrying')
            return
        if response is None or not response.success:
            self.get_logger().error('Servo refused the command type; retrying')
            return
        self.servo_ready = True
        self.get_logger().info(
            'Servo accepts commands; control map:\n'
            + render_control_map(self.mapping, self.settings, self.frame_id))

    # -- the control loop ---------------------------------------------------------------------

    def _tick(self):
        self._ensure_command_type()
        state = self.reader.snapshot() if self.reader is not None else GamepadState()
        keys = self.keyboard.drain() if self.keyboard is not None else ()
        tick = self.mapper.update(state, keys)
        if tick.gripper_target is not None:
            self._send_gripper(tick.gripper_target)
        for event in tick.events:
            self._handle_event(event)
        if not self.servo_ready or self.homing:
            return
        now = self.get_clock().now().nanoseconds
        if self.settings.joint_jog:
            self.jog_pub.publish(joint_jog_msg(self.types, tick.command, now, self.frame_id,
                                               self.period))
        else:
            self.twist_pub.publish(twist_stamped_msg(self.types, tick.command, now,
                                                     self.frame_id))

    def _send_gripper(self, target: float):
        self.gripper_target_pub.publish(float64_msg(self.types.Float64, target))
        if not self.gripper_client.server_is_ready():
            self.get_logger().warning(
                f'gripper action {self.topics["gripper_action"]} not available; target '
                f'{target:.3f} m only published on {self.topics["gripper_target_topic"]}',
                throttle_duration_sec=5.0)
            return
        goal = gripper_goal_msg(ParallelGripperCommand.Goal, self.types,
                                self.constants.gripper.joint_name, target,
                                self.get_clock().now().nanoseconds)
        self.gripper_client.send_goal_async(goal)

    def _handle_event(self, event: str):
        recorder_listens = self.episode_pub.get_subscription_count() > 0
        if event == 'home' and not recorder_listens:
            ok, message = self.start_homing()
            (self.get_logger().info if ok else self.get_logger().warning)(message)
            return
        if not recorder_listens:
            self.get_logger().warning(
                f'{event}: no recorder listens on {self.topics["episode_control_topic"]}')
        self.episode_pub.publish(string_msg(self.types.String, event))
        self.get_logger().info(f'episode control: {event}')

    # -- homing -------------------------------------------------------------------------------

    def _on_go_home(self, request, response):
        response.success, response.message = self.start_homing()
        return response

    def start_homing(self):
        """Start homing; return (accepted, message)."""
        if self.homing:
            return False, 'already homing'
        if self.joint_positions is None:
            return False, (f'no joint positions yet on {self.topics["joint_states_topic"]}; '
                           'cannot plan homing')
        try:
            plan = homing_trajectory(self.joint_positions, self.constants,
                                     velocity_fraction=self.homing_fraction)
        except HomingError as error:
            return False, f'cannot plan homing: {error}'
        self.homing = True
        self.homing_pub.publish(Bool(data=True))
        self.homing_plan = plan
        if self.pause_client.service_is_ready():
            self.pause_client.call_async(SetBool.Request(data=True)).add_done_callback(
                self._send_homing)
        else:
            self.get_logger().warning(
                f'{self.topics["pause_servo_service"]} not available; homing without pausing')
            self._send_homing(None)
        return True, f'homing: {plan.duration:.1f} s to the home pose'

    def _send_homing(self, future):
        if future is not None:
            try:
                future.result()
            except Exception as error:  # noqa: B902 - homing goes ahead; Servo idles anyway
                self.get_logger().warning(f'pausing Servo failed: {error}')
        self.trajectory_pub.publish(homing_trajectory_msg(self.types, self.homing_plan))
        self.homing_timer = self.create_timer(self.homing_plan.duration + HOMING_SETTLE_S,
                                              self._finish_homing)

    def _finish_homing(self):
        self.homing_timer.cancel()
        self.destroy_timer(self.homing_timer)
        self.homing_timer = None
        if self.pause_client.service_is_ready():
            self.pause_client.call_async(SetBool.Request(data=False))
        self.homing = False
        self.homing_pub.publish(Bool(data=False))
        self.get_logger().info('homing done; Servo resumed')

    def close(self):
        """Stop the device threads and restore the terminal."""
        if self.reader is not None:
            self.reader.stop()
        if self.keyboard is not None:
            self.keyboard.stop()


def main(args=None):
    """Run the teleop node until Ctrl-C; return 2 for a bad mapping or constants file."""
    rclpy.init(args=args)
    try:
        node = TeleopNode()
    except (MappingError, RobotConstantsError) as error:
        print(f'teleop_node: {error}', file=sys.stderr)
        rclpy.try_shutdown()
        return 2
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.close()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
