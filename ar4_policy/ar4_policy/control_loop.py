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
The live robot's control loop, pure (the policy node only feeds it messages and publishes).

:class:`PolicyController` keeps the newest wrist image and joint state with their arrival
times, and on every control tick runs the chunk scheduler (inference in a background thread),
the safety filter (stale observations hold the arm) and the gripper gate, returning the
:class:`Command` to publish. Time is passed in, so tests drive it on a simulated clock.
"""

from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np

from .chunking import ChunkScheduler, ThreadExecutor
from .inference_log import InferenceLog
from .policy_messages import GripperCommandGate
from .safety import DEFAULT_STALE_AFTER_S, SafetyFilter

DEFAULT_GRIPPER_THRESHOLD_M = 0.0005


@dataclass
class Command:
    """What to publish for one tick: arm targets, gripper target, whether to send a goal."""

    arm: np.ndarray
    gripper: float
    send_gripper_goal: bool
    interventions: List[str]


class PolicyController:
    """Combine observations, the chunk scheduler and the safety filter for the policy node."""

    def __init__(self, predict: Callable[[np.ndarray, np.ndarray, str], np.ndarray], task: str,
                 n_action_steps: int, period_s: float, blend_steps: int = 0,
                 stale_after_s: float = DEFAULT_STALE_AFTER_S,
                 gripper_threshold: float = DEFAULT_GRIPPER_THRESHOLD_M,
                 log: Optional[InferenceLog] = None, executor_factory=ThreadExecutor):
        """``predict(image, state7, task)`` returns a chunk of absolute targets (n, 7)."""
        if not isinstance(task, str) or not task.strip():
            raise ValueError('task must be a non-empty instruction')
        self.task = task
        self.period_s = float(period_s)
        self.safety = SafetyFilter.from_robot_constants(self.period_s, stale_after_s)
        self.gate = GripperCommandGate(gripper_threshold)
        self.log = log

        def model(inputs):
            image, state = inputs
            return predict(image, state, self.task)

        self.executor = executor_factory(model)
        self.scheduler = ChunkScheduler(self.executor, n_action_steps, self.period_s,
                                        blend_steps=blend_steps, on_result=self._logged)
        self._image = None
        self._image_time: Optional[float] = None
        self._state = None
        self._state_time: Optional[float] = None
        self._step = 0
        self._started = False

    def _logged(self, result) -> None:
        if self.log is not None:
            self.log.log(result.request.step, result.request.time_s, result.latency_s,
                         self.task, result.request.observation[1], result.chunk, result.error)

    def on_image(self, rgb: np.ndarray, time_s: float) -> None:
        """Store the newest wrist image (HWC uint8 RGB) and when it arrived."""
        self._image, self._image_time = rgb, float(time_s)

    def on_joint_state(self, state7, time_s: float) -> None:
        """Store the newest joint state (arm then gripper) and when it arrived."""
        self._state = np.asarray(state7, dtype=np.float64)
        self._state_time = float(time_s)
        if not self._started:
            self.safety.reset(self._state)
            self._started = True

    def observation_time(self) -> Optional[float]:
        """Return the time of the older of the two inputs (None until both arrived)."""
        if self._image_time is None or self._state_time is None:
            return None
        return min(self._image_time, self._state_time)

    def tick(self, now_s: float) -> Optional[Command]:
        """Run one control period; None until a joint state has arrived (nothing to hold)."""
        if not self._started:
            return None
        observed = self.observation_time()
        fresh = observed is not None and now_s - observed <= self.safety.stale_after_s
        target = None
        if fresh:
            # Only fresh observations reach the model; stale ones hold the arm instead.
            target = self.scheduler.step(self._step, now_s, (self._image, self._state.copy()))
        command, interventions = self.safety.filter(target, now_s, observed)
        self._step += 1
        send = self.gate.should_send(float(command[-1]))
        return Command(arm=command[:-1], gripper=float(command[-1]), send_gripper_goal=send,
                       interventions=interventions)

    def close(self) -> None:
        """Stop the inference thread and close the log."""
        self.executor.close()
        if self.log is not None:
            self.log.close()
