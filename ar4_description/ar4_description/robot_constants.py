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
Load the AR4 robot constants from config/robot_constants.yaml.

This module is the only reader of that file. It is pure Python (PyYAML and NumPy, no ROS) so the
recorder core, the policy safety filter, the MuJoCo twin and the tests all share it.

Vectors named ``*7`` hold the six arm joints followed by the gripper, in dataset order.
"""

from dataclasses import dataclass
import functools
import math
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from ar4_description.package_files import find_package_file
import numpy as np
import yaml

ENV_VAR = 'AR4_ROBOT_CONSTANTS'
FILE_NAME = 'robot_constants.yaml'


class RobotConstantsError(ValueError):
    """The robot constants file is missing or malformed; the message names the bad entry."""


@dataclass(frozen=True)
class GripperConstants:
    """The parallel gripper: one driven jaw, one mimic jaw, opening per jaw."""

    joint_name: str
    mimic_joint_name: str
    unit: str
    closed: float
    open: float
    velocity_limit: float
    effort_limit: float
    max_acceleration: float
    planning_bound_margin: float
    home: float

    @property
    def lower(self) -> float:
        """Return the smaller end of the jaw range."""
        return min(self.closed, self.open)

    @property
    def upper(self) -> float:
        """Return the larger end of the jaw range."""
        return max(self.closed, self.open)

    @property
    def planning_bounds(self) -> Tuple[float, float]:
        """Return MoveIt's jaw bounds: the range widened by planning_bound_margin each side."""
        return self.lower - self.planning_bound_margin, self.upper + self.planning_bound_margin


@dataclass(frozen=True)
class RobotConstants:
    """Joint names, limits and home pose of the AR4 arm and gripper."""

    robot_type: str
    joint_names: Tuple[str, ...]
    lower: Tuple[float, ...]
    upper: Tuple[float, ...]
    velocity_limits: Tuple[float, ...]
    effort_limits: Tuple[float, ...]
    max_acceleration: float
    home: Tuple[float, ...]
    wrist_singularity_margin: float
    gripper: GripperConstants
    source: str

    @property
    def names7(self) -> Tuple[str, ...]:
        """Return the arm joint names followed by the gripper joint name."""
        return self.joint_names + (self.gripper.joint_name,)

    @property
    def lower7(self) -> np.ndarray:
        """Return the lower position limits, arm then gripper."""
        return np.array(self.lower + (self.gripper.lower,), dtype=np.float64)

    @property
    def upper7(self) -> np.ndarray:
        """Return the upper position limits, arm then gripper."""
        return np.array(self.upper + (self.gripper.upper,), dtype=np.float64)

    @property
    def velocity7(self) -> np.ndarray:
        """Return the velocity limits, arm (rad/s) then gripper (m/s)."""
        return np.array(self.velocity_limits + (self.gripper.velocity_limit,),
                        dtype=np.float64)

    @property
    def home7(self) -> np.ndarray:
        """Return the home pose, arm then gripper."""
        return np.array(self.home + (self.gripper.home,), dtype=np.float64)

    def limits(self, joint_name: str) -> Tuple[float, float]:
        """Return (lower, upper) for an arm or gripper joint by name."""
        if joint_name == self.gripper.joint_name:
            return self.gripper.lower, self.gripper.upper
        try:
            index = self.joint_names.index(joint_name)
        except ValueError:
            raise KeyError(f'unknown joint {joint_name!r}; known: {", ".join(self.names7)}')
        return self.lower[index], self.upper[index]


def default_path() -> Path:
    """Find robot_constants.yaml: $AR4_ROBOT_CONSTANTS, the source tree, then the share."""
    return find_package_file('ar4_description', Path('config') / FILE_NAME, __file__, ENV_VAR)


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RobotConstantsError(f'{where}: expected a number, got {value!r}')
    value = float(value)
    if not math.isfinite(value):
        raise RobotConstantsError(f'{where}: expected a finite number, got {value!r}')
    return value


def _section(mapping, key: str, where: str) -> dict:
    if not isinstance(mapping, dict) or key not in mapping:
        raise RobotConstantsError(f'{where}: missing key {key!r}')
    return mapping[key]


def _per_joint(arm: dict, key: str, names) -> Dict[str, object]:
    table = _section(arm, key, 'arm')
    if not isinstance(table, dict):
        raise RobotConstantsError(f'arm.{key}: expected a mapping of joint name to value')
    missing = [n for n in names if n not in table]
    extra = [n for n in table if n not in names]
    if missing or extra:
        raise RobotConstantsError(
            f'arm.{key}: joints must be exactly {list(names)}; '
            f'missing {missing}, unknown {extra}')
    return table


def parse_robot_constants(data: dict, source: str = '<memory>') -> RobotConstants:
    """Validate a loaded YAML mapping and build RobotConstants; raise RobotConstantsError."""
    if not isinstance(data, dict):
        raise RobotConstantsError(f'{source}: expected a mapping at the top level')
    try:
        robot_type = _section(data, 'robot_type', source)
        arm = _section(data, 'arm', source)
        names = _section(arm, 'joint_names', 'arm')
        if (not isinstance(names, list) or not names
                or not all(isinstance(n, str) and n for n in names)):
            raise RobotConstantsError('arm.joint_names: expected a non-empty list of names')
        if len(set(names)) != len(names):
            raise RobotConstantsError(f'arm.joint_names: names must be unique, got {names}')
        positions = _per_joint(arm, 'position_limits', names)
        velocities = _per_joint(arm, 'velocity_limits', names)
        efforts = _per_joint(arm, 'effort_limits', names)
        home_table = _per_joint(arm, 'home', names)
        lower, upper, velocity, effort, home = [], [], [], [], []
        for name in names:
            pair = positions[name]
            if not isinstance(pair, list) or len(pair) != 2:
                raise RobotConstantsError(
                    f'arm.position_limits.{name}: expected [lower, upper], got {pair!r}')
            lo = _number(pair[0], f'arm.position_limits.{name}[0]')
            hi = _number(pair[1], f'arm.position_limits.{name}[1]')
            if not lo < hi:
                raise RobotConstantsError(
                    f'arm.position_limits.{name}: lower {lo} must be below upper {hi}')
            vel = _number(velocities[name], f'arm.velocity_limits.{name}')
            eff = _number(efforts[name], f'arm.effort_limits.{name}')
            if vel <= 0 or eff <= 0:
                raise RobotConstantsError(
                    f'arm limits of {name}: velocity and effort must be positive')
            h = _number(home_table[name], f'arm.home.{name}')
            if not lo <= h <= hi:
                raise RobotConstantsError(
                    f'arm.home.{name}: {h} is outside the position limits [{lo}, {hi}]')
            lower.append(lo)
            upper.append(hi)
            velocity.append(vel)
            effort.append(eff)
            home.append(h)
        max_acc = _number(_section(arm, 'max_acceleration', 'arm'), 'arm.max_acceleration')
        margin = _number(_section(arm, 'wrist_singularity_margin', 'arm'),
                         'arm.wrist_singularity_margin')
        if 'joint_5' in names and abs(home[names.index('joint_5')]) < margin:
            raise RobotConstantsError(
                f'arm.home.joint_5: {home[names.index("joint_5")]} is within {margin} rad of the '
                'wrist singularity at joint_5 = 0; MoveIt Servo halts there')

        g = _section(data, 'gripper', source)
        gripper = GripperConstants(
            joint_name=str(_section(g, 'joint_name', 'gripper')),
            mimic_joint_name=str(_section(g, 'mimic_joint_name', 'gripper')),
            unit=str(_section(g, 'unit', 'gripper')),
            closed=_number(_section(g, 'closed', 'gripper'), 'gripper.closed'),
            open=_number(_section(g, 'open', 'gripper'), 'gripper.open'),
            velocity_limit=_number(_section(g, 'velocity_limit', 'gripper'),
                                   'gripper.velocity_limit'),
            effort_limit=_number(_section(g, 'effort_limit', 'gripper'), 'gripper.effort_limit'),
            max_acceleration=_number(_section(g, 'max_acceleration', 'gripper'),
                                     'gripper.max_acceleration'),
            planning_bound_margin=_number(_section(g, 'planning_bound_margin', 'gripper'),
                                          'gripper.planning_bound_margin'),
            home=_number(_section(g, 'home', 'gripper'), 'gripper.home'),
        )
    except RobotConstantsError as error:
        raise RobotConstantsError(f'{source}: {error}') from None
    if gripper.closed == gripper.open:
        raise RobotConstantsError(f'{source}: gripper.closed and gripper.open must differ')
    if not gripper.lower <= gripper.home <= gripper.upper:
        raise RobotConstantsError(f'{source}: gripper.home {gripper.home} is outside its range')
    if gripper.max_acceleration <= 0:
        raise RobotConstantsError(f'{source}: gripper.max_acceleration must be positive')
    # Above zero, so a jaw resting at closed or open is strictly inside MoveIt's bounds; below a
    # tenth of the stroke, so MoveIt never plans far past the ends the controllers can reach.
    if not 0 < gripper.planning_bound_margin <= (gripper.upper - gripper.lower) / 10:
        raise RobotConstantsError(
            f'{source}: gripper.planning_bound_margin must be above 0 and at most a tenth of '
            f'the stroke, got {gripper.planning_bound_margin}')
    if gripper.joint_name in names or gripper.mimic_joint_name in names:
        raise RobotConstantsError(f'{source}: gripper joint names must differ from arm joints')
    return RobotConstants(
        robot_type=str(robot_type), joint_names=tuple(names), lower=tuple(lower),
        upper=tuple(upper), velocity_limits=tuple(velocity), effort_limits=tuple(effort),
        max_acceleration=max_acc, home=tuple(home), wrist_singularity_margin=margin,
        gripper=gripper, source=source)


def load_robot_constants(path: Optional[Union[str, Path]] = None) -> RobotConstants:
    """Load and validate the robot constants file (default: the package's own)."""
    path = Path(path) if path is not None else default_path()
    if path is None or not path.is_file():
        raise RobotConstantsError(
            f'robot constants file not found at {path}; set {ENV_VAR} or reinstall '
            'ar4_description')
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise RobotConstantsError(f'{path}: not valid YAML: {error}') from None
    return parse_robot_constants(data, source=str(path))


@functools.lru_cache(maxsize=1)
def robot_constants() -> RobotConstants:
    """Return the package's robot constants, loaded once per process."""
    return load_robot_constants()
