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

"""Tests of the safety filter: limits from the robot constants, rate limit, NaN, stale data."""

from ar4_description.robot_constants import robot_constants
from ar4_policy.safety import (NO_TARGET, NON_FINITE, POSITION_CLAMPED, SafetyFilter,
                               STALE_OBSERVATION, VELOCITY_LIMITED)
import numpy as np
import pytest

PERIOD = 1.0 / 30


@pytest.fixture
def safety():
    constants = robot_constants()
    f = SafetyFilter.from_robot_constants(PERIOD, stale_after_s=0.2)
    f.reset(constants.home7)
    return f


def test_in_range_small_step_passes_unchanged(safety):
    target = robot_constants().home7 + 0.01 * PERIOD
    command, interventions = safety.filter(target, now_s=1.0, observation_time_s=1.0)
    np.testing.assert_allclose(command, target)
    assert interventions == []
    assert safety.total_interventions() == 0


def test_out_of_range_is_clamped_to_constants_limits():
    constants = robot_constants()
    f = SafetyFilter.from_robot_constants(PERIOD)
    f.reset(constants.upper7)
    target = constants.upper7 + 1.0
    command, interventions = f.filter(target, 0.0, 0.0)
    np.testing.assert_allclose(command, constants.upper7)
    assert interventions == [POSITION_CLAMPED]
    f.reset(constants.lower7)
    command, _ = f.filter(constants.lower7 - 5.0, 0.0, 0.0)
    np.testing.assert_allclose(command, constants.lower7)
    assert f.counts_dict()[POSITION_CLAMPED] == 2


def test_too_fast_is_rate_limited_by_velocity_times_period(safety):
    constants = robot_constants()
    start = constants.home7.copy()
    target = start.copy()
    target[0] += 0.5  # 0.5 rad in one 33 ms step, far above 1.0472 rad/s
    command, interventions = safety.filter(target, 0.0, 0.0)
    assert interventions == [VELOCITY_LIMITED]
    assert command[0] == pytest.approx(start[0] + constants.velocity7[0] * PERIOD)
    np.testing.assert_allclose(command[1:], start[1:])
    # Repeating the far target converges at the velocity limit, never faster.
    previous = command
    for _ in range(5):
        command, _ = safety.filter(target, 0.0, 0.0)
        assert np.all(np.abs(command - previous) <= constants.velocity7 * PERIOD + 1e-12)
        previous = command


@pytest.mark.parametrize('bad', [
    [np.nan] * 7, [0.0] * 6 + [np.inf], [0.0] * 6, 'not numbers', [[0.0] * 7] * 2])
def test_non_finite_or_malformed_target_holds_last_command(safety, bad):
    before = safety.last_command
    command, interventions = safety.filter(bad, 0.0, 0.0)
    np.testing.assert_array_equal(command, before)
    assert interventions == [NON_FINITE]
    assert safety.counts[NON_FINITE] == 1


def test_stale_observation_holds_position(safety):
    constants = robot_constants()
    moved = constants.home7 + constants.velocity7 * PERIOD * 0.5
    command, _ = safety.filter(moved, now_s=1.0, observation_time_s=1.0)
    stale_command, interventions = safety.filter(moved + 0.001, now_s=1.5,
                                                 observation_time_s=1.0)
    assert interventions == [STALE_OBSERVATION]
    np.testing.assert_array_equal(stale_command, command)
    _, interventions = safety.filter(moved, now_s=2.0, observation_time_s=None)
    assert interventions == [STALE_OBSERVATION]
    # Fresh data again: the target passes.
    fresh, interventions = safety.filter(moved, now_s=2.0, observation_time_s=1.95)
    assert interventions == []
    np.testing.assert_allclose(fresh, moved)
    assert safety.counts_dict()[STALE_OBSERVATION] == 2


def test_no_target_holds_and_is_counted(safety):
    command, interventions = safety.filter(None, 0.0, 0.0)
    np.testing.assert_allclose(command, robot_constants().home7)
    assert interventions == [NO_TARGET]


def test_interventions_are_logged_once_per_streak(safety, caplog):
    caplog.set_level('DEBUG', logger='ar4_policy.safety')
    for _ in range(3):
        safety.filter([np.nan] * 7, 0.0, 0.0)
    safety.filter(robot_constants().home7, 0.0, 0.0)
    warnings = [r for r in caplog.records if r.levelname == 'WARNING']
    assert len(warnings) == 1 and 'non_finite' in warnings[0].getMessage()
    assert any('ended' in r.getMessage() for r in caplog.records)


def test_filter_before_reset_is_an_error():
    with pytest.raises(RuntimeError, match='reset'):
        SafetyFilter.from_robot_constants(PERIOD).filter([0.0] * 7, 0.0, 0.0)
