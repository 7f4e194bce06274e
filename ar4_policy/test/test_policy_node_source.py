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
policy_node.py read as source (rclpy does not exist here): read-only parameters, QoS, start-up.

What the node does with rclpy is checked where it can be: the parameter table, checks and
start-up run offline in test_policy_node_settings.py; the running node in the Docker test
service (test_policy_node_launch.py). This file pins the wiring between them.
"""

import ast
from pathlib import Path

import pytest

NODE_FILE = Path(__file__).resolve().parents[1] / 'ar4_policy' / 'policy_node.py'
MAX_LINES_OF_CODE = 250


def call_name(node):
    function = node.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, 'id', '')


def calls(tree, name):
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and call_name(node) == name]


def keywords(call):
    return {k.arg: k.value for k in call.keywords}


def definition(tree, name):
    return next(node for node in ast.walk(tree)
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name)


def assignment(tree, name):
    return next(node.value for node in tree.body if isinstance(node, ast.Assign)
                and [getattr(t, 'id', None) for t in node.targets] == [name])


@pytest.fixture(scope='module')
def source():
    return NODE_FILE.read_text()


@pytest.fixture(scope='module')
def tree(source):
    return ast.parse(source, filename=str(NODE_FILE))


def test_every_parameter_is_declared_read_only_from_the_table(tree):
    (declare,) = calls(tree, 'declare_parameter')
    loop = next(node for node in ast.walk(definition(tree, 'PolicyNode'))
                if isinstance(node, ast.For) and declare in ast.walk(node))
    assert ast.unparse(loop.iter) == 'POLICY_PARAMETERS'
    assert ast.unparse(declare) == ('self.declare_parameter(spec.name, spec.default, '
                                    'parameter_descriptor(spec))')
    (descriptor,) = calls(definition(tree, 'parameter_descriptor'), 'ParameterDescriptor')
    assert ast.literal_eval(keywords(descriptor)['read_only']) is True
    # Nothing may be made writable afterwards: no parameter callback, no set_parameters.
    for name in ('add_on_set_parameters_callback', 'set_parameters', 'set_descriptor'):
        assert calls(tree, name) == [], name


def test_topics_use_the_chosen_qos(tree):
    # create_publisher(type, topic, qos), create_subscription(type, topic, callback, qos)
    qos_by_topic = {}
    for name, qos_index in (('create_publisher', 2), ('create_subscription', 3)):
        for call in calls(tree, name):
            qos_by_topic[ast.literal_eval(call.args[1])] = ast.unparse(call.args[qos_index])
    assert qos_by_topic == {
        '/joint_states': 'qos.JOINT_STATES',
        '/gripper_target': 'qos.GRIPPER_TARGET',
        '/joint_trajectory_controller/joint_trajectory': 'TRAJECTORY_COMMAND',
        '/wrist_camera/image': 'qos_profile_sensor_data',
    }
    command = keywords(assignment(tree, 'TRAJECTORY_COMMAND'))
    assert ast.unparse(command['reliability']) == 'ReliabilityPolicy.RELIABLE'
    # Never latched: a late controller would start an old zero-stamped target "now".
    assert ast.unparse(command['durability']) == 'DurabilityPolicy.VOLATILE'


def test_main_fails_loudly_through_run_node(tree):
    main = definition(tree, 'main')
    (exit_call,) = calls(main, 'exit')
    (run,) = exit_call.args
    assert call_name(run) == 'run_node'
    assert ast.literal_eval(run.args[0]) == 'policy_node'
    assert ast.unparse(run.args[1]) == 'PolicyNode'
    assert ast.unparse(keywords(run)['config_errors']) == 'NODE_CONFIG_ERRORS'
    errors = assignment(tree, 'NODE_CONFIG_ERRORS')
    assert ast.unparse(errors.left) == 'CONFIG_ERRORS'
    # Errors reach stderr through run_node, never stdout.
    assert calls(tree, 'print') == []


def test_the_core_logs_through_the_node_logger(tree):
    (start,) = calls(tree, 'start_policy')
    assert ast.unparse(start.args[1]) == 'self.get_logger()'


def test_close_stops_the_inference_thread(tree):
    close = definition(definition(tree, 'PolicyNode'), 'close')
    assert 'self.controller.close()' in ast.unparse(close)
    assert not any(node.name == 'destroy_node' for node in ast.walk(tree)
                   if isinstance(node, ast.FunctionDef))


def test_the_node_stays_small(source):
    code = [line for line in source.splitlines()
            if line.strip() and not line.strip().startswith('#')]
    assert len(code) <= MAX_LINES_OF_CODE
