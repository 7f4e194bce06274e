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
Launch the AR4 in Gazebo Harmonic with ros2_control, MoveIt, Servo, RViz and Foxglove.

Order: gz sim with the shelf world -> robot_state_publisher -> spawn the robot from
/robot_description -> joint_state_broadcaster -> joint_trajectory_controller and
gripper_controller (forward_position_controller and gripper_position_controller loaded inactive)
-> the homing step moves the arm home and prints the ready line
(ar4_gazebo.sim_ready.READY_LINE).

  ros2 launch ar4_gazebo sim.launch.py gui:=false rviz:=false
"""

import os

from ament_index_python.packages import get_package_share_directory
from ar4_description.xacro_model import robot_description as expand_robot_description
from ar4_gazebo import moveit_params
from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription,
                            OpaqueFunction, RegisterEventHandler)
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

BOOLEAN = ['true', 'false']


def arguments():
    """Return the launch arguments; those with a fixed set of values declare it (choices)."""
    return [
        DeclareLaunchArgument(
            'gui', default_value='true', choices=BOOLEAN,
            description='Start the Gazebo GUI (false: server only, for Docker/CI).'),
        DeclareLaunchArgument(
            'headless_rendering', default_value='true', choices=BOOLEAN,
            description='With gui:=false, render sensors without a display '
                        '(gz sim -s --headless-rendering).'),
        DeclareLaunchArgument(
            'render_engine', default_value='ogre', choices=['ogre', 'ogre2'],
            description='Gazebo render engine, ogre or ogre2 (ogre2 renders black under '
                        'software GL).'),
        DeclareLaunchArgument(
            'world', description='SDF world file to load.',
            default_value=os.path.join(get_package_share_directory('ar4_gazebo'), 'worlds',
                                       'ar4_shelf.sdf')),
        DeclareLaunchArgument(
            'use_sim_time', default_value='true', choices=BOOLEAN,
            description='Use the /clock bridged from Gazebo in every ROS node.'),
        DeclareLaunchArgument(
            'rviz', default_value='true', choices=BOOLEAN,
            description='Start RViz with the MoveIt MotionPlanning display and the wrist '
                        'camera.'),
        DeclareLaunchArgument(
            'servo', default_value='true', choices=BOOLEAN,
            description='Start MoveIt Servo (servo_node) for gamepad teleoperation.'),
        DeclareLaunchArgument(
            'foxglove', default_value='true', choices=BOOLEAN,
            description='Start foxglove_bridge (WebSocket) for Foxglove Studio.'),
        DeclareLaunchArgument('foxglove_port', default_value='8765',
                              description='foxglove_bridge WebSocket port.'),
        DeclareLaunchArgument(
            'foxglove_address', default_value='127.0.0.1',
            description='Address foxglove_bridge binds to; 0.0.0.0 exposes it to the network.'),
    ]


def gazebo(context):
    """Include ros_gz_sim's gz_sim.launch.py with the arguments chosen on the command line."""
    def value(name):
        return LaunchConfiguration(name).perform(context)

    engine = value('render_engine')  # one of its choices: launch checked it
    gz_args = ['-r', '-v', '2', '--render-engine', engine]
    if value('gui').lower() != 'true':
        gz_args.append('-s')
        if value('headless_rendering').lower() == 'true':
            gz_args.append('--headless-rendering')
    gz_args.append(value('world'))
    return [IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(
            get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
        launch_arguments={'gz_args': ' '.join(gz_args), 'on_exit_shutdown': 'true'}.items())]


def spawner(*arguments):
    """Return a controller_manager spawner node for the given controllers and options."""
    return Node(package='controller_manager', executable='spawner', output='screen',
                arguments=[*arguments, '--controller-manager', '/controller_manager',
                           '--controller-manager-timeout', '120'])


def generate_launch_description():
    """Describe the simulation: Gazebo, bridges, controllers, MoveIt, Servo, UIs, homing."""
    description_share = moveit_params.description_share()
    gazebo_share = get_package_share_directory('ar4_gazebo')
    robot_description = expand_robot_description(
        sim_gazebo=True, controllers_file=str(moveit_params.controllers_file(description_share)))
    semantic = moveit_params.semantic_description(description_share)
    use_sim_time = {'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'),
                                                   value_type=bool)}

    robot_state_publisher = Node(
        package='robot_state_publisher', executable='robot_state_publisher', output='screen',
        parameters=[{'robot_description': robot_description}, use_sim_time])
    spawn = Node(
        package='ros_gz_sim', executable='create', output='screen',
        arguments=['-topic', 'robot_description', '-name', 'ar4',
                   '-x', '0', '-y', '0', '-z', '0'])
    clock_bridge = Node(
        package='ros_gz_bridge', executable='parameter_bridge', name='clock_bridge',
        output='screen',
        parameters=[{'config_file': os.path.join(gazebo_share, 'config', 'clock_bridge.yaml')}])
    camera_bridge = Node(
        package='ros_gz_image', executable='image_bridge', name='wrist_camera_bridge',
        output='screen', arguments=['wrist_camera/image'],
        parameters=[{'qos': 'sensor_data'}, use_sim_time])

    joint_state_broadcaster = spawner('joint_state_broadcaster')
    arm_controller = spawner('joint_trajectory_controller')
    gripper_controller = spawner('gripper_controller')
    inactive_controllers = spawner('forward_position_controller', 'gripper_position_controller',
                                   '--inactive')
    go_home = ExecuteProcess(
        cmd=['python3', '-m', 'ar4_gazebo.go_home_and_report_ready', '--ros-args',
             '-p', ['use_sim_time:=', LaunchConfiguration('use_sim_time')]],
        name='go_home_and_report_ready', output='screen')

    move_group = Node(
        package='moveit_ros_move_group', executable='move_group', output='screen',
        parameters=[moveit_params.move_group_parameters(robot_description, semantic,
                                                        description_share),
                    use_sim_time])
    servo = Node(
        package='moveit_servo', executable='servo_node', name='servo_node', output='screen',
        parameters=[moveit_params.servo_parameters(robot_description, semantic,
                                                   description_share),
                    use_sim_time],
        condition=IfCondition(LaunchConfiguration('servo')))
    rviz_parameters = moveit_params.move_group_parameters(robot_description, semantic,
                                                          description_share)
    rviz = Node(
        package='rviz2', executable='rviz2', name='rviz2', output='log',
        arguments=['-d', os.path.join(str(description_share), 'rviz', 'moveit.rviz')],
        parameters=[{key: rviz_parameters[key] for key in (
            'robot_description', 'robot_description_semantic', 'robot_description_kinematics',
            'robot_description_planning', 'planning_pipelines', 'default_planning_pipeline',
            'ompl')}, use_sim_time],
        condition=IfCondition(LaunchConfiguration('rviz')))
    foxglove = Node(
        package='foxglove_bridge', executable='foxglove_bridge', output='screen',
        parameters=[{
            'port': ParameterValue(LaunchConfiguration('foxglove_port'), value_type=int),
            'address': ParameterValue(LaunchConfiguration('foxglove_address'), value_type=str),
        }, use_sim_time],
        condition=IfCondition(LaunchConfiguration('foxglove')))

    return LaunchDescription([
        *arguments(),
        OpaqueFunction(function=gazebo),
        clock_bridge,
        camera_bridge,
        robot_state_publisher,
        spawn,
        # Controllers only after the robot (and with it gz_ros2_control) exists.
        RegisterEventHandler(OnProcessExit(target_action=spawn,
                                           on_exit=[joint_state_broadcaster])),
        RegisterEventHandler(OnProcessExit(
            target_action=joint_state_broadcaster,
            on_exit=[arm_controller, gripper_controller, inactive_controllers, go_home])),
        move_group,
        servo,
        rviz,
        foxglove,
    ])
