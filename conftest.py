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

"""Repository-wide pytest setup: paths, offline model hub, headless rendering, priorities."""

import importlib
import importlib.util
import os
from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parent
PACKAGES = ('ar4_description', 'ar4_gazebo', 'ar4_teleop', 'ar4_policy', 'ar4_mujoco')

# Tests import the packages from the source tree, whether or not colcon or pip installed them.
for package in PACKAGES:
    path = str(ROOT / package)
    if path not in sys.path:
        sys.path.insert(0, path)
    # Import now: pytest's importlib mode would otherwise register the repository folder of the
    # same name (ar4_x/ holding ar4_x/ar4_x) as an empty namespace package while collecting.
    importlib.import_module(package)

# No model hub here: everything loads from local folders.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
# MuJoCo renders offscreen on the CPU unless the user chose a backend.
os.environ.setdefault('MUJOCO_GL', 'egl')

# launch_testing tests need ROS; they run in the Docker `test` service only. A skip marker is not
# enough, they fail at import, so leave them out of collection here.
collect_ignore_glob = []
if importlib.util.find_spec('launch_testing') is None:
    collect_ignore_glob.append('*/test/launch/*')
    collect_ignore_glob.append('*/test/test_*_launch.py')


def pytest_runtest_teardown(item, nextitem):
    """
    Put every thread of the test process back on the normal scheduling policy after each test.

    Tests that encode with stock lerobot on their own thread (``LeRobotDataset.save_episode``)
    let SVT-AV1 raise that thread, often pytest's main thread, to SCHED_FIFO 99 where the
    process may (root with CAP_SYS_NICE). Every process the suite starts afterwards (bash,
    ar4-generate, training children, flake8's pool) inherited it: they preempted everything else
    on the machine, a training run beside the suite included, whatever their nice value.
    """
    from ar4_teleop.recording.episode_video import demote_realtime_threads, process_thread_ids
    demote_realtime_threads(process_thread_ids())
