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
The scene as the twin needs it, converted from ``ar4_gazebo.world`` (the parsed SDF world).

This module only renames and converts (SDF roll-pitch-yaw to MuJoCo quaternions, full box
sizes kept as full sizes); every number comes from the world file.
"""

from dataclasses import dataclass
import math
from typing import Tuple

from ar4_gazebo.world import Surface
import numpy as np

#: Colour of static boxes whose SDF visual has no material (the floor is the only one).
DEFAULT_RGBA = (0.5, 0.5, 0.5, 1.0)


@dataclass(frozen=True)
class SceneBox:
    """A static box: table, shelf board or post. ``size`` is the full edge length (m)."""

    name: str
    position: Tuple[float, float, float]
    quat: Tuple[float, float, float, float]
    size: Tuple[float, float, float]
    rgba: Tuple[float, float, float, float]
    friction: float


@dataclass(frozen=True)
class SceneCube:
    """A free cube; ``colour`` is the name tasks use (teal, magenta, yellow)."""

    name: str
    colour: str
    position: Tuple[float, float, float]
    quat: Tuple[float, float, float, float]
    size: Tuple[float, float, float]
    rgba: Tuple[float, float, float, float]
    mass: float
    friction: float

    @property
    def edge(self) -> float:
        """Return the largest edge length (m)."""
        return max(self.size)


@dataclass(frozen=True)
class Scene:
    """Everything of the world the twin builds: physics settings, static boxes, cubes, tiers."""

    gravity: Tuple[float, float, float]
    physics_step_s: float
    boxes: Tuple[SceneBox, ...]
    cubes: Tuple[SceneCube, ...]
    tiers: Tuple[Surface, ...]

    def cube(self, colour: str) -> SceneCube:
        """Return the cube of this colour; KeyError names the known colours."""
        for cube in self.cubes:
            if cube.colour == colour:
                return cube
        raise KeyError(f'no {colour!r} cube; the world has {", ".join(self.colours)}')

    def tier(self, name: str) -> Surface:
        """Return the shelf tier of this name; KeyError names the known tiers."""
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(f'no {name!r} tier; the shelf has {", ".join(self.tier_names)}')

    @property
    def colours(self) -> Tuple[str, ...]:
        """Return the cube colour names."""
        return tuple(cube.colour for cube in self.cubes)

    @property
    def tier_names(self) -> Tuple[str, ...]:
        """Return the shelf tier names."""
        return tuple(tier.name for tier in self.tiers)


def rpy_to_quat(roll: float, pitch: float, yaw: float) -> Tuple[float, float, float, float]:
    """Convert SDF roll-pitch-yaw (fixed X, then Y, then Z) to a MuJoCo (w, x, y, z) quaternion."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy)


def _pose(pose) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
    """Split an SDF pose (x y z roll pitch yaw, any sequence or object) into position and quat."""
    if hasattr(pose, 'xyz'):
        xyz, rpy = tuple(pose.xyz), tuple(getattr(pose, 'rpy', (0.0, 0.0, 0.0)))
    else:
        values = tuple(float(v) for v in np.asarray(pose, dtype=float).ravel())
        xyz, rpy = values[:3], (values[3:6] if len(values) >= 6 else (0.0, 0.0, 0.0))
    return tuple(float(v) for v in xyz), rpy_to_quat(*rpy)


def _vector(value, count: int) -> Tuple[float, ...]:
    values = tuple(float(v) for v in np.asarray(value, dtype=float).ravel())
    if len(values) == 1 and count > 1:
        values = values * count
    if len(values) != count:
        raise ValueError(f'expected {count} numbers, got {value!r}')
    return values


def _friction(value) -> float:
    """Return one Coulomb coefficient from an SDF (mu, mu2) pair or a number (the smaller)."""
    values = np.asarray(value, dtype=float).ravel()
    return float(values.min()) if values.size else 1.0


def scene_from_world(world) -> Scene:
    """
    Convert an ``ar4_gazebo.world.World`` into the twin's Scene.

    Static boxes are named ``<model>/<collision>``; boxes without a material are drawn grey;
    SDF's default friction (1) applies where the world gives none.
    """
    boxes = []
    for box in world.boxes:
        position, quat = _pose(box.pose)
        rgba = box.rgba if box.rgba is not None else DEFAULT_RGBA
        boxes.append(SceneBox(
            name=f'{box.model}/{box.name}', position=position, quat=quat,
            size=_vector(box.size, 3), rgba=_vector(rgba, 4),
            friction=_friction(getattr(box, 'friction', 1.0))))
    cubes = []
    for cube in world.cubes:
        position, quat = _pose(cube.pose)
        cubes.append(SceneCube(
            name=cube.name, colour=cube.colour, position=position, quat=quat,
            size=_vector(cube.size, 3), rgba=_vector(cube.rgba, 4), mass=float(cube.mass),
            friction=_friction(cube.friction)))
    tiers = []
    for tier in world.tiers:
        tiers.append(Surface(name=tier.name, z=float(tier.z), x_range=_vector(tier.x_range, 2),
                             y_range=_vector(tier.y_range, 2)))
    return Scene(gravity=_vector(world.gravity, 3), physics_step_s=float(world.step_size),
                 boxes=tuple(boxes), cubes=tuple(cubes), tiers=tuple(tiers))
