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

"""Install the ar4_mujoco package (ament_python)."""

from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'ar4_mujoco'


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
    ] + share_files('config'),
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='AR4 LeRobot maintainers',
    maintainer_email='maintainers@ar4-lerobot.dev',
    description=(
        'Headless MuJoCo twin of the AR4 and its shelf world, with a scripted expert.'),
    license='Apache-2.0',
    tests_require=['pytest'],
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'ar4-generate = ar4_mujoco.generate:main',
        ],
    },
)
