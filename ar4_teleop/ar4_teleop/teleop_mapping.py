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
What every teleop input device shares: settings, commands, bindings and the mapping file checks.

The Xbox controller (``ar4_teleop.gamepad``) and the 3Dconnexion SpaceMouse
(``ar4_teleop.spacemouse``) each have their own state, controls and mapping file. Both bind
their controls to the same Servo commands in the same way: a ``Binding`` per twist field or
joint, full deflection commanding ``speed_scale`` times the maximum speed (``motion_command``),
the terminal keys of the same ``keyboard`` section, and one gripper target. Pure Python: no
rclpy and no device library.
"""

from dataclasses import dataclass, field
import math
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ar4_description.robot_constants import robot_constants, RobotConstants
import yaml

TWIST_FIELDS = ('linear_x', 'linear_y', 'linear_z', 'angular_x', 'angular_y', 'angular_z')
TWIST_LABELS = {
    'linear_x': 'linear x', 'linear_y': 'linear y', 'linear_z': 'linear z',
    'angular_x': 'angular x', 'angular_y': 'angular y', 'angular_z': 'angular z',
}
KEY_ACTIONS = ('home', 'arm', 'save', 'discard', 'gripper_toggle')
# Edge-triggered actions, forwarded as these words on /episode_control (the recorder's events).
EVENTS = ('arm', 'save', 'discard', 'home')
KEY_ACTION_LABELS = {
    'gripper_toggle': 'toggle the gripper open / closed',
    'arm': 'arm: start recording an episode (recorder)',
    'save': 'save the episode (recorder)',
    'discard': 'discard the episode (recorder)',
    'home': 'go home (through the recorder when one is running)',
}


class MappingError(ValueError):
    """A mapping file or teleop setting is invalid; the message names the bad entry."""


@dataclass(frozen=True)
class TeleopSettings:
    """
    Runtime settings (teleop_node parameters).

    ``translation_scale`` and ``rotation_scale`` scale the SpaceMouse's push / pull and tilt /
    twist axes (0 locks that group); the gamepad does not read them.
    """

    speed_scale: float = 0.35
    joint_jog: bool = False
    deadzone: float = 0.1
    dominant_axis: bool = True
    translation_scale: float = 1.0
    rotation_scale: float = 1.0

    def __post_init__(self):
        """Check the ranges the node parameters also declare."""
        if not (_is_number(self.speed_scale) and 0.0 < self.speed_scale <= 1.0):
            raise MappingError(f'speed_scale must be in (0, 1], got {self.speed_scale!r}')
        if not (_is_number(self.deadzone) and 0.0 <= self.deadzone < 1.0):
            raise MappingError(f'deadzone must be in [0, 1), got {self.deadzone!r}')
        for name in ('translation_scale', 'rotation_scale'):
            value = getattr(self, name)
            if not (_is_number(value) and 0.0 <= value <= 1.0):
                raise MappingError(f'{name} must be in [0, 1], got {value!r}')


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class TwistCommand:
    """A Cartesian velocity: linear (m/s) and angular (rad/s) in the planning frame."""

    linear: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    angular: Tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def is_zero(self) -> bool:
        """Return True when every component is zero."""
        return not any(self.linear) and not any(self.angular)


@dataclass(frozen=True)
class JointJogCommand:
    """Joint velocities (rad/s) for the named joints, same order."""

    joint_names: Tuple[str, ...]
    velocities: Tuple[float, ...]

    @property
    def is_zero(self) -> bool:
        """Return True when every velocity is zero."""
        return not any(self.velocities)


Command = Union[TwistCommand, JointJogCommand]


@dataclass(frozen=True)
class TeleopTick:
    """What one tick asks for: a motion command, maybe a gripper target, maybe events."""

    command: Command
    gripper_target: Optional[float] = None
    events: Tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Binding:
    """One command channel: ``scale * (value(positive) - value(negative))``."""

    positive: Optional[str]
    negative: Optional[str]
    scale: float = 1.0

    def read(self, state) -> float:
        """Return the binding's value for a (conditioned) device state, in [-1, 1]."""
        value = 0.0
        if self.positive is not None:
            value += state.value(self.positive)
        if self.negative is not None:
            value -= state.value(self.negative)
        return max(-1.0, min(1.0, self.scale * value))

    @property
    def controls(self) -> Tuple[str, ...]:
        """Return the controls this binding reads."""
        return tuple(c for c in (self.positive, self.negative) if c is not None)


# ---------------------------------------------------------------------------------------------
# Loading and validation, shared by the device mappings

def load_yaml(path: Path, what: str, env_var: str):
    """Return the parsed YAML of a mapping file; MappingError when missing or not YAML."""
    if not path.is_file():
        raise MappingError(f'{what} mapping file not found at {path}; pass an existing YAML '
                           f'file or set {env_var}')
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise MappingError(f'{path}: not valid YAML: {error}') from None


def parse_number(value, where: str) -> float:
    """Return ``value`` as a finite float; MappingError naming ``where`` otherwise."""
    if not _is_number(value):
        raise MappingError(f'{where}: expected a number, got {value!r}')
    value = float(value)
    if not math.isfinite(value):
        raise MappingError(f'{where}: expected a finite number, got {value!r}')
    return value


def parse_section(data, key: str, where: str, required: bool = True) -> dict:
    """Return the mapping under ``key`` ({} when optional and absent); MappingError otherwise."""
    if key not in data:
        if required:
            raise MappingError(f'{where}: missing section {key!r}')
        return {}
    section = data[key]
    if not isinstance(section, dict):
        raise MappingError(f'{where}{key}: expected a mapping, got {type(section).__name__}')
    return section


def check_keys(section: dict, allowed: Iterable[str], where: str, what: str):
    """Raise MappingError for the first key of ``section`` that is not in ``allowed``."""
    allowed = tuple(allowed)
    for key in section:
        if key not in allowed:
            raise MappingError(
                f'{where}.{key}: unknown {what} {key!r}; expected one of: {", ".join(allowed)}')


def parse_control(value, where: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it names one of the ``allowed`` controls; MappingError otherwise."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise MappingError(
            f'{where}: unknown control {value!r}; expected one of: {", ".join(allowed)}')
    return value


def parse_binding(value, where: str, controls: Iterable[str]) -> Binding:
    """Parse ``control`` or ``{axis | positive / negative, scale}`` into a Binding."""
    controls = tuple(controls)
    if isinstance(value, str):
        return Binding(positive=parse_control(value, where, controls), negative=None)
    if not isinstance(value, dict):
        raise MappingError(
            f'{where}: expected a control name or a mapping with axis / positive / negative, '
            f'got {value!r}')
    check_keys(value, ('axis', 'positive', 'negative', 'scale'), where, 'key')
    if 'axis' in value and ('positive' in value or 'negative' in value):
        raise MappingError(f'{where}: use either axis or positive / negative, not both')
    if 'axis' in value:
        positive, negative = parse_control(value['axis'], f'{where}.axis', controls), None
    else:
        if 'positive' not in value and 'negative' not in value:
            raise MappingError(f'{where}: needs axis, positive or negative')
        positive = (parse_control(value['positive'], f'{where}.positive', controls)
                    if 'positive' in value else None)
        negative = (parse_control(value['negative'], f'{where}.negative', controls)
                    if 'negative' in value else None)
        if positive is not None and positive == negative:
            raise MappingError(f'{where}: positive and negative are both {positive!r}')
    scale = parse_number(value.get('scale', 1.0), f'{where}.scale')
    if scale == 0.0 or abs(scale) > 1.0:
        raise MappingError(f'{where}.scale: expected a non-zero number in [-1, 1], got {scale}')
    return Binding(positive=positive, negative=negative, scale=scale)


def parse_bindings(section: dict, targets: Tuple[str, ...], where: str,
                   controls: Iterable[str]) -> Dict[str, Binding]:
    """Parse a twist or joint_jog section: each target (field or joint) to one Binding."""
    check_keys(section, targets, where, 'joint' if where == 'joint_jog' else 'twist field')
    if not section:
        raise MappingError(f'{where}: binds nothing; expected some of: {", ".join(targets)}')
    return {name: parse_binding(section[name], f'{where}.{name}', controls)
            for name in targets if name in section}


def parse_max_speed(data: dict) -> Tuple[float, float]:
    """Return (linear m/s, angular rad/s) of the max_speed section, both positive."""
    speeds = parse_section(data, 'max_speed', '')
    check_keys(speeds, ('linear', 'angular'), 'max_speed', 'key')
    limits = []
    for key in ('linear', 'angular'):
        if key not in speeds:
            raise MappingError(f'max_speed: missing key {key!r}')
        limit = parse_number(speeds[key], f'max_speed.{key}')
        if limit <= 0.0:
            raise MappingError(f'max_speed.{key}: must be positive, got {limit}')
        limits.append(limit)
    return limits[0], limits[1]


#: The sections of every device's mapping file.
MAPPING_SECTIONS = ('joint_jog', 'twist', 'max_speed', 'buttons', 'keyboard', 'device')


def parse_motion(data, joint_names: Tuple[str, ...], controls: Tuple[str, ...]):
    """
    Check a mapping file's top level and parse its motion part.

    Return (joint_jog bindings, twist bindings, max linear speed, max angular speed); raise
    MappingError naming the bad entry.
    """
    if not isinstance(data, dict):
        raise MappingError('expected a mapping at the top level')
    check_keys(data, MAPPING_SECTIONS, '<top>', 'section')
    joint_jog = parse_bindings(parse_section(data, 'joint_jog', ''), joint_names, 'joint_jog',
                               controls)
    twist = parse_bindings(parse_section(data, 'twist', ''), TWIST_FIELDS, 'twist', controls)
    max_linear, max_angular = parse_max_speed(data)
    return joint_jog, twist, max_linear, max_angular


def parse_buttons(data: dict, required: Tuple[str, ...], optional: Tuple[str, ...],
                  buttons: Tuple[str, ...]) -> Dict[str, str]:
    """Return action -> button from the buttons section: every required action, optional ones."""
    section = parse_section(data, 'buttons', '')
    check_keys(section, required + optional, 'buttons', 'action')
    bound = {}
    for action in required + optional:
        if action not in section:
            if action in optional:
                continue
            raise MappingError(f'buttons: missing action {action!r}')
        bound[action] = parse_control(section[action], f'buttons.{action}', buttons)
    return bound


def parse_keyboard(data: dict) -> Dict[str, str]:
    """Return the optional keyboard section: action -> one lower-case character, each unique."""
    section = parse_section(data, 'keyboard', '', required=False)
    check_keys(section, KEY_ACTIONS, 'keyboard', 'action')
    keyboard = {}
    for action, key in section.items():
        if not isinstance(key, str) or len(key) != 1 or not key.isprintable():
            raise MappingError(f'keyboard.{action}: expected one printable character, '
                               f'got {key!r}')
        keyboard[action] = key.lower()
    taken = {}
    for action, key in keyboard.items():
        if key in taken:
            raise MappingError(f'keyboard.{action}: key {key!r} is already used by '
                               f'keyboard.{taken[key]}')
        taken[key] = action
    return keyboard


def check_button_conflicts(buttons: Mapping[str, str],
                           modes: Mapping[str, Mapping[str, Binding]]):
    """Raise MappingError when two actions share a button or a button also moves the arm."""
    seen = {}
    for action, button in buttons.items():
        if button in seen:
            raise MappingError(f'buttons.{action}: button {button!r} is already used by '
                               f'buttons.{seen[button]}')
        seen[button] = action
        for mode, bindings in modes.items():
            for target, binding in bindings.items():
                if button in binding.controls:
                    raise MappingError(f'buttons.{action}: button {button!r} also moves the '
                                       f'arm ({mode}.{target})')


# ---------------------------------------------------------------------------------------------
# Mapping

def apply_deadzone(value: float, deadzone: float) -> float:
    """
    Zero ``value`` inside the deadzone and rescale the rest.

    The output is continuous: it rises from 0 at the deadzone edge to +-1 at full deflection.
    """
    magnitude = abs(value)
    if magnitude <= deadzone:
        return 0.0
    scaled = min(1.0, (magnitude - deadzone) / (1.0 - deadzone))
    return math.copysign(scaled, value)


def motion_command(conditioned, mapping, settings: TeleopSettings,
                   constants: RobotConstants) -> Command:
    """
    Return the Servo command a conditioned device state asks for (zero when at rest).

    ``mapping`` has ``twist`` and ``joint_jog`` bindings and ``max_linear_speed`` /
    ``max_angular_speed``; full deflection is ``speed_scale`` times the joint's velocity limit
    (joint jog) or the maximum speed (twist).
    """
    scale = settings.speed_scale
    if settings.joint_jog:
        velocities = []
        for name, limit in zip(constants.joint_names, constants.velocity_limits):
            binding = mapping.joint_jog.get(name)
            value = binding.read(conditioned) if binding else 0.0
            velocities.append(_clean(value * scale * limit))
        return JointJogCommand(joint_names=tuple(constants.joint_names),
                               velocities=tuple(velocities))
    values = {}
    for name in TWIST_FIELDS:
        binding = mapping.twist.get(name)
        value = binding.read(conditioned) if binding else 0.0
        limit = (mapping.max_linear_speed if name.startswith('linear')
                 else mapping.max_angular_speed)
        values[name] = _clean(value * scale * limit)
    return TwistCommand(
        linear=(values['linear_x'], values['linear_y'], values['linear_z']),
        angular=(values['angular_x'], values['angular_y'], values['angular_z']))


def _clean(value: float) -> float:
    # -0.0 would print oddly and compare equal anyway; keep plain zeros in messages.
    return 0.0 if value == 0.0 else float(value)


class GripperTarget:
    """The gripper target (open or closed) and whether it changed since it was last sent."""

    def __init__(self, constants: RobotConstants):
        """Start closed, with nothing sent yet (the first tick announces the target)."""
        self._gripper = constants.gripper
        self.is_open = False
        self._sent: Optional[float] = None

    @property
    def target(self) -> float:
        """Return the open or closed jaw position, metres per jaw."""
        return self._gripper.open if self.is_open else self._gripper.closed

    def take_change(self) -> Optional[float]:
        """Return the target if it differs from the one last returned, else None."""
        target = self.target
        changed = target != self._sent
        self._sent = target
        return target if changed else None


def apply_keys(keys: Iterable[str], key_actions: Mapping[str, str],
               gripper: GripperTarget) -> List[str]:
    """Apply typed keys: toggle the gripper, return the events the other keys ask for."""
    events = []
    for key in keys:
        action = key_actions.get(str(key).lower())
        if action == 'gripper_toggle':
            gripper.is_open = not gripper.is_open
        elif action is not None:
            events.append(action)
    return events


@dataclass(frozen=True)
class MotionMapping:
    """What every device's validated mapping holds: bindings per mode, speeds, buttons, keys."""

    joint_jog: Mapping[str, Binding]
    twist: Mapping[str, Binding]
    max_linear_speed: float
    max_angular_speed: float
    buttons: Mapping[str, str]
    keyboard: Mapping[str, str]


class DeviceMapper:
    """
    What the gamepad's and the SpaceMouse's mappers share: settings, gripper, keys, the command.

    A subclass names its state's conditioning (``condition``: deadzone, scales, dominant axis),
    its neutral state and its control map, and implements ``update`` for its buttons.
    """

    def __init__(self, mapping, settings: TeleopSettings = TeleopSettings(),
                 constants: Optional[RobotConstants] = None):
        """Bind a validated mapping to the settings and the robot constants."""
        self.mapping = mapping
        self.settings = settings
        self.constants = constants or robot_constants()
        self._previous = frozenset()
        self._gripper = GripperTarget(self.constants)
        self._key_actions = {key: action for action, key in mapping.keyboard.items()}

    @staticmethod
    def condition(state, settings: TeleopSettings):
        """Return the state after the deadzone, scales and dominant axis (per device)."""
        raise NotImplementedError

    @property
    def gripper_target(self) -> float:
        """Return the current gripper target (metres per jaw)."""
        return self._gripper.target

    def command(self, state) -> Command:
        """Return the motion command for a state (zero when nothing is deflected)."""
        return motion_command(self.condition(state, self.settings), self.mapping,
                              self.settings, self.constants)

    def tick(self, state, events: List[str], keys: Iterable[str]) -> 'TeleopTick':
        """Return this tick's output: the command, a changed gripper target, the events."""
        events = list(events) + apply_keys(keys, self._key_actions, self._gripper)
        return TeleopTick(command=self.command(state), gripper_target=self._gripper.take_change(),
                          events=tuple(events))


# ---------------------------------------------------------------------------------------------
# Control map tables

def motion_column(bindings: Mapping[str, Binding], labels: Mapping[str, str]) -> Dict[str, str]:
    """Return control -> 'target sign' text for one mode's bindings (e.g. 'linear x -')."""
    column: Dict[str, List[str]] = {}
    for target, binding in bindings.items():
        for control in binding.controls:
            column.setdefault(control, []).append(
                _describe(binding, control, labels.get(target, target)))
    return {control: ', '.join(items) for control, items in column.items()}


def motion_rows(mapping: MotionMapping, labels: Mapping[str, str],
                controls: Iterable[str]) -> List[Tuple[str, str, str]]:
    """Return (control label, Cartesian twist, joint jog) rows for the bound motion controls."""
    twist = motion_column(mapping.twist, TWIST_LABELS)
    jog = motion_column(mapping.joint_jog, {})
    return [(labels[control], twist.get(control, '-'), jog.get(control, '-'))
            for control in controls if control in twist or control in jog]


def _describe(binding: Binding, control: str, target: str) -> str:
    sign = 1.0 if control == binding.positive else -1.0
    sign *= binding.scale
    direction = '+' if sign > 0 else '-'
    magnitude = '' if abs(binding.scale) == 1.0 else f' x{abs(binding.scale):g}'
    return f'{target} {direction}{magnitude}'


def key_rows(keyboard: Mapping[str, str]) -> List[Tuple[str, str]]:
    """Return (key, action) rows for the terminal keys, in KEY_ACTIONS order."""
    return [(f'key {keyboard[action]}', KEY_ACTION_LABELS[action])
            for action in KEY_ACTIONS if action in keyboard]


def markdown_table(header: Tuple[str, ...], rows: List[Tuple[str, ...]]) -> List[str]:
    """Return the lines of a Markdown table with padded columns."""
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]

    def line(cells):
        return '| ' + ' | '.join(c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    return [line(header), '| ' + ' | '.join('-' * w for w in widths) + ' |'] + [
        line(row) for row in rows]


def mode_titles(settings: Optional[TeleopSettings], frame_id: str) -> Tuple[str, str]:
    """Return the twist and joint-jog column titles, the active mode marked."""
    twist_title = f'Cartesian twist in {frame_id} (default)'
    jog_title = 'Joint jog (joint_jog: true)'
    if settings is not None:
        if settings.joint_jog:
            jog_title += ' [active]'
        else:
            twist_title += ' [active]'
    return twist_title, jog_title
