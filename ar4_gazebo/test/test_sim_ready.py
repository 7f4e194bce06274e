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

"""The sim's ready step, with real ROS 2 message classes from the rosbags typestore."""

from pathlib import Path

from ar4_description.homing import homing_trajectory, homing_trajectory_msg
from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import message_classes, positions_by_name
from ar4_gazebo import sim_ready
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

STORE = get_typestore(Stores.ROS2_JAZZY)
CLASSES = message_classes(STORE.types)


def sim_plan(positions, constants):
    """Plan the sim's move home the way go_home_and_report_ready does."""
    return homing_trajectory(sim_ready.arm_positions(positions, constants), constants,
                             min_duration=sim_ready.MIN_HOMING_S)


def test_ready_line_is_the_documented_one():
    assert sim_ready.READY_LINE == ('AR4 SIM READY: controllers active, arm at home. '
                                    'Next: docker compose run --rm record')


def test_missing_controllers_needs_every_required_one_active():
    states = [('joint_state_broadcaster', 'active'), ('joint_trajectory_controller', 'active'),
              ('gripper_controller', 'inactive'), ('forward_position_controller', 'inactive')]
    assert sim_ready.missing_controllers(states) == ['gripper_controller']
    states[2] = ('gripper_controller', 'active')
    assert sim_ready.missing_controllers(states) == []


def test_home_trajectory_is_a_valid_message_reaching_home():
    c = robot_constants()
    start = dict(zip(c.joint_names, np.array(c.upper) * 0.5))
    message = homing_trajectory_msg(CLASSES, sim_plan(start, c))
    # A CDR round trip proves every field has the type the real message needs.
    data = STORE.serialize_cdr(message, 'trajectory_msgs/msg/JointTrajectory')
    back = STORE.deserialize_cdr(data, 'trajectory_msgs/msg/JointTrajectory')
    assert list(back.joint_names) == list(c.joint_names)
    # The smooth multi-point plan the teleop node sends too, ending at rest at home.
    assert len(back.points) > 1
    point = back.points[-1]
    assert np.allclose(point.positions, c.home)
    assert np.allclose(point.velocities, 0.0)
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (0, 0)


def test_joint_state_by_name_and_home_error():
    c = robot_constants()
    JointState = STORE.types['sensor_msgs/msg/JointState']
    Header = CLASSES.Header
    names = list(reversed(c.names7))
    positions = [0.0] + list(reversed(c.home))
    message = JointState(header=Header(stamp=CLASSES.Time(sec=1, nanosec=0), frame_id=''),
                         name=names, position=np.array(positions, dtype=np.float64),
                         velocity=np.zeros(0), effort=np.zeros(0))
    by_name = positions_by_name(message)
    assert sim_ready.home_error(by_name, c) == pytest.approx(0.0)
    np.testing.assert_allclose(sim_ready.arm_positions(by_name, c), c.home)
    by_name['joint_5'] += 0.1
    assert sim_ready.home_error(by_name, c) == pytest.approx(0.1)
    del by_name['joint_1']
    assert sim_ready.home_error(by_name, c) is None
    assert sim_ready.arm_positions(by_name, c) is None


def test_home_duration_respects_the_velocity_limits():
    c = robot_constants()
    at_home = dict(zip(c.joint_names, c.home))
    assert sim_plan(at_home, c).duration == pytest.approx(sim_ready.MIN_HOMING_S) == 2.0
    far = dict(at_home, joint_1=c.home[0] - 1.0472 * 2)
    plan = sim_plan(far, c)
    # Half the velocity limit at the quintic's peak (1.875 x the mean speed).
    assert plan.duration == pytest.approx(1.875 * 2 * 1.0472 / (0.5 * c.velocity_limits[0]))
    assert np.all(np.abs(plan.velocities) <= 0.5 * np.array(c.velocity_limits) + 1e-9)
    with pytest.raises(ValueError):
        homing_trajectory(sim_ready.arm_positions(at_home, c), c, velocity_fraction=0)


def test_the_move_home_is_sent_again_when_the_arm_does_not_follow():
    resend, tolerance = sim_ready.RESEND_AFTER_S, 0.02
    # Too early to judge, or already home: never.
    assert not sim_ready.should_resend(resend - 0.1, 0.5, 0.5, 3.0, tolerance)
    assert not sim_ready.should_resend(resend + 60, 0.5, 0.01, 3.0, tolerance)
    # No joint state now: nothing to judge by.
    assert not sim_ready.should_resend(resend + 1, 0.5, None, 3.0, tolerance)
    # Not moved (the message was lost or refused): again.
    assert sim_ready.should_resend(resend, 0.5, 0.5 - sim_ready.MOVED_RAD / 2, 30.0, tolerance)
    assert sim_ready.should_resend(resend, None, 0.5, 30.0, tolerance)
    # Moving along a long plan: leave it alone until it should have ended, then again.
    assert not sim_ready.should_resend(resend, 0.5, 0.3, 30.0, tolerance)
    assert not sim_ready.should_resend(30.0 + resend - 0.1, 0.5, 0.3, 30.0, tolerance)
    assert sim_ready.should_resend(30.0 + resend, 0.5, 0.3, 30.0, tolerance)


def test_the_ready_step_times_out_on_the_steady_clock():
    # Its timer must fire without /clock: a ROS timer on sim time never does while the sim has
    # not started, and then the 180 s timeout never came.
    source = (Path(sim_ready.__file__).with_name('go_home_and_report_ready.py')).read_text()
    assert 'create_timer(0.5, self.step, clock=Clock(clock_type=ClockType.STEADY_TIME))' in source
    assert 'time.monotonic()' in source and 'get_clock()' not in source
