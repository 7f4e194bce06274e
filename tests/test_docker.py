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
Offline checks of the Docker image and the Compose services (no Docker engine needed).

The compose file validates against the compose-spec schema with its variables at their
defaults; the services, commands and variables are the ones the README and the launch files
expect; every apt package and package.xml dependency exists for Jazzy; the image installs the
same requirements.txt as the test command; nothing listens beyond the machine by default; the
Dockerfile's layers are ordered so that code changes rebuild only the last one.
"""

import importlib.util
import json
import os
from pathlib import Path
import signal
import stat
import subprocess
import time

from ar4_description import ros_packages
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared'
COMPOSE_SCHEMA = SHARED / 'schemas' / 'compose-spec.json'
COMPOSE = ROOT / 'docker-compose.yml'
NVIDIA_OVERRIDE = ROOT / 'docker' / 'nvidia.yml'
DOCKERFILE = ROOT / 'Dockerfile'
PACKAGES = ('ar4_description', 'ar4_gazebo', 'ar4_teleop', 'ar4_policy', 'ar4_mujoco')
DATA_MOUNT = './data:/ws/data'
X11_MOUNT = '/tmp/.X11-unix:/tmp/.X11-unix:rw'

_spec = importlib.util.spec_from_file_location('docker_checks', Path(__file__).with_name(
    'docker_checks.py'))
checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checks)

# The services and the variables users set, as the README documents them (keep in sync).
SERVICES = {'sim', 'record', 'infer', 'train', 'train-gpu', 'test'}
# The recorder's live view by default connects to a Rerun viewer on this machine.
DISPLAY_TARGET = 'rerun+http://127.0.0.1:9876/proxy'
USER_VARIABLES = {
    'ROS_DOMAIN_ID': '42', 'RMW_IMPLEMENTATION': 'rmw_fastrtps_cpp', 'USE_SIM_TIME': 'true',
    'DISPLAY': ':0', 'GUI': 'true', 'RVIZ': 'true', 'HEADLESS_RENDERING': 'true',
    'RENDER_ENGINE': 'auto', 'SERVO_OUTPUT': 'trajectory', 'FOXGLOVE_PORT': '8765',
    'FOXGLOVE_ADDRESS': '127.0.0.1',
    'TASK': 'place the teal cube on the top shelf', 'HF_USERNAME': 'local',
    'MAX_EPISODE_DURATION': '60', 'JOINT_JOG': 'false', 'TELEOP_DEVICE': 'gamepad',
    'CHECKPOINT': 'data/checkpoints/ar4_pick_place', 'POLICY_DEVICE': 'cpu',
    'DATASET_NAME': 'ar4_pick_place', 'MUJOCO_GL': 'egl',
    'PLAY_SOUNDS': 'false', 'DISPLAY_DATA': 'false',
    'DISPLAY_TARGET': DISPLAY_TARGET,
    'RESET_BETWEEN_EPISODES': 'false', 'RESET_TIME_S': '0',
}
RECORD_ENVIRONMENT = {
    'TASK': 'place the teal cube on the top shelf', 'HF_USERNAME': 'local',
    'DATASET_NAME': 'ar4_pick_place', 'MAX_EPISODE_DURATION': '60', 'JOINT_JOG': 'false',
    'TELEOP_DEVICE': 'gamepad', 'PLAY_SOUNDS': 'false', 'DISPLAY_DATA': 'false',
    'DISPLAY_TARGET': DISPLAY_TARGET, 'RESET_BETWEEN_EPISODES': 'false', 'RESET_TIME_S': '0',
}
# The dataset folder of the seed workflow, data/datasets/<HF_USERNAME>/ar4_pick_place/.
DATASET_NAME = 'ar4_pick_place'
# Ubuntu Noble packages the Dockerfile installs that no rosdep rule names (rosdep's database
# lists only what some ROS package depends on). The first three are Mesa's runtime EGL/GL
# pieces, in Noble's main archive (packages.ubuntu.com/noble): MuJoCo's EGL backend loads them.
# espeak-ng is the speech synthesizer's command line (Noble main, source espeak-ng; rosdep
# names only its library, libespeak-ng1): the recorder's spoken prompts.
KNOWN_NOBLE_PACKAGES = {'libegl1', 'libegl-mesa0', 'libgl1-mesa-dri', 'espeak-ng'}


@pytest.fixture(scope='module')
def compose():
    return checks.load_compose(COMPOSE)


@pytest.fixture(scope='module')
def services(compose):
    return compose['services']


@pytest.fixture(scope='module')
def instructions():
    return checks.dockerfile_instructions(DOCKERFILE.read_text())


def _rosdistro():
    found = ros_packages.rosdistro_dir()
    if found is None:
        pytest.skip(f'rosdistro data absent ({SHARED / "rosdistro"}): the Jazzy package checks '
                    'run where ../shared is next to the repository')
    return found


# --- the interpolation helper itself --------------------------------------------------------

def test_interpolation_follows_compose_rules():
    text = 'a=${A:-x} b=${B-y} c=${C:+z} d=$$HOME e=$E f=${F}'
    assert checks.interpolate(text) == 'a=x b=y c= d=$HOME e= f='
    env = {'A': '', 'B': '', 'C': '1', 'E': 'e', 'F': 'f'}
    assert checks.interpolate(text, env) == 'a=x b= c=z d=$HOME e=e f=f'
    with pytest.raises(checks.InterpolationError):
        checks.interpolate('${NEEDED:?set NEEDED}')
    assert checks.compose_variables('${A:-1} ${B} $C') == {'A': '1', 'B': None, 'C': None}


# --- docker-compose.yml ---------------------------------------------------------------------

@pytest.mark.parametrize('path', [COMPOSE, NVIDIA_OVERRIDE], ids=lambda path: path.name)
def test_compose_files_validate_against_compose_spec(path):
    if not COMPOSE_SCHEMA.is_file():
        pytest.skip(f'{COMPOSE_SCHEMA} absent: the schema check runs where ../shared exists')
    jsonschema = pytest.importorskip('jsonschema')
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(checks.load_compose(path))
    # A user's settings are strings too: interpolating them must keep the file valid.
    chosen = {name: 'value' for name in checks.compose_variables(path.read_text())}
    chosen.update(ROS_DOMAIN_ID='7', FOXGLOVE_PORT='9000')
    jsonschema.Draft7Validator(schema).validate(checks.load_compose(path, chosen))


def test_services_and_profiles(services):
    assert set(services) == SERVICES
    # `docker compose up` starts exactly the services without a profile: the sim.
    assert [name for name, service in services.items() if not service.get('profiles')] == ['sim']


def test_shared_settings_in_every_service(compose, services):
    assert 'x-ar4-common' in yaml.safe_load(COMPOSE.read_text())
    for name, service in services.items():
        environment = checks.service_environment(service)
        assert service['network_mode'] == 'host', name
        assert service['ipc'] == 'host', name
        assert service['working_dir'] == '/ws', name
        assert service['image'] == 'ar4-lerobot:jazzy' and service['build']['context'] == '.'
        assert DATA_MOUNT in service['volumes'], name
        assert X11_MOUNT in service['volumes'], name
        for variable in ('ROS_DOMAIN_ID', 'USE_SIM_TIME', 'DISPLAY', 'QT_X11_NO_MITSHM',
                         'RMW_IMPLEMENTATION'):
            assert variable in environment, (name, variable)
        expected_domain = '99' if name == 'test' else '42'
        assert environment['ROS_DOMAIN_ID'] == expected_domain, name


def test_user_variables_and_defaults():
    variables = checks.compose_variables(COMPOSE.read_text())
    for name, default in USER_VARIABLES.items():
        assert name in variables, f'{name} is documented but docker-compose.yml does not read it'
        assert variables[name] == default, (name, variables[name])


def test_sim_command_and_foxglove_bound_to_localhost(services):
    argv = checks.as_argv(services['sim']['command'])
    assert argv[:4] == ['ros2', 'launch', 'ar4_gazebo', 'sim.launch.py']
    arguments = dict(item.split(':=', 1) for item in argv[4:])
    assert arguments['foxglove_address'] == '127.0.0.1'
    assert arguments['foxglove_port'] == '8765'
    assert arguments['render_engine'] == 'auto'
    assert arguments['servo_output'] == 'trajectory'
    # The sim always runs on Gazebo's /clock: gz_ros2_control forces it on the controllers, so a
    # wall-clock option would only freeze Servo.
    assert 'use_sim_time' not in arguments
    override = dict(item.split(':=', 1) for item in checks.as_argv(
        checks.load_compose(NVIDIA_OVERRIDE)['services']['sim']['command'])[4:])
    assert set(override) == set(arguments) and override['render_engine'] == 'ogre2'
    # The launch file's own default is localhost too, so nothing listens beyond the machine
    # unless the user sets FOXGLOVE_ADDRESS.
    launch = (ROOT / 'ar4_gazebo' / 'launch' / 'sim.launch.py').read_text()
    assert "'foxglove_address', default_value='127.0.0.1'" in launch
    for name in arguments:
        assert f"'{name}'" in launch, f'sim.launch.py declares no argument {name}'


def test_the_test_service_has_a_gazebo_partition_of_its_own(services):
    # gz-transport groups processes by host name and user, not ROS_DOMAIN_ID: on the host
    # network as root every container shares both, so only GZ_PARTITION keeps the test's gz sim
    # off a running sim's topics (and the sim's reset_cubes off the test's).
    partitions = {name: checks.service_environment(service).get('GZ_PARTITION')
                  for name, service in services.items()}
    assert partitions['test']
    assert all(partition != partitions['test']
               for name, partition in partitions.items() if name != 'test')
    chosen = checks.load_compose(COMPOSE, {'TEST_GZ_PARTITION': 'ci_7'})['services']['test']
    assert checks.service_environment(chosen)['GZ_PARTITION'] == 'ci_7'


def test_one_dataset_name_from_recording_to_training(services):
    # Recorder, record launch, record service, train services and the default checkpoint all
    # name the same folder, and the record service passes DATASET_NAME on.
    record = checks.service_environment(services['record'])
    assert record['DATASET_NAME'] == DATASET_NAME
    script = (ROOT / 'docker' / 'record.sh').read_text()
    assert f'dataset_name="${{DATASET_NAME:-{DATASET_NAME}}}"' in script
    assert '-p "dataset_name:=$(yaml_string "$dataset_name")"' in script
    recorder = (ROOT / 'ar4_teleop' / 'ar4_teleop' / 'recorder_node.py').read_text()
    assert f"DEFAULT_DATASET_NAME = '{DATASET_NAME}'" in recorder
    assert "'dataset_name': (DEFAULT_DATASET_NAME," in recorder
    launch = (ROOT / 'ar4_teleop' / 'launch' / 'record.launch.py').read_text()
    assert f"'DATASET_NAME', default_value='{DATASET_NAME}'" in launch
    assert checks.service_environment(services['infer'])['CHECKPOINT'] == (
        f'data/checkpoints/{DATASET_NAME}')
    # The name it replaced appears in no code, script or configuration any more.
    tracked = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip('not a git checkout')
    stale = [name for name in tracked.stdout.split()
             if not name.startswith(('data/', 'docs/')) and name != 'README.md'
             and (ROOT / name).is_file() and 'ar4_demos' in (ROOT / name).read_text(
                 errors='replace') and name != 'tests/test_docker.py']
    assert stale == []


def test_no_port_published_beyond_localhost():
    for path in (COMPOSE, NVIDIA_OVERRIDE):
        for name, service in checks.load_compose(path)['services'].items():
            for port, host_ip in checks.port_host_ips(service):
                assert host_ip in ('127.0.0.1', '::1'), f'{path.name}: {name} publishes {port}'
            if service.get('network_mode') == 'host':
                assert not service.get('ports'), f'{name}: ports mean nothing with host network'


def test_record_service_reaches_keyboard_and_controller(services):
    record = services['record']
    assert record['stdin_open'] is True and record['tty'] is True
    environment = checks.service_environment(record)
    for name, default in RECORD_ENVIRONMENT.items():
        assert environment[name] == default, name
    # A bind mount plus a cgroup rule instead of `devices:`, which fails without a controller.
    assert '/dev/input:/dev/input' in record['volumes']
    assert 'c 13:* rmw' in record['device_cgroup_rules']
    for name, service in services.items():
        assert 'devices' not in service, f'{name}: `devices:` fails when the device is absent'
    script = checks.as_argv(record['command'])[0]
    assert script.startswith('/ws/')
    text = (ROOT / script[len('/ws/'):]).read_text()
    assert 'ros2 launch ar4_teleop record.launch.py with_recorder:=false' in text
    assert '$(ros2 pkg prefix ar4_teleop)/lib/ar4_teleop/recorder_node' in text
    assert 'keyboard:=true' in text
    launch = (ROOT / 'ar4_teleop' / 'launch' / 'record.launch.py').read_text()
    for argument in ('with_recorder', 'device', 'joint_jog', 'use_sim_time'):
        assert f"'{argument}'" in launch


def test_record_service_gives_the_recorder_time_to_finish_its_saves(services):
    # docker compose stop sends stop_signal to tini, which passes it to record.sh: it must be
    # one the script turns into a finalized dataset, and the grace period must cover pending
    # saves (tens of seconds each) plus the launch's own stop (AR4_LAUNCH_STOP_TIMEOUT, 15 s).
    record = services['record']
    assert record['init'] is True
    assert record.get('stop_signal', 'SIGTERM') in ('SIGTERM', 'SIGINT', 'SIGHUP')
    assert checks.duration_seconds(record['stop_grace_period']) >= 90
    script = (ROOT / 'docker' / 'record.sh').read_text()
    assert 'launch_stop_timeout="${AR4_LAUNCH_STOP_TIMEOUT:-15}"' in script
    assert checks.duration_seconds('1m30s') == 90 and checks.duration_seconds(20) == 20
    with pytest.raises(ValueError):
        checks.duration_seconds('2 minutes')


def test_infer_passes_use_sim_time_into_the_container():
    # infer.launch.py takes its use_sim_time default from USE_SIM_TIME, also when the service
    # runs a command of the user's.
    for chosen, expected in (({}, 'true'), ({'USE_SIM_TIME': 'false'}, 'false')):
        infer = checks.load_compose(COMPOSE, chosen)['services']['infer']
        assert checks.service_environment(infer)['USE_SIM_TIME'] == expected
        assert f'use_sim_time:={expected}' in checks.as_argv(infer['command'])


def test_infer_train_and_test_commands(services):
    infer = services['infer']
    assert checks.as_argv(infer['command'])[:4] == ['ros2', 'launch', 'ar4_policy',
                                                    'infer.launch.py']
    environment = checks.service_environment(infer)
    assert environment['CHECKPOINT'] and environment['TASK']
    for name in ('train', 'train-gpu'):
        entrypoint = checks.as_argv(services[name]['entrypoint'])
        assert entrypoint == ['/usr/local/bin/ar4-entrypoint', 'ros2', 'run', 'ar4_policy',
                              'ar4-train']
        assert checks.as_argv(services[name]['command']) == [
            '--dataset', f'data/datasets/local/{DATASET_NAME}']
    assert "'ar4-train = ar4_policy.train:main'" in (ROOT / 'ar4_policy' / 'setup.py').read_text()
    test_script = checks.as_argv(services['test']['command'])[0]
    text = (ROOT / test_script[len('/ws/'):]).read_text()
    assert 'colcon --log-base log test' in text and 'exec python -m pytest "$@"' in text


def test_gpu_reservations_only_where_optional(services):
    for name, service in services.items():
        reserved = (service.get('deploy') or {}).get('resources', {}).get('reservations', {})
        if 'devices' in reserved:
            assert service.get('profiles') == ['gpu'], f'{name}: a GPU reservation must be opt-in'
    override = checks.load_compose(NVIDIA_OVERRIDE)['services']
    assert set(override) <= SERVICES


# --- README ---------------------------------------------------------------------------------

def test_readme_compose_commands_name_real_services(services):
    readme = ROOT / 'README.md'
    commands = checks.readme_compose_commands(readme.read_text()) if readme.exists() else []
    if not commands:
        pytest.skip('README.md names no `docker compose` command yet')
    for subcommand, named in commands:
        for service in named:
            assert service in services, f'README runs `docker compose {subcommand} {service}`'
    assert ('up', []) in commands, 'README should start the sim with `docker compose up`'


def test_readme_environment_table_matches_compose(services):
    readme = ROOT / 'README.md'
    names = checks.readme_env_table_names(readme.read_text()) if readme.exists() else []
    if not names:
        pytest.skip('README.md has no Docker environment-variable table yet; '
                    'USER_VARIABLES above holds the contract until it does')
    known = set(checks.compose_variables(COMPOSE.read_text()))
    for service in services.values():
        known.update(checks.service_environment(service))
    for name in names:
        assert name in known, f'README documents {name}; docker-compose.yml never reads it'


# --- Dockerfile -----------------------------------------------------------------------------

def _index(instructions, predicate, what):
    for index, (keyword, arguments) in enumerate(instructions):
        if predicate(keyword, arguments):
            return index
    raise AssertionError(f'Dockerfile: no {what}')


def test_dockerfile_base_and_layer_order(instructions):
    assert instructions[0] == ('FROM', 'osrf/ros:jazzy-desktop')

    def copy_of(source):
        return lambda keyword, arguments: keyword == 'COPY' and arguments.split()[0] == source

    manifests = [_index(instructions, copy_of(f'{package}/package.xml'), f'{package} manifest')
                 for package in PACKAGES]
    rosdep = _index(instructions, lambda k, a: k == 'RUN' and 'rosdep install' in a, 'rosdep')
    requirements = _index(instructions, copy_of('requirements.txt'), 'requirements COPY')
    pip = _index(instructions, lambda k, a: k == 'RUN' and 'pip install -r' in a, 'pip')
    source = _index(instructions, copy_of('.'), 'source COPY')
    build = _index(instructions, lambda k, a: k == 'RUN' and 'colcon build' in a, 'colcon')
    assert max(manifests) < rosdep < requirements < pip < source < build
    # Nothing but manifests, requirements and the small docker/ helpers before the source.
    for keyword, arguments in instructions[:source]:
        if keyword == 'COPY':
            sources = arguments.split()[:-1]
            assert all(s.endswith('package.xml') or s == 'requirements.txt'
                       or s.startswith('docker/') for s in sources), arguments
    rosdep_line = instructions[rosdep][1]
    assert '--from-paths' in rosdep_line and '-y' in rosdep_line
    assert all(package in rosdep_line for package in PACKAGES)
    # Every workspace package's manifest is copied (a new package must be added here).
    assert {path.parent.name for path in ROOT.glob('*/package.xml')} == set(PACKAGES)


def test_dockerfile_installs_the_test_commands_requirements(instructions):
    copies = [arguments.split() for keyword, arguments in instructions if keyword == 'COPY']
    destination = next(words[-1] for words in copies if words[0] == 'requirements.txt')
    pip = next(arguments for keyword, arguments in instructions
               if keyword == 'RUN' and 'pip install -r' in arguments)
    assert f'-r {destination}' in pip
    assert 'venv --system-site-packages' in pip
    # scripts/setup.sh (the test command) installs the same file.
    assert '-r "$ROOT/requirements.txt"' in (ROOT / 'scripts' / 'setup.sh').read_text()
    build = next(arguments for keyword, arguments in instructions
                 if keyword == 'RUN' and 'colcon build' in arguments)
    assert '--symlink-install' not in build and 'bin/activate' in build


def test_dockerfile_entrypoint_sources_ros_workspace_and_venv(instructions):
    entrypoint = json.loads(dict(instructions)['ENTRYPOINT'])
    assert entrypoint == ['/usr/local/bin/ar4-entrypoint']
    copies = {words[-1]: words[0] for words in (a.split() for k, a in instructions
                                                if k == 'COPY')}
    script = (ROOT / copies['/usr/local/bin/ar4-entrypoint']).read_text()
    ros, workspace, venv = (script.index(text) for text in (
        '/opt/ros/${ROS_DISTRO:-jazzy}/setup.bash', '/install/setup.bash', '/bin/activate'))
    assert ros < workspace < venv  # the venv last: its python3 and ros2 shim come first
    assert script.rstrip().endswith('exec "$@"')
    assert dict(instructions)['WORKDIR'] == '/ws'


def test_docker_scripts_are_executable_shell(services):
    scripts = sorted((ROOT / 'docker').glob('*.sh')) + [ROOT / 'docker' / 'ros2']
    for script in scripts:
        assert script.stat().st_mode & stat.S_IXUSR, f'{script.name} is not executable'
        shell = 'sh' if script.name == 'ros2' else 'bash'
        result = subprocess.run([shell, '-n', str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    for service in services.values():
        for word in checks.as_argv(service.get('command')):
            if word.startswith('/ws/docker/'):
                assert (ROOT / word[len('/ws/'):]) in scripts


def test_dockerignore_keeps_context_small_but_complete():
    ignored = {line.strip() for line in (ROOT / '.dockerignore').read_text().splitlines()
               if line.strip() and not line.startswith('#')}
    assert {'.git', '.venv', 'build', 'install', 'log', 'data'} <= ignored
    for needed in ('requirements.txt', 'docker', 'Dockerfile', 'docker-compose.yml',
                   'README.md', *PACKAGES):
        assert needed not in ignored


# --- packages exist for Jazzy ---------------------------------------------------------------

def test_dockerfile_apt_packages_exist_for_jazzy(instructions):
    rosdistro = _rosdistro()
    packages = checks.apt_install_packages(instructions)
    assert 'ffmpeg' in packages and 'python3-venv' in packages
    apt_names = checks.rosdep_apt_names(rosdistro)
    for package in packages:
        ros_name = checks.ros_apt_package_name(package)
        if ros_name is not None:
            assert ros_packages.is_released_jazzy_package(ros_name), package
        else:
            assert package in apt_names or package in KNOWN_NOBLE_PACKAGES, (
                f'{package}: no rosdep rule installs it on Ubuntu/Debian; check the name on '
                'packages.ubuntu.com/noble and add it to KNOWN_NOBLE_PACKAGES')


# --- the record service's script, with stand-ins for the ros2 CLI and the nodes ---------------

# Stand-in for the ros2 CLI as record.sh uses it. `pkg prefix` names the stand-in install
# prefix. `launch` behaves as ros2 launch does towards signals: it starts the teleop node and
# runs until SIGINT, which it hears only when its Python had a SIGINT handler to begin with
# (launch's signal manager works through signal.set_wakeup_fd: a process started with SIGINT
# ignored never hears it); on SIGINT it stops the teleop with SIGINT and exits 0. It has no
# SIGTERM handler, so SIGTERM kills it at once and orphans the teleop (ros2/launch#666).
# FAKE_LAUNCH_HANGS=1: it never stops by itself.
FAKE_ROS2 = """#!/usr/bin/env python3
import json, os, pathlib, signal, subprocess, sys, time
log = pathlib.Path(os.environ['LOG_DIR'])
(log / (sys.argv[1] + '.args')).write_text('\\n'.join(sys.argv[1:]))
if sys.argv[1] == 'pkg':
    print(os.environ['FAKE_PREFIX'])
    sys.exit(0)
heard = signal.getsignal(signal.SIGINT) is signal.default_int_handler
stop = []
if heard and not os.environ.get('FAKE_LAUNCH_HANGS'):
    signal.signal(signal.SIGINT, lambda number, frame: stop.append(number))
(log / 'launch.json').write_text(json.dumps(
    {'pid': os.getpid(), 'sid': os.getsid(0), 'hears_sigint': heard}))
teleop = subprocess.Popen([os.environ['FAKE_PREFIX'] + '/lib/ar4_teleop/teleop_node'])
while not stop:
    time.sleep(0.02)
(log / 'launch.stopped').write_text('SIGINT')
teleop.send_signal(signal.SIGINT)
teleop.wait()
"""

# Stand-in for an rclpy node (teleop_node, recorder_node): rclpy installs its SIGINT and SIGTERM
# handlers whatever the inherited disposition (rclpy src/rclpy/signal_handler.cpp); the first
# signal ends the spin, then the node finalizes (FAKE_FINALIZE_S, pending saves) and exits 0,
# noting every signal it got. SIGHUP keeps the inherited disposition. The recorder reads one
# line of stdin (its keys) and, with FAKE_RECORDER_EXIT, quits by itself (Q: 0, bad setting: 2)
# once the teleop is up, or at once with FAKE_RECORDER_AT_ONCE.
FAKE_NODE = """#!/usr/bin/env python3
import json, os, pathlib, signal, sys, time
log = pathlib.Path(os.environ['LOG_DIR'])
name = pathlib.Path(sys.argv[0]).name
got = []
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda number, frame: got.append(signal.Signals(number).name))
info = {'pid': os.getpid(), 'argv': sys.argv[1:],
        'sighup_ignored': signal.getsignal(signal.SIGHUP) == signal.SIG_IGN}
if name == 'recorder_node':
    info['stdin'] = sys.stdin.readline()
(log / (name + '.json')).write_text(json.dumps(info))
if name == 'recorder_node' and os.environ.get('FAKE_RECORDER_EXIT'):
    while not (os.environ.get('FAKE_RECORDER_AT_ONCE') or (log / 'teleop_node.json').exists()):
        time.sleep(0.02)  # a key press comes after start-up, unless told otherwise
    sys.exit(int(os.environ['FAKE_RECORDER_EXIT']))
while not got:
    time.sleep(0.02)
time.sleep(float(os.environ.get('FAKE_FINALIZE_S', '0.5')))
(log / (name + '.ended')).write_text(' '.join(got))
"""


class RecordRun:
    """docker/record.sh run against the stand-ins, in a session of its own like under tini."""

    def __init__(self, tmp_path, **environment):
        self.log = tmp_path
        bin_dir, lib = tmp_path / 'bin', tmp_path / 'prefix' / 'lib' / 'ar4_teleop'
        for path, text in ((bin_dir / 'ros2', FAKE_ROS2), (lib / 'recorder_node', FAKE_NODE),
                           (lib / 'teleop_node', FAKE_NODE)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(0o755)
        env = {'PATH': f'{bin_dir}:/usr/bin:/bin', 'LOG_DIR': str(tmp_path),
               'FAKE_PREFIX': str(tmp_path / 'prefix'), **environment}
        self.process = subprocess.Popen(
            ['bash', str(ROOT / 'docker' / 'record.sh')], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        self.process.stdin.write('keys\n')
        self.process.stdin.flush()

    def json(self, name):
        return json.loads((self.log / f'{name}.json').read_text())

    def text(self, name):
        path = self.log / name
        return path.read_text() if path.exists() else None

    def wait_until_running(self, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all((self.log / f'{name}.json').exists() for name in (
                    'launch', 'teleop_node', 'recorder_node')):
                return
            assert self.process.poll() is None, self.process.communicate()
            time.sleep(0.05)
        raise AssertionError('the stand-ins did not start')

    def finish(self, timeout=30.0):
        """Wait for the script; return (status, stderr)."""
        try:
            _, stderr = self.process.communicate(timeout=timeout)
        finally:
            self.kill_leftovers()
        return self.process.returncode, stderr

    def pids(self):
        return {name: self.json(name)['pid'] for name in ('launch', 'teleop_node',
                                                          'recorder_node')
                if (self.log / f'{name}.json').exists()}

    def alive(self):
        """Return the stand-ins still running (zombies waiting for a reaper count as ended)."""
        running = set()
        for name, pid in self.pids().items():
            try:
                state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if state != 'Z':
                running.add(name)
        return running

    def alive_after(self, seconds=3.0):
        """
        Return the stand-ins still running once ``seconds`` passed or none runs.

        A SIGKILL sent to a process group is delivered asynchronously: a grandchild may still
        show as running for a moment after the script returned.
        """
        deadline = time.monotonic() + seconds
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.alive()

    def kill_leftovers(self):
        if self.process.poll() is None:
            self.process.kill()
        for name in self.alive():
            os.kill(self.pids()[name], signal.SIGKILL)


# A process started with SIGINT ignored passes that on, and a non-interactive shell cannot trap
# or restore a signal ignored on entry: record.sh's launch would never hear SIGINT. That happens
# when the suite itself runs in the background of a shell without job control (`cmd &` in a
# script); in a terminal, in CI and in Docker SIGINT is not ignored.
needs_sigint = pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
    reason='this test process was started with SIGINT ignored (run in the background of a '
           'non-interactive shell), which record.sh and its children inherit; run the suite in '
           'the foreground or with job control')


@needs_sigint
def test_record_script_passes_settings_and_stops_the_launch_when_the_recorder_quits(tmp_path):
    run = RecordRun(tmp_path, TASK="stack: it's red", HF_USERNAME='1234',
                    DATASET_NAME='shelf_v2', MAX_EPISODE_DURATION='45', JOINT_JOG='true',
                    TELEOP_DEVICE='spacemouse', PLAY_SOUNDS='true', DISPLAY_DATA='true',
                    DISPLAY_TARGET='data/live.rrd', RESET_BETWEEN_EPISODES='true',
                    RESET_TIME_S='5', FAKE_RECORDER_EXIT='0')
    status, stderr = run.finish()
    assert status == 0, stderr
    launch = run.text('launch.args').split('\n')
    assert launch[:4] == ['launch', 'ar4_teleop', 'record.launch.py', 'with_recorder:=false']
    assert 'joint_jog:=true' in launch and 'use_sim_time:=true' in launch
    assert 'device:=spacemouse' in launch
    assert run.text('pkg.args') == 'pkg\nprefix\nar4_teleop'
    argv = run.json('recorder_node')['argv']
    assert argv[0] == '--ros-args'
    parameters = [argv[i + 1] for i, word in enumerate(argv) if word == '-p']
    assert parameters == ["task:='stack: it''s red'", "hf_username:='1234'",
                          "dataset_name:='shelf_v2'", 'max_episode_duration:=45.0',
                          'play_sounds:=true', 'display_data:=true',
                          "display_target:='data/live.rrd'", 'reset_between_episodes:=true',
                          'reset_time_s:=5.0', 'keyboard:=true', 'use_sim_time:=true']
    # The parameter values parse back (as ROS does, in YAML) to the strings the user gave.
    assert yaml.safe_load(parameters[0].split(':=', 1)[1]) == "stack: it's red"
    assert yaml.safe_load(parameters[1].split(':=', 1)[1]) == '1234'
    # When the recorder quits (Q), the launch is stopped with SIGINT, and so is its teleop.
    assert run.text('launch.stopped') == 'SIGINT' and run.text('teleop_node.ended') == 'SIGINT'
    assert run.alive_after() == set()


@needs_sigint
@pytest.mark.parametrize('how', ['INT', 'TERM', 'HUP', 'Ctrl-C'])
def test_record_script_finalizes_the_recorder_then_stops_the_launch(tmp_path, how):
    # INT / TERM / HUP to the script alone: docker kill -s, docker compose stop (through tini),
    # a closed terminal. Ctrl-C: SIGINT to the terminal's foreground process group, which holds
    # the script and the recorder (not the launch, in a session of its own).
    run = RecordRun(tmp_path, FAKE_FINALIZE_S='1.0')
    run.wait_until_running()
    recorder, launch = run.json('recorder_node'), run.json('launch')
    assert recorder['stdin'] == 'keys\n'  # the terminal, for the keys
    assert recorder['sighup_ignored']  # a closed terminal does not kill it with saves pending
    assert launch['hears_sigint'] and launch['sid'] == launch['pid']
    if how == 'Ctrl-C':
        os.killpg(run.process.pid, signal.SIGINT)
    else:
        run.process.send_signal(getattr(signal, f'SIG{how}'))
    status, stderr = run.finish()
    assert status == 0, stderr
    # The recorder heard SIGTERM (and the terminal's SIGINT on Ctrl-C) and had its second to
    # finish; the launch was stopped only then, with SIGINT, and stopped its teleop.
    got = run.text('recorder_node.ended').split()
    assert 'SIGTERM' in got and set(got) <= {'SIGINT', 'SIGTERM'}, got
    assert run.text('launch.stopped') == 'SIGINT' and run.text('teleop_node.ended') == 'SIGINT'
    assert (tmp_path / 'recorder_node.ended').stat().st_mtime <= (
        tmp_path / 'launch.stopped').stat().st_mtime
    assert run.alive_after() == set()


@needs_sigint
def test_record_script_exits_with_the_recorders_status(tmp_path):
    run = RecordRun(tmp_path, FAKE_RECORDER_EXIT='2')
    status, _ = run.finish()
    assert status == 2
    assert run.text('launch.stopped') == 'SIGINT' and run.alive_after() == set()


def test_record_script_leaves_nothing_when_the_recorder_fails_during_start_up(tmp_path):
    # The recorder exits while ros2 launch is still starting: SIGINT may come before launch
    # handles it; its session is killed after it either way.
    run = RecordRun(tmp_path, FAKE_RECORDER_EXIT='2', FAKE_RECORDER_AT_ONCE='1')
    status, _ = run.finish()
    assert status == 2
    time.sleep(0.5)  # a teleop started in the last moment would have written its pid by now
    assert run.alive_after() == set()


def test_record_script_kills_a_launch_that_does_not_stop(tmp_path):
    run = RecordRun(tmp_path, FAKE_LAUNCH_HANGS='1', AR4_LAUNCH_STOP_TIMEOUT='1')
    run.wait_until_running()
    run.process.send_signal(signal.SIGTERM)
    status, stderr = run.finish()
    assert status == 0, stderr
    assert run.text('recorder_node.ended') == 'SIGTERM'
    assert run.text('launch.stopped') is None  # it never stopped: its session was killed
    assert run.alive_after() == set()


def test_record_script_defaults_and_bad_duration(tmp_path):
    run = RecordRun(tmp_path, FAKE_RECORDER_EXIT='0')
    status, stderr = run.finish()
    assert status == 0, stderr
    argv = run.json('recorder_node')['argv']
    assert "task:='place the teal cube on the top shelf'" in argv
    assert "hf_username:='local'" in argv and 'max_episode_duration:=60.0' in argv
    assert f"dataset_name:='{DATASET_NAME}'" in argv
    for off in ('play_sounds:=false', 'display_data:=false', f"display_target:='{DISPLAY_TARGET}'",
                'reset_between_episodes:=false', 'reset_time_s:=0.0'):
        assert off in argv, off
    assert 'device:=gamepad' in run.text('launch.args').split('\n')
    mouse = tmp_path / 'mouse'
    mouse.mkdir()
    run = RecordRun(mouse, TELEOP_DEVICE='mouse')
    status, stderr = run.finish()
    assert status == 2 and 'TELEOP_DEVICE must be gamepad or spacemouse' in stderr
    assert not (mouse / 'launch.args').exists()
    bad = tmp_path / 'bad'
    bad.mkdir()
    run = RecordRun(bad, MAX_EPISODE_DURATION='a minute')
    status, stderr = run.finish()
    assert status == 2
    assert 'MAX_EPISODE_DURATION must be a number' in stderr
    assert not (bad / 'launch.args').exists() and not (bad / 'recorder_node.json').exists()


@pytest.mark.parametrize('variable, value, message', [
    ('PLAY_SOUNDS', 'yes', "PLAY_SOUNDS must be true or false, got 'yes'"),
    ('DISPLAY_DATA', '1', "DISPLAY_DATA must be true or false, got '1'"),
    ('RESET_BETWEEN_EPISODES', 'on', "RESET_BETWEEN_EPISODES must be true or false, got 'on'"),
    ('RESET_TIME_S', 'soon', 'RESET_TIME_S must be a number of seconds'),
])
def test_record_script_refuses_bad_session_options(tmp_path, variable, value, message):
    run = RecordRun(tmp_path, **{variable: value})
    status, stderr = run.finish()
    assert status == 2 and message in stderr and stderr.count('\n') == 1
    assert not (tmp_path / 'launch.args').exists()
    assert not (tmp_path / 'recorder_node.json').exists()
