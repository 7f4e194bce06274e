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

The functional core of the teleop node for the gamepad: pure Python (no rclpy, no ``inputs``).
A ``GamepadMapping`` is loaded from YAML and validated up front; a ``TeleopMapper`` turns one
``GamepadState`` per tick into a ``TeleopTick``: a Cartesian twist or a joint jog (scaled by the
speed scale), the gripper target when it changes, and edge-triggered events (arm, save,
discard, home), which the node forwards to the recorder on /episode_control. What the gamepad
shares with the SpaceMouse (settings, commands, bindings, file checks) is in
``ar4_teleop.teleop_mapping``.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Iterable, List, Mapping, Optional, Tuple, Union

from ar4_description.package_files import find_package_file
from ar4_description.robot_constants import robot_constants, RobotConstants
from ar4_teleop.teleop_mapping import (
    apply_deadzone, check_button_conflicts, check_keys, DeviceMapper, EVENTS, KEY_ACTION_LABELS,
    key_rows, load_yaml, MappingError, markdown_table, mode_titles, motion_rows, MotionMapping,
    parse_buttons, parse_control, parse_keyboard, parse_motion, parse_number, parse_section,
    TeleopSettings, TeleopTick)

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
BUTTON_ACTIONS = ('gripper_open', 'arm', 'save', 'discard', 'home')
#: Actions a mapping may leave unbound (mapping files written before they existed stay valid):
#: marking the take a success or a failure, sent to the recorder on /episode_control.
OPTIONAL_BUTTON_ACTIONS = ('success', 'failure')

CONTROL_LABELS = {
    'left_x': 'left stick X', 'left_y': 'left stick Y',
    'right_x': 'right stick X', 'right_y': 'right stick Y',
    'left_trigger': 'LT', 'right_trigger': 'RT', 'dpad_x': 'D-pad X', 'dpad_y': 'D-pad Y',
    'a': 'A', 'b': 'B', 'x': 'X', 'y': 'Y', 'left_bumper': 'LB', 'right_bumper': 'RB',
    'back': 'Back', 'start': 'Start', 'guide': 'Guide', 'left_stick': 'left stick click',
    'right_stick': 'right stick click',
}
ACTION_LABELS = dict(KEY_ACTION_LABELS,
                     gripper_open='hold: gripper open; release: gripper closed',
                     success='mark the take a success (recorder)',
                     failure='mark the take a failure (recorder)')


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
class GamepadMapping(MotionMapping):
    """A validated mapping: motion bindings per mode, button and key actions, device codes."""

    device: DeviceConfig
    source: str = '<memory>'


# ---------------------------------------------------------------------------------------------
# Loading and validation

def default_mapping_path() -> Path:
    """Find the mapping: $AR4_GAMEPAD_MAPPING, the source tree, then the share."""
    return find_package_file('ar4_teleop', Path('config') / MAPPING_FILE_NAME, __file__,
                             ENV_VAR)


def _device(table: dict) -> DeviceConfig:
    check_keys(table, ('axes', 'buttons'), 'device', 'key')
    axes_table = parse_section(table, 'axes', 'device.')
    buttons_table = parse_section(table, 'buttons', 'device.')
    axes = {}
    for code, spec in axes_table.items():
        where = f'device.axes.{code}'
        if not isinstance(code, str) or not code.startswith('ABS_'):
            raise MappingError(f'{where}: expected an absolute-axis event code such as ABS_X')
        if not isinstance(spec, dict):
            raise MappingError(f'{where}: expected a mapping with control, min, max')
        check_keys(spec, ('control', 'min', 'max', 'invert'), where, 'key')
        for key in ('control', 'min', 'max'):
            if key not in spec:
                raise MappingError(f'{where}: missing key {key!r}')
        control = parse_control(spec['control'], f'{where}.control', AXES)
        minimum = parse_number(spec['min'], f'{where}.min')
        if spec['max'] == 'auto':
            if control not in TRIGGERS or minimum != 0.0:
                raise MappingError(f'{where}.max: auto is only for triggers with min 0')
            maximum = None
        else:
            maximum = parse_number(spec['max'], f'{where}.max')
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
        buttons[code] = parse_control(control, where, BUTTONS)
    return DeviceConfig(axes=axes, buttons=buttons)


def parse_mapping(data, source: str = '<memory>',
                  constants: Optional[RobotConstants] = None) -> GamepadMapping:
    """Validate a loaded YAML mapping and build a GamepadMapping; raise MappingError."""
    constants = constants or robot_constants()
    try:
        joint_jog, twist, max_linear, max_angular = parse_motion(data, constants.joint_names,
                                                                 CONTROLS)
        buttons = parse_buttons(data, BUTTON_ACTIONS, OPTIONAL_BUTTON_ACTIONS, BUTTONS)
        check_button_conflicts(buttons, {'joint_jog': joint_jog, 'twist': twist})
        keyboard = parse_keyboard(data)
        device = _device(parse_section(data, 'device', ''))
    except MappingError as error:
        raise MappingError(f'{source}: {error}') from None
    return GamepadMapping(joint_jog=joint_jog, twist=twist, max_linear_speed=max_linear,
                          max_angular_speed=max_angular, buttons=buttons, keyboard=keyboard,
                          device=device, source=source)


def load_mapping(path: Optional[Union[str, Path]] = None,
                 constants: Optional[RobotConstants] = None) -> GamepadMapping:
    """Load and validate a mapping file (default: the package's gamepad_mapping.yaml)."""
    path = Path(path) if path else default_mapping_path()
    return parse_mapping(load_yaml(path, 'gamepad', ENV_VAR), source=str(path),
                         constants=constants)


# ---------------------------------------------------------------------------------------------
# Conditioning and mapping

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


class TeleopMapper(DeviceMapper):
    """Turn one GamepadState (and typed keys) per tick into a TeleopTick; keeps edge state."""

    condition = staticmethod(condition_state)

    @staticmethod
    def neutral_state() -> GamepadState:
        """Return the state of a controller nobody touches (also: no controller)."""
        return GamepadState()

    def update(self, state: GamepadState, keys: Iterable[str] = ()) -> TeleopTick:
        """Advance one tick: command, gripper target if it changed (or first tick), events."""
        pressed = state.pressed
        newly_pressed = pressed - self._previous
        released = self._previous - pressed
        self._previous = pressed
        buttons = self.mapping.buttons
        if buttons['gripper_open'] in newly_pressed:
            self._gripper.is_open = True
        elif buttons['gripper_open'] in released:
            self._gripper.is_open = False
        events = [event for event in EVENTS + OPTIONAL_BUTTON_ACTIONS
                  if event in buttons and buttons[event] in newly_pressed]
        return self.tick(state, events, keys)

    def control_map(self, frame_id: str = 'base_link') -> str:
        """Return the control map for the current settings (see render_control_map)."""
        return render_control_map(self.mapping, self.settings, frame_id)


# ---------------------------------------------------------------------------------------------
# Control map

def control_map_rows(mapping: GamepadMapping) -> List[Tuple[str, str, str]]:
    """Return (control, Cartesian twist, joint jog) rows for the motion controls."""
    return motion_rows(mapping, CONTROL_LABELS, CONTROLS)


def action_rows(mapping: GamepadMapping) -> List[Tuple[str, str]]:
    """Return (button or key, action) rows; actions work the same in both modes."""
    rows = []
    for action in BUTTON_ACTIONS + OPTIONAL_BUTTON_ACTIONS:
        if action not in mapping.buttons:
            continue
        label = CONTROL_LABELS[mapping.buttons[action]]
        rows.append((label + (' (hold)' if action == 'gripper_open' else ''),
                     ACTION_LABELS[action]))
    return rows + key_rows(mapping.keyboard)


def render_control_map(mapping: GamepadMapping,
                       settings: Optional[TeleopSettings] = None,
                       frame_id: str = 'base_link') -> str:
    """
    Render the control map as Markdown tables (printed by the node, quoted in the README).

    A sign is the direction commanded when a stick is pushed right or up, or a trigger or button
    is pressed. The active mode is marked when settings are given.
    """
    twist_title, jog_title = mode_titles(settings, frame_id)
    lines = markdown_table(('Control', twist_title, jog_title), control_map_rows(mapping))
    lines.append('')
    lines.extend(markdown_table(('Button / key', 'Action (both modes)'), action_rows(mapping)))
    lines.append('')
    lines.append('Signs: the direction commanded with a stick pushed right / up or a trigger / '
                 'button pressed.')
    if settings is not None:
        lines.append(
            f'speed_scale {settings.speed_scale:g}, deadzone {settings.deadzone:g}, '
            f'dominant axis {"on" if settings.dominant_axis else "off"}.')
    return '\n'.join(lines)
