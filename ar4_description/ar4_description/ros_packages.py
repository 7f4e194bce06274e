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
Check package.xml dependencies against the ROS 2 Jazzy release and the rosdep keys.

Every dependency in a package.xml must be resolvable by ``rosdep install`` in the Docker image:
either a package released into Jazzy (``ros-jazzy-<name>`` on apt) or a rosdep key with a rule for
Ubuntu Noble, or a package of this workspace. The rosdistro data is read from the shared folder
next to the repository (``../shared/rosdistro``: jazzy/distribution.yaml, rosdep/base.yaml and
rosdep/python.yaml); set ``AR4_ROSDISTRO_DIR`` to use another copy.

Pure Python (PyYAML and the standard library), so any package's tests can call it::

    from ar4_description.ros_packages import check_package_xml, rosdistro_dir
    if rosdistro_dir() is None: pytest.skip(...)
    assert check_package_xml('ar4_teleop/package.xml') == []
"""

import functools
import os
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Union
import xml.etree.ElementTree as ElementTree

import yaml

ENV_VAR = 'AR4_ROSDISTRO_DIR'
DISTRO = 'jazzy'
UBUNTU_CODENAME = 'noble'
REPO_ROOT = Path(__file__).resolve().parents[2]

# Dependency tags of package format 3 that rosdep resolves.
DEPENDENCY_TAGS = (
    'depend', 'build_depend', 'build_export_depend', 'buildtool_depend',
    'buildtool_export_depend', 'exec_depend', 'test_depend', 'doc_depend')

# Installer names that may key an ubuntu rule instead of a codename.
_INSTALLERS = ('apt', 'pip', 'source')


class RosDistroError(RuntimeError):
    """The rosdistro data is missing or unreadable; the message says where it was looked for."""


def rosdistro_dir() -> Optional[Path]:
    """Return the rosdistro folder ($AR4_ROSDISTRO_DIR, else ../shared/rosdistro), or None."""
    override = os.environ.get(ENV_VAR)
    candidates = [Path(override)] if override else []
    candidates.append(REPO_ROOT.parent / 'shared' / 'rosdistro')
    for candidate in candidates:
        if (candidate / DISTRO / 'distribution.yaml').is_file():
            return candidate
    return None


def _require_dir() -> Path:
    found = rosdistro_dir()
    if found is None:
        raise RosDistroError(
            f'rosdistro data not found: expected {DISTRO}/distribution.yaml under '
            f'{REPO_ROOT.parent / "shared" / "rosdistro"} or ${ENV_VAR}')
    return found


def _load_yaml(path: Path):
    try:
        with open(path) as stream:
            return yaml.load(stream, Loader=yaml.CSafeLoader if hasattr(yaml, 'CSafeLoader')
                             else yaml.SafeLoader)
    except (OSError, yaml.YAMLError) as error:
        raise RosDistroError(f'cannot read {path}: {error}') from None


@functools.lru_cache(maxsize=4)
def released_packages(directory: Optional[str] = None) -> FrozenSet[str]:
    """Return the names of all packages released into Jazzy (from distribution.yaml)."""
    root = Path(directory) if directory else _require_dir()
    data = _load_yaml(root / DISTRO / 'distribution.yaml') or {}
    names = set()
    for repo_name, repo in (data.get('repositories') or {}).items():
        release = (repo or {}).get('release')
        if not release:
            continue
        # A repository without a package list releases one package named like the repository.
        names.update(release.get('packages') or [repo_name])
    return frozenset(names)


def _resolves_on_ubuntu(rule) -> bool:
    if rule is None:
        return False
    if isinstance(rule, (list, str)):
        return True
    if isinstance(rule, dict):
        if any(installer in rule for installer in _INSTALLERS):
            return True
        for codename in (UBUNTU_CODENAME, '*'):
            if codename in rule:
                return rule[codename] is not None
    return False


@functools.lru_cache(maxsize=4)
def rosdep_keys(directory: Optional[str] = None) -> Dict[str, bool]:
    """Return every rosdep key of base.yaml and python.yaml: whether it resolves on Noble."""
    root = Path(directory) if directory else _require_dir()
    keys = {}
    for name in ('base.yaml', 'python.yaml'):
        data = _load_yaml(root / 'rosdep' / name) or {}
        for key, rules in data.items():
            keys[key] = isinstance(rules, dict) and _resolves_on_ubuntu(rules.get('ubuntu'))
    return keys


def is_released_jazzy_package(name: str) -> bool:
    """Return True if ``name`` is a package released into ROS 2 Jazzy."""
    return name in released_packages()


def is_rosdep_key(name: str) -> bool:
    """Return True if ``name`` is a rosdep key with a rule for Ubuntu Noble."""
    return rosdep_keys().get(name, False)


def workspace_packages(root: Union[str, Path] = REPO_ROOT) -> FrozenSet[str]:
    """Return the names of the packages in this workspace (folders holding a package.xml)."""
    names = set()
    for path in Path(root).glob('*/package.xml'):
        name = ElementTree.parse(path).getroot().findtext('name')
        if name:
            names.add(name.strip())
    return frozenset(names)


def package_dependencies(path: Union[str, Path]) -> List[tuple]:
    """Return (tag, name) for every dependency element of a package.xml, in file order."""
    root = ElementTree.parse(path).getroot()
    return [(element.tag, (element.text or '').strip())
            for element in root if element.tag in DEPENDENCY_TAGS]


def runtime_dependencies(path: Union[str, Path]) -> FrozenSet[str]:
    """Return the names a package.xml needs at run time (<depend> and <exec_depend>)."""
    return frozenset(name for tag, name in package_dependencies(path)
                     if tag in ('depend', 'exec_depend'))


def pip_only_problems(path: Union[str, Path], names) -> List[str]:
    """
    Return the problems with packages that only pip installs (no rosdep key exists).

    They must not be declared as dependencies, and the package.xml says in a comment that
    requirements.txt brings them.
    """
    path = Path(path)
    declared = runtime_dependencies(path)
    text = path.read_text()
    problems = [f'{path}: {name} is declared, but no rosdep key installs it (pip only)'
                for name in sorted(names) if name in declared]
    problems += [f'{path}: {name} should be noted in a package.xml comment'
                 for name in sorted(names) if name not in text]
    return problems


def check_package_xml(path: Union[str, Path],
                      local_packages: Optional[FrozenSet[str]] = None) -> List[str]:
    """
    Return the problems of a package.xml's dependencies; an empty list means all resolve.

    A dependency is fine when it is a released Jazzy package, a rosdep key that resolves on
    Ubuntu Noble, or a package of this workspace. Duplicates of the same tag and name, empty
    names and a missing or malformed file are problems too.
    """
    path = Path(path)
    try:
        dependencies = package_dependencies(path)
    except (OSError, ElementTree.ParseError) as error:
        return [f'{path}: cannot parse: {error}']
    local = workspace_packages() if local_packages is None else local_packages
    problems = []
    seen = set()
    for tag, name in dependencies:
        where = f'{path}: <{tag}>{name}</{tag}>'
        if not name:
            problems.append(f'{where}: empty dependency name')
            continue
        if (tag, name) in seen:
            problems.append(f'{where}: listed twice')
        seen.add((tag, name))
        if name in local or is_released_jazzy_package(name):
            continue
        if name in rosdep_keys():
            if not is_rosdep_key(name):
                problems.append(f'{where}: rosdep key has no rule for Ubuntu {UBUNTU_CODENAME}')
            continue
        problems.append(
            f'{where}: neither a released {DISTRO} package, a rosdep key nor a workspace package')
    return problems
