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

"""The sim homing core, with real ROS 2 message classes from the rosbags typestore."""

from ar4_description.robot_constants import robot_constants
from ar4_gazebo import homing
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

STORE = get_typestore(Stores.ROS2_JAZZY)
CLASSES = {
    'JointTrajectory': STORE.types['trajectory_msgs/msg/JointTrajectory'],
    'JointTrajectoryPoint': STORE.types['trajectory_msgs/msg/JointTrajectoryPoint'],
    'Header': STORE.types['std_msgs/msg/Header'],
    'Time': STORE.types['builtin_interfaces/msg/Time'],
    'Duration': STORE.types['builtin_interfaces/msg/Duration'],
}


def test_ready_line_is_the_documented_one():
    assert homing.READY_LINE == ('AR4 SIM READY: controllers active, arm at home. '
                                 'Next: docker compose run --rm record')


def test_missing_controllers_needs_every_required_one_active():
    states = [('joint_state_broadcaster', 'active'), ('joint_trajectory_controller', 'active'),
              ('gripper_controller', 'inactive'), ('forward_position_controller', 'inactive')]
    assert homing.missing_controllers(states) == ['gripper_controller']
    states[2] = ('gripper_controller', 'active')
    assert homing.missing_controllers(states) == []


def test_home_trajectory_is_a_valid_message_reaching_home():
    c = robot_constants()
    message = homing.build_home_trajectory(CLASSES, c, 2.5)
    # A CDR round trip proves every field has the type the real message needs.
    data = STORE.serialize_cdr(message, 'trajectory_msgs/msg/JointTrajectory')
    back = STORE.deserialize_cdr(data, 'trajectory_msgs/msg/JointTrajectory')
    assert list(back.joint_names) == list(c.joint_names)
    assert len(back.points) == 1
    point = back.points[0]
    assert np.allclose(point.positions, c.home)
    assert (point.time_from_start.sec, point.time_from_start.nanosec) == (2, 500_000_000)
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (0, 0)
    with pytest.raises(ValueError):
        homing.build_home_trajectory(CLASSES, c, 0.0)


def test_joint_state_by_name_and_home_error():
    c = robot_constants()
    JointState = STORE.types['sensor_msgs/msg/JointState']
    Header = CLASSES['Header']
    names = list(reversed(c.names7))
    positions = [0.0] + list(reversed(c.home))
    message = JointState(header=Header(stamp=CLASSES['Time'](sec=1, nanosec=0), frame_id=''),
                         name=names, position=np.array(positions, dtype=np.float64),
                         velocity=np.zeros(0), effort=np.zeros(0))
    positions_by_name = homing.joint_positions(message)
    assert homing.home_error(positions_by_name, c) == pytest.approx(0.0)
    positions_by_name['joint_5'] += 0.1
    assert homing.home_error(positions_by_name, c) == pytest.approx(0.1)
    del positions_by_name['joint_1']
    assert homing.home_error(positions_by_name, c) is None


def test_home_duration_respects_the_velocity_limits():
    c = robot_constants()
    at_home = dict(zip(c.joint_names, c.home))
    assert homing.home_duration(at_home, c) == 2.0
    far = dict(at_home, joint_1=c.home[0] + 1.0472 * 3)
    assert homing.home_duration(far, c, speed_fraction=0.5) == pytest.approx(6.0)
    assert homing.home_duration(None, c) > 2.0
    with pytest.raises(ValueError):
        homing.home_duration(at_home, c, speed_fraction=0)
