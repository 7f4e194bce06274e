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
ar4-bag2lerobot on bags of the shapes other ROS 2 systems record, written with rosbags.

Each shape gives the documented exit status and message: compressed and other-sized images,
other joint names, joint states slower than the camera, wrong topic types, several bags and the
same bag twice in one run, a truncated MCAP, a sqlite3 bag with the type names of the first
ROS 2 releases, a bag without commands. Datasets are loaded back with LeRobotDataset.
"""

import io
import sqlite3
import subprocess
import sys

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import time_msg
from ar4_teleop.recording import bag2lerobot
from ar4_teleop.recording.features import ACTION_KEY, IMAGE_KEY, IMAGE_SHAPE, STATE_KEY
from lerobot.datasets.lerobot_dataset import LeRobotDataset
import numpy as np
from PIL import Image as PILImage
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores

TS = get_typestore(Stores.ROS2_JAZZY)
T = TS.types
NAMES7 = list(robot_constants().names7)
ARM = list(robot_constants().joint_names)
OTHER7 = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_1', 'wrist_2', 'wrist_3', 'finger']
PERIOD = 1_000_000_000 // 30
START = 5_000_000_000
TASK = 'place the teal cube on the top shelf'
TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory'


def _header(ns):
    return T['std_msgs/msg/Header'](stamp=time_msg(T['builtin_interfaces/msg/Time'], ns),
                                    frame_id='')


def _state(t_ns):
    """Return the joint state at a time: linear in time, so interpolation is exact."""
    s = (t_ns - START) / 1e9
    return np.array([0.3 * s, -0.6 * s, 0.3, 0.4, -1.0, 3.0 * s, 0.03 * s])


def _image_msg(k, image, size):
    height, width = size
    rgb = np.full((height, width, 3), (40 * k) % 200, np.uint8)
    rgb[:, :, 2] = 200  # blue: a swapped channel order would show
    if image == 'raw':
        return 'sensor_msgs/msg/Image', T['sensor_msgs/msg/Image'](
            header=_header(0), height=height, width=width, encoding='bgr8', is_bigendian=0,
            step=3 * width, data=rgb[:, :, ::-1].reshape(-1).copy())
    buffer = io.BytesIO()
    PILImage.fromarray(rgb).save(buffer, 'JPEG' if image == 'jpeg' else 'PNG')
    return 'sensor_msgs/msg/CompressedImage', T['sensor_msgs/msg/CompressedImage'](
        header=_header(0), format=f'rgb8; {image} compressed bgr8',
        data=np.frombuffer(buffer.getvalue(), np.uint8))


def write_bag(path, storage=StoragePlugin.MCAP, frames=5, image='raw', size=IMAGE_SHAPE[:2],
              names=None, state_period=PERIOD // 2, commands=True, state_offset_ns=0):
    """
    Write 30 Hz images, joint states, a command and a gripper target per frame.

    Images are stamped t_k and logged 1 us later; joint states every ``state_period`` (stamped
    ``state_offset_ns`` off the images' clock); commands one-point trajectories reaching
    [k .. k+5] one frame ahead, as the contract reads them.
    """
    names = names or NAMES7
    state_names = list(reversed(names)) + ['gripper_jaw2_joint']
    with Writer(path, version=9, storage_plugin=storage) as bag:
        image_type = _image_msg(0, image, (2, 2))[0]
        connections = {
            'image': bag.add_connection('/wrist_camera/image', image_type, typestore=TS),
            'joints': bag.add_connection('/joint_states', 'sensor_msgs/msg/JointState',
                                         typestore=TS),
            'gripper': bag.add_connection('/gripper_target', 'std_msgs/msg/Float64',
                                          typestore=TS),
            'imu': bag.add_connection('/imu', 'sensor_msgs/msg/Imu', typestore=TS)}
        if commands:
            connections['command'] = bag.add_connection(
                '/joint_trajectory_controller/joint_trajectory', TRAJECTORY, typestore=TS)
        events = []
        for t in range(START - state_period, START + (frames + 1) * PERIOD, state_period):
            state = dict(zip(names, _state(t)))
            msg = T['sensor_msgs/msg/JointState'](
                header=_header(t + state_offset_ns), name=state_names,
                position=np.array([state.get(n, 0.0) for n in state_names]),
                velocity=np.zeros(0), effort=np.zeros(0))
            events.append((t, 'joints', TS.serialize_cdr(msg, 'sensor_msgs/msg/JointState')))
        for k in range(frames):
            ns = START + k * PERIOD
            if commands:
                point = T['trajectory_msgs/msg/JointTrajectoryPoint'](
                    positions=np.arange(6.0) + k, velocities=np.zeros(0),
                    accelerations=np.zeros(0), effort=np.zeros(0),
                    time_from_start=T['builtin_interfaces/msg/Duration'](sec=0, nanosec=PERIOD))
                trajectory = T[TRAJECTORY](header=_header(0), joint_names=names[:6],
                                           points=[point])
                events.append((ns - 1, 'command', TS.serialize_cdr(trajectory, TRAJECTORY)))
            events.append((ns - 1, 'gripper', TS.serialize_cdr(
                T['std_msgs/msg/Float64'](data=0.002 * k), 'std_msgs/msg/Float64')))
            msgtype, msg = _image_msg(k, image, size)
            msg.header.stamp = time_msg(T['builtin_interfaces/msg/Time'], ns)
            events.append((ns + 1000, 'image', TS.serialize_cdr(msg, msgtype)))
        for log_ns, key, data in sorted(events, key=lambda event: event[0]):
            bag.write(connections[key], log_ns, data)
    return path


def convert(bags, out, *options):
    """Run ar4-bag2lerobot; return its exit status."""
    with pytest.raises(SystemExit) as done:
        bag2lerobot.main([str(b) for b in bags] + ['--task', TASK, '--out', str(out),
                                                   '--no-progress', *options])
    return done.value.code


def episodes(out):
    """Return the dataset's frames per episode as (states, actions, images) arrays."""
    dataset = LeRobotDataset(f'local/{out.name}', root=out)
    result = {}
    for i in range(dataset.num_frames):
        item = dataset[i]
        rows = result.setdefault(int(item['episode_index']), ([], [], []))
        rows[0].append(item[STATE_KEY].numpy())
        rows[1].append(item[ACTION_KEY].numpy())
        rows[2].append((item[IMAGE_KEY].numpy() * 255).round())
        assert item['task'] == TASK
    return {e: tuple(np.array(r) for r in rows) for e, rows in result.items()}


def _expected(frames):
    states = np.array([_state(START + k * PERIOD) for k in range(frames)])
    actions = np.array([list(np.arange(6.0) + k) + [0.002 * k] for k in range(frames)])
    return states, actions


def test_bags_of_both_storages_and_the_same_bag_twice_give_identical_episodes(tmp_path):
    mcap = write_bag(tmp_path / 'take_mcap', frames=5)
    sqlite = write_bag(tmp_path / 'take_sqlite', StoragePlugin.SQLITE3, frames=4)
    out = tmp_path / 'ds'
    # The same bag twice, and once given as its .mcap file rather than its folder.
    assert convert([mcap, sqlite, mcap, mcap / 'take_mcap.mcap'], out) == 0
    got = episodes(out)
    assert [len(got[e][0]) for e in range(4)] == [5, 4, 5, 5]
    for episode, frames in ((0, 5), (1, 4)):
        states, actions = _expected(frames)
        np.testing.assert_allclose(got[episode][0], states, atol=1e-6)
        np.testing.assert_allclose(got[episode][1], actions, atol=1e-6)
        # bgr8 was converted to RGB: grey level and blue survive video compression roughly.
        means = got[episode][2].mean(axis=(2, 3))
        np.testing.assert_allclose(means[:, 2], 200, atol=6)
        np.testing.assert_allclose(means[:, 0], 40 * np.arange(frames), atol=6)
    for again in (2, 3):
        for a, b in zip(got[0], got[again]):
            np.testing.assert_array_equal(a, b)


def test_compressed_and_other_sized_images(tmp_path, capsys):
    jpeg = write_bag(tmp_path / 'jpeg', frames=3, image='jpeg')
    png = write_bag(tmp_path / 'png_small', frames=3, image='png', size=(240, 320))
    out = tmp_path / 'ds'
    assert convert([jpeg, png], out) == 2
    err = capsys.readouterr().err
    assert 'png_small: /wrist_camera/image: image is 320x240' in err and '--resize' in err
    assert 'nothing was written' in err and not out.exists()
    assert convert([jpeg, png], out, '--resize') == 0
    assert 'images of 320x240 are scaled to 640x480' in capsys.readouterr().err
    got = episodes(out)
    for episode in (0, 1):
        means = got[episode][2].mean(axis=(2, 3))
        np.testing.assert_allclose(means[:, 0], [0, 40, 80], atol=6)
        np.testing.assert_allclose(means[:, 2], 200, atol=6)


def test_other_joint_names_are_refused_then_mapped(tmp_path, capsys):
    bag = write_bag(tmp_path / 'ur', frames=3, names=OTHER7)
    out = tmp_path / 'ds'
    assert convert([bag], out) == 2
    err = capsys.readouterr().err
    assert 'the joint states name finger, wrist_3' in err and '--joint-names' in err
    assert ', '.join(NAMES7) in err and not out.exists()
    assert convert([bag], out, '--joint-names', ','.join(OTHER7)) == 0
    states, actions = _expected(3)
    got = episodes(out)[0]
    np.testing.assert_allclose(got[0], states, atol=1e-6)
    np.testing.assert_allclose(got[1], actions, atol=1e-6)


def test_six_joint_names_leave_the_gripper_state_at_zero(tmp_path):
    bag = write_bag(tmp_path / 'arm_only', frames=3, names=OTHER7[:6] + ['unused'])
    out = tmp_path / 'ds'
    assert convert([bag], out, '--joint-names', ','.join(OTHER7[:6])) == 0
    states, _ = _expected(3)
    got = episodes(out)[0]
    np.testing.assert_allclose(got[0][:, :6], states[:, :6], atol=1e-6)
    np.testing.assert_array_equal(got[0][:, 6], 0.0)


def test_joint_states_slower_than_the_camera(tmp_path, capsys):
    bag = write_bag(tmp_path / 'slow', frames=30, state_period=64_000_000)  # 15.6 Hz
    out = tmp_path / 'ds'
    assert convert([bag], out) == 0
    err = capsys.readouterr().err
    assert 'WARNING: gaps' in err and '--state-tolerance 0.064' in err, err
    kept = len(episodes(out)[0][0])
    assert 20 <= kept < 30
    out2 = tmp_path / 'ds2'
    assert convert([bag], out2, '--state-tolerance', '0.065') == 0
    assert 'WARNING' not in capsys.readouterr().err
    # Interpolated at the image stamps: the states of a linear motion are exact.
    states, _ = _expected(30)
    np.testing.assert_allclose(episodes(out2)[0][0], states, atol=1e-5)


@pytest.mark.parametrize('option, message', [
    (('--image-topic', '/imu'),
     '/imu is sensor_msgs/msg/Imu; --image-topic needs sensor_msgs/msg/Image or '
     'sensor_msgs/msg/CompressedImage'),
    (('--joints-topic', '/imu'), '/imu is sensor_msgs/msg/Imu; --joints-topic needs '),
    (('--joints-topic', '/tf'), 'no /tf topic: pass --joints-topic'),
    (('--joint-names', 'a,b,c'), '--joint-names: give six or seven distinct names'),
])
def test_wrong_topics_are_refused_with_the_bags_topics(tmp_path, capsys, option, message):
    bag = write_bag(tmp_path / 'take', frames=2)
    out = tmp_path / 'ds'
    assert convert([bag], out, *option) == 2
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err
    if 'topic' in option[0]:
        assert 'the bag has:' in err and 'sensor_msgs/msg/JointState' in err
    assert not out.exists()


def test_a_refusal_comes_before_lerobot_is_imported(tmp_path):
    bag = write_bag(tmp_path / 'take', frames=2)
    code = ('import sys\nfrom ar4_teleop.recording import bag2lerobot\n'
            'try:\n    bag2lerobot.main(sys.argv[1:])\nexcept SystemExit as done:\n'
            '    print(done.code, "lerobot" in sys.modules)\n')
    result = subprocess.run(
        [sys.executable, '-c', code, str(bag), '--task', TASK, '--out', str(tmp_path / 'ds'),
         '--image-topic', '/joint_states'], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ['2', 'False'], result.stderr
    assert '/joint_states is sensor_msgs/msg/JointState' in result.stderr


def test_no_command_topic_is_refused_unless_next_state(tmp_path, capsys):
    bag = write_bag(tmp_path / 'teach', frames=4, commands=False)
    out = tmp_path / 'ds'
    assert convert([bag], out) == 2
    err = capsys.readouterr().err
    assert 'no /joint_trajectory_controller/joint_trajectory topic' in err
    assert '--action-source next_state' in err and not out.exists()
    assert convert([bag], out, '--action-source', 'next_state') == 0
    assert "actions: each frame's action is the next frame's state" in capsys.readouterr().err
    states, _ = _expected(4)
    got = episodes(out)[0]
    np.testing.assert_allclose(got[1][:-1], states[1:], atol=1e-6)


def _old_sqlite_bag(path, drop_metadata):
    """Rewrite a sqlite3 bag as the first ROS 2 releases stored it: 'pkg/Type' names."""
    write_bag(path, StoragePlugin.SQLITE3, frames=3)
    database = path / f'{path.name}.db3'
    with sqlite3.connect(database) as db:
        db.execute("UPDATE topics SET type = replace(type, '/msg/', '/')")
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
        if 'schema' in tables:
            db.execute('DROP TABLE schema')
    metadata = path / 'metadata.yaml'
    if drop_metadata:
        metadata.unlink()
    else:
        metadata.write_text(metadata.read_text().replace('/msg/', '/'))
    return path


def test_truncated_mcap_and_old_sqlite_bags_convert(tmp_path, capsys):
    truncated = write_bag(tmp_path / 'killed', frames=12)
    (truncated / 'metadata.yaml').unlink()  # rosbag2 writes it when the recording ends
    mcap = truncated / 'killed.mcap'
    mcap.write_bytes(mcap.read_bytes()[:int(mcap.stat().st_size * 0.6)])
    old = _old_sqlite_bag(tmp_path / 'crystal', drop_metadata=False)
    older = _old_sqlite_bag(tmp_path / 'ardent', drop_metadata=True)
    out = tmp_path / 'ds'
    assert convert([truncated, old, older], out) == 0
    err = capsys.readouterr().err
    assert 'killed: WARNING reading stopped' in err, err
    got = episodes(out)
    assert 3 <= len(got[0][0]) < 12
    states, actions = _expected(len(got[0][0]))
    np.testing.assert_allclose(got[0][0], states, atol=1e-6)
    np.testing.assert_allclose(got[0][1], actions, atol=1e-6)
    for episode in (1, 2):
        states, actions = _expected(3)
        np.testing.assert_allclose(got[episode][0], states, atol=1e-6)
        np.testing.assert_allclose(got[episode][1], actions, atol=1e-6)


def test_exit_1_names_the_bag_that_gave_no_episode(tmp_path, capsys):
    good = write_bag(tmp_path / 'good', frames=3)
    # Joint states stamped on another clock (10 s off): no image finds a state.
    skewed = write_bag(tmp_path / 'skewed', frames=3, state_offset_ns=10_000_000_000)
    out = tmp_path / 'ds'
    assert convert([good, skewed], out) == 1
    err = capsys.readouterr().err
    assert '1 of 2 bag(s) gave an episode' in err
    assert f'no episode from {skewed}: no frames were recorded: no joint state at or before ' \
        'the image stamp (the next is 10 s later: are the camera and the joint states ' \
        'stamped by the same clock?)' in err, err
    assert len(episodes(out)) == 1


def test_bad_input_exits_2_without_destroying_data(tmp_path, capsys):
    bag = write_bag(tmp_path / 'take', frames=2)
    out = tmp_path / 'ds'
    assert convert([bag], out) == 0
    assert convert([tmp_path / 'missing'], out) == 2
    assert convert([bag], out, '--fps', '15') == 2
    assert 'fps: dataset has 30, requested 15' in capsys.readouterr().err
    assert LeRobotDataset('local/ds', root=out).num_episodes == 1
