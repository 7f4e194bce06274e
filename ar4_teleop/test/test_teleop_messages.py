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

"""The teleop node's messages, built with real ROS 2 message classes (rosbags typestore)."""

from ar4_description.homing import homing_trajectory, homing_trajectory_msg
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import (
    float64_msg, gripper_command_msg, joint_positions_or_none, string_msg)
from ar4_teleop import spacemouse
from ar4_teleop.gamepad import GamepadState, load_mapping, TeleopMapper
from ar4_teleop.spacemouse import SpaceMouseMapper, SpaceMouseState
from ar4_teleop.spacemouse_device import EV_REL, EV_SYN, EvdevEvent, SpaceMouseEventDecoder
from ar4_teleop.teleop_mapping import TeleopSettings
from ar4_teleop.teleop_messages import joint_jog_msg, MessageTypes, twist_stamped_msg
import numpy as np
import pytest
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

CONSTANTS = robot_constants()

# control_msgs/msg/JointJog (Jazzy); control_msgs is not in the rosbags typestore.
JOINT_JOG_MSG = """
std_msgs/Header header
string[] joint_names
float64[] displacements
float64[] velocities
float64 duration
"""

STAMP_NS = 1_700_000_123_456_789_012


@pytest.fixture(scope='module')
def typestore():
    store = get_typestore(Stores.ROS2_JAZZY)
    store.register(get_types_from_msg(JOINT_JOG_MSG, 'control_msgs/msg/JointJog'))
    return store


@pytest.fixture(scope='module')
def types(typestore):
    t = typestore.types
    return MessageTypes(
        Time=t['builtin_interfaces/msg/Time'], Duration=t['builtin_interfaces/msg/Duration'],
        Header=t['std_msgs/msg/Header'], Vector3=t['geometry_msgs/msg/Vector3'],
        Twist=t['geometry_msgs/msg/Twist'], TwistStamped=t['geometry_msgs/msg/TwistStamped'],
        JointJog=t['control_msgs/msg/JointJog'],
        JointTrajectory=t['trajectory_msgs/msg/JointTrajectory'],
        JointTrajectoryPoint=t['trajectory_msgs/msg/JointTrajectoryPoint'],
        JointState=t['sensor_msgs/msg/JointState'], Float64=t['std_msgs/msg/Float64'],
        String=t['std_msgs/msg/String'])


@pytest.fixture(scope='module')
def mapping():
    return load_mapping()


def roundtrip(typestore, message):
    """Serialise to CDR and back, proving the message matches its definition."""
    data = typestore.serialize_cdr(message, message.__msgtype__)
    return typestore.deserialize_cdr(data, message.__msgtype__)


def test_twist_stamped_frame_stamp_and_values(typestore, types, mapping):
    command = TeleopMapper(mapping).update(GamepadState(left_y=1.0, right_x=1.0)).command
    message = roundtrip(typestore, twist_stamped_msg(types, command, STAMP_NS, 'base_link'))
    assert message.__msgtype__ == 'geometry_msgs/msg/TwistStamped'
    assert message.header.frame_id == 'base_link'
    assert message.header.stamp.sec == STAMP_NS // 10**9
    assert message.header.stamp.nanosec == STAMP_NS % 10**9
    assert (message.twist.linear.x, message.twist.linear.y, message.twist.linear.z) == (
        pytest.approx(command.linear))
    assert message.twist.angular.z == pytest.approx(command.angular[2])
    assert message.twist.angular.z != 0.0 and message.twist.linear.y != 0.0


def test_zero_twist_when_idle(typestore, types, mapping):
    command = TeleopMapper(mapping).update(GamepadState()).command
    message = roundtrip(typestore, twist_stamped_msg(types, command, 0))
    assert message.header.frame_id == 'base_link'
    values = [message.twist.linear.x, message.twist.linear.y, message.twist.linear.z,
              message.twist.angular.x, message.twist.angular.y, message.twist.angular.z]
    assert values == [0.0] * 6


@pytest.mark.parametrize('code, raw, field, sign', [
    (0, 350, ('linear', 'x'), -1),    # cap pushed right: right is -x of base_link
    (1, -350, ('linear', 'y'), -1),   # pushed forward: -y
    (2, -350, ('linear', 'z'), 1),    # pulled up: +z
    (3, 350, ('angular', 'x'), -1),   # tilted back
    (4, -350, ('angular', 'y'), -1),  # tilted right
    (5, -350, ('angular', 'z'), 1),   # twisted counterclockwise
])
def test_spacemouse_events_to_twist_stamped(typestore, types, code, raw, field, sign):
    # A relative report from the device, through the decoder and the mapping, into the message.
    mapping = spacemouse.load_mapping()
    decoder = SpaceMouseEventDecoder(mapping.device, clock=lambda: 0.0)
    for event in (EvdevEvent(EV_REL, code, raw), EvdevEvent(EV_SYN, 0, 0)):
        decoder.apply(event)
    command = SpaceMouseMapper(mapping).update(decoder.state()).command
    message = roundtrip(typestore, twist_stamped_msg(types, command, STAMP_NS, 'base_link'))
    assert message.__msgtype__ == 'geometry_msgs/msg/TwistStamped'
    assert message.header.frame_id == 'base_link'
    assert (message.header.stamp.sec, message.header.stamp.nanosec) == divmod(STAMP_NS, 10**9)
    group, axis = field
    limit = mapping.max_linear_speed if group == 'linear' else mapping.max_angular_speed
    values = {(g, a): getattr(getattr(message.twist, g), a)
              for g in ('linear', 'angular') for a in 'xyz'}
    assert values.pop(field) == pytest.approx(sign * 0.35 * limit)
    assert set(values.values()) == {0.0}


def test_spacemouse_at_rest_is_a_zero_twist(typestore, types):
    mapper = SpaceMouseMapper(spacemouse.load_mapping(), TeleopSettings(dominant_axis=False))
    message = roundtrip(typestore, twist_stamped_msg(
        types, mapper.update(SpaceMouseState()).command, STAMP_NS))
    values = [message.twist.linear.x, message.twist.linear.y, message.twist.linear.z,
              message.twist.angular.x, message.twist.angular.y, message.twist.angular.z]
    assert values == [0.0] * 6


def test_joint_jog_names_and_velocities(typestore, types, mapping):
    mapper = TeleopMapper(mapping, TeleopSettings(joint_jog=True))
    command = mapper.update(GamepadState(right_trigger=1.0)).command
    message = roundtrip(typestore, joint_jog_msg(types, command, STAMP_NS, 'base_link', 0.04))
    assert message.__msgtype__ == 'control_msgs/msg/JointJog'
    assert list(message.joint_names) == list(CONSTANTS.joint_names)
    expected = np.zeros(6)
    expected[2] = 0.35 * CONSTANTS.velocity_limits[2]
    np.testing.assert_allclose(message.velocities, expected)
    assert len(message.displacements) == 0
    assert message.duration == pytest.approx(0.04)
    assert message.header.stamp.sec == STAMP_NS // 10**9


def test_homing_trajectory_message(typestore, types):
    start = np.array(CONSTANTS.upper) * 0.9
    plan = homing_trajectory(start)
    message = roundtrip(typestore, homing_trajectory_msg(types, plan))
    assert message.__msgtype__ == 'trajectory_msgs/msg/JointTrajectory'
    assert list(message.joint_names) == list(CONSTANTS.joint_names)
    assert message.header.stamp.sec == 0 and message.header.stamp.nanosec == 0
    times = np.array([p.time_from_start.sec + p.time_from_start.nanosec * 1e-9
                      for p in message.points])
    assert times[0] > 0.0
    assert np.all(np.diff(times) > 0.0)
    np.testing.assert_allclose(message.points[-1].positions, CONSTANTS.home, atol=1e-12)
    positions = np.vstack([start] + [p.positions for p in message.points])
    steps = np.abs(np.diff(positions, axis=0)) / np.diff(np.concatenate([[0.0], times]))[:, None]
    assert np.all(steps <= np.array(CONSTANTS.velocity_limits) + 1e-6)
    assert all(len(p.velocities) == 6 for p in message.points)


def test_gripper_and_episode_messages(typestore, types):
    gripper = CONSTANTS.gripper
    command = roundtrip(typestore, gripper_command_msg(types, gripper.joint_name, gripper.open,
                                                       max_effort=gripper.effort_limit))
    assert list(command.name) == [gripper.joint_name]
    np.testing.assert_allclose(command.position, [gripper.open])
    np.testing.assert_allclose(command.effort, [gripper.effort_limit])
    assert len(command.velocity) == 0
    assert roundtrip(typestore, float64_msg(types.Float64, gripper.open)).data == gripper.open
    assert roundtrip(typestore, string_msg(types.String, 'save')).data == 'save'


def test_joint_positions_by_name(types):
    names = list(reversed(CONSTANTS.joint_names)) + [CONSTANTS.gripper.joint_name]
    values = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.01]
    state = types.JointState(header=types.Header(stamp=types.Time(sec=0, nanosec=0),
                                                 frame_id=''),
                             name=names, position=np.array(values), velocity=np.array([]),
                             effort=np.array([]))
    np.testing.assert_allclose(joint_positions_or_none(state, CONSTANTS.joint_names),
                               [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    partial = types.JointState(header=state.header, name=names[:3], position=np.array(
        values[:3]), velocity=np.array([]), effort=np.array([]))
    assert joint_positions_or_none(partial, CONSTANTS.joint_names) is None
