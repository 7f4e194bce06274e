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

One frame per camera image. The state is the joint state at the image stamp t: a sample stamped
t itself, else the linear interpolation between the samples just before and just after t when
both lie within the state tolerance of t, else the sample before when it lies within the
tolerance and none after does (a pause in the stream). Joint states slower than the camera are
common on other arms (15 Hz state publishers); interpolating keeps their frames at the image's
instant instead of up to one state period behind it. The sample after t is usually received
after the image, so an image waits (holding its decoded pixels) until a state at or after its
stamp arrives, until an image a tolerance later shows that none will in time, or until the
episode ends. Live and from a bag the inputs arrive in the same order, so both give the same
frames.

The action comes from the selected source. With ``command`` it follows the commanded-target
contract of ``recording.commanded``: the arm's is the most recent commanded trajectory (at the
image's arrival) sampled one frame period after t, the gripper's the latest target received at
or before t. Nothing is invented: an image whose inputs are missing or stale is counted and
skipped, and the episode is marked as having gaps, because LeRobot timestamps are
frame_index / fps and a skipped frame warps time. Stale frames name the tolerance that would
have kept them.
"""

from collections import deque
from dataclasses import dataclass, field
import math
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
    #: The largest joint-state age of a stale frame: a tolerance above it keeps them all.
    needed_tolerance_ns: int = 0
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
            parts[0] += (f' ({self.missing_state} without joint state, {self.stale_state} stale, '
                         f'{self.camera_gaps} camera gaps, {self.bad_images} bad images)')
        if self.stale_state:
            keep = math.ceil(self.needed_tolerance_ns / 1e6 + 0.5) / 1000
            parts.append(f'a state tolerance of {keep:.3f} s would keep the stale frames '
                         f'(--state-tolerance {keep:.3f}, or the recorder\'s state_tolerance)')
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


@dataclass
class _PendingImage:
    """An image waiting for the joint state after its stamp, with its action read on arrival."""

    stamp: int
    image: np.ndarray
    arm: Optional[np.ndarray] = None
    gripper: Optional[float] = None


class FrameAssembler:
    """
    Turn timestamped images, joint states and commands into LeRobot frames.

    Times are integer nanoseconds on one clock (the camera's; sim time in simulation). Inputs are
    kept between episodes (the trajectory in force stays in force), counters are per episode.
    Frames come out in image order from :meth:`add_image`, :meth:`add_state`, :meth:`flush` and
    :meth:`finish` (see the module docstring for why an image may wait for the next state).
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
        self._pending: Deque[_PendingImage] = deque()
        self._held: Optional[dict] = None

    # ----------------------------------------------------------------- inputs
    def add_state(self, stamp: int, state7: Sequence[float]) -> List[dict]:
        """
        Record a joint state (7 values, dataset order); return the frames it completes.

        A state stamped before the previous one is counted and ignored.
        """
        if self._states and stamp < self._states[-1][0]:
            self.quality.non_monotonic_states += 1
            self.quality.note('joint state stamps went backwards; those states were ignored')
            return []
        self._states.append((int(stamp), np.asarray(state7, dtype=np.float64)))
        return self._resolve(final=False)

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
        """Reset the per-episode counters, clock and waiting images (inputs are kept)."""
        self.quality = EpisodeQuality()
        self._last_image_ns = None
        self._pending.clear()
        self._held = None

    def add_image(self, stamp: int, image: np.ndarray) -> List[dict]:
        """
        Offer a camera image; return the frames that became complete.

        The image waits for the joint state after its stamp (see the module docstring). With
        action source ``next_state`` a frame is returned one image late, when the next state is
        known. Call :meth:`finish` at the end of the episode for the frames still waiting.
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
        pending = _PendingImage(stamp, image)
        if self.action_source == 'command':
            # The contract (recording.commanded): arm sampled at t + 1/fps from the trajectory
            # in force now, gripper the latest target at or before t.
            pending.arm = self._arm_command.sample(stamp + self.period_ns)
            pending.gripper = self._gripper_targets.at(stamp)
        # An image a tolerance later means no state after an earlier image will come in time.
        ready = self._resolve(final=False, overdue_before=stamp - self.tolerance_ns)
        self._pending.append(pending)
        return ready + self._resolve(final=False)

    def drop_waiting(self) -> None:
        """Forget the images still waiting for a joint state (the take ended before them)."""
        self._pending.clear()

    def flush(self) -> List[dict]:
        """Complete every waiting image with the states known now; return the frames."""
        return self._resolve(final=True)

    def finish(self) -> List[dict]:
        """
        End the episode: return the waiting frames.

        With ``next_state`` the last frame's action holds its own state.
        """
        ready = self.flush()
        held, self._held = self._held, None
        return ready + ([held] if held is not None else [])

    # ----------------------------------------------------------------- internals
    def _resolve(self, final: bool, overdue_before: Optional[int] = None) -> List[dict]:
        ready = []
        while self._pending:
            pending = self._pending[0]
            newest = self._states[-1][0] if self._states else None
            waiting = newest is None or newest < pending.stamp
            if waiting and not final and (overdue_before is None
                                          or pending.stamp > overdue_before):
                break
            self._pending.popleft()
            state = self._state_at(pending.stamp)
            if state is not None:
                ready += self._frame(pending, state)
        return ready

    def _state_at(self, stamp: int) -> Optional[np.ndarray]:
        before = after = None
        for sample in reversed(self._states):
            if sample[0] <= stamp:
                before = sample
                break
            after = sample
        if before is not None and before[0] == stamp:
            return before[1]
        if before is None:
            self.quality.missing_state += 1
            far = after is not None and after[0] - stamp > NS_PER_S
            self.quality.note('no joint state at or before the image stamp' + (
                f' (the next is {(after[0] - stamp) / NS_PER_S:.0f} s later: are the camera '
                'and the joint states stamped by the same clock?)' if far else ''))
            return None
        age = stamp - before[0]
        if age > self.tolerance_ns:
            self.quality.stale_state += 1
            self.quality.needed_tolerance_ns = max(self.quality.needed_tolerance_ns, age)
            self.quality.note(
                f'joint state {age / 1e6:.0f} ms older than the image (tolerance '
                f'{self.tolerance_ns / 1e6:.0f} ms)')
            return None
        if after is None or after[0] - stamp > self.tolerance_ns:
            return before[1]
        weight = age / (after[0] - before[0])
        return before[1] + weight * (after[1] - before[1])

    def _frame(self, pending: _PendingImage, state: np.ndarray) -> List[dict]:
        if self.action_source == 'command':
            # The state stands in until a command is known.
            action = state.copy()
            if pending.arm is not None:
                action[:6] = pending.arm
            if pending.gripper is not None:
                action[6] = pending.gripper
            if pending.arm is None or pending.gripper is None:
                self.quality.held_actions += 1
        else:
            action = state
        frame = build_frame(pending.image, state, action, self.task)
        self.quality.frames += 1
        if self.action_source != 'next_state':
            return [frame]
        ready = []
        if self._held is not None:
            self._held['action'][:] = frame['observation.state']
            ready.append(self._held)
        self._held = frame
        return ready
