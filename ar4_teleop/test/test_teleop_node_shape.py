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
teleop_node.py read as source (rclpy cannot be imported here): size, QoS, logging, start-up.

The node is message plumbing; its rules are tested in test_teleop_core.py. What can go wrong in
the plumbing itself is checked here on the syntax tree: which QoS profile each topic gets, that
no log call site switches severity, that the parameters are declared from the core's table and
that main() starts through node_startup.run_node.
"""

import ast
from pathlib import Path

from ar4_teleop.teleop_config import TOPICS
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'ar4_teleop'
NODE = PACKAGE / 'teleop_node.py'
MAX_NODE_LINES = 250

# topic parameter -> the ar4_description.qos profile its publisher or subscription must use.
EXPECTED_QOS = {
    'twist_topic': 'LATEST_COMMAND',
    'joint_jog_topic': 'LATEST_COMMAND',
    'joint_trajectory_topic': 'LATEST_COMMAND',
    'joint_states_topic': 'JOINT_STATES',
    'recorder_state_topic': 'LATCHED',
    'homing_state_topic': 'LATCHED',
    'gripper_target_topic': 'GRIPPER_TARGET',
}


@pytest.fixture(scope='module')
def tree():
    return ast.parse(NODE.read_text())


def lines_of_code(path: Path) -> int:
    """Count non-blank lines that are not comments (docstrings count)."""
    return sum(1 for line in path.read_text().splitlines()
               if line.strip() and not line.strip().startswith('#'))


def calls(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if getattr(func, 'attr', None) == name or getattr(func, 'id', None) == name:
                yield node


def test_the_node_stays_plumbing():
    assert lines_of_code(NODE) <= MAX_NODE_LINES


def test_each_topic_uses_its_qos_profile(tree):
    found = {}
    for call in list(calls(tree, 'create_publisher')) + list(calls(tree, 'create_subscription')):
        topic, profile = call.args[1], call.args[-1]
        assert isinstance(topic, ast.Subscript), ast.dump(topic)
        name = topic.slice.value
        assert name in TOPICS
        found[name] = (profile.attr if isinstance(profile, ast.Attribute)
                       and getattr(profile.value, 'id', None) == 'qos' else ast.unparse(profile))
    for name, profile in EXPECTED_QOS.items():
        assert found.get(name) == profile, name
    # Requests are not latched: a recorder started later must not replay an old 'save'.
    assert found['episode_control_topic'] == '10'


@pytest.mark.parametrize('path', sorted(PACKAGE.glob('*.py')), ids=lambda path: path.name)
def test_no_log_call_site_switches_severity(path):
    # rclpy refuses a severity change between calls of one call site, e.g.
    # (logger.info if ok else logger.warning)(message).
    severities = {'debug', 'info', 'warn', 'warning', 'error', 'fatal'}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.IfExp):
            chosen = {getattr(branch, 'attr', None)
                      for branch in (node.func.body, node.func.orelse)}
            assert not chosen & severities, (
                f'{path.name}:{node.lineno}: one log call site with a severity chosen per call')


def test_parameters_are_declared_from_the_table_with_descriptors(tree):
    (declare,) = calls(tree, 'declare_parameter')
    assert ast.unparse(declare) == (
        'self.declare_parameter(spec.name, spec.default, _descriptor(spec))')
    loop = next(node for node in ast.walk(tree) if isinstance(node, ast.For)
                and declare in ast.walk(node))
    assert ast.unparse(loop.iter) == 'PARAMETERS'
    source = NODE.read_text()
    assert 'read_only=spec.read_only' in source and 'floating_point_range' in source


def test_main_starts_through_run_node_and_close_sends_the_zero_command(tree):
    main = next(node for node in tree.body if isinstance(node, ast.FunctionDef)
                and node.name == 'main')
    (start,) = calls(main, 'run_node')
    assert ast.literal_eval(start.args[0]) == 'teleop_node'
    assert {keyword.arg for keyword in start.keywords} >= {'config_errors', 'shutdown_errors'}
    node_class = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    close = next(node for node in node_class.body if isinstance(node, ast.FunctionDef)
                 and node.name == 'close')
    assert list(calls(close, 'shutdown_command')) and list(calls(close, 'wait_for_all_acked'))
    assert 'SignalHandlerOptions.NO' in NODE.read_text()
