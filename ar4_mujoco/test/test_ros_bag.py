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

"""ar4-generate --bag-out: the rosbag2 of each saved episode holds the streams of the ROS stack."""

from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from ar4_description.ros_messages import stamp_ns
from ar4_mujoco import ros_bag
from ar4_mujoco.generate import episode_seed, generate, main
from ar4_teleop.recording.servo_shape import servo_timing
import numpy as np
import pytest
from rosbags.highlevel import AnyReader
from rosbags.rosbag2 import Writer
from rosbags.typesys import get_typestore, Stores

TASK = 'place the magenta cube on the middle shelf'
#: Frames kept of the expert's plan: the jaw-opening ramp (frames 0-40), then a steady jaw.
FRAMES = 45
MS = 1_000_000
TS = get_typestore(Stores.ROS2_JAZZY)


def _read(path: Path):
    """Return {topic: [(log ns, message)]} and {topic: msgtype} of a bag."""
    messages, types = defaultdict(list), {}
    with AnyReader([path], default_typestore=TS) as reader:
        for connection in reader.connections:
            types[connection.topic] = connection.msgtype
        for connection, log_ns, raw in reader.messages():
            messages[connection.topic].append(
                (log_ns, reader.deserialize(raw, connection.msgtype)))
    return messages, types


def _short_expert(monkeypatch, frames: int, success: bool, plans: list):
    """Cut the expert's plans to ``frames`` frames and fix the episode's outcome."""
    from ar4_mujoco.env import AR4Twin
    from ar4_mujoco.expert import Plan, ScriptedExpert
    real_plan = ScriptedExpert.plan

    def short_plan(self, *args, **kwargs):
        plan = real_plan(self, *args, **kwargs)
        plans.append(Plan(targets=plan.targets[:frames].copy(), phases=plan.phases[:frames]))
        return plans[-1]

    monkeypatch.setattr(ScriptedExpert, 'plan', short_plan)
    monkeypatch.setattr(AR4Twin, 'is_success', lambda self, task: success)


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    """Run ar4-generate --bag-out once on a short expert episode; keep what it recorded."""
    from ar4_teleop.recording import features
    root = tmp_path_factory.mktemp('generated')
    plans, frames = [], []
    real_build = features.build_frame

    def keep_frame(image, state7, action7, task):
        frames.append((np.array(image, copy=True), np.array(state7, dtype=np.float64)))
        return real_build(image, state7, action7, task)

    with pytest.MonkeyPatch.context() as patch:
        _short_expert(patch, FRAMES, True, plans)
        patch.setattr(features, 'build_frame', keep_frame)
        code = main(['--task', TASK, '--episodes', '1', '--out', str(root / 'local' / 'ds'),
                     '--seed', '4', '--quiet', '--bag-out', str(root / 'bags')])
    assert code == 0
    bag = root / 'bags' / 'episode_000000'
    messages, types = _read(bag)
    return SimpleNamespace(root=root, bag=bag, targets=plans[-1].targets, frames=frames,
                           messages=messages, types=types)


def test_saved_episode_gets_its_bag_and_nothing_else(generated):
    assert sorted(p.name for p in (generated.root / 'bags').iterdir()) == ['episode_000000']
    assert sorted(p.name for p in generated.bag.iterdir()) == ['episode_000000.mcap',
                                                               'metadata.yaml']
    assert generated.types == {
        '/wrist_camera/image': 'sensor_msgs/msg/Image',
        '/joint_states': 'sensor_msgs/msg/JointState',
        '/joint_trajectory_controller/joint_trajectory': 'trajectory_msgs/msg/JointTrajectory',
        '/gripper_target': 'std_msgs/msg/Float64'}


def test_images_are_the_rendered_frames_stamped_at_frame_times(generated):
    images = generated.messages[ros_bag.IMAGE_TOPIC]
    assert len(images) == len(generated.frames) == FRAMES
    for k, ((log_ns, image), (rendered, _)) in enumerate(zip(images, generated.frames)):
        stamp = stamp_ns(image.header.stamp)
        assert stamp == ros_bag.EPISODE_START_NS + round(k * 1e9 / 30)
        assert log_ns == stamp + 5 * MS
        assert (image.encoding, image.height, image.width) == ('rgb8', 480, 640)
        assert image.step == 640 * 3
        assert image.header.frame_id == 'wrist_camera_optical_frame'
        assert np.array_equal(np.asarray(image.data).reshape(480, 640, 3), rendered)


def test_joint_states_tick_at_the_controller_rate_and_start_each_frame_exactly(generated):
    ticks = ros_bag.ticks_per_frame(ros_bag.controller_update_rate())
    assert ticks == 3  # 100 Hz controllers, 30 frames/s
    states = generated.messages[ros_bag.JOINT_STATES_TOPIC]
    assert len(states) == ticks * FRAMES + 1
    period = 1e9 / 30
    half_step = period / 17 / 2  # the twin's 17 physics steps per frame
    for index, (log_ns, state) in enumerate(states):
        assert list(state.name) == ['joint_1', 'joint_2', 'joint_3', 'joint_4', 'joint_5',
                                    'joint_6', 'gripper_jaw1_joint', 'gripper_jaw2_joint']
        assert len(state.position) == len(state.velocity) == 8 and len(state.effort) == 0
        stamp = stamp_ns(state.header.stamp)
        assert log_ns == stamp + 1 * MS
        k, j = divmod(index, ticks)
        frame_stamp = ros_bag.frame_stamp_ns(k)
        if j == 0:
            assert stamp == frame_stamp
            if k < FRAMES:  # the last tick is the state after the last step
                assert np.array_equal(np.asarray(state.position)[:7], generated.frames[k][1])
        else:
            assert abs(stamp - (frame_stamp + j * period / ticks)) <= half_step
    assert stamp_ns(states[-1][1].header.stamp) == ros_bag.frame_stamp_ns(FRAMES)


def test_servo_windows_have_servo_shape_and_sample_the_commanded_targets(generated):
    timing = servo_timing()
    period = round(timing.publish_period_s * 1e9)
    latency = round(timing.max_expected_latency_s * 1e9)
    commanded = ros_bag.CommandedArm(generated.targets)
    windows = generated.messages[ros_bag.TRAJECTORY_TOPIC]
    logs = [log_ns for log_ns, _ in windows]
    # Servo publishes from its third cycle on, every period, the first state at the start.
    assert logs[0] == ros_bag.EPISODE_START_NS - latency + 2 * period
    assert set(np.diff(logs)) == {period}
    newest = []
    for log_ns, window in windows:
        assert list(window.joint_names) == ['joint_1', 'joint_2', 'joint_3', 'joint_4',
                                            'joint_5', 'joint_6']
        offsets = [stamp_ns(point.time_from_start) for point in window.points]
        assert offsets[0] == 0
        assert set(np.diff(offsets)) == {period}
        assert 2 <= len(offsets) <= round(2 * latency / period)
        start = stamp_ns(window.header.stamp)
        assert start == max(log_ns - latency, ros_bag.EPISODE_START_NS)
        newest.append(start + offsets[-1])
        assert newest[-1] == log_ns + latency - period
        for offset, point in zip(offsets, window.points):
            assert np.allclose(point.positions, commanded(start + offset), atol=1e-12)
    assert len(windows[-1][1].points) == 10  # steady state: about 10 points
    last_action = commanded.end_ns
    covering = [i for i, time in enumerate(newest) if time >= last_action]
    assert covering and covering[0] == len(windows) - 1 - ros_bag.TRAILING_CYCLES


def test_gripper_targets_are_published_at_their_frames_when_they_change(generated):
    jaw = generated.targets[:, 6]
    changes = [0] + [k for k in range(1, FRAMES) if jaw[k] != jaw[k - 1]]
    assert 3 < len(changes) < FRAMES  # the opening ramp, then a steady jaw
    published = generated.messages[ros_bag.GRIPPER_TOPIC]
    assert [log_ns for log_ns, _ in published] == [ros_bag.frame_stamp_ns(k) for k in changes]
    assert [message.data for _, message in published] == [jaw[k] for k in changes]


def test_servo_commands_the_expert_targets_within_its_discretisation():
    """
    Measure how far what Servo commands is from the expert's arm targets (printed with -s).

    The twin executes what Servo commands (``servo_commanded``), so this is not an error of the
    recorded data; it is what resampling c on Servo's 40 ms grid changes: exact for a constant
    velocity, about a * h^2 / 8 (h = 0.04 s) where the expert accelerates, up to ~3.7e-3 rad
    at its short trapezoid moves (descend, lift, lower) of up to 12 rad/s^2.
    """
    from ar4_mujoco.env import AR4Twin
    from ar4_mujoco.expert import ScriptedExpert
    ramp = np.zeros((90, 7))
    ramp[:, :6] = np.linspace(0.0, 1.5, 90)[:, None] * np.arange(1, 7)
    assert ros_bag.servo_action_errors(ramp)[1:-1].max() < 1e-9

    env = AR4Twin(render=False)
    expert = ScriptedExpert(env)
    errors = []
    for attempt, task in enumerate(['place the teal cube on the top shelf', TASK,
                                    'place the yellow cube on the bottom shelf']):
        env.reset(seed=episode_seed(0, 0, attempt))
        errors.append(ros_bag.servo_action_errors(expert.plan(env.parse_task(task)).targets))
    errors = np.concatenate(errors)
    print(f'\nServo windows vs expert arm actions over {errors.size} frames: max '
          f'{errors.max():.2e} rad, median {np.median(errors):.2e} rad, '
          f'{np.mean(errors > 1e-3):.1%} of frames above 1e-3 rad')
    assert np.median(errors) < 1e-3
    assert errors.max() < 5e-3


def test_joint_sampling_is_off_by_default_and_starts_at_the_observation(headless_twin):
    env = headless_twin
    env.reset(seed=0, randomize=False)
    samples = []
    env.step(env.constants.home7)  # no sampler: nothing reported
    env.sample_joints(3, samples.append)
    try:
        before = env.observation()
        env.step(env.constants.home7 + 0.05)
    finally:
        env.sample_joints(1, None)
    env.step(env.constants.home7)
    assert len(samples) == 3
    assert np.array_equal(samples[0].positions[:7], before.state7)
    assert samples[0].offset_s == 0.0
    dt = env.model.opt.timestep
    assert [round(s.offset_s / dt) for s in samples] == [0, 6, 11]
    assert all(s.positions.shape == s.velocities.shape == (8,) for s in samples)
    with pytest.raises(ValueError, match='per_frame'):
        env.sample_joints(0, samples.append)


def _synthetic_bag(root: Path, env, seed: int, faults=None, frames: int = 240):
    """Write a bag of a made-up plan run in the headless twin (tiny images)."""
    targets = np.tile(env.constants.home7, (frames, 1))
    targets[:, 0] += np.linspace(0.0, 0.5, frames)
    targets[frames // 2:, 6] = env.constants.gripper.open
    bag = ros_bag.EpisodeBag(root, 0, targets, seed, faults=faults,
                             joint_state_names=env.joint_state_names)
    observation = env.reset(seed=0, randomize=False)
    image = np.full((4, 4, 3), 7, dtype=np.uint8)
    env.sample_joints(bag.ticks_per_frame, bag.add_joint_sample)
    try:
        for target in targets:
            bag.add_frame(replace(observation, image=image))
            observation = env.step(target)
    finally:
        env.sample_joints(1, None)
    bag.finish(env.joint_sample())
    return bag


def test_messages_are_written_in_log_time_order(tmp_path, headless_twin, monkeypatch):
    written = []
    real_write = Writer.write

    def write(self, connection, timestamp, data):
        written.append((timestamp, connection.topic))
        return real_write(self, connection, timestamp, data)

    monkeypatch.setattr(Writer, 'write', write)
    bag = _synthetic_bag(tmp_path, headless_twin, seed=1, frames=60)
    assert bag.commit() == tmp_path / 'episode_000000'
    times = [timestamp for timestamp, _ in written]
    assert times == sorted(times)
    assert {topic for _, topic in written} == {
        ros_bag.IMAGE_TOPIC, ros_bag.JOINT_STATES_TOPIC, ros_bag.TRAJECTORY_TOPIC,
        ros_bag.GRIPPER_TOPIC}
    assert not (tmp_path / '.episode_attempt_1').exists()


def _stamps(messages, topic):
    return [(log_ns, stamp_ns(message.header.stamp)) for log_ns, message in messages[topic]]


def test_faults_drop_images_and_jitter_stamps_reproducibly(tmp_path, headless_twin):
    faults = ros_bag.BagFaults(drop_images=0.3, stamp_jitter_ms=2.0)
    runs = []
    for name, seed in (('a', 5), ('b', 5), ('c', 6)):
        bag = _synthetic_bag(tmp_path / name, headless_twin, seed, faults)
        messages, _ = _read(bag.commit())
        runs.append((_stamps(messages, ros_bag.IMAGE_TOPIC),
                     _stamps(messages, ros_bag.JOINT_STATES_TOPIC)))
    images, joints = runs[0]
    assert 0.55 * 240 <= len(images) <= 0.85 * 240
    image_noise = np.array([stamp - (log_ns - 5 * MS) for log_ns, stamp in images])
    joint_noise = np.array([stamp - (log_ns - 1 * MS) for log_ns, stamp in joints])
    assert len(joints) == 3 * 240 + 1
    for noise in (image_noise, joint_noise):
        assert np.abs(noise).max() <= 2 * MS
        assert np.abs(noise).max() > 1 * MS and np.std(noise) > 0.3 * MS
    assert runs[1] == runs[0]
    assert runs[2] != runs[0]


def test_discarded_attempt_leaves_no_bag(tmp_path, twin_model, monkeypatch):
    _short_expert(monkeypatch, 8, False, [])
    bags = tmp_path / 'bags'
    result = generate(TASK, 1, tmp_path / 'local' / 'ds', max_attempts=1, progress=False,
                      log=lambda message: None, twin=twin_model, bag_out=bags)
    assert result.failures == 1 and result.saved == [] and result.bags == []
    assert list(bags.iterdir()) == []


def test_existing_episode_folder_is_refused_before_running(tmp_path, capsys):
    (tmp_path / 'bags' / 'episode_000000').mkdir(parents=True)
    out = tmp_path / 'local' / 'ds'
    assert main(['--task', TASK, '--episodes', '1', '--out', str(out), '--quiet',
                 '--bag-out', str(tmp_path / 'bags')]) == 2
    error = capsys.readouterr().err
    assert 'episode_000000 exists already' in error and 'Traceback' not in error
    assert not out.exists()
    with pytest.raises(ros_bag.BagError, match='exists already'):
        ros_bag.EpisodeBag(tmp_path / 'bags', 0, np.zeros((3, 7)), seed=1)


@pytest.mark.parametrize('options, message', [
    (['--bag-drop-images', '1.5'], 'from 0 to 1'),
    (['--bag-drop-images', 'nan'], 'from 0 to 1'),
    (['--bag-stamp-jitter-ms', '-1'], 'milliseconds >= 0'),
    (['--bag-stamp-jitter-ms', 'inf'], 'milliseconds >= 0'),
])
def test_bad_fault_options_exit_2(tmp_path, capsys, options, message):
    out = tmp_path / 'ds'
    assert main(['--task', TASK, '--episodes', '1', '--out', str(out),
                 '--bag-out', str(tmp_path / 'bags')] + options) == 2
    error = capsys.readouterr().err
    assert message in error and 'Traceback' not in error
    assert not out.exists()


def test_fault_options_need_bag_out(tmp_path, capsys):
    assert main(['--task', TASK, '--episodes', '1', '--out', str(tmp_path / 'ds'),
                 '--bag-drop-images', '0.1']) == 2
    assert '--bag-out' in capsys.readouterr().err
