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
ar4_policy's package.xml declares what the policy node, launch file and ar4-eval use.

Pip-only packages are noted in a comment, not declared; every manifest's names and imports are
checked in tests/test_ros_packages.py.
"""

from pathlib import Path

from ar4_description.ros_packages import pip_only_problems, runtime_dependencies

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PACKAGE_XML = PACKAGE_DIR / 'package.xml'

# What policy_node, infer.launch.py and ar4-eval use at run time.
REQUIRED = {
    'rclpy', 'rcl_interfaces', 'launch', 'launch_ros', 'builtin_interfaces', 'std_msgs',
    'sensor_msgs', 'trajectory_msgs', 'control_msgs', 'ar4_description', 'ar4_teleop',
    'ar4_mujoco', 'python3-numpy',
}
# Installed with pip from requirements.txt: there is no rosdep key for them.
PIP_ONLY = {'lerobot', 'rosbags'}


def test_runtime_dependencies_declared():
    missing = REQUIRED - runtime_dependencies(PACKAGE_XML)
    assert not missing, sorted(missing)


def test_pip_only_dependencies_are_noted_not_declared():
    assert pip_only_problems(PACKAGE_XML, PIP_ONLY) == []
