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

"""Install the ar4_teleop package (ament_python)."""

from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'ar4_teleop'


def share_files(*folders):
    """Return data_files entries that install each folder's files under share/<package>."""
    entries = []
    for folder in folders:
        for path in sorted(glob(os.path.join(folder, '**', '*'), recursive=True)):
            if os.path.isfile(path):
                entries.append((os.path.join('share', package_name, os.path.dirname(path)),
                                [path]))
    return entries


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ] + share_files('config', 'launch'),
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='AR4 LeRobot maintainers',
    maintainer_email='maintainers@ar4-lerobot.dev',
    description=('Xbox controller and 3Dconnexion SpaceMouse teleoperation through MoveIt Servo '
                 'and the LeRobot episode recorder.'),
    license='Apache-2.0',
    tests_require=['pytest'],
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'teleop_node = ar4_teleop.teleop_node:main',
            'recorder_node = ar4_teleop.recorder_node:main',
            'ar4-check-dataset = ar4_teleop.recording.check_dataset:main',
            'ar4-bag2lerobot = ar4_teleop.recording.bag2lerobot:main',
        ],
    },
)
