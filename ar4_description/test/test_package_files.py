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

"""Finding package data files in a source tree, an install prefix, or through $VAR."""

from pathlib import Path

from ar4_description import package_files, robot_constants
from ar4_description.package_files import find_package_file


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('x')
    return path


def test_source_tree_first(tmp_path):
    module = touch(tmp_path / 'src' / 'demo_pkg' / 'demo_pkg' / 'mod.py')
    data = touch(tmp_path / 'src' / 'demo_pkg' / 'config' / 'a.yaml')
    assert find_package_file('demo_pkg', 'config/a.yaml', module) == data


def test_install_prefix_share(tmp_path):
    module = touch(tmp_path / 'install' / 'lib' / 'python3.11' / 'site-packages' / 'demo_pkg'
                   / 'mod.py')
    data = touch(tmp_path / 'install' / 'share' / 'demo_pkg' / 'config' / 'a.yaml')
    assert find_package_file('demo_pkg', Path('config') / 'a.yaml', module) == data


def test_environment_override_even_when_missing(tmp_path, monkeypatch):
    module = touch(tmp_path / 'demo_pkg' / 'demo_pkg' / 'mod.py')
    monkeypatch.setenv('DEMO_PKG_FILE', str(tmp_path / 'elsewhere.yaml'))
    assert find_package_file('demo_pkg', 'config/a.yaml', module, 'DEMO_PKG_FILE') == (
        tmp_path / 'elsewhere.yaml')
    monkeypatch.setenv('DEMO_PKG_FILE', '')
    assert find_package_file('demo_pkg', 'config/a.yaml', module, 'DEMO_PKG_FILE') == (
        tmp_path / 'demo_pkg' / 'config' / 'a.yaml')


def test_missing_everywhere_names_the_source_tree(tmp_path):
    module = touch(tmp_path / 'ar4_no_such_pkg' / 'ar4_no_such_pkg' / 'mod.py')
    assert find_package_file('ar4_no_such_pkg', 'config/a.yaml', module) == (
        tmp_path / 'ar4_no_such_pkg' / 'config' / 'a.yaml')


def test_robot_constants_found_in_this_checkout(monkeypatch):
    monkeypatch.delenv(robot_constants.ENV_VAR, raising=False)
    expected = Path(package_files.__file__).resolve().parents[1] / 'config' / (
        robot_constants.FILE_NAME)
    assert robot_constants.default_path() == expected
