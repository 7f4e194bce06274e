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

"""The shared message helpers against real ROS 2 Jazzy message classes (rosbags typestore)."""

from ar4_description import ros_messages
from ar4_description.robot_constants import robot_constants
import numpy as np
import pytest
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

CONSTANTS = robot_constants()
NAMES7 = list(CONSTANTS.names7)
GOAL_TYPE = 'control_msgs/action/ParallelGripperCommand_Goal'


@pytest.fixture(scope='module')
def store():
    typestore = get_typestore(Stores.ROS2_JAZZY)
    # control_msgs is not in the rosbags store: the goal part of the Jazzy action.
    typestore.register(get_types_from_msg('sensor_msgs/JointState command\n', GOAL_TYPE))
    return typestore


@pytest.fixture(scope='module')
def classes(store):
    return ros_messages.message_classes(store.types)


def roundtrip(store, message):
    """Serialise to CDR and back, proving every field has the type the definition needs."""
    return store.deserialize_cdr(store.serialize_cdr(message, message.__msgtype__),
                                 message.__msgtype__)


def joint_state(classes, names, positions):
    return classes.JointState(header=ros_messages.header_msg(classes), name=list(names),
                              position=np.asarray(positions, float), velocity=np.zeros(0),
                              effort=np.zeros(0))


def test_message_classes_by_type_name(store, classes):
    assert classes.JointTrajectory is store.types['trajectory_msgs/msg/JointTrajectory']
    assert {name: getattr(classes, name).__msgtype__ for name in ros_messages.TYPE_NAMES} == (
        ros_messages.TYPE_NAMES)


def test_stamps_round_trip(classes):
    assert ros_messages.stamp_ns(classes.Time(sec=3, nanosec=5)) == 3_000_000_005
    assert ros_messages.stamp_ns(ros_messages.time_msg(classes.Time, 7_000_000_123)) == (
        7_000_000_123)


def test_duration_and_header(store, classes):
    duration = ros_messages.duration_msg(classes.Duration, 2.5)
    assert (duration.sec, duration.nanosec) == (2, 500_000_000)
    assert ros_messages.duration_msg(classes.Duration, 1.0 / 30).nanosec == 33_333_333
    for bad in (-1.0, float('nan'), float('inf')):
        with pytest.raises(ValueError, match='finite number of seconds'):
            ros_messages.duration_msg(classes.Duration, bad)
    header = roundtrip(store, ros_messages.header_msg(classes, 1_700_000_123_456_789_012,
                                                      'base_link'))
    assert (header.stamp.sec, header.stamp.nanosec) == (1_700_000_123, 456_789_012)
    assert header.frame_id == 'base_link'


def test_scalar_messages(store):
    float64 = store.types['std_msgs/msg/Float64']
    string = store.types['std_msgs/msg/String']
    assert roundtrip(store, ros_messages.float64_msg(float64, 0.012)).data == 0.012
    assert roundtrip(store, ros_messages.string_msg(string, 'save')).data == 'save'


def test_sequences_for_rclpy_style_classes():

    class RclpyLike:
        """Like rclpy's generated classes: no __msgtype__, lists of floats accepted."""

    values = ros_messages.float_sequence(RclpyLike, np.array([1, 2.5]))
    assert values == [1.0, 2.5] and all(type(v) is float for v in values)


def test_sequences_for_rosbags_classes(classes):
    values = ros_messages.float_sequence(classes.JointState, [1, 2.5])
    assert isinstance(values, np.ndarray) and values.dtype == np.float64


def test_multi_point_trajectory(store, classes):
    names = CONSTANTS.joint_names
    times = [0.5, 1.0]
    positions = np.array([CONSTANTS.home, np.array(CONSTANTS.home) + 0.1])
    velocities = np.array([np.full(6, 0.2), np.zeros(6)])
    message = roundtrip(store, ros_messages.joint_trajectory_msg(
        classes, names, times, positions, velocities))
    assert list(message.joint_names) == list(names)
    assert (message.header.stamp.sec, message.header.stamp.nanosec) == (0, 0)
    assert [(p.time_from_start.sec, p.time_from_start.nanosec) for p in message.points] == [
        (0, 500_000_000), (1, 0)]
    np.testing.assert_allclose(message.points[1].positions, positions[1])
    np.testing.assert_allclose(message.points[0].velocities, velocities[0])
    assert all(p.accelerations.size == 0 and p.effort.size == 0 for p in message.points)


@pytest.mark.parametrize('times, positions, message', [
    ([0.1], np.zeros(7), '6 joint names but 7 positions'),
    ([0.1], [[np.nan] * 6], 'non-finite positions'),
    ([0.1, 0.2], np.zeros((1, 6)), '2 times but 1 rows of positions'),
    ([0.0], np.zeros((1, 6)), 'positive and strictly increasing'),
    ([0.2, 0.2], np.zeros((2, 6)), 'positive and strictly increasing'),
    ([], np.zeros((0, 6)), 'positive and strictly increasing'),
])
def test_trajectory_rejects_bad_input(classes, times, positions, message):
    with pytest.raises(ros_messages.MessageError, match=message):
        ros_messages.joint_trajectory_msg(classes, CONSTANTS.joint_names, times, positions)


def test_parallel_gripper_goal_names_the_driven_jaw(store, classes):
    gripper = CONSTANTS.gripper
    goal = roundtrip(store, ros_messages.gripper_goal_msg(
        store.types[GOAL_TYPE], classes, gripper.joint_name, gripper.open, stamp_ns=5,
        max_effort=gripper.effort_limit))
    assert list(goal.command.name) == [gripper.joint_name]
    assert goal.command.header.stamp.nanosec == 5
    np.testing.assert_allclose(goal.command.position, [gripper.open])
    assert goal.command.velocity.size == 0
    np.testing.assert_allclose(goal.command.effort, [gripper.effort_limit])
    with pytest.raises(ValueError, match='finite'):
        ros_messages.gripper_command_msg(classes, gripper.joint_name, float('nan'))


def test_positions_by_name(classes):
    names = list(reversed(NAMES7))
    message = joint_state(classes, names, np.arange(7.0))
    assert ros_messages.positions_by_name(message) == dict(zip(names, np.arange(7.0)))


def test_joint_state_ordering_extra_missing_nan(classes):
    values = dict(zip(NAMES7, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01]))
    shuffled = list(reversed(NAMES7)) + ['gripper_jaw2_joint', 'camera_joint']
    msg = joint_state(classes, shuffled, [values.get(n, 9.0) for n in shuffled])
    np.testing.assert_allclose(ros_messages.joint_positions(msg, NAMES7),
                               [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01])
    with pytest.raises(ros_messages.MessageError, match='lacks joint_3'):
        ros_messages.joint_positions(joint_state(classes, [n for n in NAMES7 if n != 'joint_3'],
                                                 np.zeros(6)), NAMES7)
    bad = np.zeros(7)
    bad[4] = np.nan
    with pytest.raises(ros_messages.MessageError, match='non-finite.*joint_5'):
        ros_messages.joint_positions(joint_state(classes, NAMES7, bad), NAMES7)
    with pytest.raises(ros_messages.MessageError, match='7 names but 6'):
        ros_messages.joint_positions(joint_state(classes, NAMES7, np.zeros(6)), NAMES7)


def test_joint_positions_or_none_keeps_non_finite_values(classes):
    bad = np.zeros(7)
    bad[4] = np.nan
    values = ros_messages.joint_positions_or_none(joint_state(classes, NAMES7, bad), NAMES7)
    assert np.isnan(values[4]) and values.shape == (7,)
    assert ros_messages.joint_positions_or_none(
        joint_state(classes, NAMES7[:3], np.zeros(3)), NAMES7) is None
    assert ros_messages.joint_positions_or_none(
        joint_state(classes, NAMES7, np.zeros(6)), NAMES7) is None
