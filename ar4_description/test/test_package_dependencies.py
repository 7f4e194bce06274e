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

"""The rosdistro lookups of ar4_description.ros_packages (manifests: tests/test_ros_packages)."""

from pathlib import Path

from ar4_description import ros_packages
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    ros_packages.rosdistro_dir() is None,
    reason='rosdistro data not found (../shared/rosdistro or $AR4_ROSDISTRO_DIR)')


def test_known_names_resolve():
    assert ros_packages.is_released_jazzy_package('moveit_servo')
    assert ros_packages.is_released_jazzy_package('parallel_gripper_controller')
    assert ros_packages.is_rosdep_key('python3-yaml')
    assert not ros_packages.is_released_jazzy_package('python3-yaml')
    # lerobot's dependencies come from pip: there is no rosdep key for them.
    assert not ros_packages.is_rosdep_key('python3-av')
    assert not ros_packages.is_released_jazzy_package('ar4_no_such_package')


def test_check_reports_unknown_duplicate_and_empty_dependencies(tmp_path):
    path = tmp_path / 'package.xml'
    path.write_text(
        '<?xml version="1.0"?><package format="3"><name>demo</name>'
        '<exec_depend>rclpy</exec_depend><exec_depend>rclpy</exec_depend>'
        '<exec_depend>not_a_real_package_xyz</exec_depend><test_depend></test_depend>'
        '<exec_depend>ar4_description</exec_depend></package>')
    problems = ros_packages.check_package_xml(path)
    assert len(problems) == 3
    assert 'listed twice' in problems[0]
    assert 'not_a_real_package_xyz' in problems[1]
    assert 'empty' in problems[2]
    assert ros_packages.check_package_xml(tmp_path / 'missing.xml')[0].endswith(
        'No such file or directory: ' + repr(str(tmp_path / 'missing.xml')))


def test_pip_only_packages_are_noted_and_never_declared(tmp_path):
    path = tmp_path / 'package.xml'
    path.write_text(
        '<?xml version="1.0"?><package format="3"><name>demo</name>'
        '<!-- pip (requirements.txt): lerobot --><exec_depend>mujoco</exec_depend></package>')
    assert ros_packages.runtime_dependencies(path) == {'mujoco'}
    problems = ros_packages.pip_only_problems(path, {'lerobot', 'mujoco', 'inputs'})
    assert problems == [f'{path}: mujoco is declared, but no rosdep key installs it (pip only)',
                        f'{path}: inputs should be noted in a package.xml comment']
