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

"""Session extras of issue 21: re-record, success marks, voice prompts, live view, reset."""

import threading

from ar4_description import ros_messages
from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import adapters, outcome
from ar4_teleop.recording.announce import Announcer
from ar4_teleop.recording.episode import Event, State
from ar4_teleop.recording.features import IMAGE_SHAPE
from ar4_teleop.recording.session import RecordingSession
from ar4_teleop.recording.writer import DatasetWriter
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
CLASSES = ros_messages.message_classes(TS.types)
ARM = list(robot_constants().joint_names)
NS = 1_000_000_000
PERIOD = NS // 30


def _through_cdr(msg, msgtype):
    return TS.deserialize_cdr(TS.serialize_cdr(msg, msgtype), msgtype)


def _joint_state(stamp_ns):
    state_class = CLASSES.JointState
    msg = state_class(header=ros_messages.header_msg(CLASSES, stamp_ns),
                      name=ARM + ['gripper_jaw1_joint', 'gripper_jaw2_joint'],
                      position=ros_messages.float_sequence(state_class, [0.1] * 6 + [0.0, 0.0]),
                      velocity=ros_messages.float_sequence(state_class, []),
                      effort=ros_messages.float_sequence(state_class, []))
    return _through_cdr(msg, 'sensor_msgs/msg/JointState')


class Stream:
    """Joint states and camera images on one clock, as the simulation publishes them."""

    def __init__(self):
        self.stamp = 10 * NS
        self.rgb = np.zeros(IMAGE_SHAPE, np.uint8)

    def feed(self, session, frames):
        for _ in range(frames):
            image = adapters.rgb_to_image_msg(TS.types['sensor_msgs/msg/Image'],
                                              ros_messages.header_msg(CLASSES, self.stamp),
                                              self.rgb)
            session.on_joint_state(_joint_state(self.stamp), self.stamp)
            session.on_image(image)
            self.stamp += PERIOD


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def writer(tmp_path):
    with DatasetWriter.open(tmp_path / 'local' / 'extras', consolidate_on_close=False) as w:
        yield w


def test_rerecord_discards_and_arms_a_new_take_and_marks_are_saved(writer):
    spoken, shown = [], []
    session = RecordingSession(writer, 'stack the cube', max_duration_s=0, log=lambda _: None,
                               announce=spoken.append,
                               live_view=lambda frame, ep, n: shown.append((ep, n)))
    stream = Stream()
    session.handle(Event.ARM)
    stream.feed(session, 4)
    session.handle(Event.SUCCESS)
    assert 'marked success' in session.status()
    transition = session.handle(Event.RERECORD)
    assert transition.accepted and session.state is State.RECORDING
    assert session.frames == 0 and session.outcome is None  # the mark went with the take
    stream.feed(session, 5)
    session.handle(Event.FAILURE)
    session.handle(Event.SAVE)
    session.handle(Event.ARM)
    stream.feed(session, 3)
    session.handle(Event.SUCCESS)
    session.handle(Event.SAVE)
    session.handle(Event.ARM)
    stream.feed(session, 3)
    session.handle(Event.SAVE)  # not marked
    writer.wait_for_saves()
    assert [saved.frames for saved in session.saved] == [5, 3, 3]
    assert outcome.read(writer.root) == {0: False, 1: True, 2: None}
    assert spoken[:4] == ['Recording episode 0', 'Episode discarded', 'Recording episode 0',
                          'Episode saved']
    assert not session.handle(Event.SUCCESS).accepted  # nothing open to mark
    assert not session.handle(Event.RERECORD).accepted
    assert shown[0] == (0, 1) and (2, 2) in shown


def test_reset_between_episodes_and_the_timed_phase(writer):
    spoken, resets, clock = [], [], Clock()
    session = RecordingSession(writer, 'stack the cube', max_duration_s=0, log=lambda _: None,
                               announce=spoken.append, reset_scene=lambda: resets.append(1),
                               reset_time_s=5.0, wall_clock=clock)
    session.handle(Event.ARM)
    session.handle(Event.RERECORD)  # a re-record resets nothing
    assert resets == []
    session.handle(Event.DISCARD)
    assert resets == [1] and spoken[-1] == 'Reset the scene'
    assert not session.handle(Event.ARM).accepted and 'resetting' in session.status()
    clock.now = 5.0
    session.poll()
    assert spoken[-1] == 'Ready' and session.handle(Event.ARM).accepted
    session.handle(Event.QUIT)
    assert resets == [1]


def test_a_failing_reset_is_reported_not_raised(writer):
    logged = []

    def broken():
        raise RuntimeError('no simulation')

    session = RecordingSession(writer, 'stack the cube', log=logged.append, reset_scene=broken)
    session.handle(Event.ARM)
    session.handle(Event.DISCARD)
    assert any('no simulation' in line for line in logged)
    with pytest.raises(ValueError):
        RecordingSession(writer, 'task', reset_time_s=-1)


def test_the_announcer_never_blocks_its_caller():
    release, spoken = threading.Event(), []

    def slow_speech(text):
        release.wait(5)
        spoken.append(text)

    announcer = Announcer(slow_speech, log=lambda _: None)
    assert announcer.say('Recording episode 1')  # returns while the first is still spoken
    accepted = [announcer.say(f'prompt {i}') for i in range(10)]
    assert not all(accepted)  # a full queue drops prompts instead of blocking
    release.set()
    announcer.close()
    assert spoken[0] == 'Recording episode 1' and len(spoken) == 1 + sum(accepted)


def test_a_speech_failure_is_logged():
    logged = []

    def broken(text):
        raise OSError('no sound device')

    announcer = Announcer(broken, log=logged.append)
    announcer.say('Episode saved')
    announcer.close()
    assert any('no sound device' in line for line in logged)
