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

"""The twin environment: control, camera, determinism, tasks and success."""

from ar4_description.robot_constants import robot_constants
from ar4_mujoco.expert import down_rotation
from ar4_mujoco.kinematics import Kinematics
from ar4_mujoco.tasks import parse_task, TaskError
import mujoco
import numpy as np
import pytest


def _colour_pixels(image: np.ndarray, rgba) -> int:
    """Count pixels whose chromaticity matches a saturated cube colour, whatever the shading."""
    pixels = image.reshape(-1, 3).astype(float)
    brightness = pixels.max(axis=1)
    lit = brightness > 40
    chroma = pixels[lit] / brightness[lit, None]
    target = np.asarray(rgba[:3], dtype=float)
    target = target / target.max()
    return int(np.sum(np.max(np.abs(chroma - target), axis=1) < 0.2))


def _look_down_at(env, colour: str, height: float = 0.12) -> None:
    """Put the gripper straight above a cube (IK, set directly) and update the kinematics."""
    position, _ = env.cube_poses()[colour]
    kinematics = Kinematics(env.twin)
    goal = position + np.array([0.0, 0.0, height])
    seed = np.array(robot_constants().home)
    seed[4] = 0.8
    result = kinematics.solve(goal, down_rotation(0.0, 0.4), seed)
    assert result.ok, result
    env.data.qpos[env.twin.arm_qpos] = result.q
    mujoco.mj_forward(env.model, env.data)


def test_wrist_image_is_480x640_and_not_blank(camera_twin):
    observation = camera_twin.reset(seed=0, randomize=False)
    assert observation.image.shape == (480, 640, 3)
    assert observation.image.dtype == np.uint8
    assert observation.image.std() > 10
    assert observation.joint_positions.shape == (6,)
    assert observation.state7.shape == (7,)


def test_wrist_image_shows_the_cube_below_the_gripper(camera_twin):
    camera_twin.reset(seed=0, randomize=False)
    for colour in camera_twin.scene.colours:
        cube = camera_twin.scene.cube(colour)
        _look_down_at(camera_twin, colour)
        image = camera_twin.render()
        seen = _colour_pixels(image, cube.rgba)
        assert seen > 400, f'{colour}: only {seen} {colour} pixels in the wrist image'
        # Move that cube away: its colour disappears, so the pixels were the cube.
        address = camera_twin.twin.cube_qpos[colour]
        camera_twin.data.qpos[address:address + 3] += np.array([0.0, 0.0, -5.0])
        mujoco.mj_forward(camera_twin.model, camera_twin.data)
        assert _colour_pixels(camera_twin.render(), cube.rgba) < seen / 10
        camera_twin.reset(seed=0, randomize=False)


def test_steps_track_targets_under_velocity_limits(headless_twin):
    env = headless_twin
    start = env.reset(seed=1, randomize=False)
    constants = robot_constants()
    targets = constants.home7.copy()
    targets[0] += 1.0  # a 1 rad jump: the setpoint ramps at the velocity limit
    observation = env.step(targets)
    moved = observation.joint_positions[0] - start.joint_positions[0]
    assert 0.0 < moved <= constants.velocity_limits[0] / 30.0 + 1e-3
    for _ in range(45):
        observation = env.step(targets)
    assert observation.joint_positions[0] == pytest.approx(targets[0], abs=0.01)
    assert observation.time == pytest.approx(46 / 30.0)
    # Targets outside the limits are clipped to them, like the controllers' limits.
    targets[1] = 10.0
    for _ in range(90):
        observation = env.step(targets)
    assert observation.joint_positions[1] <= constants.upper[1] + 0.01


@pytest.mark.parametrize('bad', [[0.0] * 6, [0.0] * 6 + [float('nan')], 'home'])
def test_step_refuses_malformed_targets(headless_twin, bad):
    with pytest.raises(ValueError, match='targets7'):
        headless_twin.step(bad)


def test_reset_is_deterministic_and_randomises_cubes(headless_twin):
    env = headless_twin
    first = env.reset(seed=7)
    poses_first = env.cube_poses()
    for _ in range(5):
        env.step(robot_constants().home7)
    after_first = env.data.qpos.copy()
    second = env.reset(seed=7)
    np.testing.assert_array_equal(first.joint_positions, second.joint_positions)
    for colour, (position, quat) in env.cube_poses().items():
        np.testing.assert_array_equal(position, poses_first[colour][0])
    for _ in range(5):
        env.step(robot_constants().home7)
    np.testing.assert_array_equal(env.data.qpos, after_first)
    env.reset(seed=8)
    moved = [np.linalg.norm(env.cube_poses()[c][0][:2] - poses_first[c][0][:2])
             for c in env.scene.colours]
    assert max(moved) > 1e-4
    # Randomisation is small: every cube stays within a few centimetres of its SDF pose.
    for colour in env.scene.colours:
        start = np.array(env.scene.cube(colour).position)
        assert np.linalg.norm(env.cube_poses()[colour][0][:2] - start[:2]) < 0.03


def test_task_parsing():
    colours, tiers = ('teal', 'magenta', 'yellow'), ('bottom', 'middle', 'top')
    task = parse_task('Place the Teal cube on the top shelf.', colours, tiers)
    assert (task.colour, task.tier) == ('teal', 'top')
    assert task.text == 'place the teal cube on the top shelf'
    for bad in ('place the red cube on the top shelf', 'place the teal cube on the roof shelf',
                'pick up the teal cube', '', None):
        with pytest.raises(TaskError, match='place the <teal|magenta|yellow>'):
            parse_task(bad, colours, tiers)


def test_success_needs_the_cube_resting_on_the_tier(headless_twin):
    env = headless_twin
    env.reset(seed=0, randomize=False)
    task = 'place the yellow cube on the middle shelf'
    assert not env.is_success(task)
    # Put the cube on the middle tier by hand and let it settle.
    tier = env.scene.tier('middle')
    cube = env.scene.cube('yellow')
    address = env.twin.cube_qpos['yellow']
    x, y, _ = tier.centre
    env.data.qpos[address:address + 3] = [x, y, tier.z + cube.edge / 2 + 0.002]
    env.data.qvel[:] = 0.0
    for _ in range(10):
        env.step(robot_constants().home7)
    assert env.is_success(task)
    assert not env.is_success('place the yellow cube on the top shelf')
    assert not env.is_success('place the teal cube on the middle shelf')
