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

"""The AR4 xacro: expansion, URDF validity, kinematics, limits, gripper and wrist camera."""

import math
from pathlib import Path
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

from ar4_description import xacro_model
from ar4_description.robot_constants import robot_constants
import mujoco
import numpy as np
import pytest
import xacro

# At q = 0 the flange sits here in base_link (= world) coordinates (AR4 mk3 reference), metres.
FLANGE_AT_ZERO = (-0.007, -0.328, 0.475)
# Link masses of the AR4 mk3, kg.
LINK_MASSES = {'base_link': 0.710, 'link_1': 0.881, 'link_2': 0.577, 'link_3': 0.179,
               'link_4': 0.349, 'link_5': 0.116, 'link_6': 0.014}
CUBE_EDGE = 0.03


@pytest.fixture(scope='module')
def urdf_text():
    return xacro_model.robot_description()


@pytest.fixture(scope='module')
def urdf_xml(urdf_text):
    return ElementTree.fromstring(urdf_text)


def mujoco_ready(text):
    """Keep fixed links as bodies and visuals as geoms so frames can be looked up by name."""
    tag = '<mujoco><compiler fusestatic="false" discardvisual="false"/></mujoco>'
    return text.replace('<link name="world"/>', tag + '<link name="world"/>', 1)


@pytest.fixture(scope='module')
def mj(urdf_text):
    model = mujoco.MjModel.from_xml_string(mujoco_ready(urdf_text))
    return model, mujoco.MjData(model)


def pose(model, data, arm=(0.0,) * 6, jaw=0.0):
    names = robot_constants().joint_names
    for name, value in zip(names, arm):
        data.qpos[model.joint(name).qposadr[0]] = value
    gripper = robot_constants().gripper
    for name in (gripper.joint_name, gripper.mimic_joint_name):
        data.qpos[model.joint(name).qposadr[0]] = jaw
    mujoco.mj_kinematics(model, data)


def test_xacro_expands_with_and_without_gazebo(urdf_text):
    for sim_gazebo in (False, True):
        root = ElementTree.fromstring(xacro_model.robot_description(sim_gazebo=sim_gazebo))
        assert root.tag == 'robot' and root.get('name') == 'ar4'
        links = {link.get('name') for link in root.findall('link')}
        assert {'world', 'base_link', 'ee_link', 'gripper_base_link', 'wrist_camera_link',
                'wrist_camera_optical_frame'} <= links
        assert {f'link_{i}' for i in range(1, 7)} <= links


def test_xacro_expands_from_a_copied_share_folder(tmp_path):
    """Everything is named relative to the xacro, so an installed share folder works as is."""
    share = tmp_path / 'share' / 'ar4_description'
    source = Path(xacro_model.XACRO_FILE).parents[1]
    shutil.copytree(source / 'urdf', share / 'urdf')
    shutil.copytree(source / 'config', share / 'config')
    document = xacro.process_file(str(share / 'urdf' / 'ar4.urdf.xacro'),
                                  mappings={'sim_gazebo': 'true'})
    assert 'joint_6' in document.toxml()


def test_write_urdf_and_the_module_cli(tmp_path, capsys):
    written = xacro_model.write_urdf(tmp_path / 'out' / 'ar4.urdf')
    assert written.is_file() and not list(written.parent.glob('*.partial'))
    assert ElementTree.parse(written).getroot().get('name') == 'ar4'
    assert xacro_model.main(['-o', str(tmp_path / 'cli.urdf'), '--sim-gazebo']) == 0
    assert (tmp_path / 'cli.urdf').is_file()


@pytest.mark.skipif(shutil.which('check_urdf') is None,
                    reason='check_urdf (Debian liburdfdom-tools) is not installed')
def test_check_urdf_accepts_it(tmp_path):
    for sim_gazebo in (False, True):
        path = xacro_model.write_urdf(tmp_path / f'ar4_{sim_gazebo}.urdf', sim_gazebo=sim_gazebo)
        result = subprocess.run(['check_urdf', str(path)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'root Link: world' in result.stdout


def test_urdf_parser_py_reads_the_chain(urdf_text):
    from urdf_parser_py.urdf import URDF

    robot = URDF.from_xml_string(urdf_text)
    assert robot.get_root() == 'world'
    chain = robot.get_chain('world', 'ee_link', links=False)
    assert chain == ['base_joint'] + [f'joint_{i}' for i in range(1, 7)] + ['ee_joint']
    joints = {joint.name: joint for joint in robot.joints}
    assert joints['base_joint'].type == 'fixed'
    assert joints['ee_joint'].type == 'fixed'


def test_arm_kinematics_follow_the_mk3_reference(urdf_xml):
    expected = {
        'joint_1': ('0 0 0', (math.pi, 0, 0), '0 0 1'),
        'joint_2': ('0 0.0642 -0.16977', (1.5708, 0, -1.5708), '0 0 -1'),
        'joint_3': ('0 -0.305 0.007', (0, 0, 3.1416), '0 0 -1'),
        'joint_4': ('0 0 0', (1.5708, 0, -1.5708), '0 0 -1'),
        'joint_5': ('0 0 -0.22263', (math.pi, 0, -1.5708), '1 0 0'),
        'joint_6': ('0 0 0.041', (0, 0, 3.1416), '0 0 1'),
    }
    joints = {joint.get('name'): joint for joint in urdf_xml.findall('joint')}
    for name, (xyz, rpy, axis) in expected.items():
        origin = joints[name].find('origin')
        assert np.allclose([float(v) for v in origin.get('xyz').split()],
                           [float(v) for v in xyz.split()]), name
        assert np.allclose([float(v) for v in origin.get('rpy').split()], rpy, atol=1e-6), name
        assert np.allclose([float(v) for v in joints[name].find('axis').get('xyz').split()],
                           [float(v) for v in axis.split()]), name


def test_mujoco_compiles_it_and_the_flange_is_where_the_reference_says(mj):
    model, data = mj
    pose(model, data)
    flange = data.xpos[model.body('ee_link').id]
    assert np.allclose(flange, FLANGE_AT_ZERO, atol=1e-3), flange
    # The flange's z axis (the approach direction) points along -y at q = 0.
    assert np.allclose(data.xmat[model.body('ee_link').id].reshape(3, 3)[:, 2], (0, -1, 0),
                       atol=1e-3)


def test_link_masses_and_inertias_are_plausible(urdf_xml, mj):
    links = {link.get('name'): link for link in urdf_xml.findall('link')}
    for name, mass in LINK_MASSES.items():
        assert float(links[name].find('inertial/mass').get('value')) == pytest.approx(mass)
    model, _ = mj
    for body in range(1, model.nbody):
        if model.body_mass[body] > 0:
            a, b, c = sorted(model.body_inertia[body])
            assert a > 0 and a + b >= c * (1 - 1e-9), model.body(body).name


def test_every_link_with_mass_has_visual_and_collision_geometry(urdf_xml):
    for link in urdf_xml.findall('link'):
        if link.find('inertial') is not None:
            assert link.find('visual/geometry') is not None, link.get('name')
            assert link.find('collision/geometry') is not None, link.get('name')
            assert link.find('visual/geometry/mesh') is None, 'primitive shapes only'


def test_joint_limits_are_the_robot_constants(urdf_xml):
    constants = robot_constants()
    joints = {joint.get('name'): joint for joint in urdf_xml.findall('joint')}
    for i, name in enumerate(constants.joint_names):
        assert joints[name].get('type') == 'revolute'
        limit = joints[name].find('limit')
        assert float(limit.get('lower')) == pytest.approx(constants.lower[i])
        assert float(limit.get('upper')) == pytest.approx(constants.upper[i])
        assert float(limit.get('velocity')) == pytest.approx(constants.velocity_limits[i])
        assert float(limit.get('effort')) == pytest.approx(constants.effort_limits[i])
    gripper = constants.gripper
    for name in (gripper.joint_name, gripper.mimic_joint_name):
        assert joints[name].get('type') == 'prismatic'
        limit = joints[name].find('limit')
        assert float(limit.get('lower')) == pytest.approx(gripper.lower)
        assert float(limit.get('upper')) == pytest.approx(gripper.upper)
        assert float(limit.get('velocity')) == pytest.approx(gripper.velocity_limit)
        assert float(limit.get('effort')) == pytest.approx(gripper.effort_limit)


def test_jaw2_mimics_jaw1_and_they_move_apart(urdf_xml):
    gripper = robot_constants().gripper
    joints = {joint.get('name'): joint for joint in urdf_xml.findall('joint')}
    mimic = joints[gripper.mimic_joint_name].find('mimic')
    assert mimic is not None and mimic.get('joint') == gripper.joint_name
    assert float(mimic.get('multiplier')) == 1.0
    assert joints[gripper.joint_name].find('mimic') is None
    axis1 = np.array(joints[gripper.joint_name].find('axis').get('xyz').split(), float)
    axis2 = np.array(joints[gripper.mimic_joint_name].find('axis').get('xyz').split(), float)
    assert np.allclose(axis1, -axis2)
    base = joints['gripper_base_joint']
    assert base.find('parent').get('link') == 'ee_link'
    assert np.allclose(np.array(base.find('origin').get('rpy').split(), float),
                       (-1.5708, 0, 0))


def pad_gap(model, data, jaw):
    """Return the distance between the pads' inner faces and the pads' offset past the base."""
    pose(model, data, jaw=jaw)
    faces, offsets = [], []
    base = model.body('gripper_base_link').id
    base_rotation = data.xmat[base].reshape(3, 3)
    for link in ('gripper_jaw1_link', 'gripper_jaw2_link'):
        body = model.body(link).id
        geom = next(g for g in range(model.ngeom) if model.geom_bodyid[g] == body
                    and model.geom_type[g] == mujoco.mjtGeom.mjGEOM_BOX)
        local = base_rotation.T @ (data.geom_xpos[geom] - data.xpos[base])
        faces.append(abs(local[0]) - model.geom_size[geom][0])
        offsets.append(-local[1])
    return sum(faces), offsets


def test_pads_grip_a_3cm_cube_near_one_centimetre_per_jaw(mj):
    model, data = mj
    closed, offsets = pad_gap(model, data, robot_constants().gripper.closed)
    opened, _ = pad_gap(model, data, robot_constants().gripper.open)
    assert closed == pytest.approx(0.010, abs=1e-4)
    assert opened == pytest.approx(0.038, abs=1e-4)
    assert offsets == pytest.approx([0.036, 0.036], abs=1e-3)
    grip, _ = pad_gap(model, data, 0.010)
    assert grip == pytest.approx(CUBE_EDGE, abs=1e-4)


def test_pads_have_high_contact_friction_for_dart_and_the_twin(urdf_xml):
    for link in ('gripper_jaw1_link', 'gripper_jaw2_link'):
        tags = [g for g in urdf_xml.findall('gazebo') if g.get('reference') == link]
        assert len(tags) == 1, link
        assert float(tags[0].find('mu1').text) >= 1e4
        assert float(tags[0].find('mu2').text) >= 1e4
        # sdformat turns these into <contact><ode>, which neither DART nor bullet-featherstone
        # reads (gz-physics 7 SDFFeatures.cc): a tag that promises stiffness must not be here.
        for ignored in ('kp', 'kd', 'minDepth', 'maxVel'):
            assert tags[0].find(ignored) is None, (link, ignored)


def camera_sensor(urdf_xml):
    tags = [g for g in urdf_xml.findall('gazebo') if g.get('reference') == 'wrist_camera_link']
    assert len(tags) == 1
    return tags[0].find('sensor')


def test_wrist_camera_sensor_is_640x480_rgb_at_30hz(urdf_xml):
    sensor = camera_sensor(urdf_xml)
    assert sensor.get('type') == 'camera' and sensor.get('name') == 'wrist_camera'
    assert sensor.find('topic').text == 'wrist_camera/image'
    assert sensor.find('gz_frame_id').text == 'wrist_camera_optical_frame'
    assert float(sensor.find('update_rate').text) == 30
    assert sensor.find('always_on').text == 'true'
    image = sensor.find('camera/image')
    assert (int(image.find('width').text), int(image.find('height').text)) == (640, 480)
    assert image.find('format').text == 'R8G8B8'
    assert 0.8 <= float(sensor.find('camera/horizontal_fov').text) <= 1.6
    near = float(sensor.find('camera/clip/near').text)
    assert 0 < near < float(sensor.find('camera/clip/far').text)


def project(model, data, point, urdf_xml):
    """Project a world point into the wrist image (pixels), Gazebo camera model."""
    camera = model.body('wrist_camera_link').id
    rotation = data.xmat[camera].reshape(3, 3)
    local = rotation.T @ (np.asarray(point) - data.xpos[camera])
    sensor = camera_sensor(urdf_xml)
    hfov = float(sensor.find('camera/horizontal_fov').text)
    focal = 320 / math.tan(hfov / 2)
    # Gazebo cameras look along +x of their link, +y is image left and +z image up.
    return local[0], 320 - focal * local[1] / local[0], 240 - focal * local[2] / local[0]


def test_wrist_camera_sees_the_pad_tips_in_the_lower_image_and_the_optical_frame(mj, urdf_xml):
    model, data = mj
    pose(model, data, arm=robot_constants().home, jaw=robot_constants().gripper.open)
    base = model.body('gripper_base_link').id
    base_rotation = data.xmat[base].reshape(3, 3)
    for side in (-1, 1):
        # Inner tip corner of each open pad, in the gripper base frame.
        tip = base_rotation @ np.array([side * 0.019, -0.048, 0.0]) + data.xpos[base]
        depth, u, v = project(model, data, tip, urdf_xml)
        assert depth > float(camera_sensor(urdf_xml).find('camera/clip/near').text)
        assert 0 <= u < 640 and 240 < v < 480, (u, v)
    # Optical frame: z along the camera's view (+x of its link), x right (-y), y down (-z).
    camera = data.xmat[model.body('wrist_camera_link').id].reshape(3, 3)
    optical = data.xmat[model.body('wrist_camera_optical_frame').id].reshape(3, 3)
    assert np.allclose(optical[:, 2], camera[:, 0], atol=1e-6)
    assert np.allclose(optical[:, 0], -camera[:, 1], atol=1e-6)
    assert np.allclose(optical[:, 1], -camera[:, 2], atol=1e-6)


def test_home_pose_looks_down_at_the_workspace(mj, urdf_xml):
    model, data = mj
    pose(model, data, arm=robot_constants().home)
    view = data.xmat[model.body('wrist_camera_link').id].reshape(3, 3)[:, 0]
    assert view[2] < -0.85, f'the wrist camera should look down at home, looks along {view}'
    # The table in front of the robot, where the cubes lie, is in view.
    depth, u, v = project(model, data, (0.15, -0.22, 0.0), urdf_xml)
    assert depth > 0 and 0 <= u < 640 and 0 <= v < 480
