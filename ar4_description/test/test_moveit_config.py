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

"""The controllers, MoveIt, Servo and SRDF configuration agree with the robot constants."""

from pathlib import Path
import xml.etree.ElementTree as ElementTree

from ar4_description.robot_constants import robot_constants
import pytest
import xacro
import yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CONFIG = PACKAGE_DIR / 'config'
MOVEIT = CONFIG / 'moveit'


def load(path):
    with open(path) as stream:
        return yaml.safe_load(stream)


@pytest.fixture(scope='module')
def controllers():
    return load(CONFIG / 'controllers.yaml')


@pytest.fixture(scope='module')
def srdf():
    return ElementTree.fromstring(
        xacro.process_file(str(PACKAGE_DIR / 'srdf' / 'ar4.srdf.xacro')).toxml())


def test_controller_manager_declares_every_controller_with_its_type(controllers):
    manager = controllers['controller_manager']['ros__parameters']
    assert manager['update_rate'] in (60, 100)
    assert manager['use_sim_time'] is True
    types = {name: value['type'] for name, value in manager.items() if isinstance(value, dict)}
    assert types == {
        'joint_state_broadcaster': 'joint_state_broadcaster/JointStateBroadcaster',
        'joint_trajectory_controller': 'joint_trajectory_controller/JointTrajectoryController',
        'gripper_controller': 'parallel_gripper_action_controller/GripperActionController',
        'forward_position_controller': 'position_controllers/JointGroupPositionController',
        'gripper_position_controller': 'position_controllers/JointGroupPositionController',
    }
    for name in types:
        assert controllers[name]['ros__parameters']['use_sim_time'] is True


def test_trajectory_controller_drives_the_arm_joints_by_position_only(controllers):
    c = robot_constants()
    jtc = controllers['joint_trajectory_controller']['ros__parameters']
    assert tuple(jtc['joints']) == c.joint_names
    assert jtc['command_interfaces'] == ['position']
    assert jtc['state_interfaces'] == ['position', 'velocity']
    assert jtc['allow_partial_joints_goal'] is False
    assert jtc['open_loop_control'] is False
    assert jtc['allow_nonzero_velocity_at_trajectory_end'] is True
    constraints = jtc['constraints']
    for name in c.joint_names:
        assert 0 < constraints[name]['goal'] < constraints[name]['trajectory']
    forward = controllers['forward_position_controller']['ros__parameters']
    assert tuple(forward['joints']) == c.joint_names


def test_gripper_controller_fits_the_jaw_stroke(controllers):
    g = robot_constants().gripper
    gripper = controllers['gripper_controller']['ros__parameters']
    assert gripper['joint'] == g.joint_name
    # A tolerance of a tenth of the stroke or less: the deprecated default 0.01 m is not.
    assert 0 < gripper['goal_tolerance'] <= (g.upper - g.lower) / 10
    assert gripper['max_effort'] == pytest.approx(g.effort_limit)
    assert gripper['max_velocity'] == pytest.approx(g.velocity_limit)
    assert controllers['gripper_position_controller']['ros__parameters']['joints'] == [
        g.joint_name]


def test_joint_limits_equal_the_constants():
    c = robot_constants()
    limits = load(MOVEIT / 'joint_limits.yaml')['joint_limits']
    assert set(limits) == set(c.joint_names) | {c.gripper.joint_name, c.gripper.mimic_joint_name}
    for name, velocity in zip(c.joint_names, c.velocity_limits):
        assert limits[name]['has_velocity_limits'] is True
        assert limits[name]['max_velocity'] == pytest.approx(velocity)
        assert limits[name]['has_acceleration_limits'] is True
        assert limits[name]['max_acceleration'] == pytest.approx(c.max_acceleration)
    for name in (c.gripper.joint_name, c.gripper.mimic_joint_name):
        assert limits[name]['max_velocity'] == pytest.approx(c.gripper.velocity_limit)


def test_kinematics_and_planning_pipeline_name_the_arm_group():
    kinematics = load(MOVEIT / 'kinematics.yaml')
    assert kinematics['ar_manipulator']['kinematics_solver'] == (
        'kdl_kinematics_plugin/KDLKinematicsPlugin')
    ompl = load(MOVEIT / 'ompl_planning.yaml')
    assert ompl['planning_plugins'] == ['ompl_interface/OMPLPlanner']
    arm = ompl['ar_manipulator']
    assert arm['default_planner_config'] in ompl['planner_configs']
    assert set(arm['planner_configs']) <= set(ompl['planner_configs'])


def test_moveit_controllers_match_the_ros2_controllers(controllers):
    c = robot_constants()
    manager = load(MOVEIT / 'moveit_controllers.yaml')
    assert manager['moveit_controller_manager'] == (
        'moveit_simple_controller_manager/MoveItSimpleControllerManager')
    simple = manager['moveit_simple_controller_manager']
    assert simple['controller_names'] == ['joint_trajectory_controller', 'gripper_controller']
    arm = simple['joint_trajectory_controller']
    assert (arm['type'], arm['action_ns']) == ('FollowJointTrajectory', 'follow_joint_trajectory')
    assert tuple(arm['joints']) == c.joint_names
    gripper = simple['gripper_controller']
    assert (gripper['type'], gripper['action_ns']) == ('ParallelGripperCommand', 'gripper_cmd')
    assert gripper['joints'] == [c.gripper.joint_name]
    for name in simple['controller_names']:
        assert name in controllers['controller_manager']['ros__parameters']


def test_servo_has_the_jazzy_parameters_and_streams_into_the_trajectory_controller():
    servo = load(MOVEIT / 'servo.yaml')
    assert list(servo) == ['moveit_servo']
    params = servo['moveit_servo']
    expected = {
        'move_group_name': 'ar_manipulator',
        'publish_period': 0.04,
        'max_expected_latency': 0.2,
        'command_in_type': 'speed_units',
        'scale': {'linear': 0.4, 'rotational': 0.8, 'joint': 0.5},
        'incoming_command_timeout': 0.5,
        'command_out_type': 'trajectory_msgs/JointTrajectory',
        'command_out_topic': '/joint_trajectory_controller/joint_trajectory',
        'lower_singularity_threshold': 50.0,
        'hard_stop_singularity_threshold': 80.0,
        'joint_limit_margins': [0.05],
        'check_collisions': False,
        'publish_joint_positions': True,
        'publish_joint_velocities': False,
    }
    for key, value in expected.items():
        assert params[key] == value, key
    # Pre-Jazzy names that the 2.12 API would silently ignore.
    for stale in ('planning_frame', 'ee_frame', 'ee_frame_name', 'joint_limit_margin',
                  'use_gazebo', 'robot_link_command_frame'):
        assert stale not in params


def test_srdf_groups_and_home_state_come_from_the_constants(srdf):
    c = robot_constants()
    groups = {group.get('name'): group for group in srdf.findall('group')}
    chain = groups['ar_manipulator'].find('chain')
    assert (chain.get('base_link'), chain.get('tip_link')) == ('base_link', 'ee_link')
    gripper_joints = [j.get('name') for j in groups['ar_gripper'].findall('joint')]
    assert gripper_joints == [c.gripper.joint_name, c.gripper.mimic_joint_name]
    states = {(s.get('group'), s.get('name')): {j.get('name'): float(j.get('value'))
                                                for j in s.findall('joint')}
              for s in srdf.findall('group_state')}
    assert states[('ar_manipulator', 'home')] == dict(zip(c.joint_names, c.home))
    assert states[('ar_gripper', 'open')] == {c.gripper.joint_name: c.gripper.open}
    assert states[('ar_gripper', 'closed')] == {c.gripper.joint_name: c.gripper.closed}
    effector = srdf.find('end_effector')
    assert effector.get('group') == 'ar_gripper'
    assert effector.get('parent_group') == 'ar_manipulator'


def test_srdf_disabled_collision_pairs_are_unique_and_not_self(srdf):
    pairs = [frozenset((pair.get('link1'), pair.get('link2')))
             for pair in srdf.findall('disable_collisions')]
    assert all(len(pair) == 2 for pair in pairs)
    assert len(pairs) == len(set(pairs))
    adjacent = {frozenset(('base_link', 'link_1'))} | {
        frozenset((f'link_{i}', f'link_{i + 1}')) for i in range(1, 6)}
    assert adjacent <= set(pairs)
