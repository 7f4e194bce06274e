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
ar4_teleop's package.xml declares what the teleop and recorder nodes use.

Pip-only packages are noted in a comment, not declared; every manifest's names and imports are
checked in tests/test_ros_packages.py.
"""

from pathlib import Path

from ar4_description.ros_packages import pip_only_problems, runtime_dependencies

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_XML = PACKAGE_DIR / 'package.xml'

# What the teleop and recorder nodes and the launch files use at run time.
REQUIRED = {
    'rclpy', 'launch', 'launch_ros', 'ar4_description', 'builtin_interfaces', 'std_msgs',
    'std_srvs', 'sensor_msgs', 'geometry_msgs', 'trajectory_msgs', 'control_msgs',
    'moveit_msgs', 'python3-numpy', 'python3-yaml',
}
# Installed with pip from requirements.txt: there is no rosdep key for them.
PIP_ONLY = {'inputs', 'lerobot', 'rosbags'}


def test_runtime_dependencies_declared():
    missing = REQUIRED - runtime_dependencies(PACKAGE_XML)
    assert not missing, sorted(missing)


def test_pip_only_dependencies_are_not_rosdep_keys():
    assert pip_only_problems(PACKAGE_XML, PIP_ONLY) == []
