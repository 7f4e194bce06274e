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

"""The teleop node's parameters: the table, config/teleop.yaml, validation and exit status 2."""

import io
from pathlib import Path

from ar4_description.node_startup import ConfigError, EXIT_CONFIG, run_node
from ar4_description.robot_constants import robot_constants
from ar4_description.testing import RclpyStandIn
from ar4_teleop.gamepad import GamepadMapping
from ar4_teleop.spacemouse import SpaceMouseMapping
from ar4_teleop.teleop_config import (
    DEVICES, LIVE_PARAMETERS, load_config, NODE_BUILTIN_PARAMETERS, PARAMETER_NAMES, PARAMETERS,
    updated_settings)
from ar4_teleop.teleop_mapping import TeleopSettings
import pytest
import yaml

TELEOP_YAML = Path(__file__).resolve().parents[1] / 'config' / 'teleop.yaml'
CONSTANTS = robot_constants()
SPECS = {spec.name: spec for spec in PARAMETERS}


def defaults(**changes):
    values = {spec.name: spec.default for spec in PARAMETERS}
    values.update(changes)
    return values


def test_only_the_live_settings_are_writable():
    assert set(LIVE_PARAMETERS) == {'speed_scale', 'deadzone', 'dominant_axis',
                                    'translation_scale', 'rotation_scale'}
    for spec in PARAMETERS:
        assert spec.read_only is (spec.name not in LIVE_PARAMETERS), spec.name
        assert spec.description
        if isinstance(spec.default, float):
            assert spec.float_range is not None, spec.name
    assert SPECS['home_on_start'].default is False and SPECS['home_on_start'].read_only
    assert len(set(PARAMETER_NAMES)) == len(PARAMETER_NAMES)
    # The device is chosen once, from a fixed set; only string parameters have choices.
    assert SPECS['device'].read_only and SPECS['device'].default == 'gamepad'
    assert SPECS['device'].choices == DEVICES == ('gamepad', 'spacemouse')
    assert [spec.name for spec in PARAMETERS if spec.choices] == ['device']


def test_teleop_yaml_reaches_the_node_whatever_its_name_and_sets_only_declared_parameters():
    data = yaml.safe_load(TELEOP_YAML.read_text())
    # Keyed by a node name, the file is ignored once a launch file renames the node.
    assert list(data) == ['/**']
    assert list(data['/**']) == ['ros__parameters']
    values = data['/**']['ros__parameters']
    unknown = set(values) - set(PARAMETER_NAMES) - set(NODE_BUILTIN_PARAMETERS)
    assert not unknown, f'teleop.yaml sets parameters the node does not declare: {unknown}'
    assert set(PARAMETER_NAMES) <= set(values), 'teleop.yaml documents every parameter'
    # The simulation clock, like sim.launch.py and servo_node (Servo judges command age by it).
    assert values['use_sim_time'] is True
    for name in PARAMETER_NAMES:
        assert values[name] == SPECS[name].default, name
    config = load_config({name: values[name] for name in PARAMETER_NAMES}, CONSTANTS)
    assert config.period == pytest.approx(0.04)


def test_defaults_load():
    config = load_config(defaults(), CONSTANTS)
    assert config.device == 'gamepad' and isinstance(config.mapping, GamepadMapping)
    assert config.read_device is True
    assert config.settings == TeleopSettings()
    assert config.topics['switch_command_type_service'] == '/servo_node/switch_command_type'
    assert config.mapping.buttons['arm'] == 'x'
    assert config.home_on_start is False


@pytest.mark.parametrize('changes, message', [
    ({'speed_scale': 5.0}, 'parameter speed_scale must be in [0.01, 1], got 5'),
    ({'publish_rate': 0.0}, 'parameter publish_rate must be in [1, 100], got 0'),
    ({'homing_velocity_fraction': float('nan')}, 'homing_velocity_fraction must be finite'),
    ({'deadzone': 'wide'}, "parameter deadzone must be a number, got 'wide'"),
    ({'joint_jog': 'yes'}, "parameter joint_jog must be a bool, got 'yes'"),
    ({'home_on_start': 1}, 'parameter home_on_start must be a bool'),
    ({'planning_frame': ''}, "parameter planning_frame must name a frame such as base_link, "
                             "got ''"),
    ({'twist_topic': 'servo node/twist'}, 'parameter twist_topic must be a ROS topic or '
                                          'service name such as /servo_node/delta_twist_cmds'),
    ({'joint_states_topic': '/joint_states/'}, 'parameter joint_states_topic must be a ROS'),
    ({'mapping_file': '/nonexistent/mapping.yaml'}, 'gamepad mapping file not found'),
    ({'device': 'joystick'}, "parameter device must be one of gamepad, spacemouse, got "
                             "'joystick'"),
    ({'device': 'SpaceMouse'}, 'parameter device must be one of gamepad, spacemouse'),
    ({'device': 1}, 'parameter device must be a str, got 1'),
    ({'read_device': 'no'}, "parameter read_device must be a bool, got 'no'"),
    ({'translation_scale': 1.5}, 'parameter translation_scale must be in [0, 1], got 1.5'),
    ({'rotation_scale': -0.1}, 'parameter rotation_scale must be in [0, 1], got -0.1'),
    ({'device': 'spacemouse', 'mapping_file': '/nonexistent/mapping.yaml'},
     'SpaceMouse mapping file not found'),
])
def test_bad_parameters_are_one_config_error(changes, message):
    with pytest.raises(ConfigError) as error:
        load_config(defaults(**changes), CONSTANTS)
    assert message in str(error.value)


def test_a_bad_mapping_file_is_a_config_error(tmp_path):
    mapping = tmp_path / 'mapping.yaml'
    mapping.write_text('buttons: {}\n')
    with pytest.raises(ConfigError, match=f'{mapping}: '):
        load_config(defaults(mapping_file=str(mapping)), CONSTANTS)


@pytest.mark.parametrize('changes, line', [
    ({'planning_frame': ''},
     "teleop_node: error: parameter planning_frame must name a frame such as base_link, got ''"),
    ({'speed_scale': 2.0},
     'teleop_node: error: parameter speed_scale must be in [0.01, 1], got 2'),
])
def test_the_node_start_up_exits_2_with_one_line(changes, line):
    # What TeleopNode.__init__ does with the values it read, through main()'s run_node.
    rclpy, stderr = RclpyStandIn(), io.StringIO()
    status = run_node('teleop_node', lambda: load_config(defaults(**changes), CONSTANTS), rclpy,
                      stderr=stderr)
    assert status == EXIT_CONFIG
    assert stderr.getvalue() == line + '\n'
    assert rclpy.calls == ['init', 'try_shutdown']


def test_the_spacemouse_loads_its_own_mapping_with_the_shared_settings():
    config = load_config(defaults(device='spacemouse', translation_scale=0.5,
                                  rotation_scale=0.0), CONSTANTS)
    assert config.device == 'spacemouse' and isinstance(config.mapping, SpaceMouseMapping)
    assert config.mapping.source.endswith('spacemouse_mapping.yaml')
    assert config.settings == TeleopSettings(translation_scale=0.5, rotation_scale=0.0)


def test_a_mapping_file_of_the_other_device_is_refused_naming_the_entry():
    gamepad_file = load_config(defaults(), CONSTANTS).mapping.source
    with pytest.raises(ConfigError, match=f"{gamepad_file}: .*unknown control 'left_x'"):
        load_config(defaults(device='spacemouse', mapping_file=gamepad_file), CONSTANTS)


def test_live_settings_change_and_are_checked():
    settings = TeleopSettings(joint_jog=True)
    changed = updated_settings(settings, {'speed_scale': 0.8, 'dominant_axis': False,
                                          'use_sim_time': True, 'publish_rate': 50.0})
    assert changed == TeleopSettings(speed_scale=0.8, joint_jog=True, dominant_axis=False)
    with pytest.raises(ConfigError, match='deadzone must be in'):
        updated_settings(settings, {'deadzone': 0.95})
    with pytest.raises(ConfigError, match='speed_scale must be a number'):
        updated_settings(settings, {'speed_scale': True})
    locked = updated_settings(changed, {'rotation_scale': 0.0, 'translation_scale': 0.3})
    assert (locked.rotation_scale, locked.translation_scale) == (0.0, 0.3)
    assert locked.speed_scale == 0.8 and locked.joint_jog is True
    with pytest.raises(ConfigError, match='rotation_scale must be in'):
        updated_settings(settings, {'rotation_scale': 2.0})
