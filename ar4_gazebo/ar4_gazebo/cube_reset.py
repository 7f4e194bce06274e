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
Pure core of reset_cubes: the cube start poses, seeded jitter, and the gz set_pose requests.

Gazebo's UserCommands system serves ``/world/<world>/set_pose`` (gz.msgs.Pose request,
gz.msgs.Boolean reply). The requests are built here as ``gz service`` argument lists so the
CLI only runs them.
"""

from dataclasses import dataclass, replace
import math
from typing import Iterable, List, Optional, Sequence

import numpy as np

DEFAULT_MAX_OFFSET_M = 0.01
DEFAULT_MAX_YAW_RAD = 0.3


@dataclass(frozen=True)
class CubePose:
    """Where a cube rests: position in the world frame (m) and yaw about world z (rad)."""

    name: str
    x: float
    y: float
    z: float
    yaw: float = 0.0


def yaw_quaternion(yaw: float):
    """Return (x, y, z, w) of a rotation by yaw about z."""
    return 0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """Return the yaw (rotation about z) of a quaternion."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def jittered(poses: Sequence[CubePose], seed: Optional[int],
             max_offset_m: float = DEFAULT_MAX_OFFSET_M,
             max_yaw_rad: float = DEFAULT_MAX_YAW_RAD) -> List[CubePose]:
    """
    Return the poses moved by small uniform x/y offsets and yaw turns drawn from seed.

    With seed None the poses come back unchanged. The same seed always gives the same poses,
    so an evaluation episode can be reproduced.
    """
    if max_offset_m < 0 or max_yaw_rad < 0:
        raise ValueError('max_offset_m and max_yaw_rad must not be negative')
    if seed is None:
        return list(poses)
    rng = np.random.default_rng(seed)
    result = []
    for pose in poses:
        dx, dy = rng.uniform(-max_offset_m, max_offset_m, size=2)
        dyaw = rng.uniform(-max_yaw_rad, max_yaw_rad)
        result.append(replace(pose, x=pose.x + float(dx), y=pose.y + float(dy),
                              yaw=pose.yaw + float(dyaw)))
    return result


def set_pose_request(pose: CubePose) -> str:
    """Return the gz.msgs.Pose request text (protobuf text format) for one cube."""
    qx, qy, qz, qw = yaw_quaternion(pose.yaw)
    return (f'name: "{pose.name}", '
            f'position: {{x: {pose.x:.6f}, y: {pose.y:.6f}, z: {pose.z:.6f}}}, '
            f'orientation: {{x: {qx:.6f}, y: {qy:.6f}, z: {qz:.6f}, w: {qw:.6f}}}')


def set_pose_command(world_name: str, pose: CubePose, timeout_ms: int = 2000) -> List[str]:
    """Return the ``gz service`` argument list that moves one cube to ``pose``."""
    if not world_name or '/' in world_name:
        raise ValueError(f'bad world name {world_name!r}')
    return ['gz', 'service', '-s', f'/world/{world_name}/set_pose',
            '--reqtype', 'gz.msgs.Pose', '--reptype', 'gz.msgs.Boolean',
            '--timeout', str(int(timeout_ms)), '--req', set_pose_request(pose)]


def reply_succeeded(stdout: str) -> bool:
    """Return True if a ``gz service`` reply to set_pose reports success (data: true)."""
    return 'data: true' in stdout.replace('\n', ' ')


def select(poses: Iterable[CubePose], names: Optional[Sequence[str]]) -> List[CubePose]:
    """Return the poses of the named cubes (all when names is empty); unknown names raise."""
    poses = list(poses)
    if not names:
        return poses
    known = {pose.name: pose for pose in poses}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f'unknown cube(s) {", ".join(unknown)}; known: {", ".join(known)}')
    return [known[name] for name in names]
