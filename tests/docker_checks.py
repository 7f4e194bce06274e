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
Read the Docker files the way Docker and Compose do, without either of them.

Pure helpers for tests/test_docker.py: Compose variable interpolation (``${VAR:-default}``
and friends) and durations, a Dockerfile instruction reader, the apt packages a Dockerfile
installs, the apt package names the rosdep database knows for Ubuntu, and the ``docker
compose`` commands and environment variables a README names.
"""

from pathlib import Path
import re
import shlex
from typing import Dict, Iterator, List, Mapping, Optional, Set, Tuple

import yaml

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt},
# ${NAME+alt}, or $NAME; $$ is a literal dollar sign.
_VARIABLE = re.compile(
    r'\$(?:(?P<escaped>\$)'
    r'|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}'
    r'|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))')


class InterpolationError(ValueError):
    """A required variable is unset or a ``$`` expression is malformed."""


def interpolate(text: str, environment: Optional[Mapping[str, str]] = None) -> str:
    """
    Return ``text`` with Compose variables substituted from ``environment``.

    With an empty environment every ``${VAR:-default}`` becomes its default, which is what a
    user with nothing set gets. Nested expressions inside a default are not supported.
    """
    env = {} if environment is None else environment

    def substitute(match):
        if match.group('escaped'):
            return '$'
        name = match.group('braced') or match.group('plain')
        op, arg = match.group('op'), match.group('arg') or ''
        value = env.get(name)
        is_set, non_empty = value is not None, bool(value)
        if op in (':-', '-'):
            use_default = not non_empty if op == ':-' else not is_set
            return arg if use_default else value
        if op in (':?', '?'):
            if (op == ':?' and not non_empty) or (op == '?' and not is_set):
                raise InterpolationError(f'required variable {name} is missing: {arg}')
            return value
        if op in (':+', '+'):
            use_alternative = non_empty if op == ':+' else is_set
            return arg if use_alternative else ''
        return value or ''

    result = _VARIABLE.sub(substitute, text)
    if '${' in result.replace('$${', ''):
        raise InterpolationError(f'unresolved or malformed variable in {text!r}')
    return result


def interpolate_tree(node, environment: Optional[Mapping[str, str]] = None):
    """Interpolate every string value (not the keys) of a loaded YAML tree, as Compose does."""
    if isinstance(node, dict):
        return {key: interpolate_tree(value, environment) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, environment) for value in node]
    if isinstance(node, str):
        return interpolate(node, environment)
    return node


def compose_variables(text: str) -> Dict[str, Optional[str]]:
    """Return every variable a Compose file reads, with its ``:-``/``-`` default (or None)."""
    found = {}
    for match in _VARIABLE.finditer(text):
        name = match.group('braced') or match.group('plain')
        if not name:
            continue
        default = match.group('arg') if match.group('op') in (':-', '-') else None
        if found.get(name) is None:
            found[name] = default
    return found


def load_compose(path: Path, environment: Optional[Mapping[str, str]] = None) -> dict:
    """Load a Compose file (merge keys resolved by YAML) with its variables interpolated."""
    with open(path) as stream:
        return interpolate_tree(yaml.safe_load(stream), environment)


def service_environment(service: dict) -> Dict[str, Optional[str]]:
    """Return a service's environment as a dict, whether written as a mapping or a list."""
    environment = service.get('environment') or {}
    if isinstance(environment, dict):
        return {key: None if value is None else str(value) for key, value in environment.items()}
    pairs = {}
    for item in environment:
        name, _, value = item.partition('=')
        pairs[name] = value if '=' in item else None
    return pairs


_DURATION_PART = re.compile(r'(\d+(?:\.\d+)?)(h|ms|m|s|us)')
_DURATION_UNITS = {'h': 3600.0, 'm': 60.0, 's': 1.0, 'ms': 1e-3, 'us': 1e-6}


def duration_seconds(value) -> float:
    """Return a Compose duration (``2m``, ``1m30s``, ``500ms``; a number is seconds) in s."""
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    parts = _DURATION_PART.findall(text)
    if not parts or ''.join(number + unit for number, unit in parts) != text:
        raise ValueError(f'not a Compose duration: {value!r}')
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def as_argv(value) -> List[str]:
    """Return a Compose command/entrypoint (list or shell-form string) as an argument list."""
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(item) for item in value]


def port_host_ips(service: dict) -> Iterator[Tuple[str, Optional[str]]]:
    """Yield (port as written, host IP it binds to or None for all interfaces)."""
    for port in service.get('ports') or []:
        if isinstance(port, dict):
            yield str(port), port.get('host_ip')
            continue
        text = str(port)
        if text.startswith('['):  # [::1]:8765:8765
            yield text, text[1:text.index(']')]
            continue
        parts = text.split(':')
        yield text, parts[0] if len(parts) == 3 else None


def dockerfile_instructions(text: str) -> List[Tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, joining continuation lines, dropping comments."""
    instructions = []
    pending = ''
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith('#')):
            continue
        if pending and stripped.startswith('#'):
            continue  # a comment inside a continued instruction
        if stripped.endswith('\\'):
            pending += stripped[:-1] + ' '
            continue
        pending += stripped
        keyword, _, arguments = pending.partition(' ')
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ''
    if pending.strip():
        raise ValueError('Dockerfile ends inside a continued instruction')
    return instructions


def apt_install_packages(instructions: List[Tuple[str, str]]) -> List[str]:
    """Return the package names of every ``apt-get install`` / ``apt install`` in RUN lines."""
    packages = []
    for keyword, arguments in instructions:
        if keyword != 'RUN':
            continue
        for command in re.split(r'&&|\|\||;', arguments):
            words = command.split()
            for index in range(len(words) - 1):
                if words[index] in ('apt-get', 'apt') and 'install' in words[index + 1:]:
                    start = words.index('install', index) + 1
                    packages.extend(word for word in words[start:]
                                    if not word.startswith(('-', '$')) and '=' not in word)
                    break
    return packages


def _apt_names(rule) -> Iterator[str]:
    if isinstance(rule, str):
        yield rule
    elif isinstance(rule, list):
        for item in rule:
            yield from _apt_names(item)
    elif isinstance(rule, dict):
        for key, value in rule.items():
            if key in ('pip', 'source', 'homebrew'):
                continue
            yield from _apt_names(value['packages'] if key == 'apt' and isinstance(value, dict)
                                  and 'packages' in value else value)


def rosdep_apt_names(rosdistro: Path, platforms=('ubuntu', 'debian')) -> Set[str]:
    """Return every apt package name the rosdep database (base.yaml, python.yaml) installs."""
    names = set()
    for name in ('base.yaml', 'python.yaml'):
        with open(rosdistro / 'rosdep' / name) as stream:
            data = yaml.load(stream, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
        for rules in (data or {}).values():
            if isinstance(rules, dict):
                for platform in platforms:
                    names.update(_apt_names(rules.get(platform)))
    return names


def ros_apt_package_name(apt_name: str, distro: str = 'jazzy') -> Optional[str]:
    """Return the ROS package name of ``ros-<distro>-foo-bar`` (``foo_bar``), else None."""
    prefix = f'ros-{distro}-'
    if not apt_name.startswith(prefix):
        return None
    return apt_name[len(prefix):].replace('-', '_')


_COMPOSE_LINE = re.compile(r'docker[ -]compose\s+(?P<args>[^`\n#]*)')
# Options of `docker compose` and its subcommands that take a value.
_VALUE_OPTIONS = {'-f', '--file', '-p', '--project-name', '--profile', '-e', '--env',
                  '--env-file', '-u', '--user', '-w', '--workdir', '--name', '--entrypoint',
                  '-v', '--volume', '-l', '--label', '--project-directory', '--cap-add',
                  '--cap-drop', '--scale', '--timeout', '-t', '--publish', '--pull'}


def readme_compose_commands(text: str) -> List[Tuple[str, List[str]]]:
    """
    Return (subcommand, services) for each ``docker compose ...`` command in a README.

    ``docker compose up`` gives ('up', []); ``docker compose run --rm record`` gives
    ('run', ['record']): for ``run`` and ``exec`` only the first positional argument is the
    service, the rest is its command.
    """
    commands = []
    for match in _COMPOSE_LINE.finditer(text):
        try:
            words = shlex.split(match.group('args'))
        except ValueError:
            words = match.group('args').split()
        positional = []
        skip = False
        for word in words:
            if skip:
                skip = False
                continue
            if word in _VALUE_OPTIONS:
                skip = True
                continue
            if word.startswith('-'):
                continue
            positional.append(word)
        if not positional:
            continue
        subcommand, rest = positional[0], positional[1:]
        if subcommand in ('run', 'exec'):
            rest = rest[:1]
        commands.append((subcommand, rest))
    return commands


def readme_env_table_names(text: str, heading_word: str = 'docker') -> List[str]:
    """
    Return the variable names in the first column of tables under headings naming Docker.

    A row counts when its first cell is a backticked upper-case name such as ``| `TASK` |``.
    """
    names = []
    in_section = False
    section_level = 0
    for line in text.splitlines():
        heading = re.match(r'(#+)\s+(.*)', line)
        if heading:
            level = len(heading.group(1))
            if heading_word in heading.group(2).lower():
                in_section, section_level = True, level
            elif in_section and level <= section_level:
                in_section = False
            continue
        if in_section and line.lstrip().startswith('|'):
            first_cell = line.strip().strip('|').split('|')[0].strip()
            names.extend(re.findall(r'`([A-Z][A-Z0-9_]*)`', first_cell))
    return names
