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
The recorder's message adapters: ROS 2 messages in, numpy out (pure; no *_msgs imports).

Image decoding and the recorder's strict parsing of the commanded targets; stamps and joint
states are read with ``ar4_description.ros_messages`` (whose MessageError these raise too).
They accept rclpy's generated classes and the rosbags typestore classes alike: fields are read by
attribute, number sequences go through ``np.asarray`` (rclpy gives array.array, rosbags numpy).
Messages are built from a class passed in, with every field given by keyword.
"""

from typing import Sequence, Tuple

from ar4_description.ros_messages import MessageError, stamp_ns
from ar4_teleop.recording.commanded import TrajectoryWindow
from ar4_teleop.recording.features import IMAGE_SHAPE
import numpy as np

# Encoding -> (channels, index of R, G, B in the pixel).
_COLOUR_ENCODINGS = {
    'rgb8': (3, (0, 1, 2)),
    'bgr8': (3, (2, 1, 0)),
    'rgba8': (4, (0, 1, 2)),
    'bgra8': (4, (2, 1, 0)),
}
SUPPORTED_ENCODINGS = tuple(_COLOUR_ENCODINGS) + ('mono8',)


def image_to_rgb(msg, expected_shape: Tuple[int, int, int] = IMAGE_SHAPE) -> np.ndarray:
    """
    Convert a sensor_msgs/Image to an RGB uint8 HWC array of ``expected_shape``.

    Accept rgb8, bgr8, rgba8, bgra8 and mono8, with or without row padding (``step``).
    Raise MessageError for another encoding, a wrong size or a short buffer.
    """
    encoding = str(msg.encoding).lower()
    height, width = int(msg.height), int(msg.width)
    want_h, want_w = expected_shape[0], expected_shape[1]
    if encoding not in SUPPORTED_ENCODINGS:
        raise MessageError(
            f'image encoding {msg.encoding!r} is not supported; publish one of '
            f'{", ".join(SUPPORTED_ENCODINGS)}')
    if (height, width) != (want_h, want_w):
        raise MessageError(
            f'image is {width}x{height} (width x height); the dataset needs {want_w}x{want_h}: '
            'set the camera resolution, or resize before recording')
    channels, order = _COLOUR_ENCODINGS.get(encoding, (1, (0, 0, 0)))
    step = int(msg.step) or width * channels
    if step < width * channels:
        raise MessageError(f'image step {step} is shorter than a row ({width * channels} bytes)')
    try:
        data = np.frombuffer(msg.data, dtype=np.uint8)  # bytes, array.array, numpy: no copy
    except (TypeError, ValueError):
        data = np.asarray(msg.data, dtype=np.uint8).reshape(-1)
    if data.size < step * height:
        raise MessageError(f'image data holds {data.size} bytes, expected {step * height}')
    rows = data[:step * height].reshape(height, step)[:, :width * channels]
    pixels = rows.reshape(height, width, channels)
    if channels == 1:
        return np.repeat(pixels, 3, axis=2)
    if order == (0, 1, 2) and channels == 3:
        return np.ascontiguousarray(pixels)
    return np.ascontiguousarray(pixels[:, :, list(order)])


def rgb_to_image_msg(image_class, header, rgb: np.ndarray):
    """Build an rgb8 sensor_msgs/Image from an HWC uint8 array (for tests and simulators)."""
    height, width = rgb.shape[:2]
    return image_class(header=header, height=height, width=width, encoding='rgb8',
                       is_bigendian=0, step=width * 3,
                       data=np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1))


def trajectory_window(msg, names: Sequence[str]) -> TrajectoryWindow:
    """
    Return a trajectory_msgs/JointTrajectory as a TrajectoryWindow with columns in ``names``.

    The controller drives exactly ``names`` and rejects partial goals
    (``allow_partial_joints_goal: false`` in controllers.yaml), so does this: raise MessageError
    for unknown, missing or repeated joints, a point whose positions do not match the joint
    names, or no points. Timing is checked by ``CommandedTrajectory.offer``.
    """
    joint_names = list(msg.joint_names)
    points = list(msg.points)
    if not points:
        raise MessageError('trajectory has no points')
    unknown = [name for name in joint_names if name not in names]
    if unknown:
        raise MessageError(f'trajectory names joints the arm controller does not drive: '
                           f'{", ".join(unknown)}')
    missing = [name for name in names if name not in joint_names]
    if missing:
        raise MessageError(f'trajectory lacks {", ".join(missing)}; the controller rejects '
                           'partial goals')
    if len(set(joint_names)) != len(joint_names):
        raise MessageError('trajectory names a joint twice')
    rows = []
    for number, point in enumerate(points):
        positions = np.asarray(point.positions, dtype=np.float64).reshape(-1)
        if positions.size != len(joint_names):
            raise MessageError(f'trajectory point {number} has {positions.size} positions for '
                               f'{len(joint_names)} joints')
        rows.append(positions)
    order = [joint_names.index(name) for name in names]
    offsets = np.array([stamp_ns(point.time_from_start) for point in points], dtype=np.int64)
    return TrajectoryWindow(stamp_ns(msg.header.stamp), offsets, np.stack(rows)[:, order])


def float64_value(msg) -> float:
    """Return std_msgs/Float64 data as a finite float; raise MessageError otherwise."""
    value = float(msg.data)
    if not np.isfinite(value):
        raise MessageError(f'gripper target {value} is not finite')
    return value
