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
Check ROS 2 Python launch files without ROS: parse them, never import or run them.

Each package's test_launch_files.py asserts that :func:`launch_file_problems` finds nothing in
its own ``launch/*.launch.py``: the file compiles, defines generate_launch_description, and
every LaunchConfiguration it reads is declared with a description ending in a period (directly
in DeclareLaunchArgument or in a table of (name, default, description) tuples).
"""

import ast
from pathlib import Path
from typing import Dict, List, Optional, Union


def launch_files(package_dir: Union[str, Path]) -> List[Path]:
    """Return the package's launch/*.launch.py files, sorted."""
    return sorted((Path(package_dir) / 'launch').glob('*.launch.py'))


def call_name(node: ast.Call) -> str:
    """Return the called function's name (``f`` of ``f(...)`` or ``x.f(...)``)."""
    function = node.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, 'id', '')


def string_value(node) -> Optional[str]:
    """Return the value of a string literal node, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def launch_file_problems(path: Union[str, Path]) -> List[str]:
    """Return what is wrong with one launch file (empty when it is fine)."""
    path = Path(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    compile(tree, str(path), 'exec')
    problems = []
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    if 'generate_launch_description' not in functions:
        problems.append(f'{path.name}: no generate_launch_description()')

    used = {string_value(node.args[0]) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and call_name(node) == 'LaunchConfiguration'
            and node.args}
    used.discard(None)
    declared: Dict[str, Optional[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == 'DeclareLaunchArgument':
            keywords = {k.arg: k.value for k in node.keywords}
            name = string_value(node.args[0]) if node.args else None
            if name is None:
                continue  # declared from a table: checked below
            declared[name] = string_value(keywords.get('description'))
            # A boolean accepts anything unless it says so: 'True', 'yes' or a typo would be
            # passed on (and read by IfCondition or a bool parameter) instead of refused.
            if string_value(keywords.get('default_value')) in ('true', 'false') and \
                    'choices' not in keywords:
                problems.append(f"{path.name}: {name}: a boolean argument declares "
                                f"choices=['true', 'false']")
    # Tables of (name, default, description) tuples feeding DeclareLaunchArgument.
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 3:
            name, _, description = node.elts
            if string_value(name) in used and string_value(description):
                declared[string_value(name)] = string_value(description)
    undeclared = sorted(used - set(declared))
    if undeclared:
        problems.append(f'{path.name}: used but not declared: {undeclared}')
    for name, description in declared.items():
        if not (description and description.endswith('.')):
            problems.append(f'{path.name}: {name}: describe the argument')
    return problems
