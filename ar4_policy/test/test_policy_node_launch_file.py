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
infer.launch.py read without ROS (parsed, never run): sim time, choices, string parameters.

launch and launch_ros do not exist here, so the file is checked as source, like
ar4_description.launch_checks does for every launch file; the Docker test service runs it for
real (test_policy_node_launch.py).
"""

import ast
from pathlib import Path
from types import SimpleNamespace

from ar4_policy.control_loop import POLICY_PARAMETERS
import pytest

LAUNCH_FILE = Path(__file__).resolve().parents[1] / 'launch' / 'infer.launch.py'
BOOLEAN = ['true', 'false']


def call_name(node):
    function = node.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, 'id', '')


@pytest.fixture(scope='module')
def tree():
    return ast.parse(LAUNCH_FILE.read_text(), filename=str(LAUNCH_FILE))


@pytest.fixture(scope='module')
def constants(tree):
    """Return the module-level NAME = literal assignments (e.g. the choices lists)."""
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, AttributeError):
                pass
    return values


@pytest.fixture(scope='module')
def arguments(tree, constants):
    """Return the declared arguments: name -> {'default', 'choices', 'description'}."""
    declared = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == 'DeclareLaunchArgument':
            keywords = {k.arg: k.value for k in node.keywords}
            choices = keywords.get('choices')
            if isinstance(choices, ast.Name):
                choices = constants[choices.id]
            elif choices is not None:
                choices = ast.literal_eval(choices)
            declared[node.args[0].value] = {
                'default': keywords['default_value'], 'choices': choices,
                'description': ast.literal_eval(keywords['description'])}
    return declared


@pytest.fixture(scope='module')
def node_parameters(tree):
    """Return the node's parameters: name -> (launch configuration read, value_type name)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == 'Node':
            keywords = {k.arg: k.value for k in node.keywords}
            assert ast.literal_eval(keywords['executable']) == 'policy_node'
            (table,) = keywords['parameters'].elts
            result = {}
            for key, value in zip(table.keys, table.values):
                assert isinstance(value, ast.Call) and call_name(value) == 'ParameterValue', (
                    f'{key.value}: pass it as ParameterValue(..., value_type=...)')
                (configuration,) = value.args
                assert call_name(configuration) == 'LaunchConfiguration'
                value_type = {k.arg: k.value for k in value.keywords}['value_type']
                result[key.value] = (configuration.args[0].value, value_type.id)
            return result
    raise AssertionError('no policy_node in infer.launch.py')


def test_use_sim_time_defaults_to_the_environment_else_true(arguments):
    use_sim_time = arguments['use_sim_time']
    default = use_sim_time['default']
    assert call_name(default) == 'EnvironmentVariable'
    assert [ast.literal_eval(a) for a in default.args] == ['USE_SIM_TIME']
    assert {k.arg: ast.literal_eval(k.value) for k in default.keywords} == {
        'default_value': 'true'}
    assert '$USE_SIM_TIME' in use_sim_time['description']
    assert 'true' in use_sim_time['description']


def test_boolean_arguments_declare_their_choices(arguments, node_parameters):
    booleans = {name for name, (_, value_type) in node_parameters.items() if value_type == 'bool'}
    assert booleans == {'deterministic', 'use_sim_time'}
    for name in booleans:
        assert arguments[name]['choices'] == BOOLEAN, name


def test_every_parameter_reaches_the_node_with_the_type_the_node_declares(node_parameters):
    declared = {spec.name: type(spec.default).__name__ for spec in POLICY_PARAMETERS}
    declared['use_sim_time'] = 'bool'
    for name, (configuration, value_type) in node_parameters.items():
        assert configuration == name
        assert value_type == declared[name], name
    # Strings stay strings: launch_ros would read "stack: red on blue" as YAML otherwise.
    for name in ('checkpoint', 'task', 'device', 'vlm_path'):
        assert node_parameters[name][1] == 'str'


def test_every_node_parameter_is_a_declared_argument(arguments, node_parameters):
    assert set(node_parameters) <= set(arguments)
    for name, argument in arguments.items():
        assert argument['description'].endswith('.'), name
        default = argument['default']
        if argument['choices'] is not None and isinstance(default, ast.Constant):
            assert default.value in argument['choices'], name


def test_a_failed_node_fails_the_launch(tree):
    handlers = [node for node in ast.walk(tree)
                if isinstance(node, ast.Call) and call_name(node) == 'OnProcessExit']
    assert len(handlers) == 1
    keywords = {k.arg: k.value for k in handlers[0].keywords}
    assert keywords['target_action'].id == 'node'
    assert keywords['on_exit'].id == 'fail_launch_on_error'
    # Run the handler itself (it needs nothing from launch): only an error status raises, and
    # an exception in an event handler makes ros2 launch exit 1.
    wanted = [node for node in tree.body if getattr(node, 'name', None) in (
        'PolicyNodeFailed', 'fail_launch_on_error')]
    namespace = {}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(LAUNCH_FILE), 'exec'), namespace)
    handler = namespace['fail_launch_on_error']
    assert handler(SimpleNamespace(returncode=0), None) is None
    with pytest.raises(namespace['PolicyNodeFailed'], match='policy_node exited with status 2'):
        handler(SimpleNamespace(returncode=2), None)
