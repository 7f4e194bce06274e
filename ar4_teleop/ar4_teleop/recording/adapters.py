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

Image decoding (sensor_msgs/Image and CompressedImage, optionally scaled to the dataset's size)
and the recorder's strict parsing of the commanded targets; stamps and joint states are read with
``ar4_description.ros_messages`` (whose MessageError these raise too).
They accept rclpy's generated classes and the rosbags typestore classes alike: fields are read by
attribute, number sequences go through ``np.asarray`` (rclpy gives array.array, rosbags numpy).
Messages are built from a class passed in, with every field given by keyword.
"""

import io
from typing import Sequence, Tuple

from ar4_description.ros_messages import MessageError, stamp_ns
from ar4_teleop.recording.commanded import TrajectoryWindow
from ar4_teleop.recording.features import IMAGE_SHAPE
import numpy as np
from PIL import Image as PILImage

# Encoding -> (channels, index of R, G, B in the pixel).
_COLOUR_ENCODINGS = {
    'rgb8': (3, (0, 1, 2)),
    'bgr8': (3, (2, 1, 0)),
    'rgba8': (4, (0, 1, 2)),
    'bgra8': (4, (2, 1, 0)),
}
SUPPORTED_ENCODINGS = tuple(_COLOUR_ENCODINGS) + ('mono8',)


#: PIL modes of 8-bit images that convert to RGB without losing meaning (16-bit and float
#: images, e.g. depth, do not).
_PIL_8BIT_MODES = ('1', 'L', 'LA', 'P', 'PA', 'RGB', 'RGBA', 'RGBX', 'CMYK', 'YCbCr')


def is_compressed_image(msg) -> bool:
    """Return True for a sensor_msgs/CompressedImage (it has ``format`` and no ``encoding``)."""
    return hasattr(msg, 'format') and not hasattr(msg, 'encoding')


def image_to_rgb(msg, expected_shape: Tuple[int, int, int] = IMAGE_SHAPE,
                 resize: bool = False) -> np.ndarray:
    """
    Convert a sensor_msgs/Image or CompressedImage to an RGB uint8 HWC array of ``expected_shape``.

    Image: rgb8, bgr8, rgba8, bgra8 and mono8, with or without row padding (``step``).
    CompressedImage: JPEG and PNG of 8-bit colour or grey. An image of another size is refused,
    or scaled to ``expected_shape`` with ``resize`` (the aspect ratio is not kept). Raise
    MessageError for another encoding or format, a wrong size or a short or corrupt buffer.
    """
    if is_compressed_image(msg):
        rgb = _compressed_to_rgb(msg)
    else:
        rgb = _raw_to_rgb(msg)
    return _fit(rgb, expected_shape, resize)


def image_size(msg) -> Tuple[int, int]:
    """Return (width, height) of an Image, or of a CompressedImage's header (no full decode)."""
    if not is_compressed_image(msg):
        return int(msg.width), int(msg.height)
    with _open_compressed(msg) as picture:
        return picture.size


def _fit(rgb: np.ndarray, expected_shape: Tuple[int, int, int], resize: bool) -> np.ndarray:
    height, width = rgb.shape[:2]
    want_h, want_w = expected_shape[0], expected_shape[1]
    if (height, width) == (want_h, want_w):
        return rgb
    if not resize:
        raise MessageError(
            f'image is {width}x{height} (width x height); the dataset needs {want_w}x{want_h}: '
            'set the camera resolution, or pass --resize to scale the images')
    # Pillow's resampling filters widen with the scale factor, so shrinking averages (no
    # aliasing) and enlarging interpolates.
    scaled = PILImage.fromarray(rgb).resize((want_w, want_h), PILImage.Resampling.BILINEAR)
    return np.asarray(scaled, dtype=np.uint8)


def _open_compressed(msg):
    # compressed_image_transport (image_transport_plugins, compressed_publisher.cpp) converts
    # colour images to bgr8/bgr16 before cv::imencode, so the JPEG or PNG itself holds true
    # colours whatever the format string ('rgb8; jpeg compressed bgr8') says; other publishers
    # write plain 'jpeg' or 'png'. The file's own header is what Pillow decodes.
    fmt = str(msg.format).lower()
    if 'compresseddepth' in fmt or not (any(kind in fmt for kind in ('jpeg', 'jpg', 'png'))
                                        or not fmt.strip()):
        raise MessageError(f'compressed image format {msg.format!r} is not supported; '
                           'record JPEG or PNG (compressed_image_transport) or raw images')
    try:
        data = np.asarray(msg.data, dtype=np.uint8).tobytes()
        return PILImage.open(io.BytesIO(data))
    except Exception as error:  # noqa: B902 - Pillow raises several types for bad data
        raise MessageError(f'compressed image ({msg.format}) cannot be decoded: {error}') from None


def _compressed_to_rgb(msg) -> np.ndarray:
    with _open_compressed(msg) as picture:
        if picture.mode not in _PIL_8BIT_MODES:
            raise MessageError(f'compressed image of mode {picture.mode} ({msg.format}); only '
                               '8-bit colour or grey images can be recorded')
        try:
            return np.asarray(picture.convert('RGB'), dtype=np.uint8)
        except Exception as error:  # noqa: B902 - a truncated file fails here, not at open
            raise MessageError(
                f'compressed image ({msg.format}) cannot be decoded: {error}') from None


def _raw_to_rgb(msg) -> np.ndarray:
    encoding = str(msg.encoding).lower()
    height, width = int(msg.height), int(msg.width)
    if encoding not in SUPPORTED_ENCODINGS:
        raise MessageError(
            f'image encoding {msg.encoding!r} is not supported; publish one of '
            f'{", ".join(SUPPORTED_ENCODINGS)}')
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
