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
Map an Xbox controller state to MoveIt Servo commands, gripper targets and episode events.

The functional core of the teleop node: pure Python (no rclpy, no ``inputs``). A
``GamepadMapping`` is loaded from YAML and validated up front; a ``TeleopMapper`` turns one
``GamepadState`` per tick into a ``TeleopTick``: a Cartesian twist or a joint jog (scaled by the
speed scale), the gripper target when it changes, and edge-triggered events (arm, save,
discard, home), which the node forwards to the recorder on /episode_control.
"""

from dataclasses import dataclass, field
import math
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple, Union

from ar4_description.package_files import find_package_file
from ar4_description.robot_constants import robot_constants, RobotConstants
import yaml

MAPPING_FILE_NAME = 'gamepad_mapping.yaml'
ENV_VAR = 'AR4_GAMEPAD_MAPPING'

STICKS = (('left_x', 'left_y'), ('right_x', 'right_y'))
STICK_AXES = tuple(name for stick in STICKS for name in stick)
TRIGGERS = ('left_trigger', 'right_trigger')
DPAD = ('dpad_x', 'dpad_y')
AXES = STICK_AXES + TRIGGERS + DPAD
BUTTONS = ('a', 'b', 'x', 'y', 'left_bumper', 'right_bumper', 'back', 'start', 'guide',
           'left_stick', 'right_stick')
CONTROLS = AXES + BUTTONS
TWIST_FIELDS = ('linear_x', 'linear_y', 'linear_z', 'angular_x', 'angular_y', 'angular_z')
BUTTON_ACTIONS = ('gripper_open', 'arm', 'save', 'discard', 'home')
KEY_ACTIONS = ('home', 'arm', 'save', 'discard', 'gripper_toggle')
# Edge-triggered actions, forwarded as these words on /episode_control (the recorder's events).
EVENTS = ('arm', 'save', 'discard', 'home')

CONTROL_LABELS = {
    'left_x': 'left stick X', 'left_y': 'left stick Y',
    'right_x': 'right stick X', 'right_y': 'right stick Y',
    'left_trigger': 'LT', 'right_trigger': 'RT', 'dpad_x': 'D-pad X', 'dpad_y': 'D-pad Y',
    'a': 'A', 'b': 'B', 'x': 'X', 'y': 'Y', 'left_bumper': 'LB', 'right_bumper': 'RB',
    'back': 'Back', 'start': 'Start', 'guide': 'Guide', 'left_stick': 'left stick click',
    'right_stick': 'right stick click',
}
TWIST_LABELS = {
    'linear_x': 'linear x', 'linear_y': 'linear y', 'linear_z': 'linear z',
    'angular_x': 'angular x', 'angular_y': 'angular y', 'angular_z': 'angular z',
}
ACTION_LABELS = {
    'gripper_open': 'hold: gripper open; release: gripper closed',
    'gripper_toggle': 'toggle the gripper open / closed',
    'arm': 'arm: start recording an episode (recorder)',
    'save': 'save the episode (recorder)',
    'discard': 'discard the episode (recorder)',
    'home': 'go home (through the recorder when one is running)',
}


class MappingError(ValueError):
    """A gamepad mapping file or teleop setting is invalid; the message names the bad entry."""


@dataclass(frozen=True)
class GamepadState:
    """
    One snapshot of the controller.

    Sticks and the D-pad are in [-1, 1] with + meaning pushed right or up; triggers are in
    [0, 1]; ``pressed`` holds the names of the buttons held down.
    """

    left_x: float = 0.0
    left_y: float = 0.0
    right_x: float = 0.0
    right_y: float = 0.0
    left_trigger: float = 0.0
    right_trigger: float = 0.0
    dpad_x: float = 0.0
    dpad_y: float = 0.0
    pressed: FrozenSet[str] = frozenset()

    def __post_init__(self):
        """Reject out-of-range axes and unknown buttons."""
        for name in AXES:
            value = getattr(self, name)
            low = 0.0 if name in TRIGGERS else -1.0
            if not (isinstance(value, (int, float)) and low <= value <= 1.0):
                raise ValueError(f'GamepadState.{name} must be in [{low}, 1], got {value!r}')
        unknown = sorted(set(self.pressed) - set(BUTTONS))
        if unknown:
            raise ValueError(f'GamepadState.pressed: unknown buttons {unknown}; known: {BUTTONS}')
        object.__setattr__(self, 'pressed', frozenset(self.pressed))

    def value(self, control: str) -> float:
        """Return an axis value, or 1.0 / 0.0 for a pressed / released button."""
        if control in BUTTONS:
            return 1.0 if control in self.pressed else 0.0
        return float(getattr(self, control))

    @property
    def is_neutral(self) -> bool:
        """Return True when no axis is deflected and no button is held."""
        return not self.pressed and all(getattr(self, name) == 0.0 for name in AXES)


@dataclass(frozen=True)
class Binding:
    """One command channel: ``scale * (value(positive) - value(negative))``."""

    positive: Optional[str]
    negative: Optional[str]
    scale: float = 1.0

    def read(self, state: GamepadState) -> float:
        """Return the binding's value for a (conditioned) state, in [-1, 1]."""
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


@dataclass(frozen=True)
class AxisCodec:
    """How one raw ``inputs`` axis code becomes a control value."""

    control: str
    minimum: float
    maximum: Optional[float]  # None: 'auto' (255, widening to 1023)
    invert: bool = False


@dataclass(frozen=True)
class DeviceConfig:
    """Event code tables for decoding ``inputs`` events into a GamepadState."""

    axes: Mapping[str, AxisCodec]
    buttons: Mapping[str, str]


@dataclass(frozen=True)
class GamepadMapping:
    """A validated mapping: motion bindings per mode, button and key actions, device codes."""

    joint_jog: Mapping[str, Binding]
    twist: Mapping[str, Binding]
    max_linear_speed: float
    max_angular_speed: float
    buttons: Mapping[str, str]
    keyboard: Mapping[str, str]
    device: DeviceConfig
    source: str = '<memory>'


@dataclass(frozen=True)
class TeleopSettings:
    """Runtime settings (teleop_node parameters)."""

    speed_scale: float = 0.35
    joint_jog: bool = False
    deadzone: float = 0.1
    dominant_axis: bool = True

    def __post_init__(self):
        """Check the ranges the node parameters also declare."""
        if not (isinstance(self.speed_scale, (int, float)) and 0.0 < self.speed_scale <= 1.0):
            raise MappingError(f'speed_scale must be in (0, 1], got {self.speed_scale!r}')
        if not (isinstance(self.deadzone, (int, float)) and 0.0 <= self.deadzone < 1.0):
            raise MappingError(f'deadzone must be in [0, 1), got {self.deadzone!r}')


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


@dataclass(frozen=True)
class TeleopTick:
    """What one tick asks for: a motion command, maybe a gripper target, maybe events."""

    command: Union[TwistCommand, JointJogCommand]
    gripper_target: Optional[float] = None
    events: Tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------------
# Loading and validation

def default_mapping_path() -> Path:
    """Find the mapping: $AR4_GAMEPAD_MAPPING, the source tree, then the share."""
    return find_package_file('ar4_teleop', Path('config') / MAPPING_FILE_NAME, __file__,
                             ENV_VAR)


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MappingError(f'{where}: expected a number, got {value!r}')
    value = float(value)
    if not math.isfinite(value):
        raise MappingError(f'{where}: expected a finite number, got {value!r}')
    return value


def _table(data, key: str, where: str, required: bool = True) -> dict:
    if key not in data:
        if required:
            raise MappingError(f'{where}: missing section {key!r}')
        return {}
    table = data[key]
    if not isinstance(table, dict):
        raise MappingError(f'{where}{key}: expected a mapping, got {type(table).__name__}')
    return table


def _unknown_keys(table: dict, allowed: Iterable[str], where: str, what: str):
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise MappingError(
                f'{where}.{key}: unknown {what} {key!r}; expected one of: {", ".join(allowed)}')


def _control(value, where: str, allowed: Iterable[str] = CONTROLS) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise MappingError(
            f'{where}: unknown control {value!r}; expected one of: {", ".join(allowed)}')
    return value


def _binding(value, where: str) -> Binding:
    if isinstance(value, str):
        return Binding(positive=_control(value, where), negative=None)
    if not isinstance(value, dict):
        raise MappingError(
            f'{where}: expected a control name or a mapping with axis / positive / negative, '
            f'got {value!r}')
    _unknown_keys(value, ('axis', 'positive', 'negative', 'scale'), where, 'key')
    if 'axis' in value and ('positive' in value or 'negative' in value):
        raise MappingError(f'{where}: use either axis or positive / negative, not both')
    if 'axis' in value:
        positive, negative = _control(value['axis'], f'{where}.axis'), None
    else:
        if 'positive' not in value and 'negative' not in value:
            raise MappingError(f'{where}: needs axis, positive or negative')
        positive = (_control(value['positive'], f'{where}.positive')
                    if 'positive' in value else None)
        negative = (_control(value['negative'], f'{where}.negative')
                    if 'negative' in value else None)
        if positive is not None and positive == negative:
            raise MappingError(f'{where}: positive and negative are both {positive!r}')
    scale = _number(value.get('scale', 1.0), f'{where}.scale')
    if scale == 0.0 or abs(scale) > 1.0:
        raise MappingError(f'{where}.scale: expected a non-zero number in [-1, 1], got {scale}')
    return Binding(positive=positive, negative=negative, scale=scale)


def _bindings(table: dict, allowed: Tuple[str, ...], where: str) -> Dict[str, Binding]:
    _unknown_keys(table, allowed, where, 'joint' if where == 'joint_jog' else 'twist field')
    if not table:
        raise MappingError(f'{where}: binds nothing; expected some of: {", ".join(allowed)}')
    bindings = {name: _binding(table[name], f'{where}.{name}')
                for name in allowed if name in table}
    return bindings


def _device(table: dict) -> DeviceConfig:
    _unknown_keys(table, ('axes', 'buttons'), 'device', 'key')
    axes_table = _table(table, 'axes', 'device.')
    buttons_table = _table(table, 'buttons', 'device.')
    axes = {}
    for code, spec in axes_table.items():
        where = f'device.axes.{code}'
        if not isinstance(code, str) or not code.startswith('ABS_'):
            raise MappingError(f'{where}: expected an absolute-axis event code such as ABS_X')
        if not isinstance(spec, dict):
            raise MappingError(f'{where}: expected a mapping with control, min, max')
        _unknown_keys(spec, ('control', 'min', 'max', 'invert'), where, 'key')
        for key in ('control', 'min', 'max'):
            if key not in spec:
                raise MappingError(f'{where}: missing key {key!r}')
        control = _control(spec['control'], f'{where}.control', AXES)
        minimum = _number(spec['min'], f'{where}.min')
        if spec['max'] == 'auto':
            if control not in TRIGGERS or minimum != 0.0:
                raise MappingError(f'{where}.max: auto is only for triggers with min 0')
            maximum = None
        else:
            maximum = _number(spec['max'], f'{where}.max')
            if not minimum < maximum:
                raise MappingError(f'{where}: min {minimum} must be below max {maximum}')
            if control not in TRIGGERS and not minimum < 0.0 < maximum:
                raise MappingError(f'{where}: a centred axis needs min < 0 < max')
        invert = spec.get('invert', False)
        if not isinstance(invert, bool):
            raise MappingError(f'{where}.invert: expected true or false, got {invert!r}')
        axes[code] = AxisCodec(control=control, minimum=minimum, maximum=maximum, invert=invert)
    buttons = {}
    for code, control in buttons_table.items():
        where = f'device.buttons.{code}'
        if not isinstance(code, str) or not code.startswith('BTN_'):
            raise MappingError(f'{where}: expected a button event code such as BTN_SOUTH')
        buttons[code] = _control(control, where, BUTTONS)
    return DeviceConfig(axes=axes, buttons=buttons)


def parse_mapping(data, source: str = '<memory>',
                  constants: Optional[RobotConstants] = None) -> GamepadMapping:
    """Validate a loaded YAML mapping and build a GamepadMapping; raise MappingError."""
    constants = constants or robot_constants()
    try:
        if not isinstance(data, dict):
            raise MappingError('expected a mapping at the top level')
        _unknown_keys(data, ('joint_jog', 'twist', 'max_speed', 'buttons', 'keyboard',
                             'device'), '<top>', 'section')
        joint_jog = _bindings(_table(data, 'joint_jog', ''), constants.joint_names, 'joint_jog')
        twist = _bindings(_table(data, 'twist', ''), TWIST_FIELDS, 'twist')

        speeds = _table(data, 'max_speed', '')
        _unknown_keys(speeds, ('linear', 'angular'), 'max_speed', 'key')
        limits = {}
        for key in ('linear', 'angular'):
            if key not in speeds:
                raise MappingError(f'max_speed: missing key {key!r}')
            limits[key] = _number(speeds[key], f'max_speed.{key}')
            if limits[key] <= 0.0:
                raise MappingError(f'max_speed.{key}: must be positive, got {limits[key]}')

        buttons_table = _table(data, 'buttons', '')
        _unknown_keys(buttons_table, BUTTON_ACTIONS, 'buttons', 'action')
        buttons = {}
        for action in BUTTON_ACTIONS:
            if action not in buttons_table:
                raise MappingError(f'buttons: missing action {action!r}')
            buttons[action] = _control(buttons_table[action], f'buttons.{action}', BUTTONS)
        _check_button_conflicts(buttons, {'joint_jog': joint_jog, 'twist': twist})

        keys_table = _table(data, 'keyboard', '', required=False)
        _unknown_keys(keys_table, KEY_ACTIONS, 'keyboard', 'action')
        keyboard = {}
        for action, key in keys_table.items():
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

        device = _device(_table(data, 'device', ''))
    except MappingError as error:
        raise MappingError(f'{source}: {error}') from None
    return GamepadMapping(joint_jog=joint_jog, twist=twist, max_linear_speed=limits['linear'],
                          max_angular_speed=limits['angular'], buttons=buttons,
                          keyboard=keyboard, device=device, source=source)


def _check_button_conflicts(buttons: Dict[str, str], modes: Dict[str, Dict[str, Binding]]):
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


def load_mapping(path: Optional[Union[str, Path]] = None,
                 constants: Optional[RobotConstants] = None) -> GamepadMapping:
    """Load and validate a mapping file (default: the package's gamepad_mapping.yaml)."""
    path = Path(path) if path else default_mapping_path()
    if not path.is_file():
        raise MappingError(f'gamepad mapping file not found at {path}; pass an existing YAML '
                           f'file or set {ENV_VAR}')
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise MappingError(f'{path}: not valid YAML: {error}') from None
    return parse_mapping(data, source=str(path), constants=constants)


# ---------------------------------------------------------------------------------------------
# Conditioning and mapping

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


def condition_state(state: GamepadState, settings: TeleopSettings) -> GamepadState:
    """Apply the deadzone to sticks and triggers, then keep each stick's dominant axis."""
    values = {name: getattr(state, name) for name in AXES}
    for name in STICK_AXES + TRIGGERS:
        values[name] = apply_deadzone(values[name], settings.deadzone)
    if settings.dominant_axis:
        for x_name, y_name in STICKS:
            # A tie keeps X: deterministic, and a perfect diagonal is rare after the deadzone.
            if abs(values[x_name]) >= abs(values[y_name]):
                values[y_name] = 0.0
            else:
                values[x_name] = 0.0
    return GamepadState(pressed=state.pressed, **values)


class TeleopMapper:
    """Turn one GamepadState (and typed keys) per tick into a TeleopTick; keeps edge state."""

    def __init__(self, mapping: GamepadMapping, settings: TeleopSettings = TeleopSettings(),
                 constants: Optional[RobotConstants] = None):
        """Bind a validated mapping to the settings and the robot constants."""
        self.mapping = mapping
        self.settings = settings
        self.constants = constants or robot_constants()
        self._velocity = dict(zip(self.constants.joint_names, self.constants.velocity_limits))
        self._previous = frozenset()
        self._gripper_open = False
        self._gripper_sent: Optional[float] = None
        self._key_actions = {key: action for action, key in mapping.keyboard.items()}

    @property
    def gripper_target(self) -> float:
        """Return the current gripper target (metres per jaw)."""
        gripper = self.constants.gripper
        return gripper.open if self._gripper_open else gripper.closed

    def command(self, state: GamepadState) -> Union[TwistCommand, JointJogCommand]:
        """Return the motion command for a state (zero when nothing is deflected)."""
        conditioned = condition_state(state, self.settings)
        scale = self.settings.speed_scale
        if self.settings.joint_jog:
            names = self.constants.joint_names
            velocities = []
            for name in names:
                binding = self.mapping.joint_jog.get(name)
                value = binding.read(conditioned) if binding else 0.0
                velocities.append(_clean(value * scale * self._velocity[name]))
            return JointJogCommand(joint_names=names, velocities=tuple(velocities))
        values = {}
        for name in TWIST_FIELDS:
            binding = self.mapping.twist.get(name)
            value = binding.read(conditioned) if binding else 0.0
            limit = (self.mapping.max_linear_speed if name.startswith('linear')
                     else self.mapping.max_angular_speed)
            values[name] = _clean(value * scale * limit)
        return TwistCommand(
            linear=(values['linear_x'], values['linear_y'], values['linear_z']),
            angular=(values['angular_x'], values['angular_y'], values['angular_z']))

    def update(self, state: GamepadState, keys: Iterable[str] = ()) -> TeleopTick:
        """Advance one tick: command, gripper target if it changed (or first tick), events."""
        pressed = state.pressed
        newly_pressed = pressed - self._previous
        released = self._previous - pressed
        self._previous = pressed
        buttons = self.mapping.buttons
        events: List[str] = []
        if buttons['gripper_open'] in newly_pressed:
            self._gripper_open = True
        elif buttons['gripper_open'] in released:
            self._gripper_open = False
        for event in EVENTS:
            if buttons[event] in newly_pressed:
                events.append(event)
        for key in keys:
            action = self._key_actions.get(str(key).lower())
            if action == 'gripper_toggle':
                self._gripper_open = not self._gripper_open
            elif action is not None:
                events.append(action)
        target = self.gripper_target
        changed = target != self._gripper_sent
        self._gripper_sent = target
        return TeleopTick(command=self.command(state),
                          gripper_target=target if changed else None, events=tuple(events))


def _clean(value: float) -> float:
    # -0.0 would print oddly and compare equal anyway; keep plain zeros in messages.
    return 0.0 if value == 0.0 else float(value)


# ---------------------------------------------------------------------------------------------
# Control map

def _describe(binding: Binding, control: str, target: str) -> str:
    sign = 1.0 if control == binding.positive else -1.0
    sign *= binding.scale
    direction = '+' if sign > 0 else '-'
    magnitude = '' if abs(binding.scale) == 1.0 else f' x{abs(binding.scale):g}'
    return f'{target} {direction}{magnitude}'


def _motion_column(bindings: Mapping[str, Binding], labels: Mapping[str, str]) -> Dict[str, str]:
    column: Dict[str, List[str]] = {}
    for target, binding in bindings.items():
        for control in binding.controls:
            column.setdefault(control, []).append(
                _describe(binding, control, labels.get(target, target)))
    return {control: ', '.join(items) for control, items in column.items()}


def control_map_rows(mapping: GamepadMapping) -> List[Tuple[str, str, str]]:
    """Return (control, Cartesian twist, joint jog) rows for the motion controls."""
    twist = _motion_column(mapping.twist, TWIST_LABELS)
    jog = _motion_column(mapping.joint_jog, {})
    return [(CONTROL_LABELS[control], twist.get(control, '-'), jog.get(control, '-'))
            for control in CONTROLS if control in twist or control in jog]


def action_rows(mapping: GamepadMapping) -> List[Tuple[str, str]]:
    """Return (button or key, action) rows; actions work the same in both modes."""
    rows = []
    for action in BUTTON_ACTIONS:
        label = CONTROL_LABELS[mapping.buttons[action]]
        rows.append((label + (' (hold)' if action == 'gripper_open' else ''),
                     ACTION_LABELS[action]))
    for action in KEY_ACTIONS:
        if action in mapping.keyboard:
            rows.append((f'key {mapping.keyboard[action]}', ACTION_LABELS[action]))
    return rows


def _markdown_table(header: Tuple[str, ...], rows: List[Tuple[str, ...]]) -> List[str]:
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]

    def line(cells):
        return '| ' + ' | '.join(c.ljust(w) for c, w in zip(cells, widths)) + ' |'

    return [line(header), '| ' + ' | '.join('-' * w for w in widths) + ' |'] + [
        line(row) for row in rows]


def render_control_map(mapping: GamepadMapping,
                       settings: Optional[TeleopSettings] = None,
                       frame_id: str = 'base_link') -> str:
    """
    Render the control map as Markdown tables (printed by the node, quoted in the README).

    A sign is the direction commanded when a stick is pushed right or up, or a trigger or button
    is pressed. The active mode is marked when settings are given.
    """
    twist_title = f'Cartesian twist in {frame_id} (default)'
    jog_title = 'Joint jog (joint_jog: true)'
    if settings is not None:
        if settings.joint_jog:
            jog_title += ' [active]'
        else:
            twist_title += ' [active]'
    lines = _markdown_table(('Control', twist_title, jog_title), control_map_rows(mapping))
    lines.append('')
    lines.extend(_markdown_table(('Button / key', 'Action (both modes)'), action_rows(mapping)))
    lines.append('')
    lines.append('Signs: the direction commanded with a stick pushed right / up or a trigger / '
                 'button pressed.')
    if settings is not None:
        lines.append(
            f'speed_scale {settings.speed_scale:g}, deadzone {settings.deadzone:g}, '
            f'dominant axis {"on" if settings.dominant_axis else "off"}.')
    return '\n'.join(lines)
