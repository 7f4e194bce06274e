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

"""Bags written with rosbags (MCAP and sqlite3), converted, then loaded with LeRobotDataset."""

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import time_msg
from ar4_teleop.recording import bag2lerobot
from ar4_teleop.recording.features import ACTION_KEY, IMAGE_KEY, IMAGE_SHAPE, STATE_KEY
from lerobot.datasets.lerobot_dataset import LeRobotDataset
import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
T = TS.types
NAMES7 = list(robot_constants().names7)
ARM = list(robot_constants().joint_names)
PERIOD = 1_000_000_000 // 30
START = 5_000_000_000
TASK = 'place the teal cube on the top shelf'


def _header(ns):
    return T['std_msgs/msg/Header'](stamp=time_msg(T['builtin_interfaces/msg/Time'], ns),
                                    frame_id='')


def _state(i):
    """Return the joint state published at half-frame i (60 Hz)."""
    return np.array([0.01 * i, -0.02 * i, 0.3, 0.4, -1.0, 0.1 * i, 0.001 * i])


def write_bag(path, storage, frames=5):
    """Write 30 Hz images, 60 Hz joint states, a command per frame and gripper targets."""
    typ = 'sensor_msgs/msg/Image'
    with Writer(path, version=9, storage_plugin=storage) as bag:
        image = bag.add_connection('/wrist_camera/image', typ, typestore=TS)
        joints = bag.add_connection('/joint_states', 'sensor_msgs/msg/JointState', typestore=TS)
        command = bag.add_connection('/joint_trajectory_controller/joint_trajectory',
                                     'trajectory_msgs/msg/JointTrajectory', typestore=TS)
        gripper = bag.add_connection('/gripper_target', 'std_msgs/msg/Float64', typestore=TS)
        names = list(reversed(NAMES7)) + ['gripper_jaw2_joint']
        for i in range(2 * frames):
            ns = START + i * PERIOD // 2
            state = dict(zip(NAMES7, _state(i)))
            msg = T['sensor_msgs/msg/JointState'](
                header=_header(ns), name=names,
                position=np.array([state.get(n, 0.0) for n in names]),
                velocity=np.zeros(0), effort=np.zeros(0))
            bag.write(joints, ns, TS.serialize_cdr(msg, 'sensor_msgs/msg/JointState'))
            if i % 2:
                continue
            k = i // 2
            point = T['trajectory_msgs/msg/JointTrajectoryPoint'](
                positions=np.arange(6.0) + k, velocities=np.zeros(0), accelerations=np.zeros(0),
                effort=np.zeros(0),
                time_from_start=T['builtin_interfaces/msg/Duration'](sec=0, nanosec=PERIOD))
            trajectory = T['trajectory_msgs/msg/JointTrajectory'](
                header=_header(0), joint_names=ARM, points=[point])
            bag.write(command, ns, TS.serialize_cdr(
                trajectory, 'trajectory_msgs/msg/JointTrajectory'))
            bag.write(gripper, ns, TS.serialize_cdr(
                T['std_msgs/msg/Float64'](data=0.002 * k), 'std_msgs/msg/Float64'))
            rgb = np.full(IMAGE_SHAPE, 40 * k, np.uint8)
            bgr = T[typ](header=_header(ns), height=480, width=640, encoding='bgr8',
                         is_bigendian=0, step=1920, data=rgb[:, :, ::-1].reshape(-1).copy())
            bag.write(image, ns + 1000, TS.serialize_cdr(bgr, typ))


def test_mcap_and_sqlite3_bags_become_episodes(tmp_path):
    bags = [tmp_path / 'take_mcap', tmp_path / 'take_sqlite']
    write_bag(bags[0], StoragePlugin.MCAP, frames=5)
    write_bag(bags[1], StoragePlugin.SQLITE3, frames=4)
    out = tmp_path / 'local' / 'from_bags'
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(b) for b in bags] + ['--task', TASK, '--out', str(out),
                                                   '--no-progress'])
    assert done.value.code == 0
    dataset = LeRobotDataset('local/from_bags', root=out)
    assert dataset.num_episodes == 2 and dataset.num_frames == 9
    for episode, start in ((0, 0), (1, 5)):
        for k in range(4):
            item = dataset[start + k]
            assert int(item['episode_index']) == episode and item['task'] == TASK
            np.testing.assert_allclose(item[STATE_KEY].numpy(), _state(2 * k), atol=1e-6)
            np.testing.assert_allclose(item[ACTION_KEY].numpy(),
                                       list(np.arange(6.0) + k) + [0.002 * k], atol=1e-6)
            # bgr8 was converted to RGB: a grey level survives video compression roughly.
            assert abs(float(item[IMAGE_KEY].mean()) * 255 - 40 * k) < 6
    assert float(dataset[4]['timestamp']) == pytest.approx(4 / 30)


def test_bad_input_exits_2_without_destroying_data(tmp_path, capsys):
    bag = tmp_path / 'take'
    write_bag(bag, StoragePlugin.MCAP, frames=2)
    out = tmp_path / 'local' / 'ds'
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(bag), '--task', TASK, '--out', str(out), '--no-progress'])
    assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(tmp_path / 'missing'), '--task', TASK, '--out', str(out),
                          '--no-progress'])
    assert done.value.code == 2
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(bag), '--task', TASK, '--out', str(out), '--fps', '15',
                          '--no-progress'])
    assert done.value.code == 2
    assert 'fps: dataset has 30, requested 15' in capsys.readouterr().err
    assert LeRobotDataset('local/ds', root=out).num_episodes == 1
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(bag), '--task', TASK, '--out', str(out), '--image-topic', '/cam',
                          '--no-progress'])
    assert done.value.code == 2
    assert 'no /cam topic' in capsys.readouterr().err
