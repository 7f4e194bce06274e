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
Check, while the image builds, that the venv's wheels and the ROS Python packages work together.

lerobot 0.4.4 brings numpy 2 into a venv that also sees Ubuntu's numpy-1.26-built ROS packages:
this round-trips messages with array fields through rclpy's C serialization (the code path
every node uses) and imports the heavy wheels, so a mismatch fails the build instead of a node.
Run it again in a container with ``python3 /usr/local/lib/ar4/image_check.py``.

The path that matters most is the fixed-size numeric arrays: rosidl_generator_py stores them as
numpy.ndarray and its C conversion reads them through numpy's C headers (PyArray_GETPTR1 in
_msg_support.c.em), compiled against Ubuntu's numpy 1.26. sensor_msgs/CameraInfo has three
(k[9], r[9], p[12]) next to a variable-length one (d), so it is round-tripped with values that
would show a misread array.
"""

import sys


def camera_info_round_trip(classes, serialize, deserialize, numpy):
    """
    Round-trip a CameraInfo with distinct values in its arrays; AssertionError if any differ.

    ``classes`` has CameraInfo, Header, Time and RegionOfInterest; ``serialize(message)`` and
    ``deserialize(data)`` are the serializer under test (rclpy's in the image, rosbags' in the
    repository's tests). Every field is given, so the message classes of both can build it.
    """
    k = numpy.arange(1.0, 10.0) * 0.5
    r = numpy.eye(3).reshape(-1)
    p = numpy.arange(12, dtype=numpy.float64) - 3.25
    d = [0.1, -0.2, 0.003, 0.0004, -0.05]
    message = classes.CameraInfo(
        header=classes.Header(stamp=classes.Time(sec=7, nanosec=9), frame_id='wrist_camera'),
        height=480, width=640, distortion_model='plumb_bob', d=_floats(classes.CameraInfo, d),
        k=k, r=r, p=p, binning_x=0, binning_y=0,
        roi=classes.RegionOfInterest(x_offset=0, y_offset=0, height=0, width=0,
                                     do_rectify=False))
    back = deserialize(serialize(message))
    for name, sent in (('k', k), ('r', r), ('p', p), ('d', d)):
        got = numpy.asarray(getattr(back, name), dtype=numpy.float64)
        assert got.shape == numpy.asarray(sent).shape and numpy.array_equal(got, sent), (
            f'CameraInfo.{name} came back as {got!r}, not {sent!r}')
    assert (back.height, back.width, back.distortion_model) == (480, 640, 'plumb_bob')
    assert back.header.frame_id == 'wrist_camera' and back.header.stamp.nanosec == 9


def _floats(message_class, values):
    """Return a float64[] value as message_class takes it (rosbags: numpy, rclpy: a list)."""
    if hasattr(message_class, '__msgtype__'):
        import numpy
        return numpy.asarray(values, dtype=numpy.float64)
    return [float(value) for value in values]


def main():
    """Import the pinned wheels and serialize ROS messages with numpy-backed fields."""
    from types import SimpleNamespace

    from builtin_interfaces.msg import Time
    import numpy
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import CameraInfo, Image, JointState, RegionOfInterest
    from std_msgs.msg import Header
    from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

    state = JointState(name=['joint_1'], position=[0.5], velocity=[], effort=[])
    assert deserialize_message(serialize_message(state), JointState).position[0] == 0.5
    pixels = numpy.arange(2 * 3 * 3, dtype=numpy.uint8)
    image = Image(height=2, width=3, encoding='rgb8', is_bigendian=0, step=9,
                  data=pixels.tobytes())
    decoded = deserialize_message(serialize_message(image), Image)
    assert bytes(decoded.data) == pixels.tobytes()
    point = JointTrajectoryPoint(positions=numpy.linspace(0.0, 1.0, 6).tolist())
    trajectory = JointTrajectory(joint_names=[f'joint_{i}' for i in range(1, 7)], points=[point])
    assert len(deserialize_message(serialize_message(trajectory), JointTrajectory).points) == 1
    camera_info_round_trip(
        SimpleNamespace(CameraInfo=CameraInfo, Header=Header, Time=Time,
                        RegionOfInterest=RegionOfInterest),
        serialize_message, lambda data: deserialize_message(data, CameraInfo), numpy)

    import lerobot  # noqa: F401
    import mujoco
    import torch
    print(f'image check ok: python {sys.version.split()[0]}, numpy {numpy.__version__}, '
          f'torch {torch.__version__}, mujoco {mujoco.__version__}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
