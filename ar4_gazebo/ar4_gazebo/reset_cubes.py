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
Put the three cubes back on their start poses in the running Gazebo simulation.

The start poses come from the world file (ar4_gazebo.world); --seed adds small reproducible
x/y offsets and yaw turns. Each cube is moved with Gazebo's /world/<name>/set_pose service
through the ``gz service`` command line tool, so no ROS bridge is needed.

  ros2 run ar4_gazebo reset_cubes            # exact start poses
  ros2 run ar4_gazebo reset_cubes --seed 7   # start poses jittered by seed 7
"""

import argparse
import shutil
import subprocess
import sys
from typing import List, Optional

from ar4_gazebo import cube_reset

EXIT_BAD_INPUT = 2


def _number(value, *names):
    for name in names:
        if hasattr(value, name):
            return float(getattr(value, name))
    raise AttributeError(f'none of {names} on {value!r}')


def start_poses(world) -> List[cube_reset.CubePose]:
    """Return the cubes' start poses from a loaded world (ar4_gazebo.world.load_world())."""
    poses = []
    for cube in world.cubes:
        pose = getattr(cube, 'pose', cube)
        # ar4_gazebo.world.Pose: xyz + rpy; other pose objects: position or x/y/z (+ yaw).
        position = getattr(pose, 'xyz', None)
        if position is None:
            position = getattr(pose, 'position', None)
        if position is not None and not hasattr(position, 'x'):
            x, y, z = (float(v) for v in list(position)[:3])
        else:
            source = position if position is not None else pose
            x, y, z = (_number(source, 'x'), _number(source, 'y'), _number(source, 'z'))
        if hasattr(pose, 'rpy'):
            yaw = float(pose.rpy[2])
        else:
            yaw = float(getattr(pose, 'yaw', 0.0))
        poses.append(cube_reset.CubePose(name=str(cube.name), x=x, y=y, z=z, yaw=yaw))
    return poses


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog='reset_cubes',
        description='Move the cubes of the running AR4 Gazebo simulation back to their start '
                    'poses (from the world file), optionally jittered by a seed.')
    parser.add_argument('--seed', type=int, default=None,
                        help='jitter the poses reproducibly with this seed (default: exact '
                             'start poses)')
    parser.add_argument('--max-offset', type=float, default=cube_reset.DEFAULT_MAX_OFFSET_M,
                        metavar='M', help='largest x/y offset with --seed, metres '
                                          '(default: %(default)s)')
    parser.add_argument('--max-yaw', type=float, default=cube_reset.DEFAULT_MAX_YAW_RAD,
                        metavar='RAD', help='largest yaw turn with --seed, radians '
                                            '(default: %(default)s)')
    parser.add_argument('--cube', action='append', default=None, metavar='NAME',
                        help='reset only this cube (repeatable; default: all cubes)')
    parser.add_argument('--world-name', default=None,
                        help='Gazebo world name (default: the name in the world file)')
    parser.add_argument('--timeout-ms', type=int, default=2000,
                        help='gz service timeout per cube, ms (default: %(default)s)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the gz commands instead of running them')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Reset the cubes; exit 0 on success, 1 if Gazebo refused, 2 on bad input."""
    args = parse_args(argv)
    if args.max_offset < 0 or args.max_yaw < 0 or args.timeout_ms <= 0:
        print('reset_cubes: --max-offset and --max-yaw must be >= 0 and --timeout-ms > 0',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from ar4_gazebo.world import load_world
        world = load_world()
        poses = cube_reset.select(start_poses(world), args.cube)
        world_name = args.world_name or getattr(world, 'name', None) or 'ar4_shelf'
        poses = cube_reset.jittered(poses, args.seed, args.max_offset, args.max_yaw)
        commands = [cube_reset.set_pose_command(world_name, pose, args.timeout_ms)
                    for pose in poses]
    except (KeyError, ValueError, OSError) as error:
        print(f'reset_cubes: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.dry_run:
        for command in commands:
            print(' '.join(command[:-1]) + " '" + command[-1] + "'")
        return 0
    if shutil.which('gz') is None:
        print('reset_cubes: the gz command is not installed here; run it where the '
              'simulation runs (e.g. inside the sim container)', file=sys.stderr)
        return 1
    failed = []
    for pose, command in zip(poses, commands):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 or not cube_reset.reply_succeeded(result.stdout):
            failed.append(pose.name)
            print(f'reset_cubes: {pose.name}: no success from {command[3]} '
                  f'({(result.stderr or result.stdout).strip() or "no reply"})', file=sys.stderr)
        else:
            print(f'{pose.name}: x={pose.x:.3f} y={pose.y:.3f} z={pose.z:.3f} '
                  f'yaw={pose.yaw:.3f}')
    if failed:
        print(f'reset_cubes: failed for {", ".join(failed)}; is the simulation running '
              '(ros2 launch ar4_gazebo sim.launch.py)?', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
