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

"""run_node with the rclpy stand-in (the ROS graph cannot exist here)."""

from concurrent.futures import Future
import io

from ar4_description.node_startup import (
    check_choice, config_error_line, ConfigError, EXIT_CONFIG, EXIT_OK, run_node,
    run_one_shot_node)
from ar4_description.testing import ExternalShutdownStandIn, RclpyStandIn
import pytest


class FakeNode:
    """A node with close() and destroy_node() that record their calls."""

    def __init__(self, calls):
        self.calls = calls

    def close(self):
        self.calls.append('close')

    def destroy_node(self):
        self.calls.append('destroy_node')


@pytest.mark.parametrize('ending', [KeyboardInterrupt, ExternalShutdownStandIn()])
def test_a_normal_end_closes_then_destroys_and_exits_0(ending):
    rclpy = RclpyStandIn(ending)
    status = run_node('demo_node', lambda: FakeNode(rclpy.calls), rclpy,
                      shutdown_errors=(ExternalShutdownStandIn,))
    assert status == EXIT_OK
    assert rclpy.calls == ['init', 'spin', 'close', 'destroy_node', 'try_shutdown']


def test_a_config_error_at_start_is_one_line_on_stderr_and_exit_2():
    rclpy, err = RclpyStandIn(KeyboardInterrupt()), io.StringIO()

    def make():
        raise ConfigError('checkpoint data/missing not found:\n  train one with ar4-train')
    assert run_node('policy_node', make, rclpy, stderr=err) == EXIT_CONFIG
    assert err.getvalue() == ('policy_node: error: checkpoint data/missing not found: '
                              'train one with ar4-train\n')
    assert rclpy.calls == ['init', 'try_shutdown']


def test_a_node_specific_config_error_while_spinning_still_closes():
    class DatasetError(Exception):
        pass
    rclpy, err = RclpyStandIn(DatasetError('disk full')), io.StringIO()
    status = run_node('recorder_node', lambda: FakeNode(rclpy.calls), rclpy,
                      config_errors=(ConfigError, DatasetError), stderr=err)
    assert status == EXIT_CONFIG and err.getvalue() == 'recorder_node: error: disk full\n'
    assert rclpy.calls[-3:] == ['close', 'destroy_node', 'try_shutdown']


def test_a_bug_keeps_its_traceback_and_still_shuts_down():
    rclpy = RclpyStandIn(ZeroDivisionError('bug'))
    with pytest.raises(ZeroDivisionError):
        run_node('teleop_node', lambda: FakeNode(rclpy.calls), rclpy)
    assert rclpy.calls[-2:] == ['destroy_node', 'try_shutdown']
    assert config_error_line('n', ValueError()) == 'n: error: ValueError'


def test_check_choice_names_the_parameter_and_the_choices():
    check_choice('action_source', 'command', ('command', 'next_state'))
    with pytest.raises(ConfigError, match="action_source must be one of command, next_state, "
                                          "got 'velocity'"):
        check_choice('action_source', 'velocity', ('command', 'next_state'))


class OneShotNode(FakeNode):
    """A one-shot node whose job sets ``finished`` when it is built (stand-in for a Future)."""

    def __init__(self, calls, status=None):
        super().__init__(calls)
        self.finished = Future()
        if status is not None:
            self.finished.set_result(status)


def test_a_one_shot_node_exits_with_its_status_or_1_when_interrupted():
    rclpy = RclpyStandIn()
    assert run_one_shot_node('ready', lambda: OneShotNode(rclpy.calls, 0), rclpy) == 0
    assert rclpy.calls == ['init', 'spin_until_future_complete', 'destroy_node',
                           'try_shutdown']
    rclpy = RclpyStandIn(KeyboardInterrupt())
    assert run_one_shot_node('ready', lambda: OneShotNode(rclpy.calls), rclpy) == 1
    rclpy, err = RclpyStandIn(), io.StringIO()

    def make():
        raise ConfigError('the world has no table')
    assert run_one_shot_node('add_objects', make, rclpy, stderr=err) == EXIT_CONFIG
    assert err.getvalue() == 'add_objects: error: the world has no table\n'
