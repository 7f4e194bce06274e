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
A recording session: state machine + frame assembly + writer, fed with ROS messages.

The live recorder node and ``ar4-bag2lerobot`` both drive this class, so a bag recorded with
``ros2 bag record`` yields the frames the live recorder would have written.
"""

from concurrent.futures import Future
import time
from typing import Callable, List, Optional, Sequence

from ar4_description import ros_messages
from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import adapters
from ar4_teleop.recording.commanded import StampClock
from ar4_teleop.recording.episode import (
    Action, episode_summary, EpisodeStateMachine, Event, State, status_line, Transition)
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.outcome import label as outcome_label
from ar4_teleop.recording.sync import FrameAssembler
from ar4_teleop.recording.writer import DatasetError, DatasetWriter, SavedEpisode
import numpy as np

GAP_POLICIES = ('flag', 'discard')
#: Commands kept while no joint state has tied the receipt clock to the stamps yet.
EARLY_COMMANDS = 64


class RecordingSession:
    """Feed messages and events in; frames and episodes go to the DatasetWriter."""

    def __init__(self, writer: DatasetWriter, task: str, action_source: str = 'command',
                 fps: int = FPS, max_duration_s: float = 60.0, state_tolerance_s: float = 0.05,
                 gap_policy: str = 'flag', log: Callable[[str], None] = print,
                 home: Optional[Callable[[], None]] = None,
                 joint_names: Optional[Sequence[str]] = None, resize_images: bool = False,
                 announce: Optional[Callable[[str], None]] = None,
                 live_view: Optional[Callable[[dict, int, int], None]] = None,
                 reset_scene: Optional[Callable[[], None]] = None, reset_time_s: float = 0.0,
                 wall_clock: Callable[[], float] = time.monotonic):
        if gap_policy not in GAP_POLICIES:
            raise ValueError(f'gap policy must be one of {", ".join(GAP_POLICIES)}')
        if not task or not task.strip():
            raise ValueError('the task (language instruction) must not be empty')
        #: The joint names of the inputs, in the dataset's order: the AR4's by default, another
        #: arm's six (its gripper's state then reads 0) or seven with ``joint_names``.
        self.names7 = list(joint_names or robot_constants().names7)
        if len(self.names7) not in (6, 7) or len(set(self.names7)) != len(self.names7):
            raise ValueError(f'joint names: give 6 or 7 distinct names, got {self.names7}')
        self.arm_names = self.names7[:6]
        self.resize_images = resize_images
        self.writer = writer
        self.fps = fps
        self.gap_policy = gap_policy
        self.log = log
        self.home = home
        self.machine = EpisodeStateMachine(max_duration_s)
        self._assembler_args = (task, action_source, fps, state_tolerance_s)
        self.assembler = FrameAssembler(*self._assembler_args)
        #: Receipt times (node clock or a bag's log times) onto the stamps' clock (sim time).
        self.clock = StampClock()
        self._early = []
        self.saves: List[Future] = []
        self.saved: List[SavedEpisode] = []
        self.discarded = 0
        self.last_discard = ''
        self._episode_index = writer.next_episode_index
        #: Speaks a short prompt without blocking (recording.announce), or None for silence.
        self.announce = announce or (lambda text: None)
        #: Shown each written frame with its episode and frame index (recording.live_view).
        self.live_view = live_view
        #: Puts the scene back after a save or discard (new cubes, arm home), or None.
        self.reset_scene = reset_scene
        if reset_time_s < 0:
            raise ValueError('reset_time_s must be >= 0 (0: no timed reset phase)')
        self.reset_time_s = float(reset_time_s)
        self.wall_clock = wall_clock
        #: When the timed reset phase ends (clock seconds); no take is armed before it.
        self.ready_at: Optional[float] = None
        #: The mark of the open take: True success, False failure, None not marked.
        self.outcome: Optional[bool] = None

    # ----------------------------------------------------------------- messages
    def reset_inputs(self) -> None:
        """Forget every joint state and command (a new stream, e.g. the next bag, begins)."""
        self.assembler = FrameAssembler(*self._assembler_args)
        self.clock = StampClock()
        self._early = []

    def on_joint_state(self, msg, receive_ns: int) -> None:
        """
        Take a sensor_msgs/JointState (stamped by its header), received at ``receive_ns``.

        The receipt, on the caller's clock, ties that clock to the stamps' (see StampClock).
        """
        try:
            state = ros_messages.joint_positions(msg, self.names7)
        except ros_messages.MessageError as error:
            self.assembler.reject_state(str(error))
            return
        if state.size == 6:
            state = np.append(state, 0.0)
        stamp = ros_messages.stamp_ns(msg.header.stamp)
        self.clock.observe(receive_ns, stamp)
        early, self._early = self._early, []
        for handler, command, received in early:  # now placeable on the stamps' clock
            handler(command, received)
        self._write(self.assembler.add_state(stamp, state))

    def on_trajectory(self, msg, receive_ns: int) -> None:
        """
        Take a trajectory_msgs/JointTrajectory received at ``receive_ns`` (the caller's clock).

        It replaces the commanded trajectory as it does in the controller; see
        ``recording.commanded`` for how a frame's arm action is read from it.
        """
        if self._hold_until_clock_known(self.on_trajectory, msg, receive_ns):
            return
        try:
            window = adapters.trajectory_window(msg, self.arm_names)
        except ros_messages.MessageError as error:
            self.assembler.reject_command(str(error))
            return
        self.assembler.add_trajectory(window, self.clock.to_stamp_clock(receive_ns))

    def on_gripper_target(self, msg, receive_ns: int) -> None:
        """Take a std_msgs/Float64 gripper target (metres per jaw, 0 = closed) and its receipt."""
        if self._hold_until_clock_known(self.on_gripper_target, msg, receive_ns):
            return
        try:
            target = adapters.float64_value(msg)
        except ros_messages.MessageError as error:
            self.assembler.quality.note(f'gripper command ignored: {error}')
            return
        self.assembler.add_gripper_target(self.clock.to_stamp_clock(receive_ns), target)

    def _hold_until_clock_known(self, handler, msg, receive_ns: int) -> bool:
        """Keep a command received before any joint state; it is replayed with the first one."""
        if self.clock.offset_ns is not None:
            return False
        self._early = (self._early + [(handler, msg, receive_ns)])[-EARLY_COMMANDS:]
        return True

    def on_homing(self, msg) -> None:
        """Take the teleop's std_msgs/Bool homing state: no take is armed while it is true."""
        self.machine.homing = bool(msg.data)

    def on_image(self, msg) -> int:
        """
        Take a sensor_msgs/Image or CompressedImage; return the frames written.

        0 when not recording. A frame may be written later, with the joint state after the
        image (see ``recording.sync``).
        """
        if not self.machine.recording:
            return 0
        stamp = ros_messages.stamp_ns(msg.header.stamp)
        try:
            image = adapters.image_to_rgb(msg, resize=self.resize_images)
        except ros_messages.MessageError as error:
            self.assembler.reject_image(str(error))
            return 0
        return self.on_rgb(stamp, image)

    def on_rgb(self, stamp_ns: int, image) -> int:
        """Take an RGB HWC uint8 image stamped in nanoseconds; return frames written."""
        if not self.machine.recording:
            return 0
        return self._write(self.assembler.add_image(stamp_ns, image))

    def _write(self, frames: List[dict]) -> int:
        """Write the frames the assembler completed while recording; pause at the limit."""
        if not frames or not self.machine.recording:
            return 0
        for frame in frames:
            self.writer.add_frame(frame)
            if self.live_view is not None:
                self.live_view(frame, self._episode_index, self.writer.frames_in_episode)
        if self.machine.limit_reached(self.frames / self.fps):
            self.handle(Event.LIMIT)
        return len(frames)

    # ----------------------------------------------------------------- events
    @property
    def state(self) -> State:
        """Return the state machine's state."""
        return self.machine.state

    @property
    def frames(self) -> int:
        """Return the frames written in the current take."""
        return self.writer.frames_in_episode

    def handle(self, event: Event) -> Transition:
        """Apply an event: run the transition's actions and report it."""
        if event is Event.ARM and self.state is State.IDLE and self.resetting:
            left = self.ready_at - self.wall_clock()
            message = f'resetting the scene: a take can be armed in {left:.0f} s'
            self.log(f'[recorder] {message}')
            return Transition(self.state, event, self.state, (), message, False)
        transition = self.machine.handle(event)
        if not transition.accepted:
            self.log(f'[recorder] {transition.message}')
            return transition
        for action in transition.actions:
            getattr(self, f'_do_{action.value}')()
        if Action.SAVE not in transition.actions and Action.DISCARD not in transition.actions:
            self.log(f'[recorder] {transition.message}')
        if event in (Event.SAVE, Event.DISCARD):
            self._reset_between_episodes()
        return transition

    @property
    def resetting(self) -> bool:
        """Return True during the timed reset phase after a save or discard."""
        return self.ready_at is not None and self.wall_clock() < self.ready_at

    def _reset_between_episodes(self) -> None:
        """Reset the scene (when a reset is wired), then open the timed phase or say ready."""
        if self.reset_scene is not None:
            self.announce('Reset the scene')
            try:
                self.reset_scene()
            except Exception as error:  # noqa: B902 - a failed reset must not stop recording
                self.log(f'[recorder] resetting the scene failed: {error}')
        if self.reset_time_s > 0:
            if self.reset_scene is None:
                self.announce('Reset the scene')
            self.ready_at = self.wall_clock() + self.reset_time_s
            self.log(f'[recorder] reset phase: {self.reset_time_s:.0f} s before the next take')
        elif self.reset_scene is not None:
            self.announce('Ready')

    def poll(self) -> None:
        """Call periodically: announce readiness when the timed reset phase has ended."""
        if self.ready_at is not None and not self.resetting:
            self.ready_at = None
            index = self.writer.next_episode_index
            self.log(f'[recorder] ready: press R to record episode {index}')
            self.announce('Ready')

    def _do_start(self) -> None:
        self.writer.discard_episode()
        self.assembler.start_episode()
        self._episode_index = self.writer.next_episode_index
        self.outcome = None
        self.ready_at = None
        self.announce(f'Recording episode {self._episode_index}')

    def _do_mark_success(self) -> None:
        self.outcome = True

    def _do_mark_failure(self) -> None:
        self.outcome = False

    def _do_pause(self) -> None:
        # The take reached its length: images still waiting for their joint state lie beyond it.
        self.assembler.drop_waiting()

    def _do_home(self) -> None:
        if self.home is not None:
            self.home()

    def _do_discard(self, reason: str = '') -> None:
        self.assembler.finish()
        frames = self.writer.discard_episode()
        self.discarded += 1
        quality = self.assembler.quality
        #: Why the last take was discarded, for callers that report per take (ar4-bag2lerobot).
        self.last_discard = (reason.strip(' ()') or 'discarded') + (
            f': {"; ".join(quality.messages)}' if quality.messages else '')
        self.log(episode_summary('discarded' + reason, self._episode_index, frames, self.fps,
                                 quality.summary()))
        self.announce('Episode discarded')

    def _do_save(self) -> None:
        for frame in self.assembler.finish():
            self.writer.add_frame(frame)
        quality = self.assembler.quality
        if quality.has_gaps and self.gap_policy == 'discard':
            self._do_discard(f' (it has gaps: {"; ".join(quality.messages)})')
            return
        if self.writer.frames_in_episode == 0:
            self._do_discard(' (no frames were recorded)')
            return
        index, summary = self._episode_index, quality.summary()
        if quality.has_gaps:
            summary += ' -- WARNING: gaps in the timeline (' + '; '.join(quality.messages) + ')'
        mark = self.outcome
        if mark is not None:
            summary += f', marked {outcome_label(mark)}'
        try:
            future = self.writer.save_episode_async(outcome=mark)
        except DatasetError as error:
            self.log(f'[recorder] episode {index} NOT saved: {error}')
            return
        self.saves.append(future)
        self.log(f'[recorder] saving episode {index} in the background...')
        self.announce('Episode saved')

        def report(done: Future) -> None:
            error = done.exception()
            if error is not None:
                self.log(f'[recorder] episode {index} NOT saved: {error}')
                return
            saved = done.result()
            self.saved.append(saved)
            self.log(episode_summary('saved', saved.index, saved.frames, self.fps, summary)
                     + f' (written in {saved.save_seconds:.1f}s)')

        future.add_done_callback(report)

    def _do_finalize(self) -> None:
        self.writer.close()

    def status(self) -> str:
        """Return the one-line status for the terminal."""
        if self.machine.state in (State.RECORDING, State.PAUSED):
            index = self._episode_index
        else:
            index = self.writer.next_episode_index
        mark = '' if self.outcome is None else outcome_label(self.outcome)
        line = status_line(self.machine.state, index, self.frames, self.fps,
                           self.writer.pending_saves, mark)
        if self.machine.state is State.IDLE and self.resetting:
            line += f' | resetting, {self.ready_at - self.wall_clock():.0f} s left'
        return line
