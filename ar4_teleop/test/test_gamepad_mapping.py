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

"""The gamepad mapping core: joint-jog table, twist layout, conditioning, events, validation."""

import copy

from ar4_description.robot_constants import robot_constants
from ar4_teleop.gamepad import (
    apply_deadzone, GamepadState, load_mapping, MappingError, parse_mapping, render_control_map,
    TeleopMapper, TeleopSettings)
from ar4_teleop.teleop_mapping import JointJogCommand, TwistCommand
import pytest
import yaml

CONSTANTS = robot_constants()
NAMES = CONSTANTS.joint_names
LIMIT = dict(zip(NAMES, CONSTANTS.velocity_limits))
SCALE = 0.35


@pytest.fixture(scope='module')
def mapping():
    return load_mapping()


@pytest.fixture(scope='module')
def raw_mapping():
    from ar4_teleop.gamepad import default_mapping_path
    return yaml.safe_load(default_mapping_path().read_text())


def jog(mapping, **settings):
    return TeleopMapper(mapping, TeleopSettings(joint_jog=True, **settings))


def velocities(mapper, state):
    command = mapper.update(state).command
    assert isinstance(command, JointJogCommand)
    assert command.joint_names == NAMES
    return dict(zip(command.joint_names, command.velocities))


def only(velocity_by_joint, joint):
    return {name: value for name, value in velocity_by_joint.items() if value != 0.0} == {
        joint: velocity_by_joint[joint]} and velocity_by_joint[joint] != 0.0


@pytest.mark.parametrize('state, joint, sign', [
    (GamepadState(left_x=1.0), 'joint_1', 1),
    (GamepadState(left_x=-1.0), 'joint_1', -1),
    (GamepadState(left_y=1.0), 'joint_2', 1),
    (GamepadState(left_y=-1.0), 'joint_2', -1),
    (GamepadState(right_trigger=1.0), 'joint_3', 1),
    (GamepadState(left_trigger=1.0), 'joint_3', -1),
    (GamepadState(right_x=1.0), 'joint_4', 1),
    (GamepadState(right_x=-1.0), 'joint_4', -1),
    (GamepadState(right_y=1.0), 'joint_5', 1),
    (GamepadState(right_y=-1.0), 'joint_5', -1),
    (GamepadState(pressed={'right_bumper'}), 'joint_6', 1),
    (GamepadState(pressed={'left_bumper'}), 'joint_6', -1),
])
def test_joint_jog_table(mapping, state, joint, sign):
    result = velocities(jog(mapping), state)
    assert only(result, joint), result
    # Full deflection gives speed_scale x the joint's velocity limit.
    assert result[joint] == pytest.approx(sign * SCALE * LIMIT[joint])


def test_no_input_gives_zero_command(mapping):
    for joint_jog in (False, True):
        mapper = TeleopMapper(mapping, TeleopSettings(joint_jog=joint_jog))
        tick = mapper.update(GamepadState())
        assert tick.command.is_zero
        assert tick.events == ()


def test_default_is_twist_with_speed_scale(mapping):
    assert TeleopSettings().speed_scale == SCALE
    assert TeleopSettings().joint_jog is False
    command = TeleopMapper(mapping).update(GamepadState(left_y=1.0)).command
    assert isinstance(command, TwistCommand)
    # Left stick up moves forward, which is -y of base_link for the AR4.
    assert command.linear == pytest.approx((0.0, -SCALE * mapping.max_linear_speed, 0.0))
    assert command.angular == (0.0, 0.0, 0.0)


@pytest.mark.parametrize('state, index, sign', [
    (GamepadState(left_x=1.0), 0, -1),
    (GamepadState(left_y=1.0), 1, -1),
    (GamepadState(right_trigger=1.0), 2, 1),
    (GamepadState(left_trigger=1.0), 2, -1),
    (GamepadState(right_y=1.0), 3, -1),
    (GamepadState(pressed={'left_bumper'}), 4, 1),
    (GamepadState(pressed={'right_bumper'}), 4, -1),
    (GamepadState(right_x=1.0), 5, -1),
])
def test_twist_layout(mapping, state, index, sign):
    command = TeleopMapper(mapping).update(state).command
    values = command.linear + command.angular
    limit = mapping.max_linear_speed if index < 3 else mapping.max_angular_speed
    expected = [0.0] * 6
    expected[index] = sign * SCALE * limit
    assert values == pytest.approx(tuple(expected))


def test_speed_scale_scales_linearly(mapping):
    slow = velocities(jog(mapping, speed_scale=0.1), GamepadState(left_x=1.0))['joint_1']
    fast = velocities(jog(mapping, speed_scale=1.0), GamepadState(left_x=1.0))['joint_1']
    assert slow == pytest.approx(0.1 * LIMIT['joint_1'])
    assert fast == pytest.approx(LIMIT['joint_1'])


def test_dominant_axis_on_diagonals(mapping):
    mapper = jog(mapping)
    assert only(velocities(mapper, GamepadState(left_x=0.9, left_y=0.6)), 'joint_1')
    assert only(velocities(mapper, GamepadState(left_x=-0.5, left_y=0.8)), 'joint_2')
    assert only(velocities(mapper, GamepadState(right_x=0.3, right_y=-0.7)), 'joint_5')
    # Each stick keeps its own dominant axis.
    both = velocities(mapper, GamepadState(left_x=0.9, left_y=0.5, right_x=0.2, right_y=0.6))
    assert {n for n, v in both.items() if v} == {'joint_1', 'joint_5'}


def test_dominant_axis_off_moves_both(mapping):
    result = velocities(jog(mapping, dominant_axis=False),
                        GamepadState(left_x=0.9, left_y=0.6))
    assert result['joint_1'] > 0 and result['joint_2'] > 0


def test_deadzone_removes_drift_and_stays_continuous(mapping):
    mapper = jog(mapping, deadzone=0.1)
    assert velocities(mapper, GamepadState(left_x=0.08, right_y=-0.1))['joint_1'] == 0.0
    assert velocities(mapper, GamepadState(left_trigger=0.05))['joint_3'] == 0.0
    just_out = velocities(mapper, GamepadState(left_x=0.11))['joint_1']
    assert 0.0 < just_out < 0.02 * LIMIT['joint_1']
    assert apply_deadzone(0.55, 0.1) == pytest.approx(0.5)
    assert apply_deadzone(-1.0, 0.1) == -1.0
    assert apply_deadzone(0.1, 0.1) == 0.0


def test_gripper_hold_and_release(mapping):
    mapper = TeleopMapper(mapping)
    gripper = CONSTANTS.gripper
    # First tick announces the (closed) target so the recorder has one.
    assert mapper.update(GamepadState()).gripper_target == gripper.closed
    assert mapper.update(GamepadState()).gripper_target is None
    assert mapper.update(GamepadState(pressed={'a'})).gripper_target == gripper.open
    assert mapper.update(GamepadState(pressed={'a'})).gripper_target is None
    assert mapper.gripper_target == gripper.open
    assert mapper.update(GamepadState()).gripper_target == gripper.closed
    assert mapper.update(GamepadState()).gripper_target is None


@pytest.mark.parametrize('button, event', [('y', 'save'), ('b', 'discard'), ('start', 'home')])
def test_button_events_fire_once_per_press(mapping, button, event):
    mapper = TeleopMapper(mapping)
    held = GamepadState(pressed={button})
    assert mapper.update(held).events == (event,)
    assert mapper.update(held).events == ()
    assert mapper.update(held).events == ()
    assert mapper.update(GamepadState()).events == ()
    assert mapper.update(held).events == (event,)


def test_keyboard_keys(mapping):
    mapper = TeleopMapper(mapping)
    mapper.update(GamepadState())
    assert mapper.update(GamepadState(), keys='hsdx').events == ('home', 'save', 'discard')
    assert mapper.update(GamepadState(), keys='H').events == ('home',)
    tick = mapper.update(GamepadState(), keys='g')
    assert tick.gripper_target == CONSTANTS.gripper.open
    assert mapper.update(GamepadState(), keys='g').gripper_target == CONSTANTS.gripper.closed


def test_buttons_do_not_move_the_arm(mapping):
    tick = TeleopMapper(mapping).update(GamepadState(pressed={'a', 'b', 'x', 'y', 'start'}))
    assert tick.command.is_zero


def test_x_arms_a_take_once_per_press(mapping):
    assert mapping.buttons['arm'] == 'x'
    mapper = TeleopMapper(mapping)
    assert mapper.update(GamepadState(pressed={'x'})).events == ('arm',)
    assert mapper.update(GamepadState(pressed={'x'})).events == ()
    assert mapper.update(GamepadState()).events == ()
    assert mapper.update(GamepadState(), keys='R').events == ('arm',)


def test_stick_clicks_mark_the_take_and_the_marks_are_optional(mapping, raw_mapping):
    mapper = TeleopMapper(mapping)
    assert mapper.update(GamepadState(pressed={'left_stick'})).events == ('success',)
    assert mapper.update(GamepadState(pressed={'left_stick'})).events == ()
    assert mapper.update(GamepadState(pressed={'right_stick'})).events == ('failure',)
    assert 'mark the take a success' in render_control_map(mapping, TeleopSettings())
    # A mapping file written before the marks existed still loads, without them.
    older = mutate(mutate(raw_mapping, ('buttons', 'success'), KeyError),
                   ('buttons', 'failure'), KeyError)
    mapper = TeleopMapper(parse_mapping(older, source='old.yaml'))
    assert mapper.update(GamepadState(pressed={'left_stick', 'right_stick'})).events == ()


def test_control_map_names_every_binding(mapping):
    text = render_control_map(mapping, TeleopSettings())
    for needle in ('left stick X', 'joint_1 +', 'LT', 'joint_3 -', 'RB', 'joint_6 +',
                   'A (hold)', 'Start', 'key h', '[active]', 'linear z +', '| X ',
                   'arm: start recording an episode', 'key r'):
        assert needle in text, needle
    assert text.splitlines()[0].startswith('| Control')


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
    (('joint_jog', 'joint_7'), 'left_x', 'joint_jog.joint_7: unknown joint'),
    (('joint_jog', 'joint_1'), 'left_z', "joint_jog.joint_1: unknown control 'left_z'"),
    (('joint_jog', 'joint_3', 'negative'), 'LT', 'joint_jog.joint_3.negative: unknown control'),
    (('joint_jog', 'joint_1'), {'axis': 'left_x', 'scale': 2.0}, 'joint_jog.joint_1.scale'),
    (('joint_jog', 'joint_1'), {'axis': 'left_x', 'gain': 1}, "unknown key 'gain'"),
    (('twist', 'linear_w'), 'left_x', 'twist.linear_w: unknown twist field'),
    (('buttons', 'save'), 'z', "buttons.save: unknown control 'z'"),
    (('buttons', 'save'), 'a', "buttons.save: button 'a' is already used"),
    (('buttons', 'home'), 'left_bumper', 'also moves the arm (joint_jog.joint_6)'),
    (('buttons', 'discard'), KeyError, "buttons: missing action 'discard'"),
    (('buttons', 'teleport'), 'x', "buttons.teleport: unknown action"),
    (('max_speed', 'linear'), -1, 'max_speed.linear: must be positive'),
    (('keyboard', 'save'), 'h', "keyboard.save: key 'h' is already used"),
    (('keyboard', 'home'), 'hh', 'keyboard.home: expected one printable character'),
    (('device', 'axes', 'ABS_X', 'control'), 'start', 'device.axes.ABS_X.control'),
    (('device', 'axes', 'ABS_Z', 'max'), 'big', 'device.axes.ABS_Z.max: expected a number'),
    (('device', 'buttons', 'BTN_SOUTH'), 'left_x', 'device.buttons.BTN_SOUTH'),
    (('speed',), 1.0, "unknown section 'speed'"),
    (('twist',), KeyError, "missing section 'twist'"),
    (('buttons', 'arm'), KeyError, "buttons: missing action 'arm'"),
    (('buttons', 'arm'), 'y', "buttons.save: button 'y' is already used by buttons.arm"),
    (('buttons', 'arm'), 'right_bumper', 'buttons.arm: button'),
    (('keyboard', 'arm'), 's', "keyboard.save: key 's' is already used by keyboard.arm"),
    (('buttons', 'success'), 'x', "buttons.success: button 'x' is already used by buttons.arm"),
    (('buttons', 'failure'), 'left_y', "buttons.failure: unknown control 'left_y'"),
])
def test_bad_mapping_is_rejected_naming_the_entry(raw_mapping, path, value, message):
    with pytest.raises(MappingError) as error:
        parse_mapping(mutate(raw_mapping, path, value), source='bad.yaml')
    assert message in str(error.value)
    assert str(error.value).startswith('bad.yaml: ')


def test_bad_mapping_files(tmp_path):
    missing = tmp_path / 'missing.yaml'
    with pytest.raises(MappingError, match='not found'):
        load_mapping(missing)
    broken = tmp_path / 'broken.yaml'
    broken.write_text('joint_jog: [unclosed\n')
    with pytest.raises(MappingError, match='not valid YAML'):
        load_mapping(broken)
    scalar = tmp_path / 'scalar.yaml'
    scalar.write_text('42\n')
    with pytest.raises(MappingError, match='mapping at the top level'):
        load_mapping(scalar)


@pytest.mark.parametrize('kwargs', [{'speed_scale': 0.0}, {'speed_scale': 1.5},
                                    {'deadzone': 1.0}, {'deadzone': -0.1}])
def test_settings_ranges(kwargs):
    with pytest.raises(MappingError):
        TeleopSettings(**kwargs)


def test_state_rejects_bad_values():
    with pytest.raises(ValueError, match='left_trigger'):
        GamepadState(left_trigger=-0.5)
    with pytest.raises(ValueError, match='unknown buttons'):
        GamepadState(pressed={'turbo'})
