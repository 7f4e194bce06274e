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
launch_testing: policy_node fails loudly when nothing can run (Docker CI only; needs ROS).

Started with a checkpoint folder that does not exist, the node prints one line on stderr and
exits with status 2 (ar4_description.node_startup.run_node); started through infer.launch.py,
``ros2 launch`` exits non-zero too, so ``docker compose run --rm infer`` does not look
successful. The task looks like YAML on purpose: it must reach the node as a string.
"""

import unittest

import launch
import launch.actions
import launch_ros.actions
from launch_ros.parameter_descriptions import ParameterValue
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import launch_testing.markers
import launch_testing.tools
import pytest

MISSING = '/nonexistent/ar4_policy_checkpoint'
TASK = 'stack: red on blue'
ERROR_LINE = f'policy_node: error: checkpoint folder {MISSING} does not exist'
EXIT_CONFIG = 2
TIMEOUT_S = 60.0
UNBUFFERED = {'PYTHONUNBUFFERED': '1'}


@pytest.mark.launch_test
@launch_testing.markers.keep_alive
def generate_test_description():
    # Each test starts its own process; keep_alive keeps launch up after they exit.
    return launch.LaunchDescription([launch_testing.actions.ReadyToTest()])


def stderr_lines(proc_output, process):
    """Return what ``process`` wrote to stderr, as lines."""
    text = b''.join(event.text for event in proc_output[process] if event.fd == 2)
    return text.decode(errors='replace').splitlines()


class TestPolicyNodeFailsLoudly(unittest.TestCase):

    def test_missing_checkpoint_is_one_line_on_stderr_and_exit_2(
            self, launch_service, proc_info, proc_output):
        node = launch_ros.actions.Node(
            package='ar4_policy', executable='policy_node', name='policy_node', output='screen',
            additional_env=UNBUFFERED,
            parameters=[{'checkpoint': MISSING, 'task': ParameterValue(TASK, value_type=str),
                         'use_sim_time': False}])
        with launch_testing.tools.launch_process(launch_service, node, proc_info, proc_output):
            proc_output.assertWaitFor(ERROR_LINE, process=node, timeout=TIMEOUT_S,
                                      stream='stderr')
            proc_info.assertWaitForShutdown(process=node, timeout=TIMEOUT_S)
        launch_testing.asserts.assertExitCodes(proc_info, process=node,
                                               allowable_exit_codes=[EXIT_CONFIG])
        lines = stderr_lines(proc_output, node)
        self.assertEqual(lines.count(ERROR_LINE), 1, lines)
        self.assertFalse(any('Traceback' in line for line in lines), lines)

    def test_infer_launch_exits_non_zero_when_the_node_cannot_start(
            self, launch_service, proc_info, proc_output):
        infer = launch.actions.ExecuteProcess(
            cmd=['ros2', 'launch', 'ar4_policy', 'infer.launch.py', f'checkpoint:={MISSING}',
                 f'task:={TASK}'],
            name='infer_launch', output='screen', additional_env=UNBUFFERED)
        with launch_testing.tools.launch_process(launch_service, infer, proc_info, proc_output):
            proc_output.assertWaitFor(ERROR_LINE, process=infer, timeout=TIMEOUT_S)
            proc_output.assertWaitFor(f'policy_node exited with status {EXIT_CONFIG}',
                                      process=infer, timeout=TIMEOUT_S)
            proc_info.assertWaitForShutdown(process=infer, timeout=TIMEOUT_S)
        # An exception in a launch event handler makes LaunchService.run return 1.
        launch_testing.asserts.assertExitCodes(proc_info, process=infer,
                                               allowable_exit_codes=[1])
