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

"""The cube reset core and the reset_cubes command line."""

import math
from types import SimpleNamespace

from ar4_gazebo import cube_reset, reset_cubes
import pytest

POSES = [cube_reset.CubePose('teal_cube', 0.1, -0.3, 0.02),
         cube_reset.CubePose('magenta_cube', 0.0, -0.3, 0.02, 0.5),
         cube_reset.CubePose('yellow_cube', -0.1, -0.3, 0.02)]


def test_no_seed_keeps_the_start_poses():
    assert cube_reset.jittered(POSES, None) == POSES


def test_seeded_jitter_is_reproducible_small_and_keeps_height():
    first = cube_reset.jittered(POSES, 7, max_offset_m=0.01, max_yaw_rad=0.3)
    assert first == cube_reset.jittered(POSES, 7, max_offset_m=0.01, max_yaw_rad=0.3)
    assert first != cube_reset.jittered(POSES, 8, max_offset_m=0.01, max_yaw_rad=0.3)
    for start, moved in zip(POSES, first):
        assert moved.name == start.name and moved.z == start.z
        assert abs(moved.x - start.x) <= 0.01 and abs(moved.y - start.y) <= 0.01
        assert abs(moved.yaw - start.yaw) <= 0.3
        assert (moved.x, moved.y) != (start.x, start.y)
    with pytest.raises(ValueError):
        cube_reset.jittered(POSES, 1, max_offset_m=-1)


def test_quaternion_round_trip():
    for yaw in (-3.0, -0.5, 0.0, 1.2, 3.1):
        quaternion = cube_reset.yaw_quaternion(yaw)
        assert cube_reset.yaw_from_quaternion(*quaternion) == pytest.approx(yaw)
    x, y, z, w = cube_reset.yaw_quaternion(math.pi / 2)
    assert math.hypot(x, y, z, w) == pytest.approx(1.0)


def test_set_pose_command_targets_the_world_service():
    command = cube_reset.set_pose_command('ar4_shelf', POSES[1], timeout_ms=1500)
    assert command[:11] == ['gz', 'service', '-s', '/world/ar4_shelf/set_pose', '--reqtype',
                            'gz.msgs.Pose', '--reptype', 'gz.msgs.Boolean', '--timeout', '1500',
                            '--req']
    request = command[11]
    assert request.startswith('name: "magenta_cube", position: {x: 0.000000, y: -0.300000, '
                              'z: 0.020000}')
    assert f'z: {math.sin(0.25):.6f}, w: {math.cos(0.25):.6f}' in request
    with pytest.raises(ValueError):
        cube_reset.set_pose_command('a/b', POSES[0])


def test_reply_and_selection():
    assert cube_reset.reply_succeeded('data: true\n')
    assert not cube_reset.reply_succeeded('data: false\n')
    assert not cube_reset.reply_succeeded('')
    assert [p.name for p in cube_reset.select(POSES, ['yellow_cube'])] == ['yellow_cube']
    assert cube_reset.select(POSES, None) == POSES
    with pytest.raises(KeyError, match='known: teal_cube'):
        cube_reset.select(POSES, ['red_cube'])


def test_start_poses_read_cubes_by_attribute():
    world = SimpleNamespace(cubes=[
        SimpleNamespace(name='teal_cube', x=0.1, y=-0.2, z=0.03, yaw=0.4),
        SimpleNamespace(name='yellow_cube', pose=SimpleNamespace(position=(0.2, -0.1, 0.05))),
        SimpleNamespace(name='magenta_cube',
                        pose=SimpleNamespace(xyz=(0.3, -0.2, 0.01), rpy=(0.0, 0.0, 0.7))),
    ])
    assert reset_cubes.start_poses(world) == [
        cube_reset.CubePose('teal_cube', 0.1, -0.2, 0.03, 0.4),
        cube_reset.CubePose('yellow_cube', 0.2, -0.1, 0.05, 0.0),
        cube_reset.CubePose('magenta_cube', 0.3, -0.2, 0.01, 0.7)]


def test_start_poses_of_the_shelf_world():
    from ar4_gazebo.world import load_world
    world = load_world()
    poses = reset_cubes.start_poses(world)
    assert [pose.name for pose in poses] == [cube.name for cube in world.cubes]
    assert {pose.name for pose in poses} == {'teal_cube', 'magenta_cube', 'yellow_cube'}
    for pose, cube in zip(poses, world.cubes):
        assert (pose.x, pose.y, pose.z) == pytest.approx(tuple(cube.pose.xyz))


def test_dry_run_prints_one_gz_command_per_cube(capsys):
    assert reset_cubes.main(['--dry-run', '--seed', '3', '--cube', 'teal_cube']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('gz service -s /world/ar4_shelf/set_pose ')
    assert 'name: "teal_cube"' in lines[0]
    assert reset_cubes.main(['--dry-run', '--cube', 'red_cube']) == 2


def test_cli_rejects_bad_input_with_exit_code_2(capsys):
    assert reset_cubes.main(['--max-offset', '-1']) == 2
    assert '--max-offset' in capsys.readouterr().err
    with pytest.raises(SystemExit) as error:
        reset_cubes.main(['--seed', 'abc'])
    assert error.value.code == 2
