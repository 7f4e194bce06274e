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


"""The joint trajectory controller setting the policy's 33 ms trajectories rely on."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTROLLERS = ROOT / 'ar4_description' / 'config' / 'controllers.yaml'


def test_each_trajectory_starts_from_the_last_command_not_the_measured_state():
    controllers = yaml.safe_load(CONTROLLERS.read_text())
    jtc = controllers['joint_trajectory_controller']['ros__parameters']
    # Jazzy's JTC starts a new trajectory from last_commanded_state_ with this set (update(),
    # set_point_before_trajectory_msg); from the lagging measured state otherwise, which would
    # restart every 33 ms policy segment behind the arm (see the comment in controllers.yaml).
    assert jtc['interpolate_from_desired_state'] is True
    # Its deprecated predecessor must not be what carries the setting.
    assert jtc.get('open_loop_control', False) is False
    # The measured state still guards: a path tolerance per joint, checked for topic trajectories.
    for name in jtc['joints']:
        assert 0 < jtc['constraints'][name]['trajectory'] < 1.0
