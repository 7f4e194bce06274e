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

"""MoveIt's planning scene objects, generated from the world file."""

import math
from pathlib import Path
from types import SimpleNamespace

from ar4_gazebo import planning_scene_objects as scene
from ar4_gazebo.world import Box, load_world, Pose, rotation_from_rpy
import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

STORE = get_typestore(Stores.ROS2_JAZZY)
CLASSES = SimpleNamespace(**{name: STORE.types[f'{package}/msg/{name}'] for package, name in (
    ('shape_msgs', 'SolidPrimitive'), ('geometry_msgs', 'Polygon'), ('geometry_msgs', 'Pose'),
    ('geometry_msgs', 'Point'), ('geometry_msgs', 'Quaternion'))})


@pytest.fixture(scope='module')
def world():
    return load_world()


@pytest.fixture(scope='module')
def objects(world):
    return scene.scene_objects(world)


def bounds(box):
    """Return the world axis-aligned bounds of a SceneBox."""
    half = np.abs(rotation_from_quaternion(box.orientation)) @ (np.asarray(box.size) / 2)
    return np.asarray(box.position) - half, np.asarray(box.position) + half


def rotation_from_quaternion(q):
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def test_the_table_and_the_whole_shelf_are_added_in_the_planning_frame(world, objects):
    assert [o.id for o in objects] == ['table', 'shelf']
    assert scene.PLANNING_FRAME == 'world'  # the URDF's root link: Gazebo's world origin
    by_object = {o.id: {b.name for b in o.boxes} for o in objects}
    assert {'bottom_board', 'middle_board', 'top_board'} <= by_object['shelf']
    assert 'table_top' in by_object['table']
    # Every box collision of the two models, posts and front panels too; no cube, no floor.
    expected = {(b.model, b.name) for b in world.boxes if b.model in ('table', 'shelf')}
    assert {(o.id, b) for o in objects for b in by_object[o.id]} == expected


def test_tiers_are_where_the_world_file_puts_them(world, objects):
    shelf = {b.name: b for b in next(o for o in objects if o.id == 'shelf').boxes}
    for tier in world.tiers:
        low, high = bounds(shelf[f'{tier.name}_board'])
        assert high[2] == pytest.approx(tier.z)
        assert (low[0], high[0]) == pytest.approx(tier.x_range)
        assert (low[1], high[1]) == pytest.approx(tier.y_range)


def test_the_table_top_clears_the_base_that_stands_on_it(world, objects):
    table = {b.name: b for b in next(o for o in objects if o.id == 'table').boxes}
    low, high = bounds(table['table_top'])
    world_low, world_high = next(b for b in world.boxes if b.name == 'table_top').bounds()
    # Touching boxes collide: the top face goes BASE_CLEARANCE_M down, the bottom stays.
    assert high[2] == pytest.approx(world.table.z - scene.BASE_CLEARANCE_M)
    assert low[2] == pytest.approx(world_low[2])
    assert (low[0], high[0], low[1], high[1]) == pytest.approx(
        (world_low[0], world_high[0], world_low[1], world_high[1]))
    # Nothing else moves: the legs and the shelf keep their world geometry.
    leg = next(b for b in world.boxes if b.name == 'leg_front_left')
    assert table['leg_front_left'].size == pytest.approx(leg.size)
    assert table['leg_front_left'].position == pytest.approx(leg.pose.xyz)


def test_messages_round_trip_as_real_shape_and_geometry_messages(objects):
    box = objects[1].boxes[0]
    primitive = scene.solid_primitive(CLASSES, box)
    data = STORE.serialize_cdr(primitive, 'shape_msgs/msg/SolidPrimitive')
    back = STORE.deserialize_cdr(data, 'shape_msgs/msg/SolidPrimitive')
    assert back.type == back.BOX == scene.BOX
    assert list(back.dimensions) == pytest.approx(box.size)
    pose = scene.pose_message(CLASSES, box)
    back = STORE.deserialize_cdr(STORE.serialize_cdr(pose, 'geometry_msgs/msg/Pose'),
                                 'geometry_msgs/msg/Pose')
    assert (back.position.x, back.position.y, back.position.z) == pytest.approx(box.position)
    identity = scene.identity_pose(CLASSES)
    assert (identity.orientation.w, identity.orientation.x) == (1.0, 0.0)


@pytest.mark.parametrize('rpy', [(0, 0, 0), (0, 0, math.pi), (0.3, -1.2, 2.5),
                                 (math.pi, 0, 0), (0, math.pi / 2, 0)])
def test_quaternions_describe_the_box_rotation(rpy):
    rotation = rotation_from_rpy(*rpy)
    q = scene.quaternion_from_rotation(rotation)
    assert np.linalg.norm(q) == pytest.approx(1.0) and q[3] >= 0
    assert np.allclose(rotation_from_quaternion(q), rotation)


def test_a_rotated_supporting_box_loses_height_along_its_vertical_axis():
    # A 1 x 0.8 x 2 m box turned about x: its vertical extent is its y size, 0.8 m.
    box = Box('table', 'slab', Pose((0.0, 0.0, -0.4), (math.pi / 2, 0.0, 0.0)),
              (1.0, 0.8, 2.0), None)
    lowered = scene.scene_box(box, clearance=0.01)
    assert lowered.size == pytest.approx((1.0, 0.79, 2.0))
    low, high = bounds(lowered)
    assert high[2] == pytest.approx(-0.01) and low[2] == pytest.approx(-0.8)
    # A box the base does not stand on is left alone.
    beside = Box('shelf', 'post', Pose((2.0, 0.0, -0.5), (0.0, 0.0, 0.0)), (0.1, 0.1, 1.0), None)
    assert bounds(scene.scene_box(beside))[1][2] == pytest.approx(0.0)


def test_a_world_without_a_table_or_shelf_is_refused(world):
    with pytest.raises(ValueError, match="no static model 'bench'"):
        scene.scene_objects(world, models=('table', 'bench'))
    assert Path(world.path).name == 'ar4_shelf.sdf'
