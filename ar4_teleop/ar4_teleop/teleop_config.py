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
The teleop node's parameters and their validation (pure Python: no rclpy).

``PARAMETERS`` is the one table of the node's parameters: name, default, description, whether
it is read once at start-up (``read_only``) or applied live, and the range of a number. The node
declares its parameters from it, and the tests check config/teleop.yaml against it.
``load_config`` turns the values the node read into a ``TeleopConfig`` (with the robot constants
and the input device's mapping loaded) or raises ConfigError with one line naming the bad value,
which ``node_startup.run_node`` prints before exiting with status 2.

``device`` chooses the input device: ``gamepad`` (Xbox controller, config/gamepad_mapping.yaml)
or ``spacemouse`` (3Dconnexion SpaceMouse, config/spacemouse_mapping.yaml). Only speed_scale,
deadzone, dominant_axis, translation_scale and rotation_scale change live: they shape the next
command and nothing else. Everything else wires publishers, clients, readers and the timer at
start-up, so it is read_only and ``ros2 param set`` cannot pretend to change it. Ranges are
checked here as well as by rclpy (which already refuses an out-of-range override when the
parameter is declared): the check here covers the types, the names, the choices and the values
rclpy cannot judge, in one message style.
"""

from dataclasses import dataclass
import math
import re
from typing import Any, Mapping, Optional, Tuple, Union

from ar4_description.node_startup import check_choice, ConfigError
from ar4_description.robot_constants import robot_constants, RobotConstants, RobotConstantsError
from ar4_teleop import gamepad, spacemouse
from ar4_teleop.teleop_mapping import MappingError, TeleopSettings

# The parameters that may change while the node runs (TeleopSettings); all others are read_only.
LIVE_PARAMETERS = ('speed_scale', 'deadzone', 'dominant_axis', 'translation_scale',
                   'rotation_scale')
# The input devices, each with the loader of its mapping file (an empty mapping_file: the
# package's default for that device).
MAPPING_LOADERS = {'gamepad': gamepad.load_mapping, 'spacemouse': spacemouse.load_mapping}
DEVICES = tuple(MAPPING_LOADERS)

TOPICS = {
    'twist_topic': ('/servo_node/delta_twist_cmds', 'geometry_msgs/TwistStamped to Servo'),
    'joint_jog_topic': ('/servo_node/delta_joint_cmds', 'control_msgs/JointJog to Servo'),
    'switch_command_type_service': ('/servo_node/switch_command_type',
                                    'moveit_msgs/srv/ServoCommandType of Servo'),
    'pause_servo_service': ('/servo_node/pause_servo', 'std_srvs/SetBool pausing Servo'),
    'joint_trajectory_topic': ('/joint_trajectory_controller/joint_trajectory',
                               'trajectory_msgs/JointTrajectory for homing'),
    'joint_states_topic': ('/joint_states', 'sensor_msgs/JointState of the arm'),
    'gripper_action': ('/gripper_controller/gripper_cmd',
                       'control_msgs/action/ParallelGripperCommand server'),
    'gripper_target_topic': ('/gripper_target', 'std_msgs/Float64 gripper targets (m per jaw)'),
    'episode_control_topic': ('/episode_control',
                              'std_msgs/String arm/save/discard/home requests to the recorder'),
    'recorder_state_topic': ('/recorder/state', 'std_msgs/String recorder state (latched)'),
    'go_home_service': ('/ar4_teleop/go_home', 'std_srvs/Trigger homing service offered'),
    'homing_state_topic': ('/ar4_teleop/homing', 'std_msgs/Bool: homing now (latched)'),
}

# A ROS topic or service name: optional leading / or ~/, then tokens that do not start with a
# digit, separated by single slashes (the rules of rcl's name validation, without substitutions).
_ROS_NAME = re.compile(r'^(/|~/)?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$')


@dataclass(frozen=True)
class ParameterSpec:
    """One node parameter: its default (which fixes its type), meaning and limits."""

    name: str
    default: Any
    description: str
    read_only: bool = True
    float_range: Optional[Tuple[float, float]] = None
    choices: Optional[Tuple[str, ...]] = None


PARAMETERS: Tuple[ParameterSpec, ...] = (
    ParameterSpec('device', 'gamepad',
                  'Input device: gamepad (Xbox controller) or spacemouse (3Dconnexion SpaceMouse)',
                  choices=DEVICES),
    ParameterSpec('speed_scale', 0.35, 'Fraction of the maximum speed at full deflection',
                  read_only=False, float_range=(0.01, 1.0)),
    ParameterSpec('joint_jog', False,
                  'Jog single joints (Servo JOINT_JOG) instead of a Cartesian twist'),
    ParameterSpec('deadzone', 0.1, 'Deflection of each axis ignored as drift (rescaled beyond)',
                  read_only=False, float_range=(0.0, 0.9)),
    ParameterSpec('dominant_axis', True,
                  'Only the stronger axis of each stick (gamepad), or the strongest of the six '
                  'axes (SpaceMouse), moves the arm', read_only=False),
    ParameterSpec('translation_scale', 1.0,
                  'SpaceMouse: scale of the push / pull axes (0 locks translation)',
                  read_only=False, float_range=(0.0, 1.0)),
    ParameterSpec('rotation_scale', 1.0,
                  'SpaceMouse: scale of the tilt / twist axes (0 locks rotation)',
                  read_only=False, float_range=(0.0, 1.0)),
    ParameterSpec('publish_rate', 25.0, 'Command rate, Hz (Servo publish_period 0.04 s = 25 Hz)',
                  float_range=(1.0, 100.0)),
    ParameterSpec('planning_frame', 'base_link', 'Frame of the twist commands'),
    ParameterSpec('mapping_file', '', "The device's mapping YAML (empty: the package's "
                  'gamepad_mapping.yaml or spacemouse_mapping.yaml)'),
    ParameterSpec('read_device', True, 'Read the input device (false: keyboard keys only)'),
    ParameterSpec('keyboard', True, "Read the mapping's keys from stdin when it is a terminal"),
    ParameterSpec('homing_velocity_fraction', 0.5, 'Fraction of the velocity limits for homing',
                  float_range=(0.05, 1.0)),
    ParameterSpec('home_on_start', False,
                  'Home once on the first joint state, retrying until homing is accepted'),
) + tuple(ParameterSpec(name, default, description)
          for name, (default, description) in TOPICS.items())

PARAMETER_NAMES = tuple(spec.name for spec in PARAMETERS)
# Parameters every rclpy node declares itself; a parameters file may set them too.
NODE_BUILTIN_PARAMETERS = ('use_sim_time',)


@dataclass(frozen=True)
class TeleopConfig:
    """Everything the teleop node reads at start-up, validated."""

    device: str
    settings: TeleopSettings
    publish_rate: float
    planning_frame: str
    read_device: bool
    keyboard: bool
    homing_velocity_fraction: float
    home_on_start: bool
    topics: Mapping[str, str]
    mapping: Union[gamepad.GamepadMapping, spacemouse.SpaceMouseMapping]
    constants: RobotConstants

    @property
    def period(self) -> float:
        """Return the command period in seconds."""
        return 1.0 / self.publish_rate


def check_value(spec: ParameterSpec, value) -> Any:
    """Return ``value`` if it has the parameter's type and lies in its range; else ConfigError."""
    expected = type(spec.default)
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f'parameter {spec.name} must be a number, got {value!r}')
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f'parameter {spec.name} must be finite, got {value!r}')
        if spec.float_range is not None:
            low, high = spec.float_range
            if not low <= value <= high:
                raise ConfigError(
                    f'parameter {spec.name} must be in [{low:g}, {high:g}], got {value:g}')
        return value
    if not isinstance(value, expected):
        raise ConfigError(f'parameter {spec.name} must be a {expected.__name__}, got {value!r}')
    return value


def _ros_name(name: str, value: str) -> str:
    if not _ROS_NAME.match(value):
        raise ConfigError(f'parameter {name} must be a ROS topic or service name such as '
                          f'{TOPICS[name][0]}, got {value!r}')
    return value


def load_config(values: Mapping[str, Any],
                constants: Optional[RobotConstants] = None) -> TeleopConfig:
    """
    Validate the parameter values the node read and load what they name; raise ConfigError.

    ``values`` maps every name of PARAMETERS to its value. ``constants`` defaults to the
    package's robot_constants.yaml; the mapping file is loaded and validated here too, so a bad
    file stops the node before anything is wired.
    """
    missing = [name for name in PARAMETER_NAMES if name not in values]
    if missing:
        raise ConfigError(f'parameters missing: {", ".join(missing)}')
    checked = {spec.name: check_value(spec, values[spec.name]) for spec in PARAMETERS}
    for spec in PARAMETERS:
        if spec.choices is not None:
            check_choice(spec.name, checked[spec.name], spec.choices)
    frame = checked['planning_frame']
    if not frame or frame != frame.strip():
        raise ConfigError(f'parameter planning_frame must name a frame such as base_link, got '
                          f'{frame!r}')
    topics = {name: _ros_name(name, checked[name]) for name in TOPICS}
    try:
        settings = TeleopSettings(joint_jog=checked['joint_jog'],
                                  **{name: checked[name] for name in LIVE_PARAMETERS})
        constants = constants or robot_constants()
        load_mapping = MAPPING_LOADERS[checked['device']]
        mapping = load_mapping(checked['mapping_file'] or None, constants)
    except (MappingError, RobotConstantsError) as error:
        raise ConfigError(str(error)) from None
    return TeleopConfig(
        device=checked['device'], settings=settings, publish_rate=checked['publish_rate'],
        planning_frame=frame, read_device=checked['read_device'], keyboard=checked['keyboard'],
        homing_velocity_fraction=checked['homing_velocity_fraction'],
        home_on_start=checked['home_on_start'], topics=topics, mapping=mapping,
        constants=constants)


def updated_settings(settings: TeleopSettings, changes: Mapping[str, Any]) -> TeleopSettings:
    """
    Return ``settings`` with the live parameters in ``changes`` applied; raise ConfigError.

    Other names in ``changes`` are ignored (rclpy hands the callback every parameter being set,
    use_sim_time included; read_only ones never get this far).
    """
    values = {name: getattr(settings, name) for name in LIVE_PARAMETERS}
    specs = {spec.name: spec for spec in PARAMETERS}
    for name in LIVE_PARAMETERS:
        if name in changes:
            values[name] = check_value(specs[name], changes[name])
    try:
        return TeleopSettings(joint_jog=settings.joint_jog, **values)
    except MappingError as error:
        raise ConfigError(str(error)) from None
