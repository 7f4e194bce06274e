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
launch_testing: teleop_node with a bad parameter exits 2 with one line (Docker CI only).

The installed teleop_node is started the way record.launch.py starts it, with a twist topic
that is not a ROS name. It must stop before wiring anything, print the one line
node_startup.run_node prints for a configuration error on stderr, and exit with status 2. The
root conftest.py leaves this file out of collection where launch_testing is not installed.
"""

import unittest

import launch
import launch_ros.actions
from launch_ros.parameter_descriptions import ParameterValue
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import pytest

BAD_TOPIC = 'not a topic'
ERROR_LINE = ('teleop_node: error: parameter twist_topic must be a ROS topic or service name '
              f"such as /servo_node/delta_twist_cmds, got '{BAD_TOPIC}'")


@pytest.mark.launch_test
def generate_test_description():
    # ParameterValue(value_type=str): launch_ros would otherwise read the value as YAML.
    teleop = launch_ros.actions.Node(
        package='ar4_teleop', executable='teleop_node', name='teleop_node', output='screen',
        parameters=[{'twist_topic': ParameterValue(BAD_TOPIC, value_type=str),
                     'read_device': False, 'keyboard': False}])
    return (launch.LaunchDescription([teleop, launch_testing.actions.ReadyToTest()]),
            {'teleop': teleop})


class TestBadParameter(unittest.TestCase):

    def test_stops_with_one_line_on_stderr(self, proc_info, proc_output, teleop):
        proc_info.assertWaitForShutdown(process=teleop, timeout=60)
        proc_output.assertWaitFor(ERROR_LINE, process=teleop, timeout=10, stream='stderr')


@launch_testing.post_shutdown_test()
class TestExitStatus(unittest.TestCase):

    def test_exit_status_2(self, proc_info, teleop):
        launch_testing.asserts.assertExitCodes(proc_info, allowable_exit_codes=[2],
                                               process=teleop)
