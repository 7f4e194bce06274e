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

"""Every package.xml dependency of ar4_gazebo resolves in Jazzy."""

from pathlib import Path

from ar4_description import ros_packages
import pytest

PACKAGE_XML = Path(__file__).resolve().parents[1] / 'package.xml'


@pytest.mark.skipif(ros_packages.rosdistro_dir() is None,
                    reason='rosdistro data not found (../shared/rosdistro or $AR4_ROSDISTRO_DIR)')
def test_package_xml_dependencies_are_released_or_rosdep_keys():
    assert ros_packages.check_package_xml(PACKAGE_XML) == []
