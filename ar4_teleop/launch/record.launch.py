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
Start teleoperation and the episode recorder; the teleop node homes the arm once it is up.

``ros2 launch`` does not forward the terminal's stdin to its processes, so the recorder started
here (``with_recorder:=true``, the default) is driven by the gamepad only (X arm, Y save,
B discard, Start home, through /episode_control); a SpaceMouse (``device:=spacemouse``) has
buttons for the gripper only. For keyboard control, start this launch with
``with_recorder:=false`` and run ``ros2 run ar4_teleop recorder_node`` in the foreground of the
same terminal: that is what the compose ``record`` service does (docker/record.sh, which starts
the same executable directly, so that it can pass a stop signal on to it).

Environment variables give the defaults: TASK, HF_USERNAME, MAX_EPISODE_DURATION, JOINT_JOG,
TELEOP_DEVICE, PLAY_SOUNDS, DISPLAY_DATA, DISPLAY_TARGET, RESET_BETWEEN_EPISODES, RESET_TIME_S.
Every parameter value is typed: launch_ros reads a bare substitution as YAML
(launch_ros/utilities/evaluate_parameters.py), so a task such as "stack: red on blue" would be
a mapping and an HF_USERNAME of 1234 an integer.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

BOOLEAN = ['true', 'false']
# ar4_teleop.teleop_config.DEVICES (a launch file imports no node code).
DEVICES = ['gamepad', 'spacemouse']
# ar4_teleop.recording.sync.ACTION_SOURCES (a launch file imports no node code).
ACTION_SOURCES = ['command', 'next_state', 'state']


def generate_launch_description():
    """Return the teleop + recorder launch description."""
    arguments = [
        DeclareLaunchArgument('device', choices=DEVICES, default_value=EnvironmentVariable(
            'TELEOP_DEVICE', default_value='gamepad'),
            description='teleop input device: gamepad (Xbox controller) or spacemouse '
            '(3Dconnexion SpaceMouse).'),
        DeclareLaunchArgument('speed_scale', default_value='0.35',
                              description='teleop speed as a fraction of the maximum (0..1].'),
        DeclareLaunchArgument('joint_jog', choices=BOOLEAN, default_value=EnvironmentVariable(
            'JOINT_JOG', default_value='false'),
            description='start teleop in joint-jog mode instead of Cartesian.'),
        DeclareLaunchArgument('home_on_start', choices=BOOLEAN, default_value='true',
                              description='the teleop node homes the arm on its first joint '
                              'state, before any take.'),
        DeclareLaunchArgument('task', default_value=EnvironmentVariable(
            'TASK', default_value='place the teal cube on the top shelf'),
            description='language instruction stored with every frame.'),
        DeclareLaunchArgument('hf_username', default_value=EnvironmentVariable(
            'HF_USERNAME', default_value='local'),
            description='dataset owner folder: data/datasets/<hf_username>/<dataset_name>.'),
        DeclareLaunchArgument('dataset_name', default_value=EnvironmentVariable(
            'DATASET_NAME', default_value='ar4_pick_place'),
            description='dataset folder name (the one train reads by default).'),
        DeclareLaunchArgument('max_episode_duration', default_value=EnvironmentVariable(
            'MAX_EPISODE_DURATION', default_value='60'),
            description='seconds before an episode auto-pauses for save/discard; 0 disables.'),
        DeclareLaunchArgument('action_source', choices=ACTION_SOURCES, default_value='command',
                              description='what the action of a frame is: the commanded '
                              'target, the next state or the state.'),
        DeclareLaunchArgument('play_sounds', choices=BOOLEAN, default_value=EnvironmentVariable(
            'PLAY_SOUNDS', default_value='false'),
            description='speak the recorder prompts (spd-say or espeak-ng).'),
        DeclareLaunchArgument('display_data', choices=BOOLEAN, default_value=EnvironmentVariable(
            'DISPLAY_DATA', default_value='false'),
            description='show the recorded frames live in Rerun (display_target).'),
        DeclareLaunchArgument('display_target', default_value=EnvironmentVariable(
            'DISPLAY_TARGET', default_value='rerun+http://127.0.0.1:9876/proxy'),
            description='serve (gRPC 9876 + web viewer http://localhost:9090), a '
            'rerun+http://HOST:PORT/proxy URL or a .rrd file.'),
        DeclareLaunchArgument('reset_between_episodes', choices=BOOLEAN,
                              default_value=EnvironmentVariable(
                                  'RESET_BETWEEN_EPISODES', default_value='false'),
                              description='after a save or discard, home the arm and reset the '
                              'cubes with a new seed.'),
        DeclareLaunchArgument('reset_time_s', default_value=EnvironmentVariable(
            'RESET_TIME_S', default_value='0.0'),
            description='seconds after a save or discard before the next take can be armed.'),
        DeclareLaunchArgument('with_recorder', choices=BOOLEAN, default_value='true',
                              description='start recorder_node here (gamepad control only); '
                              'false: run it with ros2 run for keyboard control.'),
        DeclareLaunchArgument('use_sim_time', choices=BOOLEAN, default_value='true',
                              description='use the simulator clock.'),
    ]
    teleop = Node(
        package='ar4_teleop', executable='teleop_node', name='teleop_node', output='screen',
        parameters=[{
            'device': ParameterValue(LaunchConfiguration('device'), value_type=str),
            'speed_scale': ParameterValue(LaunchConfiguration('speed_scale'), value_type=float),
            'joint_jog': ParameterValue(LaunchConfiguration('joint_jog'), value_type=bool),
            # The teleop homes once it has the arm's joint state, retrying until it is accepted,
            # instead of a go_home call at a fixed 3 s, too early on a slow start.
            'home_on_start': ParameterValue(LaunchConfiguration('home_on_start'), value_type=bool),
            'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool),
        }])
    recorder = Node(
        package='ar4_teleop', executable='recorder_node', name='recorder_node', output='screen',
        emulate_tty=True, condition=IfCondition(LaunchConfiguration('with_recorder')),
        parameters=[{
            'task': ParameterValue(LaunchConfiguration('task'), value_type=str),
            'hf_username': ParameterValue(LaunchConfiguration('hf_username'), value_type=str),
            'dataset_name': ParameterValue(LaunchConfiguration('dataset_name'), value_type=str),
            'max_episode_duration': ParameterValue(
                LaunchConfiguration('max_episode_duration'), value_type=float),
            'action_source': ParameterValue(LaunchConfiguration('action_source'), value_type=str),
            'play_sounds': ParameterValue(LaunchConfiguration('play_sounds'), value_type=bool),
            'display_data': ParameterValue(LaunchConfiguration('display_data'), value_type=bool),
            'display_target': ParameterValue(LaunchConfiguration('display_target'),
                                             value_type=str),
            'reset_between_episodes': ParameterValue(
                LaunchConfiguration('reset_between_episodes'), value_type=bool),
            'reset_time_s': ParameterValue(LaunchConfiguration('reset_time_s'), value_type=float),
            'keyboard': False,
            'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool),
        }])
    return LaunchDescription(arguments + [teleop, recorder])
