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

"""move_group and servo_node parameters built from ar4_description's MoveIt config."""

import xml.etree.ElementTree as ElementTree

from ar4_description.xacro_model import robot_description
from ar4_gazebo import moveit_params
import pytest


@pytest.fixture(scope='module')
def descriptions():
    share = moveit_params.description_share()
    urdf = robot_description(sim_gazebo=True,
                             controllers_file=str(moveit_params.controllers_file(share)))
    return share, urdf, moveit_params.semantic_description(share)


def test_robot_description_points_gz_ros2_control_at_the_controllers(descriptions):
    share, urdf, _ = descriptions
    robot = ElementTree.fromstring(urdf)
    parameters = robot.find("gazebo/plugin[@filename='gz_ros2_control-system']/parameters")
    assert parameters.text.strip() == str(share / 'config' / 'controllers.yaml')
    assert (share / 'config' / 'controllers.yaml').is_file()


def test_move_group_parameters(descriptions):
    share, urdf, semantic = descriptions
    params = moveit_params.move_group_parameters(urdf, semantic, share)
    assert params['robot_description'] == urdf
    assert ElementTree.fromstring(params['robot_description_semantic']).get('name') == 'ar4'
    assert params['planning_pipelines'] == ['ompl']
    assert params['default_planning_pipeline'] == 'ompl'
    assert 'ar_manipulator' in params['ompl']
    assert 'ar_manipulator' in params['robot_description_kinematics']
    assert 'joint_limits' in params['robot_description_planning']
    assert params['moveit_controller_manager'].startswith('moveit_simple_controller_manager')
    assert params['use_sim_time'] is True


def test_servo_parameters(descriptions):
    share, urdf, semantic = descriptions
    params = moveit_params.servo_parameters(urdf, semantic, share, use_sim_time=False)
    assert params['moveit_servo']['move_group_name'] == 'ar_manipulator'
    # Servo takes its frames from the IK solver: it needs the kinematics and both models.
    assert 'ar_manipulator' in params['robot_description_kinematics']
    assert params['robot_description'] == urdf and params['robot_description_semantic']
    assert params['use_sim_time'] is False


def test_servo_output_is_the_trajectory_controller_or_the_forward_controller(descriptions):
    share, urdf, semantic = descriptions
    default = moveit_params.servo_parameters(urdf, semantic, share)['moveit_servo']
    assert (default['command_out_type'], default['command_out_topic']) == (
        'trajectory_msgs/JointTrajectory', '/joint_trajectory_controller/joint_trajectory')
    forward = moveit_params.servo_parameters(urdf, semantic, share,
                                             output='forward_position')['moveit_servo']
    assert (forward['command_out_type'], forward['command_out_topic']) == (
        'std_msgs/Float64MultiArray', '/forward_position_controller/commands')
    # Everything else stays as servo.yaml has it.
    assert {k: v for k, v in forward.items() if not k.startswith('command_out')} == {
        k: v for k, v in default.items() if not k.startswith('command_out')}
    assert moveit_params.servo_output_controller('trajectory') == 'joint_trajectory_controller'
    assert moveit_params.servo_output_controller('forward_position') == (
        'forward_position_controller')
    with pytest.raises(ValueError, match='trajectory, forward_position'):
        moveit_params.servo_parameters(urdf, semantic, share, output='effort')


def test_servo_output_controllers_exist_with_the_topic_servo_publishes_on():
    controllers = moveit_params.load_yaml(moveit_params.controllers_file())
    manager = controllers['controller_manager']['ros__parameters']
    for message_type, topic, controller in moveit_params.SERVO_OUTPUTS.values():
        assert controller in manager
        assert topic.startswith(f'/{controller}/')


def test_load_yaml_rejects_non_mappings(tmp_path):
    path = tmp_path / 'list.yaml'
    path.write_text('- 1\n')
    with pytest.raises(ValueError, match='list.yaml'):
        moveit_params.load_yaml(path)
