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
Map a 3Dconnexion SpaceMouse state to MoveIt Servo commands and gripper targets.

The SpaceMouse's functional core, the counterpart of ``ar4_teleop.gamepad``: pure Python (no
rclpy, no device access). A ``SpaceMouseMapping`` is loaded from YAML
(config/spacemouse_mapping.yaml) and validated up front; a ``SpaceMouseMapper`` turns one
``SpaceMouseState`` per tick into a ``TeleopTick`` built from the same bindings, speed limits
and keyboard keys as the gamepad's (``ar4_teleop.teleop_mapping``).

The state is the cap's motion in the operator's frame, right-handed: ``right``, ``forward``
(away from the operator) and ``up`` for the push / pull axes; ``pitch``, ``roll`` and ``yaw``
for the tilt / twist axes, each a rotation about right, forward and up by the right-hand rule
(pitch + lifts the front edge, roll + lowers the right edge, yaw + twists counterclockwise seen
from above). ``ar4_teleop.spacemouse_device`` decodes the device's evdev axes into it. Because
the twist bindings send these six values through one rotation (operator frame -> base_link,
right = -x, forward = -y, up = +z, the gamepad's convention), the tool moves and turns the way
the cap is pushed and turned.

Conditioning, in this order: the deadzone per axis (rescaled beyond it, as for the sticks); the
group scales (``translation_scale`` for the push / pull axes, ``rotation_scale`` for the tilt /
twist axes; 0 locks a group); then, in dominant-axis mode, only the largest of the six scaled
values is kept, so a push never brings a slight tilt with it.

Buttons: ``gripper_close`` and ``gripper_open`` act once per press (left closes, right opens by
default); pressing both at once changes nothing. Recording events come from the keyboard.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Iterable, List, Mapping, Optional, Tuple, Union

from ar4_description.package_files import find_package_file
from ar4_description.robot_constants import robot_constants, RobotConstants
from ar4_teleop.teleop_mapping import (
    apply_deadzone, check_button_conflicts, check_keys, DeviceMapper, key_rows, load_yaml,
    MappingError, markdown_table, mode_titles, motion_rows, MotionMapping, parse_buttons,
    parse_control, parse_keyboard, parse_motion, parse_number, parse_section, TeleopSettings,
    TeleopTick)

MAPPING_FILE_NAME = 'spacemouse_mapping.yaml'
ENV_VAR = 'AR4_SPACEMOUSE_MAPPING'

TRANSLATION_AXES = ('right', 'forward', 'up')
ROTATION_AXES = ('pitch', 'roll', 'yaw')
AXES = TRANSLATION_AXES + ROTATION_AXES
BUTTONS = ('left', 'right')
CONTROLS = AXES + BUTTONS
BUTTON_ACTIONS = ('gripper_close', 'gripper_open')
# The six motion axes as the kernel names them, after the REL_ / ABS_ prefix (linux/input-event-
# codes.h: REL_X .. REL_RZ and ABS_X .. ABS_RZ are both codes 0 .. 5).
DEVICE_AXES = ('X', 'Y', 'Z', 'RX', 'RY', 'RZ')
# Button codes by name (BTN_0 .. BTN_9 are 0x100 .. 0x109); larger devices' further buttons
# have no name and are given by number, as evtest prints them.
BUTTON_CODES = {f'BTN_{index}': 0x100 + index for index in range(10)}

# 'right' names an axis and a button: the labels say which.
AXIS_LABELS = {
    'right': 'push right', 'forward': 'push forward (away)', 'up': 'pull up',
    'pitch': 'tilt back (front up)', 'roll': 'tilt right', 'yaw': 'twist counterclockwise',
}
BUTTON_LABELS = {'left': 'left button', 'right': 'right button'}
ACTION_LABELS = {
    'gripper_close': 'close the gripper',
    'gripper_open': 'open the gripper',
}


@dataclass(frozen=True)
class SpaceMouseState:
    """
    One snapshot of the SpaceMouse, in the operator's right-handed frame (module docstring).

    Axes are in [-1, 1] (1: the device's full scale); ``pressed`` holds the buttons held down.
    """

    right: float = 0.0
    forward: float = 0.0
    up: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    yaw: float = 0.0
    pressed: FrozenSet[str] = frozenset()

    def __post_init__(self):
        """Reject out-of-range axes and unknown buttons."""
        for name in AXES:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and -1.0 <= value <= 1.0):
                raise ValueError(f'SpaceMouseState.{name} must be in [-1, 1], got {value!r}')
        unknown = sorted(set(self.pressed) - set(BUTTONS))
        if unknown:
            raise ValueError(
                f'SpaceMouseState.pressed: unknown buttons {unknown}; known: {BUTTONS}')
        object.__setattr__(self, 'pressed', frozenset(self.pressed))

    def value(self, control: str) -> float:
        """Return the named axis; bindings read axes only, buttons are actions."""
        return float(getattr(self, control))

    @property
    def is_neutral(self) -> bool:
        """Return True when no axis is deflected and no button is held."""
        return not self.pressed and all(getattr(self, name) == 0.0 for name in AXES)


@dataclass(frozen=True)
class SpaceMouseAxis:
    """Which control one evdev axis (REL_<name> or ABS_<name>) drives, and its sign."""

    control: str
    invert: bool = False


@dataclass(frozen=True)
class SpaceMouseDeviceConfig:
    """How to find the device and decode its evdev events (the mapping's device section)."""

    names: Tuple[str, ...]          # device name contains one of these (case-insensitive)
    full_scale: float               # raw value read as full deflection
    relative_hold: float            # seconds a relative axis keeps a value without news
    axes: Mapping[str, SpaceMouseAxis]  # 'X' .. 'RZ' -> control
    buttons: Mapping[int, str]      # evdev key code -> button


@dataclass(frozen=True)
class SpaceMouseMapping(MotionMapping):
    """A validated SpaceMouse mapping: bindings per mode, gripper buttons, keys, device."""

    device: SpaceMouseDeviceConfig
    source: str = '<memory>'


# ---------------------------------------------------------------------------------------------
# Loading and validation

def default_mapping_path() -> Path:
    """Find the mapping: $AR4_SPACEMOUSE_MAPPING, the source tree, then the share."""
    return find_package_file('ar4_teleop', Path('config') / MAPPING_FILE_NAME, __file__,
                             ENV_VAR)


def _button_code(code, where: str) -> int:
    if isinstance(code, str) and code in BUTTON_CODES:
        return BUTTON_CODES[code]
    # evdev button codes: BTN_MISC 0x100 up to the last BTN_TRIGGER_HAPPY, 0x2e7.
    if isinstance(code, int) and not isinstance(code, bool) and 0x100 <= code <= 0x2e7:
        return code
    raise MappingError(f'{where}: expected BTN_0 .. BTN_9 or a button code number (256 .. '
                       f'743, as evtest prints it), got {code!r}')


def _device(section: dict) -> SpaceMouseDeviceConfig:
    check_keys(section, ('names', 'full_scale', 'relative_hold', 'axes', 'buttons'), 'device',
               'key')
    names = section.get('names')
    if not (isinstance(names, list) and names
            and all(isinstance(name, str) and name.strip() for name in names)):
        raise MappingError(f'device.names: expected a list of name parts such as '
                           f'[3Dconnexion], got {names!r}')
    full_scale = parse_number(section.get('full_scale'), 'device.full_scale')
    if full_scale <= 0.0:
        raise MappingError(f'device.full_scale: must be positive, got {full_scale:g}')
    hold = parse_number(section.get('relative_hold'), 'device.relative_hold')
    if not 0.01 <= hold <= 1.0:
        raise MappingError(f'device.relative_hold: expected seconds in [0.01, 1], got {hold:g}')
    axes_section = parse_section(section, 'axes', 'device.')
    check_keys(axes_section, DEVICE_AXES, 'device.axes', 'axis')
    axes, source = {}, {}
    for axis, spec in axes_section.items():
        where = f'device.axes.{axis}'
        if isinstance(spec, str):
            spec = {'control': spec}
        if not isinstance(spec, dict):
            raise MappingError(f'{where}: expected a control name or {{control, invert}}')
        check_keys(spec, ('control', 'invert'), where, 'key')
        control = parse_control(spec.get('control'), f'{where}.control', AXES)
        if control in source:
            raise MappingError(f'{where}: {control!r} already comes from '
                               f'device.axes.{source[control]}')
        source[control] = axis
        invert = spec.get('invert', False)
        if not isinstance(invert, bool):
            raise MappingError(f'{where}.invert: expected true or false, got {invert!r}')
        axes[axis] = SpaceMouseAxis(control=control, invert=invert)
    missing = [control for control in AXES if control not in source]
    if missing:
        raise MappingError(f'device.axes: no axis drives {", ".join(missing)} (each of '
                           f'{", ".join(AXES)} comes from one of {", ".join(DEVICE_AXES)})')
    buttons = {}
    for code, button in parse_section(section, 'buttons', 'device.').items():
        where = f'device.buttons.{code}'
        number = _button_code(code, where)
        if number in buttons:
            raise MappingError(f'{where}: code {number} is listed twice')
        buttons[number] = parse_control(button, where, BUTTONS)
    return SpaceMouseDeviceConfig(names=tuple(name.strip() for name in names),
                                  full_scale=full_scale, relative_hold=hold, axes=axes,
                                  buttons=buttons)


def parse_mapping(data, source: str = '<memory>',
                  constants: Optional[RobotConstants] = None) -> SpaceMouseMapping:
    """Validate a loaded YAML mapping and build a SpaceMouseMapping; raise MappingError."""
    constants = constants or robot_constants()
    try:
        joint_jog, twist, max_linear, max_angular = parse_motion(data, constants.joint_names,
                                                                 AXES)
        buttons = parse_buttons(data, BUTTON_ACTIONS, (), BUTTONS)
        check_button_conflicts(buttons, {})
        keyboard = parse_keyboard(data)
        device = _device(parse_section(data, 'device', ''))
    except MappingError as error:
        raise MappingError(f'{source}: {error}') from None
    return SpaceMouseMapping(joint_jog=joint_jog, twist=twist, max_linear_speed=max_linear,
                             max_angular_speed=max_angular, buttons=buttons,
                             keyboard=keyboard, device=device, source=source)


def load_mapping(path: Optional[Union[str, Path]] = None,
                 constants: Optional[RobotConstants] = None) -> SpaceMouseMapping:
    """Load and validate a mapping file (default: the package's spacemouse_mapping.yaml)."""
    path = Path(path) if path else default_mapping_path()
    return parse_mapping(load_yaml(path, 'SpaceMouse', ENV_VAR), source=str(path),
                         constants=constants)


# ---------------------------------------------------------------------------------------------
# Conditioning and mapping

def condition_state(state: SpaceMouseState, settings: TeleopSettings) -> SpaceMouseState:
    """Apply the deadzone and the group scales, then keep the dominant axis (if on)."""
    values = {}
    for name in AXES:
        scale = settings.translation_scale if name in TRANSLATION_AXES else (
            settings.rotation_scale)
        values[name] = apply_deadzone(getattr(state, name), settings.deadzone) * scale
    if settings.dominant_axis:
        # After the group scales, so that a locked group never wins; a tie keeps the first
        # axis in AXES order (deterministic; exact ties are rare after the deadzone).
        strongest = max(AXES, key=lambda name: abs(values[name]))
        values = {name: (value if name == strongest else 0.0) for name, value in values.items()}
    return SpaceMouseState(pressed=state.pressed, **values)


class SpaceMouseMapper(DeviceMapper):
    """Turn one SpaceMouseState (and typed keys) per tick into a TeleopTick."""

    condition = staticmethod(condition_state)

    @staticmethod
    def neutral_state() -> SpaceMouseState:
        """Return the state of a SpaceMouse at rest (also: no SpaceMouse)."""
        return SpaceMouseState()

    def update(self, state: SpaceMouseState, keys: Iterable[str] = ()) -> TeleopTick:
        """Advance one tick: command, gripper target if it changed (or first tick), events."""
        newly_pressed = state.pressed - self._previous
        self._previous = state.pressed
        closes = self.mapping.buttons['gripper_close'] in newly_pressed
        opens = self.mapping.buttons['gripper_open'] in newly_pressed
        if closes != opens:  # both at once: ambiguous, nothing changes
            self._gripper.is_open = opens
        return self.tick(state, [], keys)

    def control_map(self, frame_id: str = 'base_link') -> str:
        """Return the control map for the current settings (see render_control_map)."""
        return render_control_map(self.mapping, self.settings, frame_id)


# ---------------------------------------------------------------------------------------------
# Control map

def control_map_rows(mapping: SpaceMouseMapping) -> List[Tuple[str, str, str]]:
    """Return (cap motion, Cartesian twist, joint jog) rows."""
    return motion_rows(mapping, AXIS_LABELS, AXES)


def action_rows(mapping: SpaceMouseMapping) -> List[Tuple[str, str]]:
    """Return (button or key, action) rows; actions work the same in both modes."""
    rows = [(BUTTON_LABELS[mapping.buttons[action]], ACTION_LABELS[action])
            for action in BUTTON_ACTIONS]
    return rows + key_rows(mapping.keyboard)


def render_control_map(mapping: SpaceMouseMapping,
                       settings: Optional[TeleopSettings] = None,
                       frame_id: str = 'base_link') -> str:
    """
    Render the SpaceMouse control map as Markdown tables (printed by the node, in the README).

    A sign is the direction commanded by the cap motion the row names; the opposite motion
    commands the opposite sign. The active mode is marked when settings are given.
    """
    twist_title, jog_title = mode_titles(settings, frame_id)
    lines = markdown_table(('SpaceMouse cap', twist_title, jog_title), control_map_rows(mapping))
    lines.append('')
    lines.extend(markdown_table(('Button / key', 'Action (both modes)'), action_rows(mapping)))
    lines.append('')
    lines.append('Signs: the direction commanded by the cap motion named; the opposite motion '
                 'commands the opposite sign.')
    if settings is not None:
        lines.append(
            f'speed_scale {settings.speed_scale:g}, translation_scale '
            f'{settings.translation_scale:g}, rotation_scale {settings.rotation_scale:g}, '
            f'deadzone {settings.deadzone:g}, dominant axis '
            f'{"on (one of the six axes)" if settings.dominant_axis else "off"}.')
    return '\n'.join(lines)
