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
The package's launch files, read without ROS (parsed, never imported or run).

Every launch file parses, defines generate_launch_description and documents its arguments; every
node parameter it sets is a literal or a typed ParameterValue (launch_ros reads a bare
substitution as YAML); arguments with a fixed set of values declare it as choices.
"""

import ast
from pathlib import Path
from typing import Dict, Optional

from ar4_description.launch_checks import call_name, launch_file_problems, launch_files
from ar4_teleop.recording.sync import ACTION_SOURCES
from ar4_teleop.teleop_config import DEVICES
import pytest
import yaml

LAUNCH_FILES = launch_files(Path(__file__).resolve().parents[1])
RECORD_LAUNCH = Path(__file__).resolve().parents[1] / 'launch' / 'record.launch.py'
BOOLEAN = ['true', 'false']


def _assignments(tree: ast.AST) -> Dict[str, ast.expr]:
    """Return the value of every ``name = value`` in the file (module or function level)."""
    return {target.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _resolve(value: Optional[ast.expr], assignments: Dict[str, ast.expr]):
    """Follow a plain name to the expression assigned to it."""
    while isinstance(value, ast.Name) and value.id in assignments:
        value = assignments[value.id]
    return value


def parameter_type(value: ast.expr, assignments: Dict[str, ast.expr]) -> str:
    """
    Return how launch_ros types one node parameter value: 'str', 'bool', 'float', ... or 'yaml'.

    A literal keeps its Python type; ``ParameterValue(x, value_type=T)`` is coerced to T (launch
    type_utils.coerce_to_type: a str stays the text as given); anything else holding a
    substitution is parsed with yaml.safe_load (launch_ros utilities/evaluate_parameters.py
    evaluate_parameter_dict), so 'stack: red on blue' becomes a dict and '1234' an int.
    """
    value = _resolve(value, assignments)
    if isinstance(value, ast.Constant):
        return type(value.value).__name__
    if isinstance(value, ast.Call) and call_name(value) == 'ParameterValue':
        keywords = {keyword.arg: keyword.value for keyword in value.keywords}
        if isinstance(keywords.get('value_type'), ast.Name):
            return keywords['value_type'].id
    return 'yaml'


def node_parameter_types(path: Path) -> Dict[str, Dict[str, str]]:
    """Return {executable: {parameter: parameter_type}} for the launch_ros Nodes of a file."""
    tree = ast.parse(path.read_text())
    assignments = _assignments(tree)
    nodes = {}
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and call_name(call) == 'Node'):
            continue
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        types = nodes.setdefault(ast.literal_eval(keywords['executable']), {})
        for item in getattr(_resolve(keywords.get('parameters'), assignments), 'elts', []):
            item = _resolve(item, assignments)
            assert isinstance(item, ast.Dict), f'{path.name}: give parameters as dict literals'
            for key, value in zip(item.keys, item.values):
                types[ast.literal_eval(key)] = parameter_type(value, assignments)
    return nodes


def declared_arguments(path: Path) -> Dict[str, dict]:
    """Return {argument: {'default': literal or None, 'choices': list or None}}."""
    tree = ast.parse(path.read_text())
    assignments = _assignments(tree)
    arguments = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and call_name(call) == 'DeclareLaunchArgument':
            keywords = {keyword.arg: _resolve(keyword.value, assignments)
                        for keyword in call.keywords}
            default, choices = keywords.get('default_value'), keywords.get('choices')
            arguments[ast.literal_eval(call.args[0])] = {
                'default': default.value if isinstance(default, ast.Constant) else None,
                'choices': ast.literal_eval(choices) if choices is not None else None}
    return arguments


def test_there_are_launch_files():
    assert LAUNCH_FILES


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_compiles_and_declares_what_it_uses(path):
    assert launch_file_problems(path) == []


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_every_node_parameter_is_typed_not_yaml(path):
    untyped = {(executable, name) for executable, types in node_parameter_types(path).items()
               for name, kind in types.items() if kind == 'yaml'}
    assert untyped == set(), 'wrap them in ParameterValue(..., value_type=...)'


def test_what_yaml_would_do_to_the_record_launch_strings():
    # Why the recorder's strings are value_type=str: launch_ros would parse them as YAML.
    assert yaml.safe_load('stack: red on blue') == {'stack': 'red on blue'}
    assert yaml.safe_load('1234') == 1234
    recorder = node_parameter_types(RECORD_LAUNCH)['recorder_node']
    for name in ('task', 'hf_username', 'dataset_name', 'action_source'):
        assert recorder[name] == 'str', name
    assert recorder['max_episode_duration'] == 'float' and recorder['keyboard'] == 'bool'


def test_record_launch_arguments_with_fixed_values_declare_them():
    arguments = declared_arguments(RECORD_LAUNCH)
    assert arguments['action_source']['choices'] == list(ACTION_SOURCES)
    assert arguments['device']['choices'] == list(DEVICES)
    for name in ('joint_jog', 'home_on_start', 'with_recorder', 'use_sim_time'):
        assert arguments[name]['choices'] == BOOLEAN, name
    for name, argument in arguments.items():
        if argument['choices'] is not None and argument['default'] is not None:
            assert argument['default'] in argument['choices'], name


# The recorder's session options: launch argument, its type, environment variable, default.
SESSION_OPTIONS = {
    'play_sounds': ('bool', 'PLAY_SOUNDS', 'false'),
    'display_data': ('bool', 'DISPLAY_DATA', 'false'),
    'display_target': ('str', 'DISPLAY_TARGET', 'rerun+http://127.0.0.1:9876/proxy'),
    'reset_between_episodes': ('bool', 'RESET_BETWEEN_EPISODES', 'false'),
    'reset_time_s': ('float', 'RESET_TIME_S', '0.0'),
}


def _argument_default(path: Path, name: str) -> ast.expr:
    tree = ast.parse(path.read_text())
    (declare,) = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and call_name(node) == 'DeclareLaunchArgument'
                  and ast.literal_eval(node.args[0]) == name]
    return {keyword.arg: keyword.value for keyword in declare.keywords}['default_value']


@pytest.mark.parametrize('name', SESSION_OPTIONS)
def test_record_launch_passes_the_session_options_typed_with_environment_defaults(name):
    kind, variable, default = SESSION_OPTIONS[name]
    assert node_parameter_types(RECORD_LAUNCH)['recorder_node'][name] == kind
    expected_choices = BOOLEAN if kind == 'bool' else None
    assert declared_arguments(RECORD_LAUNCH)[name]['choices'] == expected_choices
    given = _argument_default(RECORD_LAUNCH, name)
    assert call_name(given) == 'EnvironmentVariable'
    assert ast.literal_eval(given.args[0]) == variable
    assert {keyword.arg: ast.literal_eval(keyword.value)
            for keyword in given.keywords} == {'default_value': default}


def test_record_launch_passes_the_device_as_a_string_defaulting_to_teleop_device():
    teleop = node_parameter_types(RECORD_LAUNCH)['teleop_node']
    assert teleop['device'] == 'str'
    tree = ast.parse(RECORD_LAUNCH.read_text())
    (declare,) = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and call_name(node) == 'DeclareLaunchArgument'
                  and ast.literal_eval(node.args[0]) == 'device']
    default = {keyword.arg: keyword.value for keyword in declare.keywords}['default_value']
    assert call_name(default) == 'EnvironmentVariable'
    assert ast.literal_eval(default.args[0]) == 'TELEOP_DEVICE'
    assert {keyword.arg: ast.literal_eval(keyword.value)
            for keyword in default.keywords} == {'default_value': 'gamepad'}


def test_record_launch_homes_through_the_teleop_not_a_timed_service_call():
    tree = ast.parse(RECORD_LAUNCH.read_text())
    calls = {call_name(node) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not calls & {'TimerAction', 'ExecuteProcess'}
    assert not [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                and 'go_home' in str(node.value)]
    teleop = node_parameter_types(RECORD_LAUNCH)['teleop_node']
    assert teleop['home_on_start'] == 'bool'
    assert declared_arguments(RECORD_LAUNCH)['home_on_start']['default'] == 'true'


def test_parameter_types_are_read_as_launch_ros_reads_them(tmp_path):
    path = tmp_path / 'typed.launch.py'
    path.write_text(
        'from launch_ros.actions import Node\n'
        'from launch_ros.parameter_descriptions import ParameterValue\n'
        'from launch.substitutions import LaunchConfiguration\n'
        'def generate_launch_description():\n'
        '    sim = ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool)\n'
        '    return Node(executable="demo", parameters=[{\n'
        '        "use_sim_time": sim, "task": LaunchConfiguration("task"), "rate": 2.0,\n'
        '        "name": ParameterValue(LaunchConfiguration("name"), value_type=str)}])\n')
    assert node_parameter_types(path) == {'demo': {
        'use_sim_time': 'bool', 'task': 'yaml', 'rate': 'float', 'name': 'str'}}
