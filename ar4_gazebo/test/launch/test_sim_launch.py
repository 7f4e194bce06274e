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
launch_testing: the headless simulation comes up usable (Docker CI only; needs ROS and Gazebo).

Starts sim.launch.py with gui, RViz and Foxglove off, then checks: the ready line is printed,
the three controllers are active and the streaming alternatives inactive, /joint_states carries
every joint at a usable rate, /wrist_camera/image delivers 480x640 rgb8 frames that are not
black with no X display (render_engine auto: ogre2 with headless rendering, EGL), move_group's
planning scene holds the table and the shelf from the world file, and MoveIt plans the gripper
group from its resting state (acceleration limits on the jaws, the jaw inside its bounds).
Rates are measured on the wall clock with generous floors: software rendering in CI runs the sim
slower than real time. Run by the Docker `test` service, whose GZ_PARTITION keeps this gz sim
apart from a sim running on the same machine.
"""

import os
import time
import unittest

from ament_index_python.packages import get_package_share_directory
from ar4_description.robot_constants import robot_constants
from ar4_gazebo.sim_ready import READY_LINE
from controller_manager_msgs.srv import ListControllers
import launch
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
import launch_testing
import launch_testing.actions
from moveit_msgs.msg import (Constraints, JointConstraint, MoveItErrorCodes,
                             PlanningSceneComponents)
from moveit_msgs.srv import GetMotionPlan, GetPlanningScene
import pytest
import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState

READY_TIMEOUT_S = 420.0
MIN_JOINT_STATE_HZ = 10.0
MIN_IMAGE_HZ = 2.0


@pytest.mark.launch_test
def generate_test_description():
    sim = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(
            get_package_share_directory('ar4_gazebo'), 'launch', 'sim.launch.py')),
        # No display: render_engine stays auto, which is ogre2 with --headless-rendering.
        launch_arguments={'gui': 'false', 'rviz': 'false', 'foxglove': 'false'}.items())
    return launch.LaunchDescription([sim, launch_testing.actions.ReadyToTest()])


def call(node, service_type, name, request, timeout_s=60.0):
    """Call a service once it is up; return the response (None if it never answered)."""
    client = node.create_client(service_type, name)
    try:
        if not client.wait_for_service(timeout_sec=timeout_s):
            return None
        future = client.call_async(request)
        rclpy.spin_until_future_complete(node, future, timeout_sec=timeout_s)
        return future.result()
    finally:
        node.destroy_client(client)


def measure(node, message_type, topic, seconds, qos=10):
    """Collect messages on a topic for a number of wall-clock seconds."""
    received = []
    subscription = node.create_subscription(message_type, topic, received.append, qos)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_subscription(subscription)
    return received


class TestSimComesUp(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node('test_sim_launch')

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.try_shutdown()

    def test_1_ready_line(self, proc_output):
        proc_output.assertWaitFor(READY_LINE, timeout=READY_TIMEOUT_S, stream='stdout')

    def test_2_controllers(self):
        client = self.node.create_client(ListControllers, '/controller_manager/list_controllers')
        self.assertTrue(client.wait_for_service(timeout_sec=30.0))
        future = client.call_async(ListControllers.Request())
        rclpy.spin_until_future_complete(self.node, future, timeout_sec=30.0)
        states = {c.name: c.state for c in future.result().controller}
        for name in ('joint_state_broadcaster', 'joint_trajectory_controller',
                     'gripper_controller'):
            self.assertEqual(states.get(name), 'active', name)
        for name in ('forward_position_controller', 'gripper_position_controller'):
            self.assertEqual(states.get(name), 'inactive', name)

    def test_3_joint_states(self):
        constants = robot_constants()
        seconds = 5.0
        messages = measure(self.node, JointState, '/joint_states', seconds,
                           qos_profile_sensor_data)
        self.assertGreaterEqual(len(messages) / seconds, MIN_JOINT_STATE_HZ)
        names = set(messages[-1].name)
        for name in constants.names7 + (constants.gripper.mimic_joint_name,):
            self.assertIn(name, names)
        positions = dict(zip(messages[-1].name, messages[-1].position))
        for name, home in zip(constants.joint_names, constants.home):
            self.assertAlmostEqual(positions[name], home, delta=0.05)

    def test_4_wrist_camera(self):
        seconds = 10.0
        messages = measure(self.node, Image, '/wrist_camera/image', seconds,
                           qos_profile_sensor_data)
        self.assertGreaterEqual(len(messages) / seconds, MIN_IMAGE_HZ)
        image = messages[-1]
        self.assertEqual((image.height, image.width, image.encoding), (480, 640, 'rgb8'))
        self.assertEqual(len(image.data), 480 * 640 * 3)
        # A black frame means the render engine drew nothing (no display, or a GL it cannot use).
        self.assertGreater(max(image.data), 0)

    def test_5_planning_scene_holds_the_table_and_the_shelf(self):
        request = GetPlanningScene.Request()
        request.components.components = PlanningSceneComponents.WORLD_OBJECT_NAMES
        names = set()
        end = time.monotonic() + 120.0
        while time.monotonic() < end and not {'table', 'shelf'} <= names:
            response = call(self.node, GetPlanningScene, '/get_planning_scene', request)
            names = {o.id for o in response.scene.world.collision_objects} if response else set()
            time.sleep(1.0)
        self.assertLessEqual({'table', 'shelf'}, names)

    def test_6_moveit_plans_the_gripper_from_rest(self):
        # From the jaws' resting state (closed, an end of their range) to open: fails when a jaw
        # lacks an acceleration limit (time parameterization) or rests outside MoveIt's bounds.
        gripper = robot_constants().gripper
        request = GetMotionPlan.Request()
        plan = request.motion_plan_request
        plan.group_name = 'ar_gripper'
        plan.pipeline_id = 'ompl'
        plan.num_planning_attempts = 1
        plan.allowed_planning_time = 5.0
        plan.max_velocity_scaling_factor = 0.5
        plan.max_acceleration_scaling_factor = 0.5
        plan.start_state.is_diff = True
        plan.goal_constraints = [Constraints(joint_constraints=[JointConstraint(
            joint_name=gripper.joint_name, position=gripper.open, tolerance_above=1e-4,
            tolerance_below=1e-4, weight=1.0)])]
        response = call(self.node, GetMotionPlan, '/plan_kinematic_path', request)
        self.assertIsNotNone(response)
        self.assertEqual(response.motion_plan_response.error_code.val, MoveItErrorCodes.SUCCESS)
        self.assertGreater(len(response.motion_plan_response.trajectory.joint_trajectory.points),
                           1)
