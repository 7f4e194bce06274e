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
# The parameters the Jazzy controllers declare (ros2_controllers jazzy branch:
# joint_trajectory_controller/src/joint_trajectory_controller_parameters.yaml and
# parallel_gripper_controller/src/gripper_action_controller_parameters.yaml), plus use_sim_time.
# A key outside these sets is silently ignored by the controller.
JTC_PARAMETERS = {
    'joints', 'command_joints', 'command_interfaces', 'state_interfaces', 'speed_scaling',
    'allow_partial_joints_goal', 'open_loop_control', 'interpolate_from_desired_state',
    'allow_integration_in_goal_trajectories',
    'set_last_command_interface_value_as_state_on_activation', 'action_monitor_rate',
    'interpolation_method', 'allow_nonzero_velocity_at_trajectory_end', 'cmd_timeout', 'gains',
    'constraints', 'use_sim_time'}
GRIPPER_PARAMETERS = {
    'action_monitor_rate', 'joint', 'state_interfaces', 'goal_tolerance', 'allow_stalling',
    'stall_velocity_threshold', 'stall_timeout', 'max_effort_interface', 'max_effort',
    'max_velocity_interface', 'max_velocity', 'use_sim_time'}
# The keys moveit_simple_controller_manager.cpp (jazzy) reads for a ParallelGripperCommand
# controller.
PARALLEL_GRIPPER_HANDLE_KEYS = {'type', 'action_ns', 'default', 'joints', 'max_effort',
                                'max_velocity'}


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
    assert jtc['interpolate_from_desired_state'] is True
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
    assert gripper['allow_stalling'] is True
    assert controllers['gripper_position_controller']['ros__parameters']['joints'] == [
        g.joint_name]


def test_controllers_set_only_parameters_the_jazzy_controllers_read(controllers):
    jtc = controllers['joint_trajectory_controller']['ros__parameters']
    assert set(jtc) <= JTC_PARAMETERS, set(jtc) - JTC_PARAMETERS
    # state_publish_rate is gone in Jazzy; open_loop_control is deprecated there in favour of
    # interpolate_from_desired_state (set above).
    assert 'state_publish_rate' not in jtc and 'open_loop_control' not in jtc
    gripper = controllers['gripper_controller']['ros__parameters']
    assert set(gripper) <= GRIPPER_PARAMETERS, set(gripper) - GRIPPER_PARAMETERS
    # max_effort / max_velocity act only through command interfaces gz_ros2_control lacks.
    for key in ('max_effort', 'max_velocity'):
        assert key not in gripper or gripper.get(f'{key}_interface'), key


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
        assert limits[name]['has_velocity_limits'] is True
        assert limits[name]['max_velocity'] == pytest.approx(c.gripper.velocity_limit)
        # Jazzy's time parameterization fails a plan moving a joint without one.
        assert limits[name]['has_acceleration_limits'] is True
        assert limits[name]['max_acceleration'] == pytest.approx(c.gripper.max_acceleration)
        assert (limits[name]['min_position'], limits[name]['max_position']) == pytest.approx(
            c.gripper.planning_bounds)


def test_every_gripper_state_is_strictly_inside_moveits_jaw_bounds(srdf):
    # CheckStartStateBounds has no tolerance: a jaw resting at an end of its range (home is
    # closed) must not sit on a bound, or the least drift fails every gripper plan.
    g = robot_constants().gripper
    lower, upper = g.planning_bounds
    values = [g.home, g.closed, g.open] + [
        float(joint.get('value')) for state in srdf.findall('group_state')
        if state.get('group') == 'ar_gripper' for joint in state.findall('joint')]
    for value in values:
        assert lower < value < upper, value
    # The margin is small against the stroke: MoveIt plans no further past it than that.
    assert 0 < g.planning_bound_margin <= (g.upper - g.lower) / 10


def test_kinematics_and_planning_pipeline_name_the_arm_group():
    kinematics = load(MOVEIT / 'kinematics.yaml')
    assert kinematics['ar_manipulator']['kinematics_solver'] == (
        'kdl_kinematics_plugin/KDLKinematicsPlugin')
    ompl = load(MOVEIT / 'ompl_planning.yaml')
    assert ompl['planning_plugins'] == ['ompl_interface/OMPLPlanner']
    # A Humble FixStartStateBounds parameter; Jazzy's CheckStartStateBounds has none like it.
    assert 'start_state_max_bounds_error' not in ompl
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
    assert set(gripper) <= PARALLEL_GRIPPER_HANDLE_KEYS, set(gripper)
    # The handle sends max_effort / max_velocity in every goal, and the controller ignores them
    # without the command interfaces gz_ros2_control lacks: they would only mislead.
    assert 'max_effort' not in gripper and 'max_velocity' not in gripper
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
