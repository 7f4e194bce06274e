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
Run the SmolVLA policy node against a running robot or simulation.

Usage: ros2 launch ar4_policy infer.launch.py checkpoint:=DIR task:="place the teal cube on
the top shelf". CHECKPOINT and TASK in the environment are the defaults (the compose service
``infer`` sets them).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    """Declare the policy arguments and start policy_node with them."""
    arguments = [
        DeclareLaunchArgument(
            'checkpoint', default_value=EnvironmentVariable('CHECKPOINT', default_value=''),
            description='SmolVLA checkpoint: pretrained_model, checkpoints/NNNNNN or training '
                        'run folder (default: $CHECKPOINT).'),
        DeclareLaunchArgument(
            'task', default_value=EnvironmentVariable('TASK', default_value=''),
            description='language instruction, e.g. "place the teal cube on the top shelf" '
                        '(default: $TASK).'),
        DeclareLaunchArgument('device', default_value='cpu',
                              description='torch device for the policy: cpu or cuda.'),
        DeclareLaunchArgument('vlm_path', default_value='',
                              description='local base-VLM folder (config, tokenizer, processor '
                                          'files) overriding the checkpoint; empty keeps it.'),
        DeclareLaunchArgument('n_action_steps', default_value='0',
                              description='actions executed per chunk before the next one '
                                          '(0: the checkpoint\'s own n_action_steps).'),
        DeclareLaunchArgument('fps', default_value='30',
                              description='control rate in Hz (datasets are recorded at 30).'),
        DeclareLaunchArgument('blend_steps', default_value='5',
                              description='steps over which a new chunk crossfades in.'),
        DeclareLaunchArgument('deterministic', default_value='false',
                              description='start the flow-matching decoder from zeros instead '
                                          'of random noise (repeatable actions).'),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='use /clock (true with Gazebo).'),
    ]
    config = LaunchConfiguration
    node = Node(
        package='ar4_policy',
        executable='policy_node',
        name='policy_node',
        output='screen',
        parameters=[{
            'checkpoint': ParameterValue(config('checkpoint'), value_type=str),
            'task': ParameterValue(config('task'), value_type=str),
            'device': ParameterValue(config('device'), value_type=str),
            'vlm_path': ParameterValue(config('vlm_path'), value_type=str),
            'n_action_steps': ParameterValue(config('n_action_steps'), value_type=int),
            'fps': ParameterValue(config('fps'), value_type=int),
            'blend_steps': ParameterValue(config('blend_steps'), value_type=int),
            'deterministic': ParameterValue(config('deterministic'), value_type=bool),
            'use_sim_time': ParameterValue(config('use_sim_time'), value_type=bool),
        }],
    )
    return LaunchDescription(arguments + [node])
