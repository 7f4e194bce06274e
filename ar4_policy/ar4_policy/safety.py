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
The safety filter between the policy and the robot.

Every target the policy produces passes through :class:`SafetyFilter` before it is sent:

- a target with a wrong shape or a non-finite value is rejected and the arm holds;
- the arm holds its last command when the newest observation is older than a threshold;
- positions are clamped to the robot-constants limits;
- the change per control period is limited to velocity limit x period.

Each intervention is counted by kind (:data:`INTERVENTION_KINDS`) and logged: a warning when a
kind starts, a debug line while it repeats, an info line when it ends, so a 30 Hz loop does not
flood the console. The logger is injected: the policy node passes its rclpy logger (console and
/rosout), offline callers such as ``ar4-eval`` keep the default Python logger. Anything with
``debug``, ``info`` and ``warning`` methods taking one preformatted message will do; each
severity is called from its own line because rclpy refuses a call site that changes severity
between calls (rclpy/impl/rcutils_logger.py, ``RcutilsLogger.log``).
"""

from collections import Counter
import logging
from typing import Dict, List, Optional, Protocol, Tuple

from ar4_description.robot_constants import robot_constants
import numpy as np

NON_FINITE = 'non_finite'
STALE_OBSERVATION = 'stale_observation'
POSITION_CLAMPED = 'position_clamped'
VELOCITY_LIMITED = 'velocity_limited'
NO_TARGET = 'no_target'
INTERVENTION_KINDS = (NON_FINITE, STALE_OBSERVATION, POSITION_CLAMPED, VELOCITY_LIMITED,
                      NO_TARGET)

DEFAULT_STALE_AFTER_S = 0.5

LOGGER = logging.getLogger('ar4_policy.safety')


class Logger(Protocol):
    """What the filter logs through: an rclpy logger or a ``logging.Logger``."""

    def debug(self, message: str):
        """Log a debug message."""

    def info(self, message: str):
        """Log an info message."""

    def warning(self, message: str):
        """Log a warning."""


class SafetyFilter:
    """
    Clamp, rate-limit and sanity-check seven-element position targets (arm then gripper).

    ``reset(state7)`` must be called at each episode start with the measured position; after that
    ``filter(target7, now_s, observation_time_s)`` returns the target to send and the list of
    interventions applied to it. ``target7=None`` means "the policy has nothing yet": the filter
    holds (counted as ``no_target``).
    """

    def __init__(self, lower7, upper7, velocity7, period_s: float,
                 stale_after_s: float = DEFAULT_STALE_AFTER_S,
                 logger: Optional[Logger] = None):
        """
        Store the limits; ``period_s`` is the control period used for the rate limit.

        ``logger`` receives the intervention messages (default: the ``ar4_policy.safety``
        Python logger).
        """
        self.lower = np.asarray(lower7, dtype=np.float64)
        self.upper = np.asarray(upper7, dtype=np.float64)
        self.velocity = np.asarray(velocity7, dtype=np.float64)
        if not (self.lower.shape == self.upper.shape == self.velocity.shape):
            raise ValueError('lower, upper and velocity limits must have the same shape')
        if not np.all(self.lower < self.upper) or not np.all(self.velocity > 0):
            raise ValueError('limits must satisfy lower < upper and velocity > 0')
        if not period_s > 0:
            raise ValueError(f'period_s must be positive, got {period_s!r}')
        if not stale_after_s > 0:
            raise ValueError(f'stale_after_s must be positive, got {stale_after_s!r}')
        self.period_s = float(period_s)
        self.stale_after_s = float(stale_after_s)
        self.max_step = self.velocity * self.period_s
        self.counts: Counter = Counter()
        self.logger = LOGGER if logger is None else logger
        self._last_command: Optional[np.ndarray] = None
        self._active_kinds: set = set()

    @classmethod
    def from_robot_constants(cls, period_s: float, stale_after_s: float = DEFAULT_STALE_AFTER_S,
                             constants=None, logger: Optional[Logger] = None):
        """Build the filter from ``ar4_description.robot_constants``, the only source of limits."""
        constants = constants or robot_constants()
        return cls(constants.lower7, constants.upper7, constants.velocity7, period_s,
                   stale_after_s=stale_after_s, logger=logger)

    @property
    def size(self) -> int:
        """Return the number of joints the filter expects (7 for the AR4)."""
        return int(self.lower.shape[0])

    @property
    def last_command(self) -> Optional[np.ndarray]:
        """Return a copy of the last command sent, or None before reset."""
        return None if self._last_command is None else self._last_command.copy()

    def reset(self, state7) -> None:
        """Start an episode from the measured position (clamped into the limits)."""
        state = np.asarray(state7, dtype=np.float64).reshape(-1)
        if state.shape != self.lower.shape or not np.all(np.isfinite(state)):
            raise ValueError(
                f'reset needs {self.size} finite joint positions, got {np.asarray(state7)!r}')
        self._last_command = np.clip(state, self.lower, self.upper)
        self._active_kinds.clear()

    def total_interventions(self) -> int:
        """Return the number of interventions of every kind since construction."""
        return int(sum(self.counts.values()))

    def counts_dict(self) -> Dict[str, int]:
        """Return the intervention counts by kind, every kind present (zeros included)."""
        return {kind: int(self.counts.get(kind, 0)) for kind in INTERVENTION_KINDS}

    def filter(self, target7, now_s: float,
               observation_time_s: Optional[float]) -> Tuple[np.ndarray, List[str]]:
        """
        Return (safe target, interventions) for one control period.

        ``observation_time_s`` is the time stamp of the newest observation (None when there is
        none); it is stale when older than ``stale_after_s`` at ``now_s``.
        """
        if self._last_command is None:
            raise RuntimeError('SafetyFilter.reset(state7) must be called before filter()')
        interventions: List[str] = []
        hold = self._last_command
        if observation_time_s is None or now_s - observation_time_s > self.stale_after_s:
            interventions.append(STALE_OBSERVATION)
            return self._finish(hold, interventions)
        if target7 is None:
            interventions.append(NO_TARGET)
            return self._finish(hold, interventions)
        try:
            target = np.asarray(target7, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            target = np.full(1, np.nan)
        if target.shape != self.lower.shape or not np.all(np.isfinite(target)):
            interventions.append(NON_FINITE)
            return self._finish(hold, interventions)
        clamped = np.clip(target, self.lower, self.upper)
        if not np.array_equal(clamped, target):
            interventions.append(POSITION_CLAMPED)
        step = np.clip(clamped - hold, -self.max_step, self.max_step)
        limited = hold + step
        if not np.allclose(limited, clamped, rtol=0.0, atol=1e-12):
            interventions.append(VELOCITY_LIMITED)
        return self._finish(limited, interventions)

    def _finish(self, command: np.ndarray, interventions: List[str]):
        self._last_command = np.array(command, dtype=np.float64)
        for kind in interventions:
            self.counts[kind] += 1
            # Preformatted: rclpy's logger methods take one message, no %-arguments.
            if kind in self._active_kinds:
                self.logger.debug(f'safety: {kind} (count {self.counts[kind]})')
            else:
                self.logger.warning(f'safety: {kind} started (count {self.counts[kind]})')
        for kind in sorted(self._active_kinds - set(interventions)):
            self.logger.info(f'safety: {kind} ended (count {self.counts[kind]})')
        self._active_kinds = set(interventions)
        return self._last_command.copy(), interventions
