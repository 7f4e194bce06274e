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
move home is ar4_description.homing's quintic plan, the same one the teleop node sends.
"""

import sys
from types import SimpleNamespace
import time

from ar4_description import qos
from ar4_description.homing import homing_trajectory, homing_trajectory_msg, HomingError
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import positions_by_name
from ar4_gazebo import sim_ready
from builtin_interfaces.msg import Duration, Time
from controller_manager_msgs.srv import ListControllers
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
import rclpy
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


class GoHomeAndReportReady(Node):
    """Wait for the controllers, send the home trajectory, report when the arm is there."""

    def __init__(self):
        super().__init__('ar4_go_home')
        self.declare_parameter('timeout_s', 180.0, ParameterDescriptor(
            description='Give up (exit 1) after this many wall-clock seconds.',
            floating_point_range=[FloatingPointRange(from_value=1.0, to_value=3600.0)]))
        self.declare_parameter('tolerance_rad', 0.02, ParameterDescriptor(
            description='The arm is home when every joint is this close to the home pose.',
            floating_point_range=[FloatingPointRange(from_value=0.001, to_value=0.5)]))
        self.timeout_s = self.get_parameter('timeout_s').value
        self.tolerance = self.get_parameter('tolerance_rad').value
        self.constants = robot_constants()
        self.finished = Future()
        self.started = time.monotonic()
        self.positions = None
        self.sent_at = None
        self.pending = None

        self.list_client = self.create_client(
            ListControllers, '/controller_manager/list_controllers')
        self.publisher = self.create_publisher(
            JointTrajectory, sim_ready.TRAJECTORY_TOPIC,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.create_subscription(JointState, '/joint_states', self.on_joint_state,
                                 qos.JOINT_STATES)
        self.create_timer(0.5, self.step)

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
        if time.monotonic() - self.started > self.timeout_s:
            self.finish(1, f'AR4 sim not ready after {self.timeout_s:.0f} s: controllers '
                        f'{"up" if self.sent_at else "not all active"}, joint error '
                        f'{sim_ready.home_error(self.positions or {}, self.constants)} rad. '
                        'Check the sim log above.')
            return
        if self.sent_at is None:
            self.check_controllers()
            return
        error = sim_ready.home_error(self.positions or {}, self.constants)
        if error is not None and error <= self.tolerance:
            self.finish(0, sim_ready.READY_LINE)

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
        current = sim_ready.arm_positions(self.positions, self.constants)
        if current is None:
            return  # not every arm joint reported yet: ask again on the next step
        try:
            plan = homing_trajectory(current, self.constants,
                                     min_duration=sim_ready.MIN_HOMING_S)
        except HomingError as error:
            self.finish(1, f'AR4 sim cannot plan the move home: {error}')
            return
        self.publisher.publish(homing_trajectory_msg(CLASSES, plan))
        self.sent_at = time.monotonic()
        self.get_logger().info(f'controllers active; moving home over {plan.duration:.1f} s')


def main(args=None):
    """Run the homing step; the exit status says whether the sim became ready."""
    rclpy.init(args=args)
    node = GoHomeAndReportReady()
    code = 1
    try:
        rclpy.spin_until_future_complete(node, node.finished)
        code = node.finished.result() if node.finished.done() else 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == '__main__':
    sys.exit(main())
