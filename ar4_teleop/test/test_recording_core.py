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

"""Tests of the message adapters, frame assembly and state machine with real message classes."""

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import time_msg
from ar4_teleop.recording import adapters
from ar4_teleop.recording.commanded import TrajectoryWindow
from ar4_teleop.recording.episode import (
    Action, CONTROL_MAP, control_event, decode_keys, episode_summary, EpisodeStateMachine, Event,
    key_event, State, status_line)
from ar4_teleop.recording.features import ACTION_KEY, IMAGE_KEY, IMAGE_SHAPE, STATE_KEY
from ar4_teleop.recording.sync import FrameAssembler
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
Image = TS.types['sensor_msgs/msg/Image']
JointTrajectory = TS.types['trajectory_msgs/msg/JointTrajectory']
JointTrajectoryPoint = TS.types['trajectory_msgs/msg/JointTrajectoryPoint']
Float64 = TS.types['std_msgs/msg/Float64']
Header = TS.types['std_msgs/msg/Header']
Time = TS.types['builtin_interfaces/msg/Time']
Duration = TS.types['builtin_interfaces/msg/Duration']
NAMES7 = list(robot_constants().names7)
ARM = list(robot_constants().joint_names)
PERIOD = 1_000_000_000 // 30


def _header(ns=0):
    return Header(stamp=time_msg(Time, ns), frame_id='wrist_camera')


def _image_msg(pixels, encoding, height=480, width=640, pad=0):
    channels = pixels.shape[2]
    rows = np.zeros((height, width * channels + pad), np.uint8)
    rows[:, :width * channels] = pixels.reshape(height, -1)
    return Image(header=_header(), height=height, width=width, encoding=encoding,
                 is_bigendian=0, step=width * channels + pad, data=rows.reshape(-1))


@pytest.mark.parametrize('encoding, order', [
    ('rgb8', [0, 1, 2]), ('bgr8', [2, 1, 0]), ('rgba8', [0, 1, 2, 3]), ('bgra8', [2, 1, 0, 3])])
def test_image_encodings_give_rgb(encoding, order):
    rgb = np.random.default_rng(1).integers(0, 255, IMAGE_SHAPE, dtype=np.uint8)
    full = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 9, np.uint8)], axis=2)
    pixels = full[:, :, order]
    out = adapters.image_to_rgb(_image_msg(pixels, encoding, pad=8))
    assert out.dtype == np.uint8 and out.shape == IMAGE_SHAPE
    np.testing.assert_array_equal(out, rgb)


def test_image_round_trip_and_mono():
    rgb = np.random.default_rng(2).integers(0, 255, IMAGE_SHAPE, dtype=np.uint8)
    msg = adapters.rgb_to_image_msg(Image, _header(), rgb)
    np.testing.assert_array_equal(adapters.image_to_rgb(msg), rgb)
    gray = rgb[:, :, :1]
    np.testing.assert_array_equal(adapters.image_to_rgb(_image_msg(gray, 'mono8'))[:, :, 2],
                                  gray[:, :, 0])


def test_image_errors_are_clear():
    small = np.zeros((240, 320, 3), np.uint8)
    with pytest.raises(adapters.MessageError, match='320x240.*needs 640x480'):
        adapters.image_to_rgb(_image_msg(small, 'rgb8', 240, 320))
    with pytest.raises(adapters.MessageError, match="'yuv422'.*rgb8"):
        adapters.image_to_rgb(_image_msg(np.zeros(IMAGE_SHAPE, np.uint8), 'yuv422'))
    msg = _image_msg(np.zeros(IMAGE_SHAPE, np.uint8), 'rgb8')
    short = Image(header=msg.header, height=480, width=640, encoding='rgb8', is_bigendian=0,
                  step=1920, data=msg.data[:1000])
    with pytest.raises(adapters.MessageError, match='bytes'):
        adapters.image_to_rgb(short)


def test_trajectory_window_and_gripper():
    point = JointTrajectoryPoint(positions=np.array([3.0, 2.0, 1.0, 4.0, 5.0, 6.0]),
                                 velocities=np.zeros(0), accelerations=np.zeros(0),
                                 effort=np.zeros(0),
                                 time_from_start=Duration(sec=0, nanosec=33_000_000))
    later = JointTrajectoryPoint(positions=np.full(6, 9.0), velocities=np.zeros(0),
                                 accelerations=np.zeros(0), effort=np.zeros(0),
                                 time_from_start=Duration(sec=1, nanosec=0))
    names = ['joint_3', 'joint_2', 'joint_1', 'joint_4', 'joint_5', 'joint_6']
    msg = JointTrajectory(header=_header(7), joint_names=names, points=[point, later])
    window = adapters.trajectory_window(msg, ARM)
    assert window.stamp_ns == 7 and window.offsets_ns.tolist() == [33_000_000, 1_000_000_000]
    np.testing.assert_allclose(window.positions[0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    empty = JointTrajectory(header=_header(), joint_names=ARM, points=[])
    with pytest.raises(adapters.MessageError, match='no points'):
        adapters.trajectory_window(empty, ARM)
    assert adapters.float64_value(Float64(data=0.012)) == pytest.approx(0.012)
    with pytest.raises(adapters.MessageError):
        adapters.float64_value(Float64(data=float('nan')))


def _rgb(value=0):
    return np.full(IMAGE_SHAPE, value, np.uint8)


def test_assembler_command_source_uses_the_state_at_the_image_stamp():
    assembler = FrameAssembler('task', 'command', state_tolerance_s=0.05)
    assembler.start_episode()
    assert assembler.add_state(0, np.full(7, 1.0)) == []
    # The image waits for the state after its stamp ...
    assert assembler.add_image(PERIOD, _rgb()) == []
    # ... which arrives 2/3 of the way on: the state at the image stamp is interpolated.
    frames = assembler.add_state(PERIOD + PERIOD // 2, np.full(7, 2.5))
    np.testing.assert_allclose(frames[0][STATE_KEY], np.full(7, 2.0), rtol=1e-6)
    # No command yet: the action holds the state and is counted.
    np.testing.assert_allclose(frames[0][ACTION_KEY], frames[0][STATE_KEY])
    assert assembler.quality.held_actions == 1
    # A one-point trajectory to reach at 3 periods: the image at 2 periods takes it whole.
    window = TrajectoryWindow(PERIOD, np.array([2 * PERIOD]), np.arange(6.0)[None, :] * 2)
    assert assembler.add_trajectory(window, PERIOD)
    assembler.add_gripper_target(2 * PERIOD, 0.01)
    assembler.add_state(2 * PERIOD, np.full(7, 3.0))
    frames = assembler.add_image(2 * PERIOD, _rgb())  # a state at the stamp: no wait
    np.testing.assert_allclose(frames[0][ACTION_KEY], list(range(0, 12, 2)) + [0.01], rtol=1e-6)
    np.testing.assert_allclose(frames[0][STATE_KEY], np.full(7, 3.0))
    assert not assembler.quality.has_gaps and assembler.quality.frames == 2


def test_assembler_action_is_read_when_the_image_arrives_not_when_it_completes():
    assembler = FrameAssembler('task', 'command', state_tolerance_s=0.05)
    assembler.start_episode()
    assembler.add_state(0, np.zeros(7))
    first = TrajectoryWindow(0, np.array([0]), np.full((1, 6), 1.0))
    assembler.add_trajectory(first, 0)
    assert assembler.add_image(PERIOD // 2, _rgb()) == []
    # A new command received before the state that completes the frame does not change it.
    assembler.add_trajectory(TrajectoryWindow(0, np.array([0]), np.full((1, 6), 7.0)), PERIOD)
    frames = assembler.add_state(PERIOD, np.ones(7))
    np.testing.assert_allclose(frames[0][ACTION_KEY][:6], np.full(6, 1.0))


def test_assembler_holds_the_state_before_when_the_next_is_late_or_far():
    assembler = FrameAssembler('task', 'state', state_tolerance_s=0.05)
    assembler.start_episode()
    assembler.add_state(0, np.full(7, 1.0))
    assert assembler.add_image(PERIOD // 3, _rgb()) == []
    # The next image lies a tolerance later: no state after the first will come in time.
    frames = assembler.add_image(PERIOD // 3 + 2 * PERIOD, _rgb())
    assert len(frames) == 1
    np.testing.assert_allclose(frames[0][STATE_KEY], np.full(7, 1.0))
    # A state after the image but beyond the tolerance: the one before (within it) is held.
    assembler.add_state(2 * PERIOD, np.full(7, 5.0))
    frames = assembler.add_state(PERIOD // 3 + 2 * PERIOD + 60_000_000, np.full(7, 9.0))
    np.testing.assert_allclose(frames[0][STATE_KEY], np.full(7, 5.0))
    # The end of the episode completes what still waits.
    assert assembler.add_image(PERIOD // 3 + 2 * PERIOD + 61_000_000, _rgb()) == []
    frames = assembler.finish()
    np.testing.assert_allclose(frames[0][STATE_KEY], np.full(7, 9.0))
    assert assembler.quality.frames == 3


def test_joint_states_slower_than_the_camera_are_interpolated_and_drops_name_the_tolerance():
    period_15hz = 64_000_000  # 15.6 Hz joint states, as another arm's publisher gives

    def run(tolerance):
        assembler = FrameAssembler('task', 'state', state_tolerance_s=tolerance)
        assembler.start_episode()
        frames, states, image = [], iter(range(0, 4 * 10**9, period_15hz)), _rgb()
        stamp = next(states)
        for k in range(90):
            image_ns = 5_000_000 + k * PERIOD
            while stamp <= image_ns:  # a state stamped after the image arrives after it
                frames += assembler.add_state(stamp, np.full(7, stamp / 1e9))
                stamp = next(states)
            frames += assembler.add_image(image_ns, image)
        frames += assembler.add_state(stamp, np.full(7, stamp / 1e9))  # the stream goes on
        frames += assembler.finish()
        return assembler.quality, frames

    quality, frames = run(0.05)
    assert quality.stale_state == 20 and quality.frames == 70  # 22% of 90 dropped
    summary = quality.summary()
    assert '--state-tolerance 0.065' in summary, summary
    # Every state kept is the state at its image's instant (states here are time itself).
    quality, frames = run(0.065)
    assert quality.stale_state == 0 and quality.frames == 90
    times = np.array([5e-3 + k / 30 for k in range(90)])
    np.testing.assert_allclose([f[STATE_KEY][0] for f in frames], times, atol=1e-6)


def test_assembler_counts_stale_missing_gaps_and_early_images():
    assembler = FrameAssembler('task', 'state', state_tolerance_s=0.05)
    assembler.start_episode()
    assert assembler.add_image(0, _rgb()) == []  # waits for a state
    assert assembler.add_state(1000, np.zeros(7)) == []  # none at or before the image
    assert assembler.quality.missing_state == 1
    assembler.add_state(PERIOD, np.zeros(7))
    assert len(assembler.add_image(PERIOD, _rgb())) == 1  # a state at the stamp: no wait
    assert assembler.add_image(PERIOD + PERIOD // 4, _rgb()) == []  # camera faster than fps
    assert assembler.quality.early_images == 1
    assert assembler.add_image(4 * PERIOD, _rgb()) == []  # two frames missing ...
    assert assembler.add_state(5 * PERIOD, np.zeros(7)) == []  # ... and the state stale
    quality = assembler.quality
    assert quality.camera_gaps == 2 and quality.stale_state == 1 and quality.has_gaps
    assert not assembler.add_state(-5, np.zeros(7))
    assert quality.non_monotonic_states == 1
    assert 'dropped' in quality.summary() and quality.messages
    assembler.start_episode()
    assert assembler.quality.frames == 0 and not assembler.quality.has_gaps


def test_assembler_next_state_source_delays_one_frame_and_holds_the_last():
    assembler = FrameAssembler('task', 'next_state')
    assembler.start_episode()
    out = []
    for i in range(3):
        assembler.add_state(i * PERIOD, np.full(7, float(i)))
        out += assembler.add_image(i * PERIOD, _rgb(i))
    assert len(out) == 2
    out += assembler.finish()
    assert [f[STATE_KEY][0] for f in out] == [0, 1, 2]
    assert [f[ACTION_KEY][0] for f in out] == [1, 2, 2]
    assert out[1][IMAGE_KEY][0, 0, 0] == 1
    with pytest.raises(ValueError, match='action source'):
        FrameAssembler('task', 'velocity')


ALL_TRANSITIONS = [
    (State.IDLE, Event.ARM, State.RECORDING, (Action.START,), True),
    (State.IDLE, Event.SAVE, State.IDLE, (), False),
    (State.IDLE, Event.DISCARD, State.IDLE, (), False),
    (State.IDLE, Event.HOME, State.IDLE, (Action.HOME,), True),
    (State.IDLE, Event.LIMIT, State.IDLE, (), False),
    (State.IDLE, Event.QUIT, State.FINISHED, (Action.FINALIZE,), True),
    (State.RECORDING, Event.ARM, State.RECORDING, (), False),
    (State.RECORDING, Event.SAVE, State.IDLE, (Action.SAVE,), True),
    (State.RECORDING, Event.DISCARD, State.IDLE, (Action.DISCARD,), True),
    (State.RECORDING, Event.HOME, State.RECORDING, (), False),
    (State.RECORDING, Event.LIMIT, State.PAUSED, (Action.PAUSE,), True),
    (State.RECORDING, Event.QUIT, State.FINISHED, (Action.DISCARD, Action.FINALIZE), True),
    (State.PAUSED, Event.ARM, State.PAUSED, (), False),
    (State.PAUSED, Event.SAVE, State.IDLE, (Action.SAVE,), True),
    (State.PAUSED, Event.DISCARD, State.IDLE, (Action.DISCARD,), True),
    (State.PAUSED, Event.HOME, State.PAUSED, (), False),
    (State.PAUSED, Event.LIMIT, State.PAUSED, (), False),
    (State.PAUSED, Event.QUIT, State.FINISHED, (Action.DISCARD, Action.FINALIZE), True),
    (State.IDLE, Event.RERECORD, State.IDLE, (), False),
    (State.IDLE, Event.SUCCESS, State.IDLE, (), False),
    (State.IDLE, Event.FAILURE, State.IDLE, (), False),
] + [(state, Event.RERECORD, State.RECORDING, (Action.DISCARD, Action.START), True)
     for state in (State.RECORDING, State.PAUSED)
     ] + [(state, event, state, (action,), True) for state in (State.RECORDING, State.PAUSED)
          for event, action in ((Event.SUCCESS, Action.MARK_SUCCESS),
                                (Event.FAILURE, Action.MARK_FAILURE))
          ] + [(State.FINISHED, event, State.FINISHED, (), False) for event in Event]


@pytest.mark.parametrize('source, event, target, actions, accepted', ALL_TRANSITIONS)
def test_every_transition(source, event, target, actions, accepted):
    machine = EpisodeStateMachine(max_duration_s=60)
    machine.state = source
    transition = machine.handle(event)
    assert (transition.target, transition.actions, transition.accepted) == (
        target, actions, accepted)
    assert machine.state is target and transition.message


def test_transition_table_is_complete():
    assert {(s, e) for s, e, *_ in ALL_TRANSITIONS} == {(s, e) for s in State for e in Event}


def test_duration_limit_and_homing_permission():
    machine = EpisodeStateMachine(max_duration_s=2.0)
    assert machine.homing_allowed and not machine.limit_reached(5.0)
    machine.handle(Event.ARM)
    assert not machine.homing_allowed and machine.recording
    assert not machine.limit_reached(1.9) and machine.limit_reached(2.0)
    unlimited = EpisodeStateMachine(max_duration_s=0)
    unlimited.handle(Event.ARM)
    assert not unlimited.limit_reached(1e6)
    with pytest.raises(ValueError):
        EpisodeStateMachine(max_duration_s=-1)


def test_keys_controls_and_status():
    assert key_event('R') is Event.ARM and key_event('y') is Event.SAVE
    assert key_event('n') is Event.DISCARD and key_event('B') is Event.DISCARD
    assert key_event('x') is None
    assert decode_keys(b'r\x1b[Ay\x03') == (Event.ARM, Event.SAVE, Event.QUIT)
    assert decode_keys(b'r\x1b[Dsf') == (Event.ARM, Event.RERECORD, Event.SUCCESS, Event.FAILURE)
    assert key_event('a') is Event.RERECORD and control_event('rerecord') is Event.RERECORD
    assert control_event('success') is Event.SUCCESS and control_event('failure') is Event.FAILURE
    assert status_line(State.PAUSED, 3, 30, 30, mark='failure').endswith('marked failure')
    assert control_event(' Save ') is Event.SAVE and control_event('home') is Event.HOME
    assert control_event('dance') is None
    assert 'R' in CONTROL_MAP and 'Ctrl-C' in CONTROL_MAP
    assert status_line(State.RECORDING, 3, 45, 30) == 'Recording episode 3 | 45 frames | 1.5s'
    assert 'Y save' in status_line(State.PAUSED, 3, 1800, 30)
    assert 'saving 1' in status_line(State.IDLE, 4, 0, 30, pending_saves=1)
    assert episode_summary('saved', 2, 60, 30, '0 dropped') == (
        'Episode 2 saved: 60 frames, 2.0s, 0 dropped')
