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
launch_testing: the recorder refuses a bad parameter loudly (Docker CI only; needs ROS).

Starts two recorder nodes: one with an action_source it does not know (refused by its own
check) and one with an fps outside the declared range (refused by rclpy while declaring). Each
must end by itself with exit status 2 and the one line ``recorder_node: error: ...`` on stderr,
no traceback, and without creating its dataset folder.
"""

import os
import tempfile
import unittest

import launch
import launch_ros.actions
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import pytest

DATASETS = tempfile.mkdtemp(prefix='ar4_recorder_launch_test_')
EXPECTED = {
    'bad_choice': ('recorder_node: error: parameter action_source must be one of command, '
                   "next_state, state, got 'velocity'"),
    'bad_range': 'recorder_node: error: Invalid parameter value (500) for parameter',
}


def recorder(name, **parameters):
    """Return a recorder node named ``name`` with ``parameters``, its dataset under DATASETS."""
    return launch_ros.actions.Node(
        package='ar4_teleop', executable='recorder_node', name=name, output='screen',
        parameters=[{'keyboard': False, 'dataset_root': os.path.join(DATASETS, name),
                     **parameters}])


@pytest.mark.launch_test
def generate_test_description():
    nodes = {'bad_choice': recorder('bad_choice', action_source='velocity'),
             'bad_range': recorder('bad_range', fps=500)}
    return launch.LaunchDescription(
        list(nodes.values()) + [launch_testing.actions.ReadyToTest()]), {'nodes': nodes}


class TestRecorderEndsByItself(unittest.TestCase):

    def test_both_end(self, proc_info, nodes):
        for node in nodes.values():
            proc_info.assertWaitForShutdown(process=node, timeout=60)


@launch_testing.post_shutdown_test()
class TestRecorderExitStatus(unittest.TestCase):

    def test_exit_status_2(self, proc_info, nodes):
        for node in nodes.values():
            launch_testing.asserts.assertExitCodes(proc_info, allowable_exit_codes=[2],
                                                   process=node)

    def test_one_error_line_and_no_traceback(self, proc_output, nodes):
        for name, node in nodes.items():
            stderr = ''.join(event.text.decode(errors='replace') for event in proc_output[node]
                             if event.from_stderr)
            errors = [line for line in stderr.splitlines()
                      if line.startswith('recorder_node: error:')]
            self.assertEqual(len(errors), 1, stderr)
            self.assertTrue(errors[0].startswith(EXPECTED[name]), stderr)
            self.assertNotIn('Traceback', stderr)
            self.assertFalse(os.path.exists(os.path.join(DATASETS, name)))
