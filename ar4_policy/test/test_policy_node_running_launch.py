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
launch_testing: a running policy_node, checked from the ROS graph (Docker CI only; needs ROS).

A tiny untrained diffusion checkpoint (ar4_policy.tiny_checkpoint, offline) is enough to start
the node. With joint states and no camera the safety filter holds the arm, and the node still
publishes every period. Checked: its parameters are read-only (they are read once at start-up),
/gripper_target reaches a transient-local subscriber (the recorder's QoS), the trajectory
command is reliable and volatile, /joint_states is subscribed reliably.
"""

from pathlib import Path
import tempfile
import time
import unittest

from ar4_description import qos
from ar4_description.robot_constants import robot_constants
from ar4_policy.tiny_checkpoint import write_tiny_diffusion_checkpoint
import launch
import launch_ros.actions
from launch_ros.parameter_descriptions import ParameterValue
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import pytest
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64
from trajectory_msgs.msg import JointTrajectory

LOAD_TIMEOUT_S = 120.0
RECEIVE_TIMEOUT_S = 30.0
TRAJECTORY_TOPIC = '/joint_trajectory_controller/joint_trajectory'


@pytest.mark.launch_test
def generate_test_description():
    folder = Path(tempfile.mkdtemp(prefix='ar4_policy_node_'))
    checkpoint = write_tiny_diffusion_checkpoint(folder / 'run')
    node = launch_ros.actions.Node(
        package='ar4_policy', executable='policy_node', name='policy_node', output='screen',
        additional_env={'PYTHONUNBUFFERED': '1'},
        parameters=[{'checkpoint': str(checkpoint),
                     'task': ParameterValue('stack: red on blue', value_type=str),
                     'log_root': str(folder / 'inference_logs'), 'use_sim_time': False}])
    return (launch.LaunchDescription([node, launch_testing.actions.ReadyToTest()]),
            {'policy_node': node})


def policy_endpoint(infos):
    """Return the policy node's endpoint among a topic's publishers or subscribers."""
    (info,) = [info for info in infos if info.node_name == 'policy_node']
    return info


class TestRunningPolicyNode(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node('test_policy_node_running')

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.try_shutdown()

    def test_1_loaded(self, proc_output, policy_node):
        proc_output.assertWaitFor('loaded ', process=policy_node, timeout=LOAD_TIMEOUT_S)

    def test_2_parameters_are_read_only(self):
        client = self.node.create_client(SetParameters, '/policy_node/set_parameters')
        self.assertTrue(client.wait_for_service(timeout_sec=RECEIVE_TIMEOUT_S))
        fps = Parameter('fps', Parameter.Type.INTEGER, 10).to_parameter_msg()
        future = client.call_async(SetParameters.Request(parameters=[fps]))
        rclpy.spin_until_future_complete(self.node, future, timeout_sec=RECEIVE_TIMEOUT_S)
        (result,) = future.result().results
        self.assertFalse(result.successful)
        self.assertIn('read-only', result.reason)

    def test_3_holds_and_publishes_with_the_chosen_qos(self):
        constants = robot_constants()
        joint_states = self.node.create_publisher(JointState, '/joint_states', qos.JOINT_STATES)
        targets, trajectories = [], []
        self.node.create_subscription(Float64, '/gripper_target', targets.append,
                                      qos.GRIPPER_TARGET)
        self.node.create_subscription(JointTrajectory, TRAJECTORY_TOPIC, trajectories.append, 10)
        end = time.monotonic() + RECEIVE_TIMEOUT_S
        while time.monotonic() < end and not (targets and trajectories):
            message = JointState(name=list(constants.names7),
                                 position=[float(value) for value in constants.home7])
            message.header.stamp = self.node.get_clock().now().to_msg()
            joint_states.publish(message)
            rclpy.spin_once(self.node, timeout_sec=0.05)
        self.assertTrue(targets, 'no /gripper_target on a transient-local subscription')
        self.assertTrue(trajectories, f'no {TRAJECTORY_TOPIC}')
        # No camera: the observation is stale and the arm holds where it is.
        self.assertAlmostEqual(targets[-1].data, float(constants.home7[6]), delta=1e-6)
        self.assertEqual(list(trajectories[-1].joint_names), list(constants.joint_names))

        gripper = policy_endpoint(self.node.get_publishers_info_by_topic('/gripper_target'))
        self.assertEqual(gripper.qos_profile.durability, DurabilityPolicy.TRANSIENT_LOCAL)
        command = policy_endpoint(self.node.get_publishers_info_by_topic(TRAJECTORY_TOPIC))
        self.assertEqual(command.qos_profile.reliability, ReliabilityPolicy.RELIABLE)
        self.assertEqual(command.qos_profile.durability, DurabilityPolicy.VOLATILE)
        states = policy_endpoint(self.node.get_subscriptions_info_by_topic('/joint_states'))
        self.assertEqual(states.qos_profile.reliability, ReliabilityPolicy.RELIABLE)


@launch_testing.post_shutdown_test()
class TestPolicyNodeShutdown(unittest.TestCase):

    def test_exit_code_0_on_shutdown(self, proc_info, policy_node):
        launch_testing.asserts.assertExitCodes(proc_info, process=policy_node)
