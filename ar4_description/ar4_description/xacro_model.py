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
Expand the AR4 xacro into URDF text in-process, without ROS.

The xacro names its includes and the robot constants relative to itself, so the same call works
from the source tree and from an installed share folder; ``xacro`` is the PyPI/ROS xacro package.

Usage as a script: ``python -m ar4_description.xacro_model -o ar4.urdf [--sim-gazebo]``.
"""

import argparse
import os
from pathlib import Path
import sys
from typing import Optional, Union

from ar4_description.package_files import find_package_file

PACKAGE = 'ar4_description'
XACRO_NAME = 'ar4.urdf.xacro'


def find_xacro_file() -> Path:
    """Find urdf/ar4.urdf.xacro: the source tree, the install prefix's share, the ament index."""
    return find_package_file(PACKAGE, Path('urdf') / XACRO_NAME, __file__)


XACRO_FILE = find_xacro_file()


def _xacro_value(value) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def robot_description(sim_gazebo: bool = False, **mappings) -> str:
    """
    Expand the AR4 xacro and return the URDF as pretty-printed XML text.

    ``sim_gazebo`` selects the gz_ros2_control plugin; further keyword arguments are xacro
    arguments (e.g. ``controllers_file='/path/controllers.yaml'``), given as str, bool or path.
    Raises FileNotFoundError when the xacro file is missing and xacro.XacroException when the
    expansion fails.
    """
    import xacro

    if not XACRO_FILE.is_file():
        raise FileNotFoundError(
            f'AR4 xacro not found at {XACRO_FILE}; run from the source tree or install '
            f'{PACKAGE}')
    arguments = {'sim_gazebo': _xacro_value(sim_gazebo)}
    arguments.update({name: _xacro_value(value) for name, value in mappings.items()})
    document = xacro.process_file(str(XACRO_FILE), mappings=arguments)
    return document.toprettyxml(indent='  ')


def write_urdf(path: Union[str, Path], sim_gazebo: bool = False, **mappings) -> Path:
    """
    Expand the AR4 xacro and write the URDF to ``path``; return the path.

    The file is written next to its destination first and renamed over it, so a failed
    expansion never leaves a half-written URDF behind.
    """
    path = Path(path)
    text = robot_description(sim_gazebo=sim_gazebo, **mappings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + '.partial')
    partial.write_text(text)
    os.replace(partial, path)
    return path


def main(argv: Optional[list] = None) -> int:
    """Write the expanded URDF to a file or to standard output."""
    parser = argparse.ArgumentParser(
        prog='python -m ar4_description.xacro_model',
        description=f'Expand {XACRO_FILE} into URDF without ROS.')
    parser.add_argument('-o', '--output', type=Path,
                        help='write the URDF here (default: standard output)')
    parser.add_argument('--sim-gazebo', action='store_true',
                        help='use the gz_ros2_control plugin (Gazebo) instead of the hardware')
    parser.add_argument('--controllers-file', type=Path,
                        help='controllers YAML for gz_ros2_control (default: the package one)')
    args = parser.parse_args(argv)
    mappings = {}
    if args.controllers_file is not None:
        mappings['controllers_file'] = args.controllers_file.resolve()
    try:
        if args.output is None:
            sys.stdout.write(robot_description(sim_gazebo=args.sim_gazebo, **mappings))
        else:
            write_urdf(args.output, sim_gazebo=args.sim_gazebo, **mappings)
            print(f'wrote {args.output}', file=sys.stderr)
    except Exception as error:  # noqa: B902 - xacro raises many kinds; report them plainly
        print(f'error: could not expand {XACRO_FILE}: {error}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
