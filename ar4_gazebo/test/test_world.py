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

"""The shelf world file and its parser."""

import math
import xml.etree.ElementTree as ElementTree

from ar4_gazebo.world import (
    DEFAULT_WORLD, load_world, Pose, rotation_from_rpy, rpy_from_rotation, WorldError)
import numpy as np
import pytest

CUBES = {'teal_cube': (0.0, 0.5, 0.5), 'magenta_cube': (1.0, 0.0, 1.0),
         'yellow_cube': (1.0, 1.0, 0.0)}
# The AR4 reaches about 0.5 m from its base axis and 0.6 m above the table.
REACH_RADIUS = 0.5
REACH_HEIGHT = 0.6


@pytest.fixture(scope='module')
def world():
    return load_world()


def test_the_world_file_is_sdf_1_9_with_the_systems_gz_needs():
    root = ElementTree.parse(DEFAULT_WORLD).getroot()
    assert root.tag == 'sdf' and root.get('version') == '1.9'
    plugins = {p.get('filename'): p for p in root.findall('world/plugin')}
    assert {'gz-sim-physics-system', 'gz-sim-user-commands-system',
            'gz-sim-scene-broadcaster-system', 'gz-sim-sensors-system'} <= set(plugins)
    assert plugins['gz-sim-sensors-system'].find('render_engine').text == 'ogre2'
    # A <gui> replaces gz sim's default GUI: it must bring the 3D view and world control.
    gui = {p.get('filename') for p in root.findall('world/gui/plugin')}
    assert {'MinimalScene', 'GzSceneManager', 'InteractiveViewControl', 'WorldControl'} <= gui
    assert root.find('world/light[@type="directional"]') is not None


def test_physics_engine_is_bullet_featherstone_and_no_surface_tag_is_dead(world):
    # Chosen on purpose (gz's default is DART), as the upstream AR4 simulation does.
    assert world.physics_engine == 'gz-physics-bullet-featherstone-plugin'
    root = ElementTree.parse(DEFAULT_WORLD).getroot()
    # Neither bullet-featherstone nor DART reads <contact><ode> (kp, kd, min_depth, max_vel).
    assert root.findall('.//surface/contact/ode') == []


def test_gazebo_window_frames_the_scene(world):
    # The view cone of the window's camera (60 degrees across, a 4:3 window) holds the robot's
    # base, every cube and every corner of the shelf, from about a metre away.
    camera = world.gui_camera
    assert camera is not None
    half_across = math.radians(60) / 2
    half_up = math.atan(math.tan(half_across) * 3 / 4)
    inverse = np.linalg.inv(camera.matrix)
    points = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.4)] + [c.pose.xyz for c in world.cubes]
    points += [corner for box in world.boxes if box.model == 'shelf' for corner in box.corners()]
    for point in points:
        x, y, z = (inverse @ np.append(point, 1.0))[:3]  # camera frame: x forward, y left
        assert 0.3 < x < 2.0, point
        assert abs(math.atan2(y, x)) < half_across and abs(math.atan2(z, x)) < half_up, point


def test_gravity_is_on_and_the_step_is_1ms(world):
    assert world.gravity == pytest.approx((0.0, 0.0, -9.81))
    assert world.step_size == pytest.approx(0.001)


def test_exactly_the_three_coloured_cubes(world):
    assert sorted(c.name for c in world.cubes) == sorted(CUBES)
    for cube in world.cubes:
        assert cube.rgba[:3] == pytest.approx(CUBES[cube.name])
        assert cube.colour == cube.name.replace('_cube', '')
        assert cube.size == pytest.approx(0.03)
        assert 0.01 <= cube.mass <= 0.1
        assert min(cube.friction) >= 1.0
    assert world.cube('teal') is world.cube('teal_cube')


def test_each_cube_rests_on_a_surface_inside_its_footprint(world):
    for cube in world.cubes:
        x, y, _ = cube.pose.xyz
        surface = world.surface_at(x, y, cube.bottom_z, tolerance=0.001)
        assert surface is not None, f'{cube.name} floats or sinks at z {cube.bottom_z}'
        assert surface.contains(x, y, margin=cube.size / 2), cube.name


def test_cubes_start_on_the_table_apart_and_clear_of_the_shelf(world):
    for cube in world.cubes:
        assert world.surface_at(*cube.pose.xyz[:2], cube.bottom_z).name == 'table'
        low = np.array(cube.pose.xyz) - cube.size / 2
        high = np.array(cube.pose.xyz) + cube.size / 2
        for box in world.boxes:
            if box.model == 'shelf':
                box_low, box_high = box.bounds()
                overlap = np.all(low < box_high) and np.all(box_low < high)
                assert not overlap, f'{cube.name} intersects {box.name}'
    positions = [np.array(c.pose.xyz) for c in world.cubes]
    for i in range(len(positions)):
        for j in range(i + 1, len(positions)):
            assert np.linalg.norm(positions[i] - positions[j]) > 0.06


def test_cubes_and_tiers_are_within_reach(world):
    points = [c.pose.xyz for c in world.cubes] + [t.centre for t in world.tiers]
    for x, y, z in points:
        assert math.hypot(x, y) < REACH_RADIUS
        assert 0 <= z < REACH_HEIGHT


def test_table_top_is_the_world_origin_plane(world):
    assert world.table.z == pytest.approx(0.0, abs=1e-9)
    assert world.table.contains(0.0, 0.0, margin=0.1), 'the robot stands on the table'


def test_tiers_are_stepped_bottom_to_top_and_open_from_above(world):
    assert [t.name for t in world.tiers] == ['bottom', 'middle', 'top']
    bottom, middle, top = world.tiers
    assert 0 < bottom.z < middle.z < top.z
    # Each tier is further from the robot (towards -y) than the one below it...
    assert bottom.centre[1] > middle.centre[1] > top.centre[1]
    # ...and nothing of the shelf lies above any part of a tier's surface.
    for tier in world.tiers:
        for box in world.boxes:
            low, high = box.bounds()
            covers = (low[0] < tier.x_range[1] and tier.x_range[0] < high[0]
                      and low[1] < tier.y_range[1] and tier.y_range[0] < high[1])
            assert not (covers and high[2] > tier.z + 1e-6), f'{box.name} covers {tier.name}'
    # The shelf is on the robot's -y side, its front 0.28-0.35 m from the base.
    assert -0.35 <= bottom.y_range[1] <= -0.28
    # A gripper holding a cube fits on every tier.
    for tier in world.tiers:
        assert tier.x_range[1] - tier.x_range[0] >= 0.06
        assert tier.y_range[1] - tier.y_range[0] >= 0.06


def test_static_boxes_carry_their_colours(world):
    names = {(b.model, b.name) for b in world.boxes}
    assert ('table', 'table_top') in names and ('ground', 'floor') in names
    assert {('shelf', f'{t}_board') for t in ('bottom', 'middle', 'top')} <= names
    assert all(b.rgba is not None and len(b.rgba) == 4 for b in world.boxes)


@pytest.mark.parametrize('rpy', [(0.1, -0.4, 2.0), (0.0, 0.0, -3.0), (1.2, 0.3, 0.5)])
def test_rpy_round_trips_through_rotation_matrices(rpy):
    rotation = rotation_from_rpy(*rpy)
    assert np.allclose(rotation @ rotation.T, np.eye(3))
    assert np.allclose(rotation_from_rpy(*rpy_from_rotation(rotation)), rotation)
    assert rpy_from_rotation(rotation) == pytest.approx(rpy)


def test_pose_composition_is_the_product_of_transforms():
    parent = Pose((1.0, 2.0, 0.5), (0.0, 0.0, math.pi / 2))
    child = Pose((0.1, 0.0, 0.0), (0.0, math.pi / 2, 0.0))
    composed = parent.compose(child)
    # A 90 degree yaw maps the child's +x offset onto +y.
    assert composed.xyz == pytest.approx((1.0, 2.1, 0.5))
    assert np.allclose(composed.matrix, parent.matrix @ child.matrix)
    assert np.allclose(composed.apply((0, 0, 1)), parent.apply(child.apply((0, 0, 1))))


def test_model_link_and_collision_poses_compose(tmp_path):
    path = tmp_path / 'rotated.sdf'
    path.write_text('''<?xml version="1.0"?>
<sdf version="1.9"><world name="w">
  <model name="table"><static>true</static><pose>0 0 0 0 0 0</pose>
    <link name="l"><collision name="table_top"><pose>0 0 -0.02 0 0 0</pose>
      <geometry><box><size>1 1 0.04</size></box></geometry></collision></link></model>
  <model name="shelf"><static>true</static><pose degrees="true">1 0 0 0 0 90</pose>
    <link name="l"><pose>0.5 0 0 0 0 0</pose>
      <collision name="bottom_board"><pose>0 0 0.04 0 0 0</pose>
        <geometry><box><size>0.3 0.1 0.02</size></box></geometry></collision>
      <collision name="middle_board"><pose>0.1 0 0.14 0 0 0</pose>
        <geometry><box><size>0.3 0.1 0.02</size></box></geometry></collision>
      <collision name="top_board"><pose>0.2 0 0.24 0 0 0</pose>
        <geometry><box><size>0.3 0.1 0.02</size></box></geometry></collision>
    </link></model>
  <model name="red_cube"><pose>0 0 0.01 0 0 0.3</pose><link name="c">
    <inertial><mass>0.02</mass></inertial>
    <collision name="c"><geometry><box><size>0.02 0.02 0.02</size></box></geometry></collision>
    <visual name="v"><geometry><box><size>0.02 0.02 0.02</size></box></geometry>
      <material><diffuse>1 0 0 1</diffuse></material></visual></link></model>
</world></sdf>''')
    world = load_world(path)
    assert world.gravity == pytest.approx((0, 0, -9.8)) and world.step_size == 0.001
    # Yaw 90 degrees: the link's +x offset of 0.5 m becomes +y; the board is 0.1 by 0.3 now.
    bottom = world.tier('bottom')
    assert bottom.z == pytest.approx(0.05)
    assert bottom.x_range == pytest.approx((0.95, 1.05))
    assert bottom.y_range == pytest.approx((0.35, 0.65))
    assert world.tier('top').centre == pytest.approx((1.0, 0.7, 0.25))
    cube = world.cube('red')
    assert cube.pose.rpy == pytest.approx((0, 0, 0.3)) and cube.friction == (1.0, 1.0)
    assert cube.bottom_z == pytest.approx(0.0)
    assert world.physics_engine == '' and world.gui_camera is None


def test_bad_world_files_raise_clear_errors(tmp_path):
    with pytest.raises(WorldError, match='not found'):
        load_world(tmp_path / 'missing.sdf')
    broken = tmp_path / 'broken.sdf'
    broken.write_text('<sdf><world>')
    with pytest.raises(WorldError, match='not valid XML'):
        load_world(broken)
    empty = tmp_path / 'empty.sdf'
    empty.write_text('<sdf version="1.9"><world name="w"></world></sdf>')
    with pytest.raises(WorldError, match="'table'"):
        load_world(empty)
    bad_pose = tmp_path / 'bad_pose.sdf'
    bad_pose.write_text('<sdf version="1.9"><world name="w"><model name="table">'
                        '<static>true</static><pose>0 0 zero 0 0 0</pose></model></world></sdf>')
    with pytest.raises(WorldError, match='pose'):
        load_world(bad_pose)
