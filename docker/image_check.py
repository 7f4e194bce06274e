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
"""

import sys


def main():
    """Import the pinned wheels and serialize ROS messages with numpy-backed fields."""
    import numpy
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import Image, JointState
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

    import lerobot  # noqa: F401
    import mujoco
    import torch
    print(f'image check ok: python {sys.version.split()[0]}, numpy {numpy.__version__}, '
          f'torch {torch.__version__}, mujoco {mujoco.__version__}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
