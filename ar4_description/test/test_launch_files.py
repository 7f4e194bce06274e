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

"""Every launch file parses, defines generate_launch_description and documents its arguments."""

import ast
from pathlib import Path

import pytest

LAUNCH_DIR = Path(__file__).resolve().parents[1] / 'launch'
LAUNCH_FILES = sorted(LAUNCH_DIR.glob('*.launch.py'))


def call_name(node):
    function = node.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, 'id', '')


def string_value(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_there_are_launch_files():
    assert LAUNCH_FILES


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_compiles_and_declares_what_it_uses(path):
    source = path.read_text()
    tree = ast.parse(source, filename=str(path))
    compile(tree, str(path), 'exec')
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert 'generate_launch_description' in functions

    used = {string_value(node.args[0]) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and call_name(node) == 'LaunchConfiguration'
            and node.args}
    used.discard(None)
    declared = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == 'DeclareLaunchArgument':
            keywords = {k.arg: k.value for k in node.keywords}
            name = string_value(node.args[0]) if node.args else None
            if name is None:
                continue  # declared from a table: checked below
            description = string_value(keywords.get('description'))
            declared[name] = description
    # Tables of (name, default, description) tuples feeding DeclareLaunchArgument.
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 3:
            name, _, description = node.elts
            if string_value(name) in used and string_value(description):
                declared[string_value(name)] = string_value(description)
    assert used <= set(declared), f'used but not declared: {sorted(used - set(declared))}'
    for name, description in declared.items():
        assert description and description.endswith('.'), f'{name}: describe the argument'
