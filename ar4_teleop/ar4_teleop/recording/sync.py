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
Frame assembly on the camera clock.

One frame per camera image: the joint state is the latest at or before the image stamp (within a
tolerance), the action comes from the selected source. With the ``command`` source the action
follows the commanded-target contract of ``recording.commanded``: the arm's is the most recent
commanded trajectory sampled one frame period after the image stamp, the gripper's the latest
target received at or before the image stamp. Nothing is invented: an image whose inputs are
missing or stale is counted and skipped, and the episode is marked as having gaps, because
LeRobot timestamps are frame_index / fps and a skipped frame warps time.
"""

from collections import deque
from dataclasses import dataclass, field
from typing import Deque, List, Optional, Sequence, Tuple

from ar4_teleop.recording.commanded import (
    CommandedTrajectory, GripperTargets, TrajectoryWindow)
from ar4_teleop.recording.features import build_frame, FPS
import numpy as np

ACTION_SOURCES = ('command', 'next_state', 'state')
NS_PER_S = 1_000_000_000


@dataclass
class EpisodeQuality:
    """Counters for one episode; ``has_gaps`` tells whether its timeline has holes."""

    frames: int = 0
    missing_state: int = 0
    stale_state: int = 0
    camera_gaps: int = 0
    early_images: int = 0
    bad_images: int = 0
    bad_states: int = 0
    non_monotonic_states: int = 0
    held_actions: int = 0
    rejected_commands: int = 0
    messages: List[str] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        """Return the frames missing from the timeline (skipped images and camera gaps)."""
        return self.missing_state + self.stale_state + self.camera_gaps + self.bad_images

    @property
    def has_gaps(self) -> bool:
        """Return True when the episode's frames are not all 1/fps apart."""
        return self.dropped > 0

    def note(self, message: str) -> None:
        """Keep the first few distinct problem messages for the summary."""
        if message not in self.messages and len(self.messages) < 5:
            self.messages.append(message)

    def summary(self) -> str:
        """Return a one-line account of dropped, stale and odd inputs."""
        parts = [f'{self.dropped} dropped']
        if self.dropped:
            parts.append(f'({self.missing_state} without joint state, {self.stale_state} stale, '
                         f'{self.camera_gaps} camera gaps, {self.bad_images} bad images)')
        if self.non_monotonic_states:
            parts.append(f'{self.non_monotonic_states} joint states out of order')
        if self.bad_states:
            parts.append(f'{self.bad_states} unusable joint states')
        if self.held_actions:
            parts.append(f'{self.held_actions} actions held at the state (no command yet)')
        if self.rejected_commands:
            parts.append(f'{self.rejected_commands} commanded trajectories rejected')
        if self.early_images:
            parts.append(f'{self.early_images} extra images skipped (camera faster than fps)')
        return ', '.join(parts)


class FrameAssembler:
    """
    Turn timestamped images, joint states and commands into LeRobot frames.

    Times are integer nanoseconds on one clock (the camera's; sim time in simulation). Inputs are
    kept between episodes (the trajectory in force stays in force), counters are per episode.
    """

    def __init__(self, task: str, action_source: str = 'command', fps: int = FPS,
                 state_tolerance_s: float = 0.05, history: int = 64):
        if action_source not in ACTION_SOURCES:
            raise ValueError(f'action source must be one of {", ".join(ACTION_SOURCES)}, '
                             f'got {action_source!r}')
        if state_tolerance_s <= 0:
            raise ValueError('state tolerance must be positive')
        self.task = task
        self.action_source = action_source
        self.fps = int(fps)
        self.period_ns = NS_PER_S // self.fps
        self.tolerance_ns = int(state_tolerance_s * NS_PER_S)
        self._states: Deque[Tuple[int, np.ndarray]] = deque(maxlen=history)
        self._arm_command = CommandedTrajectory(6)
        self._gripper_targets = GripperTargets()
        self.quality = EpisodeQuality()
        self._last_image_ns: Optional[int] = None
        self._held: Optional[dict] = None

    # ----------------------------------------------------------------- inputs
    def add_state(self, stamp: int, state7: Sequence[float]) -> bool:
        """Record a joint state (7 values, dataset order); return False if out of order."""
        if self._states and stamp < self._states[-1][0]:
            self.quality.non_monotonic_states += 1
            self.quality.note('joint state stamps went backwards; those states were ignored')
            return False
        self._states.append((int(stamp), np.asarray(state7, dtype=np.float64)))
        return True

    def reject_state(self, reason: str) -> None:
        """Count a joint state message that could not be used."""
        self.quality.bad_states += 1
        self.quality.note(reason)

    def reject_image(self, reason: str) -> None:
        """Count a camera image that could not be used (a hole in the timeline)."""
        self.quality.bad_images += 1
        self.quality.note(reason)

    def add_trajectory(self, window: TrajectoryWindow, receive_ns: int) -> bool:
        """Take a commanded arm trajectory received at ``receive_ns``; False if rejected."""
        reason = self._arm_command.offer(window, receive_ns)
        if reason is not None:
            self.reject_command(reason)
            return False
        return True

    def reject_command(self, reason: str) -> None:
        """Count a commanded trajectory that could not be used (the previous one stays)."""
        self.quality.rejected_commands += 1
        self.quality.note(f'command ignored: {reason}')

    def add_gripper_target(self, receive_ns: int, target: float) -> None:
        """Record a gripper target (opening, metres per jaw) received at ``receive_ns``."""
        self._gripper_targets.add(receive_ns, target)

    # ----------------------------------------------------------------- episodes
    def start_episode(self) -> None:
        """Reset the per-episode counters and clock (inputs are kept)."""
        self.quality = EpisodeQuality()
        self._last_image_ns = None
        self._held = None

    def _state_at(self, stamp: int) -> Optional[np.ndarray]:
        for state_stamp, state in reversed(self._states):
            if state_stamp <= stamp:
                if stamp - state_stamp > self.tolerance_ns:
                    self.quality.stale_state += 1
                    self.quality.note(
                        f'joint state {(stamp - state_stamp) / 1e6:.0f} ms older than the image '
                        f'(tolerance {self.tolerance_ns / 1e6:.0f} ms)')
                    return None
                return state
        self.quality.missing_state += 1
        self.quality.note('no joint state at or before the image stamp')
        return None

    def _command_action(self, stamp: int, state: np.ndarray) -> np.ndarray:
        # The commanded-target contract (recording.commanded): arm sampled at t + 1/fps,
        # gripper the latest target at or before t; the state stands in until one is known.
        action = state.copy()
        arm = self._arm_command.sample(stamp + self.period_ns)
        gripper = self._gripper_targets.at(stamp)
        if arm is not None:
            action[:6] = arm
        if gripper is not None:
            action[6] = gripper
        if arm is None or gripper is None:
            self.quality.held_actions += 1
        return action

    def add_image(self, stamp: int, image: np.ndarray) -> List[dict]:
        """
        Offer a camera image; return the frames that became complete (zero or one).

        With action source ``next_state`` a frame is returned one image late, when the next
        state is known; call :meth:`finish` at the end of the episode for the last one.
        """
        stamp = int(stamp)
        if self._last_image_ns is not None:
            delta = stamp - self._last_image_ns
            if delta < self.period_ns // 2:
                self.quality.early_images += 1
                return []
            missing = int(round(delta / self.period_ns)) - 1
            if missing > 0:
                self.quality.camera_gaps += missing
                self.quality.note(f'{missing} camera frames missing before '
                                  f'{stamp / NS_PER_S:.3f} s')
        self._last_image_ns = stamp
        state = self._state_at(stamp)
        if state is None:
            return []
        if self.action_source == 'command':
            action = self._command_action(stamp, state)
        else:
            action = state
        frame = build_frame(image, state, action, self.task)
        self.quality.frames += 1
        if self.action_source != 'next_state':
            return [frame]
        ready = []
        if self._held is not None:
            self._held['action'][:] = frame['observation.state']
            ready.append(self._held)
        self._held = frame
        return ready

    def finish(self) -> List[dict]:
        """Return the frame still held by ``next_state`` (its action holds its own state)."""
        held, self._held = self._held, None
        return [held] if held is not None else []
