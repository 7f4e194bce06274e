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
-> the homing step moves the arm home (and, with servo_output:=forward_position, hands it to
forward_position_controller) and prints the ready line (ar4_gazebo.sim_ready.READY_LINE).
Alongside, the table and the shelf are added to MoveIt's planning scene from the world file.

Every node runs on Gazebo's /clock: gz_ros2_control puts the controller manager on sim time
whatever it is given (gz_ros2_control_plugin.cpp forces use_sim_time), so a node on the wall
clock would stamp trajectories the controllers read as far in the future.

  ros2 launch ar4_gazebo sim.launch.py gui:=false rviz:=false
"""

import os

from ament_index_python.packages import get_package_share_directory
from ar4_description.xacro_model import robot_description as expand_robot_description
from ar4_gazebo import moveit_params
from ar4_gazebo.gz_sim_command import gz_sim_arguments, RENDER_ENGINES
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
# Every node follows Gazebo's /clock (see the module docstring: there is no wall-clock option).
USE_SIM_TIME = {'use_sim_time': True}


def arguments():
    """Return the launch arguments; those with a fixed set of values declare it (choices)."""
    return [
        DeclareLaunchArgument(
            'gui', default_value='true', choices=BOOLEAN,
            description='Start the Gazebo window (false: server only, for Docker/CI).'),
        DeclareLaunchArgument(
            'headless_rendering', default_value='true', choices=BOOLEAN,
            description='Render the wrist camera offscreen through EGL, without an X display '
                        '(ogre2 only; ogre always renders on $DISPLAY).'),
        DeclareLaunchArgument(
            'render_engine', default_value='auto', choices=list(RENDER_ENGINES),
            description='Gazebo render engine: auto is ogre2 with gui:=false (the only engine '
                        'that renders without a display) and ogre with the window (draws on '
                        'any OpenGL, software included); ogre2 needs OpenGL 3.3 or more.'),
        DeclareLaunchArgument(
            'world', description='SDF world file to load (it needs the table and shelf models '
                                 'MoveIt is told about).',
            default_value=os.path.join(get_package_share_directory('ar4_gazebo'), 'worlds',
                                       'ar4_shelf.sdf')),
        DeclareLaunchArgument(
            'rviz', default_value='true', choices=BOOLEAN,
            description='Start RViz with the MoveIt MotionPlanning display and the wrist '
                        'camera.'),
        DeclareLaunchArgument(
            'servo', default_value='true', choices=BOOLEAN,
            description='Start MoveIt Servo (servo_node) for gamepad teleoperation.'),
        DeclareLaunchArgument(
            'servo_output', default_value='trajectory', choices=list(moveit_params.SERVO_OUTPUTS),
            description='Where Servo sends the arm: trajectory (joint_trajectory_controller) or '
                        'forward_position (forward_position_controller, made active once the '
                        'arm is home; try it if the arm ignores the sticks).'),
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

    # Raises with the fix named when the choice cannot render the camera (ogre headless).
    gz_args = gz_sim_arguments(value('world'), gui=value('gui').lower() == 'true',
                               headless_rendering=value('headless_rendering').lower() == 'true',
                               engine_choice=value('render_engine'))
    return [IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(
            get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
        launch_arguments={'gz_args': ' '.join(gz_args), 'on_exit_shutdown': 'true'}.items())]


def servo_node(context, robot_description, semantic, description_share):
    """Return servo_node with its output (message type and topic) for servo_output."""
    output = LaunchConfiguration('servo_output').perform(context)
    return [Node(
        package='moveit_servo', executable='servo_node', name='servo_node', output='screen',
        parameters=[moveit_params.servo_parameters(robot_description, semantic,
                                                   description_share, output=output),
                    USE_SIM_TIME],
        condition=IfCondition(LaunchConfiguration('servo')))]


def homing_step(context):
    """Return the homing step, which leaves the arm to the controller Servo's output needs."""
    controller = moveit_params.servo_output_controller(
        LaunchConfiguration('servo_output').perform(context))
    return [ExecuteProcess(
        cmd=['python3', '-m', 'ar4_gazebo.go_home_and_report_ready', '--ros-args',
             '-p', 'use_sim_time:=true', '-p', f'arm_controller:={controller}'],
        name='go_home_and_report_ready', output='screen')]


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

    robot_state_publisher = Node(
        package='robot_state_publisher', executable='robot_state_publisher', output='screen',
        parameters=[{'robot_description': robot_description}, USE_SIM_TIME])
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
        parameters=[{'qos': 'sensor_data'}, USE_SIM_TIME])

    joint_state_broadcaster = spawner('joint_state_broadcaster')
    arm_controller = spawner('joint_trajectory_controller')
    gripper_controller = spawner('gripper_controller')
    inactive_controllers = spawner('forward_position_controller', 'gripper_position_controller',
                                   '--inactive')

    move_group = Node(
        package='moveit_ros_move_group', executable='move_group', output='screen',
        parameters=[moveit_params.move_group_parameters(robot_description, semantic,
                                                        description_share),
                    USE_SIM_TIME])
    # The table and the shelf, from the world file, into move_group's planning scene.
    planning_scene = ExecuteProcess(
        cmd=['python3', '-m', 'ar4_gazebo.add_planning_scene_objects', '--ros-args',
             '-p', 'use_sim_time:=true', '-p', ['world_file:=', LaunchConfiguration('world')]],
        name='add_planning_scene_objects', output='screen')
    rviz_parameters = moveit_params.move_group_parameters(robot_description, semantic,
                                                          description_share)
    rviz = Node(
        package='rviz2', executable='rviz2', name='rviz2', output='log',
        arguments=['-d', os.path.join(str(description_share), 'rviz', 'moveit.rviz')],
        parameters=[{key: rviz_parameters[key] for key in (
            'robot_description', 'robot_description_semantic', 'robot_description_kinematics',
            'robot_description_planning', 'planning_pipelines', 'default_planning_pipeline',
            'ompl')}, USE_SIM_TIME],
        condition=IfCondition(LaunchConfiguration('rviz')))
    foxglove = Node(
        package='foxglove_bridge', executable='foxglove_bridge', output='screen',
        parameters=[{
            'port': ParameterValue(LaunchConfiguration('foxglove_port'), value_type=int),
            'address': ParameterValue(LaunchConfiguration('foxglove_address'), value_type=str),
        }, USE_SIM_TIME],
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
            on_exit=[arm_controller, gripper_controller, inactive_controllers,
                     OpaqueFunction(function=homing_step)])),
        move_group,
        planning_scene,
        OpaqueFunction(function=servo_node, args=[robot_description, semantic,
                                                  description_share]),
        rviz,
        foxglove,
    ])
