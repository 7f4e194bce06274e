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

"""The homing plan: smooth, time-parameterised, within the constants' limits."""

from ar4_description.homing import homing_trajectory, homing_trajectory_msg, HomingError, quintic
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import message_classes
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

CONSTANTS = robot_constants()
HOME = np.array(CONSTANTS.home)
VELOCITY = np.array(CONSTANTS.velocity_limits)
LOWER, UPPER = np.array(CONSTANTS.lower), np.array(CONSTANTS.upper)

STARTS = {
    'zeros': np.zeros(6),
    'lower corner': LOWER * 0.95,
    'upper corner': UPPER * 0.95,
    'one joint': HOME + np.array([0.0, 0.0, 0.0, 2.5, 0.0, 0.0]),
    'small offset': HOME + 0.01,
}


@pytest.mark.parametrize('name', sorted(STARTS))
def test_plan_reaches_home_within_limits(name):
    start = STARTS[name]
    plan = homing_trajectory(start, velocity_fraction=0.5)
    times = plan.times
    assert plan.joint_names == CONSTANTS.joint_names
    assert times[0] > 0.0
    assert np.all(np.diff(times) > 0.0)
    assert plan.duration >= 1.0
    np.testing.assert_allclose(plan.positions[-1], HOME, atol=1e-12)
    np.testing.assert_allclose(plan.velocities[-1], 0.0)
    # Per-step velocity (what the controller interpolates) and the sampled velocities.
    path = np.vstack([start, plan.positions])
    steps = np.diff(path, axis=0) / np.diff(np.concatenate([[0.0], times]))[:, None]
    assert np.all(np.abs(steps) <= 0.5 * VELOCITY + 1e-9)
    assert np.all(np.abs(plan.velocities) <= 0.5 * VELOCITY + 1e-9)
    assert np.all(np.abs(plan.accelerations) <= CONSTANTS.max_acceleration + 1e-9)
    # Smooth and monotone: every joint moves one way only, no overshoot past home.
    for joint in range(6):
        moves = np.diff(path[:, joint]) * np.sign(HOME[joint] - start[joint])
        assert np.all(moves >= -1e-12)


def test_full_speed_fraction_is_faster_but_still_within_limits():
    slow = homing_trajectory(STARTS['upper corner'], velocity_fraction=0.5)
    fast = homing_trajectory(STARTS['upper corner'], velocity_fraction=1.0)
    assert fast.duration < slow.duration
    assert np.all(np.abs(fast.velocities) <= VELOCITY + 1e-9)


def test_at_home_still_gives_a_valid_plan():
    plan = homing_trajectory(HOME)
    assert plan.duration == pytest.approx(1.0)
    assert np.all(np.diff(plan.times) > 0)
    np.testing.assert_allclose(plan.positions, np.tile(HOME, (len(plan.times), 1)))


def test_quintic_ends():
    s, ds, dds = quintic(np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ds[[0, 2]], 0.0)
    np.testing.assert_allclose(dds, 0.0, atol=1e-12)


@pytest.mark.parametrize('current, kwargs, message', [
    ([0.0] * 5, {}, 'expected 6 values'),
    ([0.0, np.nan, 0, 0, 0, 0], {}, 'non-finite'),
    ([0.0] * 6, {'goal': [9.0] * 6}, 'outside the joint limits'),
    ([0.0] * 6, {'velocity_fraction': 0.0}, 'velocity_fraction'),
    ([0.0] * 6, {'sample_period': 0.0}, 'sample_period'),
])
def test_bad_input(current, kwargs, message):
    with pytest.raises(HomingError, match=message):
        homing_trajectory(current, **kwargs)


def test_plan_message_carries_every_sample():
    store = get_typestore(Stores.ROS2_JAZZY)
    classes = message_classes(store.types)
    plan = homing_trajectory(STARTS['lower corner'])
    message = homing_trajectory_msg(classes, plan)
    data = store.serialize_cdr(message, message.__msgtype__)
    back = store.deserialize_cdr(data, message.__msgtype__)
    assert len(back.points) == len(plan.times)
    times = [p.time_from_start.sec + p.time_from_start.nanosec * 1e-9 for p in back.points]
    np.testing.assert_allclose(times, plan.times, atol=1e-9)
    np.testing.assert_allclose([p.positions for p in back.points], plan.positions)
    np.testing.assert_allclose([p.velocities for p in back.points], plan.velocities)
    np.testing.assert_allclose([p.accelerations for p in back.points], plan.accelerations)
