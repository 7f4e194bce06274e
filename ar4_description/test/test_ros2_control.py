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

"""The ros2_control xacro macro: interfaces, initial values and plugins from the constants."""

from pathlib import Path
import xml.etree.ElementTree as ElementTree

from ar4_description.robot_constants import robot_constants
import pytest
import xacro

URDF_DIR = Path(__file__).resolve().parents[1] / 'urdf'
TOP_LEVEL = URDF_DIR / 'ar4.urdf.xacro'
CONTROLLERS_FILE = '/opt/ar4/controllers.yaml'

# The macro alone, in the smallest robot that holds it; the include path is absolute so the
# wrapper can live in a temporary folder.
WRAPPER = """<?xml version="1.0"?>
<robot name="wrapper" xmlns:xacro="http://www.ros.org/wiki/xacro">
  <xacro:arg name="sim_gazebo" default="false"/>
  <xacro:include filename="{macro}"/>
  <link name="base_link"/>
  <xacro:ar4_ros2_control sim_gazebo="$(arg sim_gazebo)" controllers_file="{controllers}"/>
</robot>
"""


def expand_macro(tmp_path, sim_gazebo):
    wrapper = tmp_path / 'wrapper.urdf.xacro'
    wrapper.write_text(WRAPPER.format(macro=URDF_DIR / 'ar4.ros2_control.xacro',
                                      controllers=CONTROLLERS_FILE))
    document = xacro.process_file(str(wrapper),
                                  mappings={'sim_gazebo': str(sim_gazebo).lower()})
    return ElementTree.fromstring(document.toxml())


def interfaces(joint, kind):
    return [element.get('name') for element in joint.findall(kind)]


def check_ros2_control(robot, sim_gazebo):
    c = robot_constants()
    blocks = robot.findall('ros2_control')
    assert len(blocks) == 1
    block = blocks[0]
    assert (block.get('name'), block.get('type')) == ('ar4', 'system')
    plugin = block.find('hardware/plugin').text.strip()
    assert plugin == ('gz_ros2_control/GazeboSimSystem' if sim_gazebo
                      else 'mock_components/GenericSystem')
    joints = {joint.get('name'): joint for joint in block.findall('joint')}
    assert list(joints) == list(c.joint_names) + [c.gripper.joint_name,
                                                  c.gripper.mimic_joint_name]
    for name, home, lower, upper in zip(c.joint_names, c.home, c.lower, c.upper):
        joint = joints[name]
        # A velocity command interface would win over position in gz_ros2_control.
        assert interfaces(joint, 'command_interface') == ['position'], name
        assert interfaces(joint, 'state_interface') == ['position', 'velocity'], name
        command = joint.find('command_interface')
        assert float(command.find("param[@name='min']").text) == pytest.approx(lower)
        assert float(command.find("param[@name='max']").text) == pytest.approx(upper)
        initial = joint.find("state_interface[@name='position']/param[@name='initial_value']")
        assert float(initial.text) == pytest.approx(home), name
    jaw = joints[c.gripper.joint_name]
    assert interfaces(jaw, 'command_interface') == ['position']
    initial = jaw.find("state_interface[@name='position']/param[@name='initial_value']")
    assert float(initial.text) == pytest.approx(c.gripper.home)
    mimic = joints[c.gripper.mimic_joint_name]
    # Jazzy: a mimic joint claims no command interface and has no <param name="mimic">.
    assert interfaces(mimic, 'command_interface') == []
    assert interfaces(mimic, 'state_interface') == ['position', 'velocity']
    assert mimic.find('param') is None

    plugins = robot.findall('gazebo/plugin')
    if sim_gazebo:
        assert len(plugins) == 1
        assert plugins[0].get('filename') == 'gz_ros2_control-system'
        assert plugins[0].get('name') == 'gz_ros2_control::GazeboSimROS2ControlPlugin'
        return plugins[0].find('parameters').text.strip()
    assert [p for p in plugins if p.get('filename') == 'gz_ros2_control-system'] == []
    return None


@pytest.mark.parametrize('sim_gazebo', [True, False])
def test_macro_alone(tmp_path, sim_gazebo):
    parameters = check_ros2_control(expand_macro(tmp_path, sim_gazebo), sim_gazebo)
    if sim_gazebo:
        assert parameters == CONTROLLERS_FILE


@pytest.mark.skipif(not TOP_LEVEL.is_file(), reason='ar4.urdf.xacro is not written yet')
@pytest.mark.parametrize('sim_gazebo', [True, False])
def test_full_robot_description(sim_gazebo):
    from ar4_description.xacro_model import robot_description
    robot = ElementTree.fromstring(
        robot_description(sim_gazebo=sim_gazebo, controllers_file=CONTROLLERS_FILE))
    check_ros2_control(robot, sim_gazebo)
    urdf_joints = {joint.get('name'): joint for joint in robot.findall('joint')}
    c = robot_constants()
    for name in c.names7 + (c.gripper.mimic_joint_name,):
        assert name in urdf_joints, name
    mimic = urdf_joints[c.gripper.mimic_joint_name].find('mimic')
    assert mimic is not None and mimic.get('joint') == c.gripper.joint_name


@pytest.mark.skipif(not TOP_LEVEL.is_file(), reason='ar4.urdf.xacro is not written yet')
def test_srdf_names_only_links_and_joints_of_the_urdf():
    from ar4_description.xacro_model import robot_description
    robot = ElementTree.fromstring(robot_description(sim_gazebo=False))
    links = {link.get('name') for link in robot.findall('link')}
    joints = {joint.get('name') for joint in robot.findall('joint')}
    srdf = ElementTree.fromstring(xacro.process_file(
        str(URDF_DIR.parent / 'srdf' / 'ar4.srdf.xacro')).toxml())
    named_links = {pair.get(key) for pair in srdf.findall('disable_collisions')
                   for key in ('link1', 'link2')}
    named_links |= {link.get('name') for link in srdf.iter('link')}
    chain = srdf.find("group[@name='ar_manipulator']/chain")
    named_links |= {chain.get('base_link'), chain.get('tip_link')}
    assert named_links - links == set()
    named_joints = {j.get('name') for j in srdf.iter('joint')}
    assert named_joints - joints == set()
