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

"""The robot constants file and its loader."""

import copy

from ar4_description.robot_constants import (
    load_robot_constants, parse_robot_constants, robot_constants, RobotConstantsError)
import numpy as np
import pytest
import yaml


@pytest.fixture(scope='module')
def raw():
    return yaml.safe_load(open(robot_constants().source))


def test_names_are_the_ar4_joints_and_unique():
    c = robot_constants()
    assert c.joint_names == tuple(f'joint_{i}' for i in range(1, 7))
    assert len(set(c.names7)) == 7
    assert c.gripper.mimic_joint_name not in c.names7


def test_limits_are_ordered_and_match_the_mk3_reference():
    c = robot_constants()
    assert all(lo < hi for lo, hi in zip(c.lower, c.upper))
    assert c.limits('joint_2') == pytest.approx((-0.7330, 1.5708))
    assert c.limits('joint_3') == pytest.approx((-1.5533, 0.9076))
    assert c.limits('joint_5') == pytest.approx((-1.8326, 1.8326))
    assert np.allclose(c.velocity_limits, 1.0472)
    assert (c.gripper.closed, c.gripper.open) == (0.0, 0.014)
    assert c.limits('gripper_jaw1_joint') == (0.0, 0.014)
    # MoveIt's jaw limits: upstream AR4's 0.1 m/s^2, and bounds just past closed and open.
    assert c.gripper.max_acceleration == pytest.approx(0.1)
    assert c.gripper.planning_bounds == pytest.approx((-0.0005, 0.0145))


def test_home_is_inside_the_limits_and_away_from_the_wrist_singularity():
    c = robot_constants()
    assert np.all(c.lower7 <= c.home7) and np.all(c.home7 <= c.upper7)
    assert abs(c.home[c.joint_names.index('joint_5')]) >= c.wrist_singularity_margin


def test_seven_vectors_are_arm_then_gripper():
    c = robot_constants()
    assert c.lower7.shape == c.upper7.shape == c.velocity7.shape == c.home7.shape == (7,)
    assert c.upper7[6] == c.gripper.upper


def test_unknown_joint_name_is_a_key_error():
    with pytest.raises(KeyError, match='joint_7'):
        robot_constants().limits('joint_7')


@pytest.mark.parametrize('mutate, message', [
    (lambda d: d['arm']['position_limits'].update(joint_2=[1.0, -1.0]),
     'arm.position_limits.joint_2: lower 1.0 must be below upper -1.0'),
    (lambda d: d['arm']['velocity_limits'].pop('joint_4'),
     r"arm.velocity_limits.*missing \['joint_4'\]"),
    (lambda d: d['arm']['home'].update(joint_5=0.0), 'wrist singularity'),
    (lambda d: d['arm']['home'].update(joint_1=9.0), 'arm.home.joint_1: 9.0 is outside'),
    (lambda d: d['arm'].update(joint_names=['joint_1', 'joint_1']), 'must be unique'),
    (lambda d: d['arm']['effort_limits'].update(joint_6='strong'), 'arm.effort_limits.joint_6'),
    (lambda d: d['gripper'].pop('open'), "gripper: missing key 'open'"),
    (lambda d: d['gripper'].pop('max_acceleration'), "gripper: missing key 'max_acceleration'"),
    (lambda d: d['gripper'].update(max_acceleration=0.0), 'max_acceleration must be positive'),
    (lambda d: d['gripper'].update(planning_bound_margin=0.0), 'planning_bound_margin must be'),
    (lambda d: d['gripper'].update(planning_bound_margin=0.01), 'planning_bound_margin must be'),
    (lambda d: d.pop('arm'), "missing key 'arm'"),
])
def test_malformed_file_names_the_bad_entry(raw, mutate, message):
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(RobotConstantsError, match=message):
        parse_robot_constants(data, source='test.yaml')


def test_missing_and_unparsable_files(tmp_path):
    with pytest.raises(RobotConstantsError, match='not found'):
        load_robot_constants(tmp_path / 'nope.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('arm: [unclosed')
    with pytest.raises(RobotConstantsError, match='not valid YAML'):
        load_robot_constants(bad)
