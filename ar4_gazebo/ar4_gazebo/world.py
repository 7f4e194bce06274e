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
Read the shelf world (worlds/ar4_shelf.sdf) into plain Python values, without Gazebo or ROS.

The SDF file is the single description of the scene. This module gives the MuJoCo twin, the
cube reset, MoveIt's planning scene and the tests what they need from it: gravity, the physics
step and engine, every static box (ground, table, shelf parts) with its world pose, size and
colour, the table top and the three shelf tiers as horizontal surfaces, the cubes with their
colour, size, mass, friction and start pose, and the Gazebo window's starting camera pose.
Model, link and collision poses are composed as full rigid transforms (SDF roll-pitch-yaw:
R = Rz(yaw) Ry(pitch) Rx(roll), each pose relative to its parent).
"""

from dataclasses import dataclass
import math
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union
import xml.etree.ElementTree as ElementTree

from ar4_description.package_files import find_package_file
import numpy as np

PACKAGE = 'ar4_gazebo'
WORLD_NAME = 'ar4_shelf.sdf'
TIER_NAMES = ('bottom', 'middle', 'top')
TABLE_MODEL = 'table'
TABLE_TOP = 'table_top'
SHELF_MODEL = 'shelf'
CUBE_SUFFIX = '_cube'

Vector3 = Tuple[float, float, float]


class WorldError(ValueError):
    """The world file is missing, not SDF, or lacks an object the project relies on."""


def find_world_file() -> Path:
    """Find worlds/ar4_shelf.sdf: the source tree, the install prefix's share, the ament index."""
    return find_package_file(PACKAGE, Path('worlds') / WORLD_NAME, __file__)


DEFAULT_WORLD = find_world_file()


def rotation_from_rpy(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Return the 3x3 rotation Rz(yaw) @ Ry(pitch) @ Rx(roll) (SDF and URDF convention)."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return np.array([
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ])


def rpy_from_rotation(rotation: np.ndarray) -> Vector3:
    """Return (roll, pitch, yaw) of a rotation matrix; roll is 0 at the pitch = +-pi/2 poles."""
    r = np.asarray(rotation, dtype=np.float64)
    pitch = math.atan2(-r[2, 0], math.hypot(r[0, 0], r[1, 0]))
    if math.hypot(r[0, 0], r[1, 0]) < 1e-9:
        # Gimbal lock: only roll - yaw (or roll + yaw) is defined; put it all in yaw.
        return 0.0, pitch, math.atan2(-r[0, 1], r[1, 1])
    return math.atan2(r[2, 1], r[2, 2]), pitch, math.atan2(r[1, 0], r[0, 0])


@dataclass(frozen=True)
class Pose:
    """A rigid transform: position (m) and roll-pitch-yaw (rad) relative to a parent frame."""

    xyz: Vector3 = (0.0, 0.0, 0.0)
    rpy: Vector3 = (0.0, 0.0, 0.0)

    @property
    def rotation(self) -> np.ndarray:
        """Return the 3x3 rotation matrix."""
        return rotation_from_rpy(*self.rpy)

    @property
    def matrix(self) -> np.ndarray:
        """Return the 4x4 homogeneous transform."""
        transform = np.eye(4)
        transform[:3, :3] = self.rotation
        transform[:3, 3] = self.xyz
        return transform

    @classmethod
    def from_matrix(cls, transform: np.ndarray) -> 'Pose':
        """Build a pose from a 4x4 homogeneous transform."""
        transform = np.asarray(transform, dtype=np.float64)
        xyz = tuple(float(v) for v in transform[:3, 3])
        return cls(xyz=xyz, rpy=tuple(float(v) for v in rpy_from_rotation(transform[:3, :3])))

    def compose(self, child: 'Pose') -> 'Pose':
        """Return this pose followed by ``child`` (child expressed in this pose's frame)."""
        return Pose.from_matrix(self.matrix @ child.matrix)

    def apply(self, point: Sequence[float]) -> np.ndarray:
        """Map a point from this pose's frame to the parent frame."""
        return self.rotation @ np.asarray(point, dtype=np.float64) + np.asarray(self.xyz)


@dataclass(frozen=True)
class Box:
    """A box in the world: the collision shape of a static model part, in world coordinates."""

    model: str
    name: str
    pose: Pose
    size: Vector3
    rgba: Optional[Tuple[float, float, float, float]]

    def corners(self) -> np.ndarray:
        """Return the 8 corners in world coordinates, shape (8, 3)."""
        half = np.asarray(self.size) / 2.0
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        return np.array([self.pose.apply(s * half) for s in signs])

    def bounds(self) -> Tuple[np.ndarray, np.ndarray]:
        """Return the world axis-aligned bounds as the minimum and the maximum corner."""
        corners = self.corners()
        return corners.min(axis=0), corners.max(axis=0)


@dataclass(frozen=True)
class Surface:
    """A horizontal surface objects can rest on: its height and usable x/y extent (m)."""

    name: str
    z: float
    x_range: Tuple[float, float]
    y_range: Tuple[float, float]

    @property
    def centre(self) -> Vector3:
        """Return the centre of the surface, on the surface."""
        return ((self.x_range[0] + self.x_range[1]) / 2.0,
                (self.y_range[0] + self.y_range[1]) / 2.0, self.z)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Return whether (x, y) is on the surface, at least ``margin`` inside its edges."""
        return (self.x_range[0] + margin <= x <= self.x_range[1] - margin
                and self.y_range[0] + margin <= y <= self.y_range[1] - margin)

    @classmethod
    def top_of(cls, name: str, box: Box) -> 'Surface':
        """Return the top face of a box as a surface (the box's world bounds)."""
        # Rounded to a nanometre so that 0.05 reads 0.05, not 0.05000000000000001.
        low, high = np.round(box.bounds(), 9)
        return cls(name=name, z=float(high[2]), x_range=(float(low[0]), float(high[0])),
                   y_range=(float(low[1]), float(high[1])))


@dataclass(frozen=True)
class Cube:
    """A dynamic cube: its name, colour, size (edge, m), mass (kg), friction and start pose."""

    name: str
    colour: str
    rgba: Tuple[float, float, float, float]
    size: float
    mass: float
    friction: Tuple[float, float]
    pose: Pose

    @property
    def bottom_z(self) -> float:
        """Return the height of the cube's lowest point at its start pose."""
        return float(Box(self.name, self.name, self.pose, (self.size,) * 3, self.rgba)
                     .bounds()[0][2])


@dataclass(frozen=True)
class World:
    """The facts of the shelf scene that do not depend on the camera or the robot."""

    name: str
    path: Path
    gravity: Vector3
    step_size: float
    boxes: Tuple[Box, ...]
    table: Surface
    tiers: Tuple[Surface, ...]
    cubes: Tuple[Cube, ...]
    # The physics system's <engine><filename>; empty when the world names none (gz: DART).
    physics_engine: str = ''
    # Where the Gazebo window's camera starts (the <gui> MinimalScene camera_pose), if set.
    gui_camera: Optional[Pose] = None

    @property
    def surfaces(self) -> Tuple[Surface, ...]:
        """Return the table top and the shelf tiers, bottom to top."""
        return (self.table,) + self.tiers

    def tier(self, name: str) -> Surface:
        """Return a shelf tier by name: bottom, middle or top."""
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(f'no tier {name!r}; tiers: {", ".join(t.name for t in self.tiers)}')

    def cube(self, name_or_colour: str) -> Cube:
        """Return a cube by model name (teal_cube) or colour (teal)."""
        for cube in self.cubes:
            if name_or_colour in (cube.name, cube.colour):
                return cube
        raise KeyError(f'no cube {name_or_colour!r}; cubes: '
                       f'{", ".join(c.name for c in self.cubes)}')

    def surface_at(self, x: float, y: float, z: float, tolerance: float = 0.001
                   ) -> Optional[Surface]:
        """Return the surface at height z (within tolerance) whose footprint holds (x, y)."""
        for surface in self.surfaces:
            if abs(surface.z - z) <= tolerance and surface.contains(x, y):
                return surface
        return None


def _floats(text: Optional[str], count: int, where: str) -> Tuple[float, ...]:
    try:
        values = tuple(float(v) for v in (text or '').split())
    except ValueError:
        raise WorldError(f'{where}: expected {count} numbers, got {text!r}') from None
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise WorldError(f'{where}: expected {count} finite numbers, got {text!r}')
    return values


def _pose(element: ElementTree.Element, where: str) -> Pose:
    node = element.find('pose')
    if node is None:
        return Pose()
    if node.get('relative_to'):
        raise WorldError(f'{where}: <pose relative_to=...> is not supported; write poses '
                         'relative to the parent element')
    if node.get('rotation_format', 'euler_rpy') != 'euler_rpy':
        raise WorldError(f'{where}: only euler_rpy poses are supported')
    values = _floats(node.text, 6, f'{where} pose')
    rpy = values[3:]
    if node.get('degrees', 'false').strip().lower() in ('true', '1'):
        rpy = tuple(math.radians(v) for v in rpy)
    return Pose(xyz=values[:3], rpy=tuple(rpy))


def _box_size(element: ElementTree.Element, where: str) -> Optional[Vector3]:
    size = element.find('geometry/box/size')
    if size is None:
        return None
    values = _floats(size.text, 3, f'{where} box size')
    if min(values) <= 0:
        raise WorldError(f'{where}: box sizes must be positive, got {values}')
    return values


def _rgba(visual: Optional[ElementTree.Element], where: str):
    if visual is None:
        return None
    for tag in ('material/diffuse', 'material/ambient'):
        node = visual.find(tag)
        if node is not None:
            values = _floats(node.text, 4, f'{where} {tag}')
            return values
    return None


def _is_true(element: ElementTree.Element, tag: str) -> bool:
    node = element.find(tag)
    return node is not None and (node.text or '').strip().lower() in ('true', '1')


def _static_boxes(model: ElementTree.Element, model_pose: Pose) -> Tuple[Box, ...]:
    name = model.get('name')
    boxes = []
    for link in model.findall('link'):
        link_pose = model_pose.compose(_pose(link, f'{name}/{link.get("name")}'))
        visuals = {v.get('name'): v for v in link.findall('visual')}
        for collision in link.findall('collision'):
            where = f'{name}/{link.get("name")}/{collision.get("name")}'
            size = _box_size(collision, where)
            if size is None:
                continue
            boxes.append(Box(model=name, name=collision.get('name'),
                             pose=link_pose.compose(_pose(collision, where)), size=size,
                             rgba=_rgba(visuals.get(collision.get('name')), where)))
    return tuple(boxes)


def _cube(model: ElementTree.Element, model_pose: Pose) -> Cube:
    name = model.get('name')
    link = model.find('link')
    if link is None:
        raise WorldError(f'cube {name}: no <link>')
    link_pose = model_pose.compose(_pose(link, f'{name}/link'))
    collision = link.find('collision')
    if collision is None:
        raise WorldError(f'cube {name}: no <collision>')
    size = _box_size(collision, f'{name} collision')
    if size is None or max(size) - min(size) > 1e-9:
        raise WorldError(f'cube {name}: the collision must be a cube <box>, got {size}')
    mass_node = link.find('inertial/mass')
    mass = _floats(mass_node.text if mass_node is not None else None, 1, f'{name} mass')[0]
    friction = []
    for tag in ('mu', 'mu2'):
        node = collision.find(f'surface/friction/ode/{tag}')
        # SDF's default coefficient is 1 when the world gives none.
        friction.append(1.0 if node is None else _floats(node.text, 1, f'{name} {tag}')[0])
    rgba = _rgba(link.find('visual'), f'{name} visual')
    if rgba is None:
        raise WorldError(f'cube {name}: its <visual> needs a <material> colour')
    return Cube(name=name, colour=name[:-len(CUBE_SUFFIX)], rgba=rgba, size=size[0],
                mass=mass, friction=tuple(friction),
                pose=link_pose.compose(_pose(collision, f'{name} collision')))


def load_world(path: Optional[Union[str, Path]] = None) -> World:
    """Parse the shelf world (default: DEFAULT_WORLD) and return its facts; raise WorldError."""
    path = Path(path) if path is not None else DEFAULT_WORLD
    if not path.is_file():
        raise WorldError(f'world file not found at {path}; run from the source tree or install '
                         f'{PACKAGE}')
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise WorldError(f'{path}: not valid XML: {error}') from None
    world = root.find('world')
    if root.tag != 'sdf' or world is None:
        raise WorldError(f'{path}: expected <sdf><world>...</world></sdf>')
    gravity_node = world.find('gravity')
    gravity = ((0.0, 0.0, -9.8) if gravity_node is None
               else _floats(gravity_node.text, 3, f'{path} gravity'))
    step_node = world.find('physics/max_step_size')
    step = 0.001 if step_node is None else _floats(step_node.text, 1, f'{path} step')[0]
    engine = world.findtext("plugin[@filename='gz-sim-physics-system']/engine/filename", '')
    camera_node = world.find("gui/plugin[@filename='MinimalScene']/camera_pose")
    gui_camera = None
    if camera_node is not None:
        values = _floats(camera_node.text, 6, f'{path} gui camera_pose')
        gui_camera = Pose(xyz=values[:3], rpy=values[3:])

    boxes, cubes = [], []
    for model in world.findall('model'):
        name = model.get('name')
        pose = _pose(model, name)
        if _is_true(model, 'static'):
            boxes.extend(_static_boxes(model, pose))
        elif name.endswith(CUBE_SUFFIX):
            cubes.append(_cube(model, pose))

    def named_box(model: str, collision: str) -> Box:
        for box in boxes:
            if box.model == model and box.name == collision:
                return box
        raise WorldError(f'{path}: static model {model!r} has no box collision {collision!r}')

    table = Surface.top_of('table', named_box(TABLE_MODEL, TABLE_TOP))
    tiers = tuple(Surface.top_of(tier, named_box(SHELF_MODEL, f'{tier}_board'))
                  for tier in TIER_NAMES)
    return World(name=world.get('name', ''), path=path, gravity=gravity, step_size=step,
                 boxes=tuple(boxes), table=table, tiers=tiers, cubes=tuple(cubes),
                 physics_engine=engine.strip(), gui_camera=gui_camera)


def cube_colours(world: World) -> Dict[str, Tuple[float, float, float, float]]:
    """Return the cubes' colours by colour name, e.g. {'teal': (0, 0.5, 0.5, 1)}."""
    return {cube.colour: cube.rgba for cube in world.cubes}
