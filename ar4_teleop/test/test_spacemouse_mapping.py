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
The SpaceMouse mapping core: each axis, deadzone, group scales, dominant axis, buttons, checks.

The conventions are checked against the gamepad's: every cap motion commands the twist (and
the joint jog) of the gamepad control it stands for, and the six twist lines are one rotation
of the cap's frame, the same for moving and turning.
"""

import copy

from ar4_description.robot_constants import robot_constants
from ar4_teleop import gamepad
from ar4_teleop.gamepad import GamepadState, TeleopMapper
from ar4_teleop.spacemouse import (
    AXES, condition_state, default_mapping_path, load_mapping, parse_mapping, render_control_map,
    ROTATION_AXES, SpaceMouseMapper, SpaceMouseState, TRANSLATION_AXES)
from ar4_teleop.teleop_mapping import (
    JointJogCommand, MappingError, TeleopSettings, TWIST_FIELDS, TwistCommand)
import numpy as np
import pytest
import yaml

CONSTANTS = robot_constants()
SCALE = 0.35


@pytest.fixture(scope='module')
def mapping():
    return load_mapping()


@pytest.fixture(scope='module')
def raw_mapping():
    return yaml.safe_load(default_mapping_path().read_text())


def twist(mapping, state, **settings):
    command = SpaceMouseMapper(mapping, TeleopSettings(**settings)).update(state).command
    assert isinstance(command, TwistCommand)
    return np.array(command.linear + command.angular)


def unit(index, sign, mapping):
    expected = np.zeros(6)
    expected[index] = sign * SCALE * (mapping.max_linear_speed if index < 3
                                      else mapping.max_angular_speed)
    return expected


# -- each axis -------------------------------------------------------------------------------

@pytest.mark.parametrize('state, index, sign', [
    (SpaceMouseState(right=1.0), 0, -1),     # push right: move right, -x of base_link
    (SpaceMouseState(right=-1.0), 0, 1),
    (SpaceMouseState(forward=1.0), 1, -1),   # push forward: move forward, -y
    (SpaceMouseState(forward=-1.0), 1, 1),
    (SpaceMouseState(up=1.0), 2, 1),         # pull up: move up
    (SpaceMouseState(up=-1.0), 2, -1),
    (SpaceMouseState(pitch=1.0), 3, -1),     # tilt back: about right = -x
    (SpaceMouseState(pitch=-1.0), 3, 1),
    (SpaceMouseState(roll=1.0), 4, -1),      # tilt right: about forward = -y
    (SpaceMouseState(roll=-1.0), 4, 1),
    (SpaceMouseState(yaw=1.0), 5, 1),        # twist counterclockwise: about up = +z
    (SpaceMouseState(yaw=-1.0), 5, -1),
])
def test_each_axis_commands_one_twist_component(mapping, state, index, sign):
    np.testing.assert_allclose(twist(mapping, state), unit(index, sign, mapping))


@pytest.mark.parametrize('cap, stick', [
    (SpaceMouseState(right=1.0), GamepadState(left_x=1.0)),
    (SpaceMouseState(forward=1.0), GamepadState(left_y=1.0)),
    (SpaceMouseState(up=1.0), GamepadState(right_trigger=1.0)),
    (SpaceMouseState(up=-1.0), GamepadState(left_trigger=1.0)),
    (SpaceMouseState(pitch=1.0), GamepadState(right_y=1.0)),
    (SpaceMouseState(roll=1.0), GamepadState(pressed={'right_bumper'})),
    (SpaceMouseState(roll=-1.0), GamepadState(pressed={'left_bumper'})),
    (SpaceMouseState(yaw=-1.0), GamepadState(right_x=1.0)),
])
@pytest.mark.parametrize('joint_jog', [False, True])
def test_same_frame_and_signs_as_the_gamepad(mapping, cap, stick, joint_jog):
    settings = TeleopSettings(joint_jog=joint_jog)
    from_cap = SpaceMouseMapper(mapping, settings).update(cap).command
    from_stick = TeleopMapper(gamepad.load_mapping(), settings).update(stick).command
    assert from_cap == from_stick
    assert not from_cap.is_zero


def binding_matrix(mapping, fields, controls):
    matrix = np.zeros((3, 3))
    for row, name in enumerate(fields):
        binding = mapping.twist[name]
        for column, control in enumerate(controls):
            if control == binding.positive:
                matrix[row, column] += binding.scale
            if control == binding.negative:
                matrix[row, column] -= binding.scale
    return matrix


def test_the_twist_is_one_rotation_of_the_cap_for_moving_and_turning(mapping):
    # The same proper rotation for both groups: the tool turns the way the cap is turned
    # (a reflection would turn it the mirrored way).
    linear = binding_matrix(mapping, TWIST_FIELDS[:3], TRANSLATION_AXES)
    angular = binding_matrix(mapping, TWIST_FIELDS[3:], ROTATION_AXES)
    np.testing.assert_array_equal(linear, angular)
    np.testing.assert_allclose(linear @ linear.T, np.eye(3))
    assert np.linalg.det(linear) == pytest.approx(1.0)


def test_the_device_table_is_a_rotation_of_the_hid_frame(mapping):
    # HID: +X right, +Y toward the operator, +Z down; the operator frame: right, forward, up.
    signs = {axis.control: -1.0 if axis.invert else 1.0
             for axis in mapping.device.axes.values()}
    assert [mapping.device.axes[name].control for name in ('X', 'Y', 'Z', 'RX', 'RY', 'RZ')] == (
        list(AXES))
    translation = np.diag([signs[name] for name in TRANSLATION_AXES])
    rotation = np.diag([signs[name] for name in ROTATION_AXES])
    np.testing.assert_array_equal(translation, rotation)
    assert np.linalg.det(translation) == 1.0


def test_rest_is_zero_in_both_modes(mapping):
    for joint_jog in (False, True):
        tick = SpaceMouseMapper(mapping, TeleopSettings(joint_jog=joint_jog)).update(
            SpaceMouseState())
        assert tick.command.is_zero and tick.events == ()


def test_joint_jog_moves_one_joint_per_axis(mapping):
    mapper = SpaceMouseMapper(mapping, TeleopSettings(joint_jog=True))
    moved = []
    for name in AXES:
        command = mapper.update(SpaceMouseState(**{name: 1.0})).command
        assert isinstance(command, JointJogCommand)
        (joint,) = [j for j, v in zip(command.joint_names, command.velocities) if v]
        limit = dict(zip(CONSTANTS.joint_names, CONSTANTS.velocity_limits))[joint]
        assert abs(dict(zip(command.joint_names, command.velocities))[joint]) == (
            pytest.approx(SCALE * limit))
        moved.append(joint)
    assert sorted(moved) == list(CONSTANTS.joint_names)


# -- deadzone, group scales, speed scale, dominant axis -----------------------------------------

def test_deadzone_per_axis_and_continuous(mapping):
    settings = TeleopSettings(deadzone=0.1, dominant_axis=False)
    assert condition_state(SpaceMouseState(right=0.08, yaw=-0.1), settings).is_neutral
    just_out = condition_state(SpaceMouseState(forward=0.11), settings).forward
    assert 0.0 < just_out < 0.02
    assert condition_state(SpaceMouseState(pitch=0.55), settings).pitch == pytest.approx(0.5)
    assert condition_state(SpaceMouseState(roll=-1.0), settings).roll == -1.0
    assert not twist(mapping, SpaceMouseState(up=0.09), deadzone=0.1).any()
    assert twist(mapping, SpaceMouseState(up=0.09), deadzone=0.0)[2] > 0.0


@pytest.mark.parametrize('translation_scale, rotation_scale', [(0.5, 1.0), (1.0, 0.25),
                                                               (0.0, 1.0), (1.0, 0.0)])
def test_group_scales_apply_to_their_axes_only(mapping, translation_scale, rotation_scale):
    state = SpaceMouseState(forward=1.0, yaw=1.0)
    scaled = twist(mapping, state, dominant_axis=False, translation_scale=translation_scale,
                   rotation_scale=rotation_scale)
    full = twist(mapping, state, dominant_axis=False)
    np.testing.assert_allclose(scaled[:3], translation_scale * full[:3])
    np.testing.assert_allclose(scaled[3:], rotation_scale * full[3:])


def test_speed_scale_is_shared(mapping):
    slow = twist(mapping, SpaceMouseState(right=1.0), speed_scale=0.1)
    fast = twist(mapping, SpaceMouseState(right=1.0), speed_scale=1.0)
    assert slow[0] == pytest.approx(-0.1 * mapping.max_linear_speed)
    assert fast[0] == pytest.approx(-mapping.max_linear_speed)


def test_dominant_axis_keeps_the_strongest_of_the_six(mapping):
    settings = TeleopSettings(deadzone=0.0)
    state = SpaceMouseState(right=0.3, forward=-0.6, up=0.2, pitch=0.5, roll=-0.1, yaw=0.4)
    assert condition_state(state, settings) == SpaceMouseState(forward=-0.6)
    tilted = SpaceMouseState(right=0.3, roll=-0.7)
    assert condition_state(tilted, settings) == SpaceMouseState(roll=-0.7)
    command = twist(mapping, state)
    assert np.count_nonzero(command) == 1 and command[1] > 0.0
    # A tie keeps the first axis in AXES order.
    assert condition_state(SpaceMouseState(up=0.5, yaw=-0.5), settings) == SpaceMouseState(
        up=0.5)


def test_dominant_axis_compares_after_the_group_scales(mapping):
    state = SpaceMouseState(forward=0.5, pitch=0.9)
    assert condition_state(state, TeleopSettings(deadzone=0.0)) == SpaceMouseState(pitch=0.9)
    locked = TeleopSettings(deadzone=0.0, rotation_scale=0.0)
    assert condition_state(state, locked) == SpaceMouseState(forward=0.5)
    reduced = TeleopSettings(deadzone=0.0, rotation_scale=0.5)
    assert condition_state(state, reduced) == SpaceMouseState(forward=0.5)


def test_dominant_axis_off_moves_every_axis(mapping):
    state = SpaceMouseState(right=0.5, forward=0.5, up=0.5, pitch=0.5, roll=0.5, yaw=0.5)
    assert np.count_nonzero(twist(mapping, state, dominant_axis=False)) == 6


# -- buttons and keys ------------------------------------------------------------------------

def test_left_button_closes_and_right_button_opens(mapping):
    gripper = CONSTANTS.gripper
    mapper = SpaceMouseMapper(mapping)
    # First tick announces the (closed) target so the recorder has one.
    assert mapper.update(SpaceMouseState()).gripper_target == gripper.closed
    assert mapper.update(SpaceMouseState(pressed={'right'})).gripper_target == gripper.open
    # Holding or releasing changes nothing: each press acts once.
    assert mapper.update(SpaceMouseState(pressed={'right'})).gripper_target is None
    assert mapper.update(SpaceMouseState()).gripper_target is None
    assert mapper.gripper_target == gripper.open
    assert mapper.update(SpaceMouseState(pressed={'left'})).gripper_target == gripper.closed
    assert mapper.update(SpaceMouseState(pressed={'left'})).gripper_target is None
    assert mapper.update(SpaceMouseState(pressed={'left'})).gripper_target is None
    # Right pressed while left is held: opens.
    assert mapper.update(SpaceMouseState(pressed={'left', 'right'})).gripper_target == (
        gripper.open)


def test_both_buttons_at_once_change_nothing(mapping):
    mapper = SpaceMouseMapper(mapping)
    mapper.update(SpaceMouseState())
    assert mapper.update(SpaceMouseState(pressed={'left', 'right'})).gripper_target is None
    assert mapper.gripper_target == CONSTANTS.gripper.closed


def test_buttons_do_not_move_the_arm_nor_send_events(mapping):
    tick = SpaceMouseMapper(mapping).update(SpaceMouseState(pressed={'left', 'right'}))
    assert tick.command.is_zero and tick.events == ()


def test_recorder_keys_stay_on_the_keyboard(mapping):
    mapper = SpaceMouseMapper(mapping)
    mapper.update(SpaceMouseState())
    assert mapper.update(SpaceMouseState(), keys='rsdh').events == (
        'arm', 'save', 'discard', 'home')
    assert mapper.update(SpaceMouseState(), keys='g').gripper_target == CONSTANTS.gripper.open
    assert mapper.update(SpaceMouseState(pressed={'left'}), keys='').gripper_target == (
        CONSTANTS.gripper.closed)


def test_control_map_names_every_motion_and_button(mapping):
    text = render_control_map(mapping, TeleopSettings(rotation_scale=0.5))
    for needle in ('| SpaceMouse cap', 'push right', 'linear x -', 'push forward (away)',
                   'linear y -', 'pull up', 'linear z +', 'tilt back (front up)', 'angular x -',
                   'tilt right', 'angular y -', 'twist counterclockwise', 'angular z +',
                   'joint_1 +', 'joint_4 -', 'left button', 'close the gripper',
                   'right button', 'open the gripper', 'key r', '[active]',
                   'rotation_scale 0.5', 'one of the six axes'):
        assert needle in text, needle
    assert SpaceMouseMapper(mapping).control_map('base_link') == render_control_map(
        mapping, TeleopSettings(), 'base_link')


# -- validation ------------------------------------------------------------------------------

def mutate(raw_mapping, path, value):
    data = copy.deepcopy(raw_mapping)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize('path, value, message', [
    (('twist', 'linear_x'), 'left_x', "twist.linear_x: unknown control 'left_x'"),
    (('twist', 'linear_x'), 'left', "twist.linear_x: unknown control 'left'"),  # a button
    (('twist', 'linear_w'), 'up', 'twist.linear_w: unknown twist field'),
    (('twist', 'angular_x'), {'axis': 'pitch', 'scale': 1.5}, 'twist.angular_x.scale'),
    (('joint_jog', 'joint_7'), 'up', 'joint_jog.joint_7: unknown joint'),
    (('buttons', 'gripper_open'), 'left', "buttons.gripper_open: button 'left' is already used"),
    (('buttons', 'gripper_close'), KeyError, "buttons: missing action 'gripper_close'"),
    (('buttons', 'arm'), 'left', 'buttons.arm: unknown action'),
    (('buttons', 'gripper_open'), 'middle', "buttons.gripper_open: unknown control 'middle'"),
    (('keyboard', 'save'), 'h', "keyboard.save: key 'h' is already used"),
    (('max_speed', 'angular'), 0, 'max_speed.angular: must be positive'),
    (('device', 'names'), [], 'device.names: expected a list'),
    (('device', 'names'), '3Dconnexion', 'device.names: expected a list'),
    (('device', 'full_scale'), 0, 'device.full_scale: must be positive'),
    (('device', 'full_scale'), 'big', 'device.full_scale: expected a number'),
    (('device', 'relative_hold'), 5, 'device.relative_hold: expected seconds in [0.01, 1]'),
    (('device', 'relative_hold'), KeyError, 'device.relative_hold: expected a number'),
    (('device', 'axes', 'W'), 'up', "device.axes.W: unknown axis 'W'"),
    (('device', 'axes', 'X'), 'sideways', "device.axes.X.control: unknown control"),
    (('device', 'axes', 'X'), 'forward',
     "device.axes.Y: 'forward' already comes from device.axes.X"),
    (('device', 'axes', 'RZ'), KeyError, 'device.axes: no axis drives yaw'),
    (('device', 'axes', 'Y', 'invert'), 'yes', 'device.axes.Y.invert: expected true or false'),
    (('device', 'buttons', 'BTN_LEFT'), 'left', 'device.buttons.BTN_LEFT: expected BTN_0'),
    (('device', 'buttons', 12), 'left', 'device.buttons.12: expected BTN_0'),
    (('device', 'buttons', 256), 'left', 'device.buttons.256: code 256 is listed twice'),
    (('device', 'buttons', 'BTN_1'), 'middle', "device.buttons.BTN_1: unknown control"),
    (('device', 'grab'), True, "device.grab: unknown key 'grab'"),
    (('dominant_axis',), True, "unknown section 'dominant_axis'"),
    (('twist',), KeyError, "missing section 'twist'"),
])
def test_bad_mapping_is_rejected_naming_the_entry(raw_mapping, path, value, message):
    with pytest.raises(MappingError) as error:
        parse_mapping(mutate(raw_mapping, path, value), source='bad.yaml')
    assert message in str(error.value)
    assert str(error.value).startswith('bad.yaml: ')


def test_more_buttons_by_number_and_remapped_gripper(raw_mapping):
    data = mutate(raw_mapping, ('device', 'buttons', 268), 'right')
    data = mutate(data, ('buttons', 'gripper_open'), 'left')
    data = mutate(data, ('buttons', 'gripper_close'), 'right')
    mapping = parse_mapping(data)
    assert mapping.device.buttons == {0x100: 'left', 0x101: 'right', 268: 'right'}
    mapper = SpaceMouseMapper(mapping)
    mapper.update(SpaceMouseState())
    assert mapper.update(SpaceMouseState(pressed={'left'})).gripper_target == (
        CONSTANTS.gripper.open)


def test_bad_mapping_files(tmp_path, monkeypatch):
    with pytest.raises(MappingError, match='SpaceMouse mapping file not found'):
        load_mapping(tmp_path / 'missing.yaml')
    broken = tmp_path / 'broken.yaml'
    broken.write_text('twist: [unclosed\n')
    with pytest.raises(MappingError, match='not valid YAML'):
        load_mapping(broken)
    monkeypatch.setenv('AR4_SPACEMOUSE_MAPPING', str(tmp_path / 'elsewhere.yaml'))
    with pytest.raises(MappingError, match='AR4_SPACEMOUSE_MAPPING'):
        load_mapping()


@pytest.mark.parametrize('kwargs', [{'translation_scale': 1.5}, {'rotation_scale': -0.5},
                                    {'rotation_scale': True}])
def test_group_scale_ranges(kwargs):
    with pytest.raises(MappingError):
        TeleopSettings(**kwargs)


def test_state_rejects_bad_values():
    with pytest.raises(ValueError, match='SpaceMouseState.yaw'):
        SpaceMouseState(yaw=1.5)
    with pytest.raises(ValueError, match='unknown buttons'):
        SpaceMouseState(pressed={'menu'})
