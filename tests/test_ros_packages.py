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
Every package's manifest and ROS imports, checked without ROS.

Node modules cannot be imported here (no rclpy), so a wrong import would only show in the Docker
image. These checks read the imports instead: every ROS package imported is a released Jazzy
package declared in the importing package's package.xml, every message imported from a package
the rosbags typestore knows exists there, and rclpy/launch imports use modules those libraries
really have. And every package.xml dependency is a released Jazzy package, a rosdep key or a
package of this workspace.
"""

import ast
from pathlib import Path

from ar4_description import ros_packages
import pytest
from rosbags.typesys import get_typestore, Stores

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for p in ROOT.glob('ar4_*/package.xml'))
SOURCES = sorted(path for package in PACKAGES
                 for path in [*package.glob(f'{package.name}/**/*.py'),
                              *package.glob('launch/*.py')])
# The rclpy and launch modules our nodes and launch files may use (their public Jazzy API).
KNOWN_MODULES = {
    'rclpy', 'rclpy.action', 'rclpy.callback_groups', 'rclpy.clock', 'rclpy.duration',
    'rclpy.exceptions', 'rclpy.executors', 'rclpy.logging', 'rclpy.node', 'rclpy.parameter',
    'rclpy.qos', 'rclpy.signals', 'rclpy.task', 'rclpy.time', 'rclpy.timer',
    'launch', 'launch.actions', 'launch.conditions', 'launch.event_handlers',
    'launch.events', 'launch.launch_description_sources', 'launch.substitutions',
    'launch_ros', 'launch_ros.actions', 'launch_ros.parameter_descriptions',
    'launch_ros.substitutions',
}
INTERFACE_KINDS = ('msg', 'srv', 'action')


def ros_imports(path: Path):
    """Yield (module, imported names) for each import of a ROS package in a source file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [(node.module, [alias.name for alias in node.names])]
        elif isinstance(node, ast.Import):
            modules = [(alias.name, []) for alias in node.names]
        else:
            continue
        for module, names in modules:
            if ros_packages.is_released_jazzy_package(module.split('.')[0]):
                yield module, names


def test_there_are_node_and_launch_sources():
    assert any(path.name.endswith('_node.py') for path in SOURCES)
    assert any(path.name.endswith('.launch.py') for path in SOURCES)


@pytest.mark.parametrize('path', SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_ros_imports_are_declared_and_exist(path):
    if ros_packages.rosdistro_dir() is None:
        pytest.skip('../shared/rosdistro is not here to tell ROS packages from others')
    package = next(p for p in PACKAGES if p in path.parents)
    declared = ros_packages.runtime_dependencies(package / 'package.xml')
    messages = get_typestore(Stores.ROS2_JAZZY).types
    problems = []
    for module, names in ros_imports(path):
        root, _, rest = module.partition('.')
        if root not in declared:
            problems.append(f'imports {module} but {package.name}/package.xml does not '
                            f'<exec_depend>{root}</exec_depend>')
        if rest in INTERFACE_KINDS:
            known = {name.split('/')[-1] for name in messages if name.startswith(f'{root}/')}
            if rest == 'msg' and known:
                problems += [f'{root}/msg/{name} does not exist in Jazzy'
                             for name in names if name not in known]
        elif root in ('rclpy', 'launch', 'launch_ros') and module not in KNOWN_MODULES:
            problems.append(f'{module} is not a module of {root}')
    assert problems == []


@pytest.mark.parametrize('package', PACKAGES, ids=lambda p: p.name)
def test_package_xml_dependencies_resolve_for_jazzy(package):
    if ros_packages.rosdistro_dir() is None:
        pytest.skip('../shared/rosdistro is not here to check package names against')
    assert ros_packages.check_package_xml(package / 'package.xml') == []
