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

"""The policy node's message building against real ROS 2 Jazzy message classes (rosbags)."""

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import (duration_msg, float64_msg, gripper_goal_msg,
                                          message_classes)
from ar4_policy.policy_messages import GripperCommandGate, joint_trajectory_msg
from ar4_teleop.recording.adapters import float64_value, trajectory_window
from ar4_teleop.recording.commanded import CommandedTrajectory
import numpy as np
import pytest
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

PERIOD = 1.0 / 30

# control_msgs is not in the rosbags Jazzy store; the goal part of
# control_msgs/action/ParallelGripperCommand, as released in Jazzy.
GOAL_MSG = """
sensor_msgs/JointState command
"""


@pytest.fixture(scope='module')
def store():
    typestore = get_typestore(Stores.ROS2_JAZZY)
    typestore.register(get_types_from_msg(
        GOAL_MSG, 'control_msgs/action/ParallelGripperCommand_Goal'))
    return typestore


@pytest.fixture(scope='module')
def classes(store):
    return message_classes(store.types)


def test_trajectory_is_one_point_reached_after_one_period_starting_now(store, classes):
    constants = robot_constants()
    target = constants.home7[:6] + 0.1
    msg = joint_trajectory_msg(classes, constants.joint_names, target, PERIOD)
    assert msg.header.stamp.sec == 0 and msg.header.stamp.nanosec == 0
    assert list(msg.joint_names) == list(constants.joint_names)
    assert len(msg.points) == 1
    reach = msg.points[0].time_from_start
    assert reach.sec == 0 and reach.nanosec == 33_333_333
    # Round trip through CDR: every field has the right type for the real definition.
    data = store.serialize_cdr(msg, 'trajectory_msgs/msg/JointTrajectory')
    back = store.deserialize_cdr(data, 'trajectory_msgs/msg/JointTrajectory')
    # The recorder reads it back with the commanded-target contract: received while the image
    # stamped t is processed (a zero stamp starts on receipt), sampled at t + one period, it is
    # the target, the action the policy was trained to output.
    window = trajectory_window(back, constants.joint_names)
    commanded = CommandedTrajectory(6)
    image_ns, received_ns = 10_000_000_000, 10_040_000_000
    assert commanded.offer(window, received_ns) is None
    np.testing.assert_allclose(commanded.sample(image_ns + 33_333_333), target)


def test_time_from_start_is_never_shorter_than_a_period(classes):
    names = robot_constants().joint_names
    msg = joint_trajectory_msg(classes, names, np.zeros(6), PERIOD, time_from_start_s=0.0)
    assert msg.points[0].time_from_start.nanosec == 33_333_333
    longer = joint_trajectory_msg(classes, names, np.zeros(6), PERIOD, time_from_start_s=1.5)
    assert (longer.points[0].time_from_start.sec,
            longer.points[0].time_from_start.nanosec) == (1, 500_000_000)


def test_trajectory_rejects_bad_positions(classes):
    names = robot_constants().joint_names
    with pytest.raises(ValueError, match='non-finite'):
        joint_trajectory_msg(classes, names, [np.nan] * 6, PERIOD)
    with pytest.raises(ValueError, match='6 joint names but 7'):
        joint_trajectory_msg(classes, names, np.zeros(7), PERIOD)
    with pytest.raises(ValueError):
        duration_msg(classes.Duration, -1.0)


def test_gripper_target_float64(store):
    float64 = store.types['std_msgs/msg/Float64']
    msg = float64_msg(float64, 0.012)
    back = store.deserialize_cdr(store.serialize_cdr(msg, 'std_msgs/msg/Float64'),
                                 'std_msgs/msg/Float64')
    assert float64_value(back) == pytest.approx(0.012)


def test_parallel_gripper_goal_names_the_driven_jaw(store, classes):
    gripper = robot_constants().gripper
    goal_type = 'control_msgs/action/ParallelGripperCommand_Goal'
    # The call policy_node makes.
    goal = gripper_goal_msg(store.types[goal_type], classes, gripper.joint_name, gripper.open,
                            max_effort=gripper.effort_limit)
    back = store.deserialize_cdr(store.serialize_cdr(goal, goal_type), goal_type)
    assert list(back.command.name) == [gripper.joint_name]
    np.testing.assert_allclose(back.command.position, [gripper.open])
    assert back.command.velocity.size == 0
    np.testing.assert_allclose(back.command.effort, [gripper.effort_limit])


def test_gripper_gate_sends_only_meaningful_changes():
    gate = GripperCommandGate(threshold=0.001)
    assert gate.should_send(0.0)
    assert not gate.should_send(0.0005)
    assert not gate.should_send(float('nan'))
    assert gate.should_send(0.002)
    assert not gate.should_send(0.0015)
    gate.reset()
    assert gate.should_send(0.0015)
