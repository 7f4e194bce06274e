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
the top shelf". CHECKPOINT, TASK and USE_SIM_TIME in the environment are the defaults (the
compose service ``infer`` sets them). use_sim_time defaults to true, the simulation: on the
wall clock a sim running slower than real time would play each chunk too fast for it.

Every string argument reaches the node as ``ParameterValue(..., value_type=str)``: launch_ros
reads plain parameter values as YAML, so a task such as "stack: red on blue" or "yes" would
arrive as a dict or a bool (launch_ros/utilities/evaluate_parameters.py). When the node exits
with an error (status 2: no checkpoint, nothing ran) ``ros2 launch`` exits non-zero too, so
``docker compose run --rm infer`` does not look successful.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

BOOLEAN = ['true', 'false']


class PolicyNodeFailed(RuntimeError):
    """The policy node exited with an error status; its own error line is printed above."""


def fail_launch_on_error(event, context):
    """
    Turn a failed policy node into a failed launch.

    ros2 launch returns 0 whatever its processes return; an exception raised while it handles
    an event makes LaunchService.run return 1 (launch/launch_service.py, run_async).
    """
    if event.returncode != 0:
        raise PolicyNodeFailed(f'policy_node exited with status {event.returncode}')


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
                              description='torch device for the policy: cpu, cuda, cuda:N or '
                                          'mps.'),
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
        DeclareLaunchArgument('deterministic', default_value='false', choices=BOOLEAN,
                              description='start the flow-matching decoder from zeros instead '
                                          'of random noise (repeatable actions).'),
        DeclareLaunchArgument('log_run', default_value='',
                              description='inference log folder under data/inference_logs, '
                                          'e.g. the dataset name (empty: the checkpoint\'s '
                                          'training run).'),
        DeclareLaunchArgument('log_every_n_inferences', default_value='0',
                              description='print joints, policy output, timing and task every '
                                          'N inferences (0: never).'),
        DeclareLaunchArgument(
            'use_sim_time', choices=BOOLEAN,
            default_value=EnvironmentVariable('USE_SIM_TIME', default_value='true'),
            description='follow /clock (default: $USE_SIM_TIME, else true for the simulation; '
                        'false on the real arm).'),
    ]
    node = Node(
        package='ar4_policy',
        executable='policy_node',
        name='policy_node',
        output='screen',
        parameters=[{
            'checkpoint': ParameterValue(LaunchConfiguration('checkpoint'), value_type=str),
            'task': ParameterValue(LaunchConfiguration('task'), value_type=str),
            'device': ParameterValue(LaunchConfiguration('device'), value_type=str),
            'vlm_path': ParameterValue(LaunchConfiguration('vlm_path'), value_type=str),
            'n_action_steps': ParameterValue(LaunchConfiguration('n_action_steps'),
                                             value_type=int),
            'fps': ParameterValue(LaunchConfiguration('fps'), value_type=int),
            'blend_steps': ParameterValue(LaunchConfiguration('blend_steps'), value_type=int),
            'deterministic': ParameterValue(LaunchConfiguration('deterministic'),
                                            value_type=bool),
            'log_run': ParameterValue(LaunchConfiguration('log_run'), value_type=str),
            'log_every_n_inferences': ParameterValue(
                LaunchConfiguration('log_every_n_inferences'), value_type=int),
            'use_sim_time': ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool),
        }],
    )
    fail_on_error = RegisterEventHandler(OnProcessExit(target_action=node,
                                                       on_exit=fail_launch_on_error))
    return LaunchDescription(arguments + [node, fail_on_error])
