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
Move the simulated arm to its home pose once the controllers are up, then print the ready line.

Run by sim.launch.py as ``python3 -m ar4_gazebo.go_home_and_report_ready``. Exits 0 after
printing sim_ready.READY_LINE, 1 if the controllers or the arm do not get there in time. The
move home is ar4_description.homing's quintic plan, the same one the teleop node sends; it is
sent again when the arm does not follow (sim_ready.should_resend). With
``arm_controller:=forward_position_controller`` (sim.launch.py servo_output:=forward_position)
the arm is handed to that controller once home, before the ready line.

Its timer runs on the steady clock, not the node's: with use_sim_time a ROS timer only fires
while /clock advances, so a sim that never started would never reach the timeout.
"""

import sys
from types import SimpleNamespace
import time

from ar4_description import qos
from ar4_description.node_startup import run_one_shot_node
from ar4_description.homing import homing_trajectory, homing_trajectory_msg, HomingError
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import positions_by_name
from ar4_gazebo import sim_ready
from builtin_interfaces.msg import Duration, Time
from controller_manager_msgs.srv import ListControllers, SwitchController
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.task import Future
from sensor_msgs.msg import JointState
from std_msgs.msg import Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

CLASSES = SimpleNamespace(JointTrajectory=JointTrajectory,
                          JointTrajectoryPoint=JointTrajectoryPoint,
                          Header=Header, Time=Time, Duration=Duration)
TRAJECTORY_CONTROLLER = 'joint_trajectory_controller'
ARM_CONTROLLERS = (TRAJECTORY_CONTROLLER, 'forward_position_controller')


class GoHomeAndReportReady(Node):
    """Wait for the controllers, send the home trajectory, report when the arm is there."""

    def __init__(self):
        super().__init__('ar4_go_home')
        self.declare_parameter('timeout_s', 180.0, ParameterDescriptor(
            description='Give up (exit 1) after this many steady-clock seconds.',
            read_only=True,
            floating_point_range=[FloatingPointRange(from_value=1.0, to_value=3600.0)]))
        self.declare_parameter('tolerance_rad', 0.02, ParameterDescriptor(
            description='The arm is home when every joint is this close to the home pose.',
            read_only=True,
            floating_point_range=[FloatingPointRange(from_value=0.001, to_value=0.5)]))
        self.declare_parameter('arm_controller', TRAJECTORY_CONTROLLER, ParameterDescriptor(
            description='The arm controller left active once home: '
                        f'{" or ".join(ARM_CONTROLLERS)}.',
            read_only=True))
        self.timeout_s = self.get_parameter('timeout_s').value
        self.tolerance = self.get_parameter('tolerance_rad').value
        self.arm_controller = self.get_parameter('arm_controller').value
        if self.arm_controller not in ARM_CONTROLLERS:
            raise ValueError(f'arm_controller must be one of {", ".join(ARM_CONTROLLERS)}, '
                             f'got {self.arm_controller!r}')
        self.constants = robot_constants()
        self.finished = Future()
        self.started = time.monotonic()
        self.positions = None
        self.sent = None  # (steady time, home error then, plan duration) of the last send
        self.sends = 0
        self.home_reached = False
        self.pending = None

        self.list_client = self.create_client(
            ListControllers, '/controller_manager/list_controllers')
        self.switch_client = self.create_client(
            SwitchController, '/controller_manager/switch_controller')
        self.publisher = self.create_publisher(
            JointTrajectory, sim_ready.TRAJECTORY_TOPIC,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.create_subscription(JointState, '/joint_states', self.on_joint_state,
                                 qos.JOINT_STATES)
        self.create_timer(0.5, self.step, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def on_joint_state(self, message):
        self.positions = {**(self.positions or {}), **positions_by_name(message)}

    def finish(self, code, text):
        if self.finished.done():
            return
        if code == 0:
            print(text, flush=True)
            self.get_logger().info(text)
        else:
            self.get_logger().error(text)
        self.finished.set_result(code)

    def step(self):
        if self.finished.done():
            return
        error = sim_ready.home_error(self.positions or {}, self.constants)
        if time.monotonic() - self.started > self.timeout_s:
            self.finish(1, f'AR4 sim not ready after {self.timeout_s:.0f} s: controllers '
                        f'{"up" if self.sent else "not all active"}, joint error {error} rad, '
                        f'move home sent {self.sends} time(s). Check the sim log above.')
            return
        if self.sent is None:
            self.check_controllers()
        elif self.home_reached:
            self.hand_over_arm()
        elif error is not None and error <= self.tolerance:
            self.home_reached = True
            self.hand_over_arm()
        else:
            sent_at, error_at_send, duration = self.sent
            if sim_ready.should_resend(time.monotonic() - sent_at, error_at_send, error,
                                       duration, self.tolerance):
                self.get_logger().warning(
                    f'the arm is not following the move home (joint error {error:.3f} rad); '
                    'sending it again')
                self.send_home()

    def check_controllers(self):
        if self.pending is not None or not self.list_client.service_is_ready():
            return
        self.pending = self.list_client.call_async(ListControllers.Request())
        self.pending.add_done_callback(self.on_controllers)

    def on_controllers(self, future):
        self.pending = None
        response = future.result()
        if response is None or self.positions is None:
            return
        states = [(c.name, c.state) for c in response.controller]
        if sim_ready.missing_controllers(states):
            return
        if self.send_home():
            self.get_logger().info(f'controllers active; moving home over {self.sent[2]:.1f} s')

    def send_home(self):
        """Plan the move home from the current state and publish it; False if not possible."""
        current = sim_ready.arm_positions(self.positions or {}, self.constants)
        if current is None:
            return False  # not every arm joint reported yet: try again on the next step
        try:
            plan = homing_trajectory(current, self.constants,
                                     min_duration=sim_ready.MIN_HOMING_S)
        except HomingError as error:
            self.finish(1, f'AR4 sim cannot plan the move home: {error}')
            return False
        self.publisher.publish(homing_trajectory_msg(CLASSES, plan))
        self.sent = (time.monotonic(), sim_ready.home_error(self.positions, self.constants),
                     plan.duration)
        self.sends += 1
        return True

    def hand_over_arm(self):
        """Leave the arm to the configured controller, then report ready."""
        if self.arm_controller == TRAJECTORY_CONTROLLER:
            self.finish(0, sim_ready.READY_LINE)
            return
        if self.pending is not None or not self.switch_client.service_is_ready():
            return
        request = SwitchController.Request(
            activate_controllers=[self.arm_controller],
            deactivate_controllers=[TRAJECTORY_CONTROLLER],
            strictness=SwitchController.Request.STRICT, activate_asap=True,
            timeout=Duration(sec=5))
        self.pending = self.switch_client.call_async(request)
        self.pending.add_done_callback(self.on_switched)

    def on_switched(self, future):
        self.pending = None
        response = future.result()
        if response is not None and response.ok:
            self.get_logger().info(f'arm handed to {self.arm_controller} (Servo output)')
            self.finish(0, sim_ready.READY_LINE)
        else:
            self.get_logger().warning(
                f'switching the arm to {self.arm_controller} failed '
                f'({getattr(response, "message", "no reply")}); trying again')


def main(args=None):
    """Run the homing step; the exit status says whether the sim became ready."""
    return run_one_shot_node('go_home_and_report_ready', GoHomeAndReportReady, rclpy,
                             shutdown_errors=(ExternalShutdownException,), args=args,
                             config_errors=(ValueError,))


if __name__ == '__main__':
    sys.exit(main())
