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
Pure core of add_planning_scene_objects: the table and the shelf as MoveIt collision objects.

The geometry comes from the world file through ar4_gazebo.world (the one description of the
scene): every box collision of the ``table`` and ``shelf`` models, the three tiers included,
in the world frame, which is the robot's root link ``world`` and so MoveIt's planning frame.
The cubes are left out: they move, and a grasped cube must not be an obstacle.

The robot's base stands on the table top, face to face. A collision checker counts touching
boxes as colliding, which would put every state of the arm in collision, and an allowed
collision entry cannot be given without replacing the SRDF's whole matrix (a diff's
allowed_collision_matrix replaces MoveIt's). So the box the base stands on is published
BASE_CLEARANCE_M lower: plans keep that much further from the table top than they need to.
"""

from dataclasses import dataclass
import math
from typing import Iterable, Sequence, Tuple

from ar4_description.ros_messages import float_sequence
import numpy as np

SCENE_MODELS = ('table', 'shelf')
PLANNING_FRAME = 'world'
BASE_CLEARANCE_M = 0.001
BOX = 1  # shape_msgs/SolidPrimitive.BOX

Vector3 = Tuple[float, float, float]


@dataclass(frozen=True)
class SceneBox:
    """One box of a collision object: size (m) and pose in the planning frame."""

    name: str
    size: Vector3
    position: Vector3
    orientation: Tuple[float, float, float, float]  # quaternion x, y, z, w


@dataclass(frozen=True)
class SceneObject:
    """A collision object: one model of the world, as boxes."""

    id: str
    boxes: Tuple[SceneBox, ...]


def quaternion_from_rotation(rotation) -> Tuple[float, float, float, float]:
    """Return the unit quaternion (x, y, z, w) of a 3x3 rotation matrix, with w >= 0."""
    r = np.asarray(rotation, dtype=np.float64)
    # The largest of the four candidate components is computed first, for precision.
    candidates = np.array([1 + r[0, 0] - r[1, 1] - r[2, 2], 1 - r[0, 0] + r[1, 1] - r[2, 2],
                           1 - r[0, 0] - r[1, 1] + r[2, 2], 1 + r[0, 0] + r[1, 1] + r[2, 2]])
    largest = int(np.argmax(candidates))
    scale = 0.5 / math.sqrt(max(candidates[largest], 1e-300))
    if largest == 0:
        q = (0.25 / scale, (r[0, 1] + r[1, 0]) * scale, (r[0, 2] + r[2, 0]) * scale,
             (r[2, 1] - r[1, 2]) * scale)
    elif largest == 1:
        q = ((r[0, 1] + r[1, 0]) * scale, 0.25 / scale, (r[1, 2] + r[2, 1]) * scale,
             (r[0, 2] - r[2, 0]) * scale)
    elif largest == 2:
        q = ((r[0, 2] + r[2, 0]) * scale, (r[1, 2] + r[2, 1]) * scale, 0.25 / scale,
             (r[1, 0] - r[0, 1]) * scale)
    else:
        q = ((r[2, 1] - r[1, 2]) * scale, (r[0, 2] - r[2, 0]) * scale,
             (r[1, 0] - r[0, 1]) * scale, 0.25 / scale)
    q = np.asarray(q) / np.linalg.norm(q)
    if q[3] < 0:
        q = -q
    return tuple(float(v) for v in q)


def _supports_the_base(box, base_xy: Sequence[float], tolerance: float = 1e-6) -> bool:
    """Return whether the robot base at base_xy (on z = 0) stands on this box's top face."""
    low, high = box.bounds()
    return (abs(high[2]) <= tolerance and low[0] <= base_xy[0] <= high[0]
            and low[1] <= base_xy[1] <= high[1])


def scene_box(box, base_xy: Sequence[float] = (0.0, 0.0),
              clearance: float = BASE_CLEARANCE_M) -> SceneBox:
    """Return a world box (ar4_gazebo.world.Box) as a SceneBox, lowered if the base is on it."""
    size = tuple(float(v) for v in box.size)
    position = np.asarray(box.pose.xyz, dtype=np.float64)
    if _supports_the_base(box, base_xy):
        # Take the clearance off the top face: the box keeps its bottom and loses height.
        up = box.pose.rotation.T @ np.array([0.0, 0.0, 1.0])
        axis = int(np.argmax(np.abs(up)))
        size = tuple(s - clearance if i == axis else s for i, s in enumerate(size))
        position = position - np.array([0.0, 0.0, clearance / 2.0])
    return SceneBox(name=box.name, size=size, position=tuple(float(v) for v in position),
                    orientation=quaternion_from_rotation(box.pose.rotation))


def scene_objects(world, models: Iterable[str] = SCENE_MODELS,
                  base_xy: Sequence[float] = (0.0, 0.0),
                  clearance: float = BASE_CLEARANCE_M) -> Tuple[SceneObject, ...]:
    """Return one SceneObject per named model of a loaded world, each with all its boxes."""
    objects = []
    for model in models:
        boxes = tuple(scene_box(box, base_xy, clearance)
                      for box in world.boxes if box.model == model)
        if not boxes:
            raise ValueError(f'the world {world.path} has no static model {model!r} with box '
                             'collisions to add to the planning scene')
        objects.append(SceneObject(id=model, boxes=boxes))
    return tuple(objects)


def solid_primitive(classes, box: SceneBox):
    """Return a shape_msgs/SolidPrimitive BOX of the box's size (.SolidPrimitive, .Polygon)."""
    # polygon (Jazzy) is for PRISM only; given empty so that every field is set.
    return classes.SolidPrimitive(
        type=BOX, dimensions=float_sequence(classes.SolidPrimitive, box.size),
        polygon=classes.Polygon(points=[]))


def pose_message(classes, box: SceneBox):
    """Return the geometry_msgs/Pose of a box (classes.Pose, .Point, .Quaternion)."""
    x, y, z = box.position
    qx, qy, qz, qw = box.orientation
    return classes.Pose(position=classes.Point(x=x, y=y, z=z),
                        orientation=classes.Quaternion(x=qx, y=qy, z=qz, w=qw))


def identity_pose(classes):
    """Return the identity geometry_msgs/Pose (a zero quaternion is not a rotation)."""
    return classes.Pose(position=classes.Point(x=0.0, y=0.0, z=0.0),
                        orientation=classes.Quaternion(x=0.0, y=0.0, z=0.0, w=1.0))
