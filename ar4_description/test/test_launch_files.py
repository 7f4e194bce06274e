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

from pathlib import Path

from ar4_description.launch_checks import launch_file_problems, launch_files
import pytest

LAUNCH_FILES = launch_files(Path(__file__).resolve().parents[1])


def test_there_are_launch_files():
    assert LAUNCH_FILES


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_compiles_and_declares_what_it_uses(path):
    assert launch_file_problems(path) == []


def test_problems_are_reported(tmp_path):
    path = tmp_path / 'bad.launch.py'
    path.write_text(
        'from launch.actions import DeclareLaunchArgument\n'
        'from launch.substitutions import LaunchConfiguration\n'
        'ARGUMENTS = [("table", "1", "From a table.")]\n'
        'def describe():\n'
        '    return [DeclareLaunchArgument("gui", default_value="true", description="no dot"),\n'
        '            LaunchConfiguration("gui"), LaunchConfiguration("rviz"),\n'
        '            LaunchConfiguration("table")]\n')
    assert launch_file_problems(path) == [
        'bad.launch.py: no generate_launch_description()',
        "bad.launch.py: gui: a boolean argument declares choices=['true', 'false']",
        "bad.launch.py: used but not declared: ['rviz']",
        'bad.launch.py: gui: describe the argument']
    path.write_text('def generate_launch_description(:\n')
    with pytest.raises(SyntaxError):
        launch_file_problems(path)
