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


"""The safety filter logs through the logger it is given (the node's rclpy logger), not logging."""

import inspect

from ar4_description.robot_constants import robot_constants
from ar4_policy.chunking import SimulatedLatencyExecutor
from ar4_policy.control_loop import PolicyController
from ar4_policy.safety import SafetyFilter
import numpy as np
import pytest

PERIOD = 1.0 / 30


class RecordingLogger:
    """
    Stands in for an rclpy logger: debug / info / warning with one preformatted message.

    Like rclpy (rclpy/impl/rcutils_logger.py, RcutilsLogger.log) it refuses a call site that
    changes severity between calls, so a core that logs every severity from one line fails here
    as it would in the node.
    """

    def __init__(self):
        self.records = []
        self._site_severity = {}

    def _log(self, severity, message):
        caller = inspect.stack()[2]
        site = (caller.filename, caller.lineno)
        if self._site_severity.setdefault(site, severity) != severity:
            raise ValueError('Logger severity cannot be changed between calls.')
        assert isinstance(message, str)
        self.records.append((severity, message))
        return True

    def debug(self, message, **kwargs):
        return self._log('DEBUG', message)

    def info(self, message, **kwargs):
        return self._log('INFO', message)

    def warning(self, message, **kwargs):
        return self._log('WARN', message)


@pytest.fixture
def logger():
    return RecordingLogger()


def test_interventions_reach_the_injected_logger_once_per_streak(logger, caplog):
    caplog.set_level('DEBUG', logger='ar4_policy.safety')
    safety = SafetyFilter.from_robot_constants(PERIOD, logger=logger)
    home = robot_constants().home7
    safety.reset(home)
    for _ in range(3):
        safety.filter([np.nan] * 7, 0.0, 0.0)
    safety.filter(home, 0.0, 0.0)
    safety.filter(home, now_s=5.0, observation_time_s=0.0)
    safety.filter(None, 5.0, 5.0)
    assert logger.records == [
        ('WARN', 'safety: non_finite started (count 1)'),
        ('DEBUG', 'safety: non_finite (count 2)'),
        ('DEBUG', 'safety: non_finite (count 3)'),
        ('INFO', 'safety: non_finite ended (count 3)'),
        ('WARN', 'safety: stale_observation started (count 1)'),
        ('WARN', 'safety: no_target started (count 1)'),
        ('INFO', 'safety: stale_observation ended (count 1)'),
    ]
    # Nothing went to Python logging, which reaches neither /rosout nor, reliably, the console.
    assert caplog.records == []


def test_the_policy_controller_hands_its_logger_to_the_safety_filter(logger):
    constants = robot_constants()
    controller = PolicyController(
        lambda image, state, task: np.tile(constants.home7, (10, 1)), 'place the red cube',
        n_action_steps=5, period_s=PERIOD, stale_after_s=0.2, logger=logger,
        executor_factory=lambda model: SimulatedLatencyExecutor(model, lambda: 0.0, 0.0))
    controller.on_joint_state(constants.home7, 0.0)
    command = controller.tick(1.0)  # no image yet: stale, the arm holds
    assert command.interventions == ['stale_observation']
    assert logger.records == [('WARN', 'safety: stale_observation started (count 1)')]
    controller.close()


def test_the_default_logger_still_serves_offline_callers(caplog):
    caplog.set_level('WARNING', logger='ar4_policy.safety')
    safety = SafetyFilter.from_robot_constants(PERIOD)
    safety.reset(robot_constants().home7)
    safety.filter(None, 0.0, 0.0)
    assert [r.getMessage() for r in caplog.records] == ['safety: no_target started (count 1)']


def test_the_stand_in_refuses_a_call_site_that_changes_severity(logger):
    def log_from_one_line(severity):
        getattr(logger, severity)('one line')
    log_from_one_line('warning')
    with pytest.raises(ValueError, match='severity'):
        log_from_one_line('debug')
