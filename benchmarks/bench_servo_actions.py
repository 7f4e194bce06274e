#!/usr/bin/env python3
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
Action error of recorded data on MoveIt Servo-shaped input, through ``ar4-bag2lerobot``.

Writes a rosbag2 MCAP bag as a teleop session through Servo would leave it (camera 30 Hz, joint
states at the controller's 100 Hz, Servo's sliding windows every publish period with the latency
of our servo.yaml, a smooth 0.5 Hz motion of 0.3 rad on every joint), converts it with
``ar4-bag2lerobot`` into a LeRobot dataset, and compares the recorded actions with the target
commanded for the next frame. The same comparison is printed for the old rule (``points[0]`` of
the last trajectory received), which the recorder used before the commanded-target contract.

    python benchmarks/bench_servo_actions.py [--seconds 10] [--period 0.04] [--latency 0.2]
"""

import argparse
import math
from pathlib import Path
import sys
import tempfile

ROOT = Path(__file__).resolve().parents[1]
for package in ('ar4_description', 'ar4_teleop'):
    sys.path.insert(0, str(ROOT / package))

from ar4_description import ros_messages  # noqa: E402
from ar4_description.robot_constants import robot_constants  # noqa: E402
from ar4_teleop.recording import adapters, bag2lerobot  # noqa: E402
from ar4_teleop.recording.servo_shape import (  # noqa: E402
    servo_timing, servo_windows, ServoTiming, window_msg)
import numpy as np  # noqa: E402

NS = 1_000_000_000
FPS = 30
START_NS = 100 * NS
AMPLITUDE, FREQUENCY = 0.3, 0.5
PHASES = np.arange(6) * 0.7


def commanded(time_ns):
    """Return the arm target the operator commands for ``time_ns``."""
    seconds = (time_ns - START_NS) / NS
    return AMPLITUDE * np.sin(2 * math.pi * FREQUENCY * seconds + PHASES)


def write_bag(path, seconds, timing, image_delay_ns=8_000_000, servo_delay_ns=2_000_000):
    """Write the session's bag; return the first point of the last window before each image."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import get_typestore, Stores
    store = get_typestore(Stores.ROS2_JAZZY)
    classes = ros_messages.message_classes(store.types)
    names = list(robot_constants().joint_names)
    jaws = ['gripper_jaw1_joint', 'gripper_jaw2_joint']
    events = []
    servo_start = START_NS - round(timing.max_expected_latency_s * NS)
    for published, window in servo_windows(commanded, servo_start,
                                           START_NS + int(seconds * NS), timing):
        events.append((published + servo_delay_ns, 'trajectory',
                       window_msg(classes, names, window)))
    rgb = np.full((480, 640, 3), 90, np.uint8)
    image_class = store.types['sensor_msgs/msg/Image']
    for k in range(int(seconds * FPS)):
        stamp = START_NS + round(k * NS / FPS)
        events.append((stamp + image_delay_ns, 'image', adapters.rgb_to_image_msg(
            image_class, ros_messages.header_msg(classes, stamp), rgb)))
    state_class = classes.JointState
    for j in range(int(seconds * 100)):
        stamp = START_NS + j * NS // 100
        values = list(commanded(stamp)) + [0.0, 0.0]
        events.append((stamp + 1_000_000, 'state', state_class(
            header=ros_messages.header_msg(classes, stamp), name=names + jaws,
            position=ros_messages.float_sequence(state_class, values),
            velocity=ros_messages.float_sequence(state_class, []),
            effort=ros_messages.float_sequence(state_class, []))))
    events.append((START_NS - NS, 'gripper', store.types['std_msgs/msg/Float64'](data=0.0)))
    events.sort(key=lambda event: event[0])
    topics = {'image': ('/wrist_camera/image', 'sensor_msgs/msg/Image'),
              'state': ('/joint_states', 'sensor_msgs/msg/JointState'),
              'trajectory': ('/joint_trajectory_controller/joint_trajectory',
                             'trajectory_msgs/msg/JointTrajectory'),
              'gripper': ('/gripper_target', 'std_msgs/msg/Float64')}
    first_points, latest = [], None
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as bag:
        connections = {kind: bag.add_connection(topic, msgtype, typestore=store)
                       for kind, (topic, msgtype) in topics.items()}
        for log_ns, kind, msg in events:
            bag.write(connections[kind], log_ns,
                      store.serialize_cdr(msg, topics[kind][1]))
            if kind == 'trajectory':
                latest = msg
            elif kind == 'image':
                first_points.append(np.asarray(latest.points[0].positions))
    return np.array(first_points)


def main():
    """Write, convert, compare, print."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=10.0)
    parser.add_argument('--period', type=float, help='Servo publish_period (default: ours)')
    parser.add_argument('--latency', type=float, help='Servo max_expected_latency (ours)')
    args = parser.parse_args()
    ours = servo_timing()
    timing = ServoTiming(args.period or ours.publish_period_s,
                         args.latency or ours.max_expected_latency_s)
    import pyarrow.parquet as pq
    with tempfile.TemporaryDirectory() as tmp:
        bag, out = Path(tmp) / 'teleop_take', Path(tmp) / 'local' / 'servo_bench'
        first_points = write_bag(bag, args.seconds, timing)
        try:
            bag2lerobot.main([str(bag), '--task', 'bench', '--out', str(out), '--no-progress'])
        except SystemExit as done:
            if done.code:
                raise
        table = pq.read_table(sorted((out / 'data').rglob('*.parquet'))[0])
        actions = np.stack(table.column('action').to_numpy(zero_copy_only=False))[:, :6]
    stamps = START_NS + np.round(np.arange(len(actions)) * NS / FPS).astype(np.int64)
    wanted = np.array([commanded(t + NS // FPS) for t in stamps])
    print(f'Servo publish_period {timing.publish_period_s} s, max_expected_latency '
          f'{timing.max_expected_latency_s} s; camera {FPS} Hz, joint states 100 Hz; '
          f'{AMPLITUDE} rad at {FREQUENCY} Hz; {len(actions)} frames via ar4-bag2lerobot')
    print('| rule | median error (rad) | max error (rad) |')
    print('| --- | --- | --- |')
    for name, values in (('points[0] of the last trajectory (before)', first_points),
                         ('commanded trajectory sampled at t + 1/fps', actions)):
        errors = np.abs(values[:len(wanted)] - wanted)
        print(f'| {name} | {np.median(errors):.2g} | {errors.max():.2g} |')


if __name__ == '__main__':
    main()
