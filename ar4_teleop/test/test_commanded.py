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
The commanded-target contract against trajectories shaped as MoveIt Servo publishes them.

Every trajectory goes through the real trajectory_msgs definition (built, CDR-serialized and read
back with rosbags' Jazzy typestore) and the recording session, as the live recorder and
``ar4-bag2lerobot`` feed it.
"""

import math

from ar4_description import ros_messages
from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import adapters
from ar4_teleop.recording.commanded import (
    CommandedTrajectory, GripperTargets, StampClock, TrajectoryWindow)
from ar4_teleop.recording.episode import Event, State
from ar4_teleop.recording.features import ACTION_KEY, IMAGE_SHAPE
from ar4_teleop.recording.servo_shape import (
    ServoTiming, servo_timing, servo_windows, ServoWindow, window_msg)
from ar4_teleop.recording.session import RecordingSession
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
CLASSES = ros_messages.message_classes(TS.types)
TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory'
FLOAT64 = TS.types['std_msgs/msg/Float64']
ARM = list(robot_constants().joint_names)
NAMES7 = list(robot_constants().names7)
NS = 1_000_000_000
FPS = 30
START_NS = 100 * NS
RGB = np.zeros(IMAGE_SHAPE, np.uint8)
#: The bug report's motion: 0.3 rad at 0.5 Hz on every joint (phase-shifted per joint).
AMPLITUDE, FREQUENCY = 0.3, 0.5
PHASES = np.arange(6) * 0.7


def commanded(time_ns):
    """Return the target the operator commands for ``time_ns``."""
    seconds = (time_ns - START_NS) / NS
    return AMPLITUDE * np.sin(2 * math.pi * FREQUENCY * seconds + PHASES)


def through_cdr(msg, msgtype=TRAJECTORY):
    """Serialize and read back with the real message definition."""
    return TS.deserialize_cdr(TS.serialize_cdr(msg, msgtype), msgtype)


class FakeWriter:
    """Collects frames; the ROS-free session needs only these members of DatasetWriter."""

    def __init__(self):
        self.frames = []
        self.next_episode_index = 0
        self.pending_saves = 0

    @property
    def frames_in_episode(self):
        return len(self.frames)

    def add_frame(self, frame):
        self.frames.append(frame)

    def discard_episode(self):
        count, self.frames = len(self.frames), []
        return count


def joint_state(stamp_ns, arm):
    state_class = CLASSES.JointState
    values = list(arm) + [0.0, 0.0]
    msg = state_class(header=ros_messages.header_msg(CLASSES, stamp_ns),
                      name=ARM + ['gripper_jaw1_joint', 'gripper_jaw2_joint'],
                      position=ros_messages.float_sequence(state_class, values),
                      velocity=ros_messages.float_sequence(state_class, []),
                      effort=ros_messages.float_sequence(state_class, []))
    return through_cdr(msg, 'sensor_msgs/msg/JointState')


def image(stamp_ns):
    return adapters.rgb_to_image_msg(TS.types['sensor_msgs/msg/Image'],
                                     ros_messages.header_msg(CLASSES, stamp_ns), RGB)


def servo_stream(timing, seconds=3.0, servo_delay_ns=2_000_000, image_delay_ns=8_000_000,
                 state_rate=100):
    """
    Return (receive_ns, kind, message) events of a Servo teleop session, in receipt order.

    Camera at 30 Hz, joint states at ``state_rate``, Servo windows every publish period whose
    new state is the target for now + latency; each message arrives after its delay.
    """
    servo_start = START_NS - round(timing.max_expected_latency_s * NS)
    events = [(published + servo_delay_ns, 'trajectory', through_cdr(window_msg(CLASSES, ARM, w)))
              for published, w in servo_windows(commanded, servo_start,
                                                START_NS + int(seconds * NS), timing)]
    for k in range(int(seconds * FPS)):
        stamp = START_NS + round(k * NS / FPS)
        events.append((stamp + image_delay_ns, 'image', image(stamp)))
    for j in range(int(seconds * state_rate)):
        stamp = START_NS + j * NS // state_rate
        events.append((stamp + 1_000_000, 'state', joint_state(stamp, commanded(stamp))))
    events.append((START_NS - NS, 'gripper', FLOAT64(data=0.01)))
    return sorted(events, key=lambda event: event[0])


def record(events, session=None):
    """Feed events to a recording session as the recorder node does; return its frames."""
    writer = FakeWriter()
    session = session or RecordingSession(writer, 'task', max_duration_s=0)
    session.writer = writer
    session.handle(Event.ARM)
    for receive_ns, kind, msg in events:
        if kind == 'trajectory':
            session.on_trajectory(msg, receive_ns)
        elif kind == 'gripper':
            session.on_gripper_target(msg, receive_ns)
        elif kind == 'state':
            session.on_joint_state(msg, receive_ns)
        else:
            session.on_image(msg)
    return writer.frames, session


def frame_stamps(count):
    return [START_NS + round(k * NS / FPS) for k in range(count)]


@pytest.mark.parametrize('period_s, latency_s', [
    (0.04, 0.2), (0.02, 0.1), (0.05, 0.3), (0.01, 0.05)])
def test_actions_are_the_target_commanded_for_the_next_frame(period_s, latency_s):
    frames, session = record(servo_stream(ServoTiming(period_s, latency_s)))
    assert len(frames) == 90 and session.assembler.quality.held_actions == 0
    actions = np.array([f[ACTION_KEY][:6] for f in frames], dtype=np.float64)
    wanted = np.array([commanded(t + NS // FPS) for t in frame_stamps(len(frames))])
    errors = np.abs(actions - wanted)
    # Linear interpolation of the sine between Servo's points is all that separates them.
    bound = AMPLITUDE * (2 * math.pi * FREQUENCY) ** 2 * period_s ** 2 / 8 + 1e-6
    assert errors.max() <= bound, errors.max()
    np.testing.assert_allclose(np.array([f[ACTION_KEY][6] for f in frames]), 0.01, rtol=1e-6)


def test_the_first_point_rule_records_where_the_arm_was():
    # What the recorder did before: the last message's points[0], about now - latency.
    events = servo_stream(servo_timing())
    latest, first_point = None, []
    for _, kind, msg in events:
        if kind == 'trajectory':
            latest = msg
        elif kind == 'image':
            first_point.append(np.asarray(latest.points[0].positions))
    wanted = np.array([commanded(t + NS // FPS) for t in frame_stamps(len(first_point))])
    errors = np.abs(np.array(first_point) - wanted)
    assert np.median(errors) > 0.1  # the bug report's 0.15 rad median
    frames, _ = record(events)
    contract = np.abs(np.array([f[ACTION_KEY][:6] for f in frames]) - wanted)
    assert contract.max() < 1e-3


def test_our_servo_config_makes_windows_of_the_documented_shape():
    timing = servo_timing()
    assert (timing.publish_period_s, timing.max_expected_latency_s) == (0.04, 0.2)
    window = ServoWindow(timing)
    published = [window.cycle(i * window.period_ns, np.full(6, i)) for i in range(20)]
    assert published[0] is None and published[1] is None  # fewer than 3 states
    last = published[-1]
    now = 19 * window.period_ns
    assert last.offsets_ns[0] == 0 and np.all(np.diff(last.offsets_ns) == window.period_ns)
    assert last.stamp_ns >= now - window.latency_ns  # the oldest kept state
    newest = last.stamp_ns + last.offsets_ns[-1]
    assert newest == now + window.latency_ns - window.period_ns  # the newest is left out
    assert len(last.offsets_ns) == 10
    np.testing.assert_allclose(last.positions[0], 9)  # points[0] is ~0.2 s in the past
    msg = through_cdr(window_msg(CLASSES, ARM, last))
    assert ros_messages.stamp_ns(msg.header.stamp) == last.stamp_ns
    assert ros_messages.stamp_ns(msg.points[0].time_from_start) == 0
    # A pause longer than the window clears it, as servoLoop does.
    assert window.cycle(now + 10 * window.latency_ns, np.zeros(6)) is None


def window(stamp_ns, offsets_s, values):
    positions = np.repeat(np.asarray(values, dtype=float)[:, None], 6, axis=1)
    return TrajectoryWindow(stamp_ns, (np.asarray(offsets_s) * NS).astype(np.int64), positions)


def test_sampling_interpolates_holds_and_starts_at_the_first_point():
    trajectory = CommandedTrajectory(6)
    assert trajectory.sample(0) is None and not trajectory.known
    assert trajectory.offer(window(10 * NS, [0.0, 0.1, 0.3], [1.0, 2.0, 4.0]), 10 * NS) is None
    assert trajectory.sample(9 * NS)[0] == 1.0  # before the first point
    assert trajectory.sample(10 * NS + NS // 20)[0] == pytest.approx(1.5)
    assert trajectory.sample(10 * NS + NS // 5)[0] == pytest.approx(3.0)
    assert trajectory.sample(99 * NS)[0] == 4.0  # past the last point: held


def test_a_zero_stamp_starts_the_trajectory_on_receipt():
    # The policy node and homing publish zero stamps: "start now", as the controller reads it.
    trajectory = CommandedTrajectory(6)
    received = 50 * NS
    assert trajectory.offer(window(0, [0.5, 1.0], [1.0, 3.0]), received) is None
    assert trajectory.sample(received + NS // 2)[0] == 1.0
    assert trajectory.sample(received + 3 * NS // 4)[0] == pytest.approx(2.0)
    # The same message through the real definition and the session.
    session = RecordingSession(FakeWriter(), 'task', max_duration_s=0)
    session.on_joint_state(joint_state(received, np.zeros(6)), received)
    msg = through_cdr(ros_messages.joint_trajectory_msg(CLASSES, ARM, [0.5, 1.0],
                                                        [[1.0] * 6, [3.0] * 6]))
    session.on_trajectory(msg, received)
    assert session.assembler._arm_command.sample(received + 3 * NS // 4)[0] == pytest.approx(2)


def test_a_gap_in_the_stream_holds_the_last_point_of_the_last_window():
    timing = servo_timing()
    events = [e for e in servo_stream(timing, seconds=3.0)
              if not (e[1] == 'trajectory' and e[0] > START_NS + NS)]
    frames, session = record(events)
    assert len(frames) == 90
    stamps = frame_stamps(90)
    last_window = [msg for receive, kind, msg in events if kind == 'trajectory'][-1]
    held = np.asarray(last_window.points[-1].positions)
    for frame, stamp in zip(frames, stamps):
        if stamp > START_NS + 1.5 * NS:
            np.testing.assert_allclose(frame[ACTION_KEY][:6], held, atol=1e-6)


def test_a_late_message_replaces_while_current_and_is_rejected_once_ended():
    trajectory = CommandedTrajectory(6)
    assert trajectory.offer(window(10 * NS, [0.0, 0.4], [1.0, 1.0]), 10 * NS) is None
    # Older than the one in force but not yet over when it arrives: the controller takes it.
    assert trajectory.offer(window(9 * NS + NS // 2, [0.0, 1.0], [5.0, 5.0]), 10 * NS) is None
    assert trajectory.sample(10 * NS)[0] == 5.0
    # Over before it arrived: the controller rejects it and keeps the trajectory in force.
    reason = trajectory.offer(window(8 * NS, [0.0, 0.2], [7.0, 7.0]), 10 * NS)
    assert 'ended' in reason and trajectory.sample(10 * NS)[0] == 5.0
    assert 'increase' in trajectory.offer(window(11 * NS, [0.0, 0.2, 0.2], [1, 2, 3]), 11 * NS)


def test_a_late_message_through_the_session_is_counted_not_recorded():
    events = servo_stream(servo_timing(), seconds=1.0)
    stale = [msg for _, kind, msg in events if kind == 'trajectory'][0]
    events.append((START_NS + NS - 1, 'trajectory', stale))  # delivered ~1 s late
    events.sort(key=lambda event: event[0])
    frames, session = record(events)
    assert session.assembler.quality.rejected_commands == 1
    assert 'command ignored' in session.assembler.quality.summary() or \
        session.assembler.quality.messages


def test_partial_unknown_and_malformed_trajectories_are_rejected_like_the_controller():
    session = RecordingSession(FakeWriter(), 'task', max_duration_s=0)
    session.on_joint_state(joint_state(NS, np.zeros(6)), NS)
    partial = ros_messages.joint_trajectory_msg(CLASSES, ARM[:3], [0.1], [[0.0] * 3])
    unknown = ros_messages.joint_trajectory_msg(CLASSES, ARM[:5] + ['elbow'], [0.1], [[0.0] * 6])
    for msg in (partial, unknown):
        session.on_trajectory(through_cdr(msg), 0)
    assert session.assembler.quality.rejected_commands == 2
    assert any('partial' in m for m in session.assembler.quality.messages)
    reordered = ros_messages.joint_trajectory_msg(CLASSES, ARM[::-1], [0.1], [list(range(6))])
    got = adapters.trajectory_window(through_cdr(reordered), ARM)
    np.testing.assert_allclose(got.positions[0], list(range(6))[::-1])


def test_gripper_action_is_the_latest_target_at_or_before_the_image():
    targets = GripperTargets()
    assert targets.at(5) is None
    targets.add(10, 0.0)
    targets.add(30, 0.014)
    targets.add(20, 0.007)  # out of order: placed by its receipt time
    assert [targets.at(t) for t in (9, 10, 25, 30, 99)] == [None, 0.0, 0.007, 0.014, 0.014]
    # A target received after the image's stamp but before the image itself is not the frame's.
    events = servo_stream(servo_timing(), seconds=0.5)
    second_stamp = frame_stamps(2)[1]
    # Received 5 ms after the stamp (receipts are placed by the joint states' 1 ms latency).
    events.append((second_stamp + 5_000_000, 'gripper', FLOAT64(data=0.0)))
    events.sort(key=lambda event: event[0])
    frames, _ = record(events)
    assert [round(float(f[ACTION_KEY][6]), 3) for f in frames[:3]] == [0.01, 0.01, 0.0]


def test_a_receiver_on_wall_clock_records_what_a_sim_time_one_does():
    # A recorder node without use_sim_time, or a bag recorded without --use-sim-time, receives
    # on wall time while every stamp is sim time.
    events = servo_stream(servo_timing(), seconds=1.0)
    gripper_change = frame_stamps(10)[-1]
    events.append((gripper_change - 5_000_000, 'gripper', FLOAT64(data=0.0)))
    events.sort(key=lambda event: event[0])
    wall = 1_764_000_000 * NS
    on_sim, _ = record(events)
    on_wall, _ = record([(receive + wall, kind, msg) for receive, kind, msg in events])
    assert len(on_wall) == len(on_sim) == 30
    for first, second in zip(on_sim, on_wall):
        np.testing.assert_array_equal(first[ACTION_KEY], second[ACTION_KEY])
    assert [round(float(f[ACTION_KEY][6]), 3) for f in on_wall[8:11]] == [0.01, 0.0, 0.0]


def test_stamp_clock_maps_wall_clock_log_times_onto_sim_time():
    clock = StampClock()
    assert clock.to_stamp_clock(123) == 123
    wall, sim = 1_700_000_000 * NS, 42 * NS
    clock.observe(wall + 2_000_000, sim)
    assert clock.to_stamp_clock(wall + 2_000_000 + NS) == sim + NS
    clock.observe(wall, 0)  # a zero stamp says nothing about the offset
    assert clock.to_stamp_clock(wall + 2_000_000) == sim


def test_no_take_is_armed_while_the_arm_is_homed():
    session = RecordingSession(FakeWriter(), 'task', max_duration_s=0)
    logged = []
    session.log = logged.append
    homing = TS.types['std_msgs/msg/Bool']
    session.on_homing(through_cdr(homing(data=True), 'std_msgs/msg/Bool'))
    transition = session.handle(Event.ARM)
    assert not transition.accepted and session.state is State.IDLE
    assert 'homed' in logged[-1]
    session.on_homing(homing(data=False))
    assert session.handle(Event.ARM).accepted and session.state is State.RECORDING
