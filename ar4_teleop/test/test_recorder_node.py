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
The recorder node on a stand-in for the ROS graph: its parameters, QoS, homing and exit status.

What cannot exist without ROS is faked: rclpy (init / spin / shutdown, the Node's parameters,
topics, services and logger) and rclpy.qos. The messages are the real ROS 2 Jazzy classes of
rosbags (std_srvs/Trigger registered from its .srv text). The node module is imported with the
fakes in sys.modules, which are removed again after this file's tests; the dataset writer is
the real one, on a temporary folder.
"""

from concurrent.futures import Future
import importlib
import importlib.util
from pathlib import Path
import sys
import time
from types import ModuleType, SimpleNamespace

from ar4_description.node_startup import ConfigError, EXIT_CONFIG, EXIT_OK
from ar4_description.testing import ExternalShutdownStandIn, RclpyStandIn
from ar4_teleop.recording.episode import Event, State
from ar4_teleop.recording.session_options import DEFAULT_DISPLAY_TARGET
import pytest
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

RECORD_LAUNCH = Path(__file__).resolve().parents[1] / 'launch' / 'record.launch.py'


class ParameterRefused(Exception):
    """Stands in for rclpy.exceptions.ParameterException (wrong type, out of range)."""


class QoSProfile:
    """rclpy.qos.QoSProfile's fields, nothing else."""

    def __init__(self, *, depth, history='keep_last', reliability='reliable',
                 durability='volatile'):
        self.depth, self.history = depth, history
        self.reliability, self.durability = reliability, durability


class Graph(RclpyStandIn):
    """The fake graph: parameter overrides in, what the nodes created and logged out."""

    def __init__(self):
        super().__init__(spin_raises=ExternalShutdownStandIn())
        self.overrides, self.nodes = {}, []


class GoHomeClient:
    """A Trigger client whose server answers when the test says so."""

    def __init__(self):
        self.ready, self.futures = True, []

    def service_is_ready(self):
        return self.ready

    def call_async(self, request):
        self.futures.append(Future())
        return self.futures[-1]


class FakeNode:
    """What RecorderNode uses of rclpy.node.Node, recorded instead of sent to a graph."""

    graph = None

    def __init__(self, node_name):
        self.node_name = node_name
        self.descriptors, self.subscriptions, self.publishers, self.clients = {}, {}, {}, {}
        self.logged, self.timers = [], []
        self.graph.nodes.append(self)

    def declare_parameter(self, name, value, descriptor):
        # rclpy refuses an override of another type or outside the descriptor's range while
        # declaring (rclpy node.py _apply_descriptor) and raises a ParameterException.
        given = self.graph.overrides.get(name, value)
        limits = list(descriptor.integer_range) + list(descriptor.floating_point_range)
        if type(given) is not type(value) or (
                limits and not limits[0].from_value <= given <= limits[0].to_value):
            raise ParameterRefused(f'Invalid parameter value ({given}) for parameter: {name}')
        self.descriptors[name] = descriptor
        return SimpleNamespace(value=given)

    def create_subscription(self, message_type, topic, callback, qos_profile):
        self.subscriptions[topic] = (message_type, callback, qos_profile)

    def create_publisher(self, message_type, topic, qos_profile):
        publisher = SimpleNamespace(qos=qos_profile, sent=[])
        publisher.publish = publisher.sent.append
        self.publishers[topic] = publisher
        return publisher

    def create_client(self, service_type, name):
        self.clients[name] = GoHomeClient()
        return self.clients[name]

    def create_timer(self, period, callback):
        self.timers.append((period, callback))

    def get_clock(self):
        return SimpleNamespace(now=lambda: SimpleNamespace(nanoseconds=0))

    def get_logger(self):
        logged = self.logged
        return SimpleNamespace(**{level: (lambda message, level=level: logged.append(
            (level, message))) for level in ('debug', 'info', 'warning', 'error')})

    def destroy_node(self):
        self.graph.calls.append('destroy_node')


def _with_rclpy_defaults(message_class, **defaults):
    """Build a rosbags message from some fields, the rest at rclpy's defaults."""
    return lambda **fields: message_class(**{**defaults, **fields})


def fake_ros_modules(graph):
    """Return the modules recorder_node imports, keyed by their import names."""
    store = get_typestore(Stores.ROS2_JAZZY)
    store.register(get_types_from_msg('', 'std_srvs/msg/Trigger_Request'))
    store.register(get_types_from_msg('bool success\nstring message',
                                      'std_srvs/msg/Trigger_Response'))
    types = store.types

    def module(name, **attributes):
        made = ModuleType(name)
        made.__dict__.update(attributes)
        return made

    policies = {'DurabilityPolicy': ('VOLATILE', 'TRANSIENT_LOCAL'), 'HistoryPolicy': (
        'KEEP_LAST', 'KEEP_ALL'), 'ReliabilityPolicy': ('RELIABLE', 'BEST_EFFORT')}
    qos = module('rclpy.qos', QoSProfile=QoSProfile, qos_profile_sensor_data=QoSProfile(
        depth=5, reliability='best_effort'), **{name: SimpleNamespace(**{
            value: value.lower() for value in values}) for name, values in policies.items()})
    descriptor = _with_rclpy_defaults(
        types['rcl_interfaces/msg/ParameterDescriptor'], name='', type=0, description='',
        additional_constraints='', read_only=False, dynamic_typing=False,
        floating_point_range=[], integer_range=[])
    messages = {f'{package}.{kind}': module(f'{package}.{kind}', **{
        full.rsplit('/', 1)[1]: cls for full, cls in types.items()
        if full.startswith(f'{package}/{kind}/')})
        for package, kind in (('sensor_msgs', 'msg'), ('std_msgs', 'msg'),
                              ('trajectory_msgs', 'msg'), ('rcl_interfaces', 'msg'))}
    messages['rcl_interfaces.msg'].ParameterDescriptor = descriptor
    trigger = SimpleNamespace(Request=types['std_srvs/msg/Trigger_Request'],
                              Response=types['std_srvs/msg/Trigger_Response'])
    modules = {
        'rclpy': module('rclpy', init=graph.init, spin=graph.spin,
                        try_shutdown=graph.try_shutdown),
        'rclpy.node': module('rclpy.node', Node=FakeNode),
        'rclpy.qos': qos,
        'rclpy.executors': module('rclpy.executors',
                                  ExternalShutdownException=ExternalShutdownStandIn),
        'rclpy.exceptions': module('rclpy.exceptions', ParameterException=ParameterRefused),
        'std_srvs.srv': module('std_srvs.srv', Trigger=trigger),
        **messages,
    }
    for name in list(modules):
        modules.setdefault(name.split('.')[0], module(name.split('.')[0]))
    return modules


@pytest.fixture(scope='module')
def ros():
    """Import recorder_node on the fake graph; yield (module, graph, ar4_description.qos)."""
    graph = Graph()
    FakeNode.graph = graph
    fresh = ('ar4_description.qos', 'ar4_teleop.recorder_node')
    with pytest.MonkeyPatch.context() as patch:
        for name, module in fake_ros_modules(graph).items():
            patch.setitem(sys.modules, name, module)
        for name in fresh:
            patch.delitem(sys.modules, name, raising=False)
        recorder = importlib.import_module('ar4_teleop.recorder_node')
        yield SimpleNamespace(recorder=recorder, graph=graph,
                              qos=importlib.import_module('ar4_description.qos'))
        for name in fresh:  # built on the fakes: not for the tests after these
            sys.modules.pop(name, None)
            package, _, child = name.rpartition('.')
            if hasattr(sys.modules[package], child):
                delattr(sys.modules[package], child)


@pytest.fixture
def graph(ros):
    ros.graph.__init__()
    return ros.graph


def defaults(recorder, **values):
    """Return the recorder's parameter values at their defaults, updated with ``values``."""
    return {**{name: spec[0] for name, spec in recorder.PARAMETERS.items()}, **values}


# --- parameters: the plain check ------------------------------------------------------------

@pytest.mark.parametrize('values, message', [
    ({'action_source': 'velocity'},
     "parameter action_source must be one of command, next_state, state, got 'velocity'"),
    ({'gap_policy': 'ignore'}, "parameter gap_policy must be one of flag, discard, got 'ignore'"),
    ({'fps': 0}, 'parameter fps must be a number in [1, 120], got 0'),
    ({'max_episode_duration': -1.0},
     'parameter max_episode_duration must be a number in [0.0, 3600.0], got -1.0'),
    ({'state_tolerance': 'soon'}, "parameter state_tolerance must be a number in [0.001, 1.0]"),
    ({'task': '  '}, 'parameter task must not be empty'),
    ({'dataset_name': 'alice/demos'}, "parameter dataset_name must be a plain folder name, "
                                      "got 'alice/demos'"),
    ({'display_target': 'screen'}, "parameter display_target must be 'serve', a "
                                   "rerun+http://HOST:PORT/proxy URL or a path ending in .rrd, "
                                   "got 'screen'"),
    ({'reset_time_s': -1.0}, 'parameter reset_time_s must be a number in [0.0, 3600.0], got -1.0'),
])
def test_check_parameters_names_the_parameter_and_what_it_accepts(ros, values, message):
    ros.recorder.check_parameters(defaults(ros.recorder))
    with pytest.raises(ConfigError) as raised:
        ros.recorder.check_parameters(defaults(ros.recorder, **values))
    assert str(raised.value).startswith(message)


def test_parameters_are_read_only_and_numbers_have_their_ranges(ros, graph, tmp_path):
    graph.overrides = {'dataset_root': str(tmp_path / 'ranges'), 'keyboard': False}
    node = ros.recorder.RecorderNode()
    assert set(node.descriptors) == set(ros.recorder.PARAMETERS)
    assert all(descriptor.read_only and descriptor.description
               for descriptor in node.descriptors.values())
    fps = node.descriptors['fps'].integer_range[0]
    assert (fps.from_value, fps.to_value) == (1, 120)
    tolerance = node.descriptors['state_tolerance'].floating_point_range[0]
    assert (tolerance.from_value, tolerance.to_value) == (0.001, 1.0)
    reset_time = node.descriptors['reset_time_s'].floating_point_range[0]
    assert (reset_time.from_value, reset_time.to_value) == (0.0, 3600.0)
    node.close()


def test_the_session_options_are_off_by_default(ros):
    values = defaults(ros.recorder)
    assert {name: values[name] for name in ('play_sounds', 'display_data', 'display_target',
                                            'reset_between_episodes', 'reset_time_s')} == {
        'play_sounds': False, 'display_data': False, 'display_target': DEFAULT_DISPLAY_TARGET,
        'reset_between_episodes': False, 'reset_time_s': 0.0}


# --- exit status: one line and 2 for a configuration, through run_node ----------------------

def test_a_bad_choice_is_one_line_and_exit_2_before_any_dataset_is_touched(ros, graph, tmp_path,
                                                                           capsys):
    root = tmp_path / 'never'
    graph.overrides = {'action_source': 'velocity', 'dataset_root': str(root)}
    assert ros.recorder.main() == EXIT_CONFIG
    assert capsys.readouterr().err == (
        "recorder_node: error: parameter action_source must be one of command, next_state, "
        "state, got 'velocity'\n")
    assert graph.calls == ['init', 'try_shutdown'] and not root.exists()


def test_an_override_rclpy_refuses_is_exit_2_too(ros, graph, capsys):
    graph.overrides = {'fps': 500}
    assert ros.recorder.main() == EXIT_CONFIG
    assert capsys.readouterr().err == (
        'recorder_node: error: Invalid parameter value (500) for parameter: fps\n')


@pytest.mark.parametrize('overrides, line', [
    ({'display_target': 'window'}, "parameter display_target must be 'serve', a "
                                   "rerun+http://HOST:PORT/proxy URL or a path ending in .rrd, "
                                   "got 'window'"),
    ({'display_data': True, 'display_target': '/no/such/folder/live.rrd'},
     "parameter display_target: folder /no/such/folder does not exist (for "
     "'/no/such/folder/live.rrd')"),
    ({'reset_time_s': -1.0}, 'Invalid parameter value (-1.0) for parameter: reset_time_s'),
    ({'reset_time_s': 5}, 'Invalid parameter value (5) for parameter: reset_time_s'),
    ({'play_sounds': 'yes'}, 'Invalid parameter value (yes) for parameter: play_sounds'),
    ({'reset_between_episodes': 1},
     'Invalid parameter value (1) for parameter: reset_between_episodes'),
])
def test_a_bad_session_option_is_one_line_and_exit_2(ros, graph, tmp_path, capsys,
                                                     overrides, line):
    root = tmp_path / 'never'
    graph.overrides = {'dataset_root': str(root), 'keyboard': False, **overrides}
    assert ros.recorder.main() == EXIT_CONFIG
    assert capsys.readouterr().err == f'recorder_node: error: {line}\n'
    assert not root.exists()


def test_a_dataset_that_cannot_be_opened_is_exit_2(ros, graph, tmp_path, capsys):
    root = tmp_path / 'a_file'
    root.write_text('not a dataset')
    graph.overrides = {'dataset_root': str(root), 'keyboard': False}
    assert ros.recorder.main() == EXIT_CONFIG
    error = capsys.readouterr().err
    assert error.startswith('recorder_node: error: ') and 'is a file' in error
    assert error.count('\n') == 1


def test_a_dataset_failing_while_recording_is_exit_2_after_closing(ros, graph, tmp_path, capsys):
    root = tmp_path / 'failing'
    graph.overrides = {'dataset_root': str(root), 'keyboard': False}
    graph.spin_raises = ros.recorder.DatasetError('disk full')
    assert ros.recorder.main() == EXIT_CONFIG
    assert capsys.readouterr().err == 'recorder_node: error: disk full\n'
    assert graph.calls == ['init', 'spin', 'destroy_node', 'try_shutdown']
    assert not root.exists()  # close() ran: the writer removed the dataset it left empty


def test_an_external_shutdown_is_a_normal_end(ros, graph, tmp_path):
    graph.overrides = {'dataset_root': str(tmp_path / 'normal'), 'keyboard': False}
    assert ros.recorder.main() == EXIT_OK
    assert graph.calls == ['init', 'spin', 'destroy_node', 'try_shutdown']
    assert ('info', '[recorder] finalizing and exiting') in graph.nodes[-1].logged
    assert not (tmp_path / 'normal').exists()  # finalized: nothing was saved, nothing is left


# --- the running node -----------------------------------------------------------------------

@pytest.fixture(scope='module')
def node(ros, tmp_path_factory):
    ros.graph.__init__()
    ros.graph.overrides = {'dataset_root': str(tmp_path_factory.mktemp('node') / 'ds'),
                           'keyboard': False}
    made = ros.recorder.RecorderNode()
    yield made
    made.close()


def test_qos_is_chosen_per_topic(ros, node):
    qos = ros.qos
    subscriptions = {topic: profile for topic, (_, _, profile) in node.subscriptions.items()}
    assert subscriptions['/joint_states'] is qos.JOINT_STATES
    assert subscriptions['/gripper_target'] is qos.GRIPPER_TARGET
    assert subscriptions['/ar4_teleop/homing'] is qos.LATCHED
    assert subscriptions['/wrist_camera/image'].reliability == 'best_effort'
    trajectories = subscriptions['/joint_trajectory_controller/joint_trajectory']
    assert trajectories.reliability == 'reliable' and trajectories.depth >= 25
    assert node.publishers['/recorder/state'].qos is qos.LATCHED
    assert [message.data for message in node.publishers['/recorder/state'].sent] == ['idle']


def test_a_refused_go_home_is_logged_with_its_reason(ros, node):
    client = node.clients['/ar4_teleop/go_home']
    trigger = sys.modules['std_srvs.srv'].Trigger

    def home(reply=None, error=None):
        start = len(node.logged)
        node.session.handle(Event.HOME)
        if reply is not None:
            client.futures[-1].set_result(reply)
        if error is not None:
            client.futures[-1].set_exception(error)
        return [entry for entry in node.logged[start:] if entry != ('info', '[recorder] '
                                                                    'homing the arm')]

    assert home(trigger.Response(success=False, message='Servo is not ready')) == [
        ('warning', 'homing refused: Servo is not ready')]
    assert home(trigger.Response(success=True, message='homing')) == []
    assert home(error=RuntimeError('service gone')) == [
        ('warning', 'homing refused: no reply (service gone)')]
    client.ready = False
    assert home() == [
        ('info', 'homing unavailable: /ar4_teleop/go_home is not offered (teleop running?)')]


def test_without_options_the_session_gets_no_announcer_live_view_or_reset(node):
    assert node.options.session_arguments() == {
        'announce': None, 'live_view': None, 'reset_scene': None, 'reset_time_s': 0.0}
    assert node.session.live_view is None and node.session.reset_scene is None
    assert node.session.reset_time_s == 0.0


def test_with_options_the_session_speaks_shows_and_resets_the_scene(ros, graph, tmp_path,
                                                                    monkeypatch):
    # Real pieces: the Announcer thread (speaking into a list), a LiveView writing an .rrd, and
    # the reset command run as a program named ros2 on PATH (standing in for the ROS CLI).
    from ar4_teleop.recording import announce, session_options

    spoken = []
    monkeypatch.setattr(announce, 'default_speech', lambda log: spoken.append)
    monkeypatch.setattr(session_options, 'HOMING_START_S', 0.1)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    # It holds the reset until the test writes ros2.go.
    (bin_dir / 'ros2').write_text('#!/bin/sh\necho "$@" >> "$0.calls"\n'
                                  'for i in $(seq 100); do [ -e "$0.go" ] && exit 0; sleep 0.1; '
                                  'done\nexit 1\n')
    (bin_dir / 'ros2').chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}:/usr/bin:/bin')
    live = tmp_path / 'live.rrd'
    graph.overrides = {'dataset_root': str(tmp_path / 'ds'), 'keyboard': False,
                       'play_sounds': True, 'display_data': True, 'display_target': str(live),
                       'reset_between_episodes': True, 'reset_time_s': 0.5}
    node = ros.recorder.RecorderNode()
    session = node.session
    assert session.announce == node.options.announcer.say
    assert session.live_view is node.options.live_view and session.live_view.view is not None
    assert session.reset_scene is node.options.reset_scene and session.reset_time_s == 0.5
    # A take discarded: the arm is sent home, the cubes reset with a seed, a timed reset phase.
    node.session.handle(Event.ARM)
    node.session.handle(Event.DISCARD)
    assert len(node.clients['/ar4_teleop/go_home'].futures) == 1
    assert session.resetting  # the timed phase, reset_time_s
    # No take is armed while the scene is being reset, even once the timed phase is over.
    deadline = time.monotonic() + 10
    while not (bin_dir / 'ros2.calls').exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    session.ready_at = session.wall_clock() - 1
    control = node.subscriptions['/episode_control'][1]
    control(sys.modules['std_msgs.msg'].String(data='arm'))
    assert session.state is State.IDLE and node.logged[-1] == (
        'info', '[recorder] the scene is being reset: arm the next take once it is back')
    (bin_dir / 'ros2.go').touch()
    session.reset_scene.join(10)
    assert ('info', '[recorder] scene reset: the arm is home and the cubes are back') in (
        node.logged)
    seed = session.reset_scene.seeds_used[-1]
    assert (bin_dir / 'ros2.calls').read_text() == f'run ar4_gazebo reset_cubes --seed {seed}\n'
    assert ('info', f'[recorder] resetting the cubes with seed {seed}') in node.logged
    # The status timer ends the reset phase once its time is up: "Ready".
    period, tick = node.timers[-1]
    tick()
    assert not session.resetting and session.ready_at is None
    node.close()
    assert spoken == ['Recording episode 0', 'Episode discarded', 'Reset the scene', 'Ready']
    assert not node.options.announcer._thread.is_alive()
    assert live.stat().st_size > 0 and node.options.live_view.view is None


def test_record_launch_passes_each_recorder_parameter_with_its_declared_type(ros):
    spec = importlib.util.spec_from_file_location(
        'launch_file_checks', Path(__file__).with_name('test_launch_files.py'))
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    given = checks.node_parameter_types(RECORD_LAUNCH)['recorder_node']
    declared = {name: type(spec[0]).__name__ for name, spec in ros.recorder.PARAMETERS.items()}
    declared['use_sim_time'] = 'bool'  # rclpy's own
    assert {name: declared.get(name) for name in given} == given
