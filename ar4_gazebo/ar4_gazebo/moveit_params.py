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
Build the parameters of move_group and servo_node from ar4_description's MoveIt config.

Pure Python (PyYAML, xacro): sim.launch.py calls it, and the tests check the result without
ROS. Layout read from the ar4_description share (or source) folder:
config/moveit/{kinematics,joint_limits,ompl_planning,moveit_controllers,servo}.yaml and
srdf/ar4.srdf.xacro.
"""

from pathlib import Path
from typing import Dict, Optional, Union

import yaml

DESCRIPTION_PACKAGE = 'ar4_description'
PIPELINE = 'ompl'
# Where Servo sends its commands (sim.launch.py's servo_output argument): the message type, the
# topic, and the arm controller that must be active to take them. Servo reads command_out_type
# and command_out_topic once at start-up (read-only), so the choice is made at launch.
SERVO_OUTPUTS = {
    'trajectory': ('trajectory_msgs/JointTrajectory',
                   '/joint_trajectory_controller/joint_trajectory',
                   'joint_trajectory_controller'),
    'forward_position': ('std_msgs/Float64MultiArray', '/forward_position_controller/commands',
                         'forward_position_controller'),
}


def description_share() -> Path:
    """Return ar4_description's folder: the source tree next to this one, else its share."""
    source = Path(__file__).resolve().parents[2] / DESCRIPTION_PACKAGE
    if (source / 'config' / 'moveit').is_dir():
        return source
    from ament_index_python.packages import get_package_share_directory
    return Path(get_package_share_directory(DESCRIPTION_PACKAGE))


def load_yaml(path: Union[str, Path]) -> dict:
    """Load a YAML mapping; raise ValueError naming the file when it is not one."""
    with open(path) as stream:
        data = yaml.safe_load(stream)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a YAML mapping at the top level')
    return data


def semantic_description(share: Optional[Path] = None) -> str:
    """Expand srdf/ar4.srdf.xacro (group states from the robot constants) to SRDF text."""
    import xacro

    share = share or description_share()
    return xacro.process_file(str(share / 'srdf' / 'ar4.srdf.xacro')).toxml()


def controllers_file(share: Optional[Path] = None) -> Path:
    """Return the path of the ros2_control controllers file that gz_ros2_control loads."""
    return (share or description_share()) / 'config' / 'controllers.yaml'


def _common(robot_description: str, semantic: str, share: Path, use_sim_time: bool) -> Dict:
    moveit = share / 'config' / 'moveit'
    return {
        'robot_description': robot_description,
        'robot_description_semantic': semantic,
        'robot_description_kinematics': load_yaml(moveit / 'kinematics.yaml'),
        'robot_description_planning': load_yaml(moveit / 'joint_limits.yaml'),
        'use_sim_time': use_sim_time,
    }


def move_group_parameters(robot_description: str, semantic: str,
                          share: Optional[Path] = None, use_sim_time: bool = True) -> Dict:
    """Return the parameter dictionary of move_group (OMPL, simple controller manager)."""
    share = share or description_share()
    moveit = share / 'config' / 'moveit'
    parameters = _common(robot_description, semantic, share, use_sim_time)
    parameters.update({
        'planning_pipelines': [PIPELINE],
        'default_planning_pipeline': PIPELINE,
        PIPELINE: load_yaml(moveit / 'ompl_planning.yaml'),
        'moveit_manage_controllers': False,
        'publish_robot_description_semantic': True,
        'publish_planning_scene': True,
        'publish_geometry_updates': True,
        'publish_state_updates': True,
        'publish_transforms_updates': True,
    })
    parameters.update(load_yaml(moveit / 'moveit_controllers.yaml'))
    return parameters


def servo_output_controller(output: str) -> str:
    """Return the arm controller that takes Servo's commands for a servo_output choice."""
    if output not in SERVO_OUTPUTS:
        raise ValueError(f'servo output must be one of {", ".join(SERVO_OUTPUTS)}, got {output!r}')
    return SERVO_OUTPUTS[output][2]


def servo_parameters(robot_description: str, semantic: str,
                     share: Optional[Path] = None, use_sim_time: bool = True,
                     output: str = 'trajectory') -> Dict:
    """
    Return the parameter dictionary of servo_node (servo.yaml plus the robot model).

    ``output`` (a key of SERVO_OUTPUTS) sets command_out_type and command_out_topic; servo.yaml
    holds the trajectory output.
    """
    servo_output_controller(output)  # raises on an unknown choice
    share = share or description_share()
    parameters = _common(robot_description, semantic, share, use_sim_time)
    parameters.update(load_yaml(share / 'config' / 'moveit' / 'servo.yaml'))
    message_type, topic, _ = SERVO_OUTPUTS[output]
    parameters['moveit_servo'] = dict(parameters['moveit_servo'], command_out_type=message_type,
                                      command_out_topic=topic)
    return parameters
