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

"""The twin model is derived from the xacro and the SDF world and stays equal to them."""

import math
import xml.etree.ElementTree as ElementTree

from ar4_description.robot_constants import robot_constants
from ar4_description.xacro_model import robot_description
from ar4_mujoco import model as twin_model_module
from ar4_mujoco.env import AR4Twin
import mujoco
import numpy as np
import pytest


def test_compiles_and_steps_without_warnings(twin_model):
    env = AR4Twin(render=False, twin=twin_model)
    env.reset(seed=3)
    targets = robot_constants().home7.copy()
    targets[6] = robot_constants().gripper.open
    for _ in range(90):  # three seconds of sim time
        observation = env.step(targets)
    assert env.warnings() == {}
    assert observation.time == pytest.approx(3.0, abs=1e-6)
    assert np.all(np.isfinite(env.data.qpos))
    # The arm holds the home pose and the jaws opened, tracked like the JTC would.
    np.testing.assert_allclose(observation.joint_positions, targets[:6], atol=0.01)
    assert observation.gripper == pytest.approx(targets[6], abs=5e-4)
    mimic = env.data.qpos[twin_model.mimic_qpos]
    assert mimic == pytest.approx(observation.gripper, abs=5e-4)


def test_joint_names_and_limits_equal_robot_constants(twin_model):
    constants = robot_constants()
    model = twin_model.model
    assert twin_model.arm_joints == constants.joint_names
    for index, name in enumerate(constants.joint_names):
        joint = model.joint(name)
        np.testing.assert_allclose(joint.range, [constants.lower[index], constants.upper[index]])
        actuator = model.actuator(name)
        np.testing.assert_allclose(actuator.ctrlrange, joint.range)
        effort = constants.effort_limits[index]
        np.testing.assert_allclose(actuator.forcerange, [-effort, effort])
    gripper = constants.gripper
    for name in (gripper.joint_name, gripper.mimic_joint_name):
        np.testing.assert_allclose(model.joint(name).range, [gripper.lower, gripper.upper])
    np.testing.assert_allclose(model.actuator(gripper.joint_name).forcerange,
                               [-gripper.effort_limit, gripper.effort_limit])
    # The mimic jaw follows the driven one through a joint equality from the URDF's <mimic>.
    equality = model.equality(f'mimic_{gripper.mimic_joint_name}')
    assert equality.type == mujoco.mjtEq.mjEQ_JOINT
    assert model.joint(int(equality.obj1id[0])).name == gripper.mimic_joint_name
    assert model.joint(int(equality.obj2id[0])).name == gripper.joint_name
    # One control period is one 1/30 s frame.
    assert model.opt.timestep * twin_model.substeps == pytest.approx(1.0 / 30.0)


def test_cubes_tiers_and_physics_equal_the_sdf_world(twin_model, world):
    model = twin_model.model
    scene = twin_model.scene
    assert scene.colours == tuple(cube.colour for cube in world.cubes)
    np.testing.assert_allclose(model.opt.gravity, world.gravity)
    for cube in world.cubes:
        geom = model.geom(cube.name)
        np.testing.assert_allclose(2 * geom.size, [cube.size] * 3)
        np.testing.assert_allclose(geom.rgba, cube.rgba)
        assert model.body(cube.name).mass[0] == pytest.approx(cube.mass)
        assert geom.friction[0] == pytest.approx(
            twin_model_module.mujoco_friction(*cube.friction))
        # The free joint starts at the SDF start pose.
        address = twin_model.cube_qpos[cube.colour]
        np.testing.assert_allclose(model.qpos0[address:address + 3], cube.pose.xyz, atol=1e-9)
        np.testing.assert_allclose(model.qpos0[address + 3:address + 7], [1, 0, 0, 0],
                                   atol=1e-9)
    for tier in world.tiers:
        derived = scene.tier(tier.name)
        assert derived.z == tier.z
        assert derived.x_range == tuple(tier.x_range)
        assert derived.y_range == tuple(tier.y_range)
    for box in world.boxes:
        geom = model.geom(f'{box.model}/{box.name}')
        np.testing.assert_allclose(2 * geom.size, box.size)
        np.testing.assert_allclose(geom.pos, box.pose.xyz, atol=1e-9)


def test_camera_and_pad_friction_come_from_the_urdf(twin_model):
    root = ElementTree.fromstring(robot_description(sim_gazebo=False))
    sensor = root.find("gazebo[@reference='wrist_camera_link']/sensor")
    horizontal_fov = float(sensor.findtext('camera/horizontal_fov'))
    width = int(sensor.findtext('camera/image/width'))
    height = int(sensor.findtext('camera/image/height'))
    assert (width, height) == (640, 480)
    camera = twin_model.model.camera(twin_model_module.CAMERA_NAME)
    expected_fovy = math.degrees(2 * math.atan(math.tan(horizontal_fov / 2) * height / width))
    assert camera.fovy[0] == pytest.approx(expected_fovy)
    assert twin_model.model.body(camera.bodyid[0]).name == 'wrist_camera_link'
    # Clip planes at the sensor's distances (MuJoCo stores them relative to the model extent).
    extent = twin_model.model.stat.extent
    assert twin_model.model.vis.map.znear * extent == pytest.approx(
        float(sensor.findtext('camera/clip/near')))
    assert twin_model.model.vis.map.zfar * extent == pytest.approx(
        float(sensor.findtext('camera/clip/far')))
    mu = float(root.find("gazebo[@reference='gripper_jaw1_link']/mu1").text)
    assert twin_model.pad_friction == twin_model_module.mujoco_friction(mu, mu)


def test_friction_mapping_and_vertical_fov():
    assert twin_model_module.mujoco_friction(1e5, 1e5) == twin_model_module.MAX_FRICTION
    assert twin_model_module.mujoco_friction(0.8, 1.2) == pytest.approx(0.8)
    assert twin_model_module.mujoco_friction(0.0) == twin_model_module.MIN_FRICTION
    assert twin_model_module.vertical_fov(1.2, 640, 480) == pytest.approx(
        2 * math.atan(math.tan(0.6) * 0.75))


def test_a_urdf_without_camera_is_refused():
    urdf = robot_description(sim_gazebo=False)
    root = ElementTree.fromstring(urdf)
    for gazebo in root.findall('gazebo'):
        if gazebo.find('sensor') is not None:
            root.remove(gazebo)
    with pytest.raises(twin_model_module.ModelError, match='camera'):
        twin_model_module.read_urdf(ElementTree.tostring(root, encoding='unicode'))
