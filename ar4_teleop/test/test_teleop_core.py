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
The teleop core: streaming and idle, clock check, command type, homing, recorder, gripper.

Joint states and service responses are real ROS 2 message classes (rosbags typestore); the ROS
graph (which services and servers are up, who publishes the recorder state) and rclpy's futures
are stand-ins. The logger refuses a severity change per call site, as rclpy's does.
"""

import inspect
import math

from ar4_description.robot_constants import robot_constants
from ar4_teleop.gamepad import GamepadState
from ar4_teleop.spacemouse import SpaceMouseState
from ar4_teleop.teleop_mapping import JointJogCommand, TeleopSettings, TwistCommand
from ar4_teleop.teleop_config import load_config, PARAMETERS
from ar4_teleop.teleop_core import (
    call_outcome, CLOCK_TOLERANCE_S, CommandStream, Graph, HOMING_SETTLE_S, HomingPhase,
    IDLE_ZERO_S, PAUSE_SERVO, SERVICE_TIMEOUT_S, SWITCH_COMMAND_TYPE, TeleopCore, Throttle)
import numpy as np
import pytest
from rosbags.typesys import get_types_from_msg, get_typestore, Stores

CONSTANTS = robot_constants()
S = 1_000_000_000  # nanoseconds per second
PERIOD = 40_000_000  # 25 Hz
SIM_START = 100 * S  # a simulation clock: seconds since Gazebo started
WALL = 1_764_000_000 * S  # a system clock: seconds since the epoch (2025-11)
FORWARD = GamepadState(left_y=1.0)
REST = GamepadState()


@pytest.fixture(scope='module')
def typestore():
    store = get_typestore(Stores.ROS2_JAZZY)
    # std_srvs is not in the rosbags typestore; SetBool's response, from its .srv definition.
    store.register(get_types_from_msg('bool success\nstring message',
                                      'std_srvs/msg/SetBool_Response'))
    return store


def joint_state(typestore, stamp, positions=None, names=None):
    """Build a real sensor_msgs/JointState stamped ``stamp`` (ns)."""
    types = typestore.types
    names = list(names or CONSTANTS.joint_names)
    positions = np.zeros(len(names)) if positions is None else np.asarray(positions, float)
    header = types['std_msgs/msg/Header'](
        stamp=types['builtin_interfaces/msg/Time'](sec=stamp // S, nanosec=stamp % S),
        frame_id='')
    return types['sensor_msgs/msg/JointState'](
        header=header, name=names, position=positions, velocity=np.zeros(0),
        effort=np.zeros(0))


class CallSiteLogger:
    """Records (severity, message); like rclpy, one call site keeps one severity."""

    def __init__(self):
        self.records = []
        self._sites = {}

    def _log(self, severity, message):
        frame = inspect.currentframe().f_back.f_back
        site = (frame.f_code.co_filename, frame.f_lineno, frame.f_lasti)
        if self._sites.setdefault(site, severity) != severity:
            raise ValueError('Logger severity cannot be changed between calls.')
        self.records.append((severity, message))

    def info(self, message):
        self._log('info', message)

    def warning(self, message):
        self._log('warning', message)

    def error(self, message):
        self._log('error', message)

    def text(self, severity=None):
        return '\n'.join(m for s, m in self.records if severity in (None, s))

    def count(self, severity, needle):
        return sum(1 for s, m in self.records if s == severity and needle in m)


class FakeGraph:
    """Which services and servers are up; how many publish /recorder/state."""

    def __init__(self, switch=True, pause=True, gripper=True, recorder_publishers=0):
        self.switch, self.pause, self.gripper = switch, pause, gripper
        self.recorder_publishers = recorder_publishers

    def graph(self):
        return Graph(switch_ready=lambda: self.switch, pause_ready=lambda: self.pause,
                     gripper_ready=lambda: self.gripper,
                     recorder_publishers=lambda: self.recorder_publishers)


class Rig:
    """A core on a fake graph with a node clock that advances one period per tick."""

    def __init__(self, typestore, now=SIM_START, graph=None, **parameters):
        values = {spec.name: spec.default for spec in PARAMETERS}
        values.update(parameters)
        self.typestore = typestore
        self.config = load_config(values, CONSTANTS)
        self.fake = graph or FakeGraph()
        self.log = CallSiteLogger()
        self.core = TeleopCore(self.config, self.fake.graph(), self.log)
        self.now = now

    def tick(self, state=None, keys=()):
        """Advance one period; ``state`` None: no device read (neutral)."""
        self.now += PERIOD
        return self.core.tick(self.now, state, keys)

    def joints(self, stamp=None, positions=None):
        self.core.on_joint_state(joint_state(
            self.typestore, self.now if stamp is None else stamp, positions), self.now)

    def answer(self, call, ok=True, message=''):
        self.core.on_service_result(call.token, ok, message)

    def ready(self):
        """Set Servo's command type and deliver a joint state on the same clock."""
        self.joints()
        out = self.tick()
        (call,) = [c for c in out.service_calls if c.service == SWITCH_COMMAND_TYPE]
        self.answer(call)
        assert self.core.servo_ready
        return self


@pytest.fixture
def rig(typestore):
    return Rig(typestore).ready()


# -- streaming and idle -----------------------------------------------------------------------

def test_streams_while_moving_then_zeros_briefly_then_nothing(rig):
    assert rig.tick().command is None  # nothing before a stick moves
    moving = rig.tick(FORWARD).command
    assert isinstance(moving, TwistCommand) and not moving.is_zero
    zeros = []
    for _ in range(40):
        zeros.append(rig.tick().command)
    sent = [c for c in zeros if c is not None]
    # Zero commands for IDLE_ZERO_S (Servo halts on them), then quiet so that Servo stops
    # publishing and a trajectory executed from RViz is not overridden.
    assert len(sent) == math.ceil(IDLE_ZERO_S * S / PERIOD)
    assert all(c.is_zero for c in sent)
    assert zeros[len(sent):] == [None] * (40 - len(sent))
    assert not rig.core.stream.active
    assert not rig.tick(FORWARD).command.is_zero  # a stick moves: streaming again


def test_the_idle_window_restarts_when_a_stick_moves_again():
    stream = CommandStream(idle_zero_s=0.5)
    assert stream.decide(0, True)
    assert stream.decide(int(0.4 * S), False)
    assert stream.decide(int(0.45 * S), True)
    assert stream.decide(int(0.9 * S), False)  # rest began at 0.9, not 0.4
    assert stream.decide(int(1.3 * S), False)
    assert not stream.decide(int(1.4 * S), False)


def test_zero_command_on_shutdown_only_while_streaming(rig):
    assert rig.core.shutdown_command() is None  # Servo is quiet: do not wake it
    rig.tick(FORWARD)
    command = rig.core.shutdown_command()
    assert isinstance(command, TwistCommand) and command.is_zero
    assert rig.core.shutdown_command() is None


def test_joint_jog_mode_streams_joint_jog_commands(typestore):
    rig = Rig(typestore, joint_jog=True)
    rig.joints()
    (call,) = rig.tick().service_calls
    assert (call.service, call.value) == (SWITCH_COMMAND_TYPE, True)
    rig.answer(call)
    command = rig.tick(GamepadState(left_x=1.0)).command
    assert isinstance(command, JointJogCommand) and command.velocities[0] > 0.0
    zero = rig.core.shutdown_command()
    assert isinstance(zero, JointJogCommand) and zero.is_zero


# -- the SpaceMouse, through the same rules ---------------------------------------------------

def test_the_spacemouse_streams_by_the_same_rules(typestore):
    rig = Rig(typestore, device='spacemouse').ready()
    assert 'SpaceMouse cap' in rig.log.text('info')  # its control map, once Servo is ready
    assert rig.tick(SpaceMouseState()).command is None  # nothing before the cap moves
    moving = rig.tick(SpaceMouseState(forward=1.0, yaw=0.5)).command
    assert isinstance(moving, TwistCommand)
    # Dominant axis (the default): forward only, -y of base_link.
    assert moving.linear[1] < 0.0 and moving.angular == (0.0, 0.0, 0.0)
    rig.core.settings = TeleopSettings(dominant_axis=False)
    both = rig.tick(SpaceMouseState(forward=1.0, yaw=0.5)).command
    assert both.linear[1] < 0.0 and both.angular[2] > 0.0
    sent = [rig.tick(SpaceMouseState()).command for _ in range(40)]
    zeros = [c for c in sent if c is not None]
    assert len(zeros) == math.ceil(IDLE_ZERO_S * S / PERIOD) and all(c.is_zero for c in zeros)
    assert not rig.core.stream.active
    rig.tick(SpaceMouseState(up=1.0))
    zero = rig.core.shutdown_command()
    assert isinstance(zero, TwistCommand) and zero.is_zero


def test_no_spacemouse_read_is_neutral_and_its_buttons_drive_the_gripper(typestore):
    rig = Rig(typestore, device='spacemouse')
    rig.joints()
    first = rig.tick()  # no device: state None
    assert first.command is None
    assert first.gripper_target == CONSTANTS.gripper.closed  # announced once
    rig.answer(first.service_calls[0])
    opened = rig.tick(SpaceMouseState(pressed={'right'}))
    assert opened.gripper_target == opened.gripper_goal == CONSTANTS.gripper.open
    assert opened.command is None  # a button moves no axis
    closed = rig.tick(SpaceMouseState(pressed={'left'}))
    assert closed.gripper_target == closed.gripper_goal == CONSTANTS.gripper.closed
    # Recorder events come from the keyboard only.
    assert rig.tick(SpaceMouseState(), keys='r').episode_requests == ['arm']


def test_spacemouse_joint_jog(typestore):
    rig = Rig(typestore, device='spacemouse', joint_jog=True)
    rig.joints()
    (call,) = rig.tick().service_calls
    assert (call.service, call.value) == (SWITCH_COMMAND_TYPE, True)
    rig.answer(call)
    command = rig.tick(SpaceMouseState(right=1.0)).command
    assert isinstance(command, JointJogCommand) and command.velocities[0] > 0.0
    assert not any(command.velocities[1:])


# -- the clock check (real JointState messages) -----------------------------------------------

def test_sim_stamped_joint_states_and_a_wall_clock_node_block_streaming(typestore):
    rig = Rig(typestore, now=WALL)
    rig.joints(stamp=SIM_START)
    out = rig.tick()
    rig.answer(out.service_calls[0])
    for _ in range(10):
        assert rig.tick(FORWARD).command is None
    errors = rig.log.text('error')
    assert rig.log.count('error', 'not streaming') == 1  # throttled
    assert '/joint_states stamps are' in errors and 'use_sim_time:=true' in errors
    rig.now += int(5 * S)
    rig.tick(FORWARD)
    assert rig.log.count('error', 'not streaming') == 2
    # The sim clock reaches the node (use_sim_time fixed and restarted, in effect): streaming.
    rig.now = SIM_START + 10 * S
    rig.joints()
    assert rig.tick(FORWARD).command is not None
    assert 'agree now' in rig.log.text('info')


def test_wall_stamped_joint_states_and_a_sim_clock_node_say_use_sim_time_false(typestore):
    rig = Rig(typestore).ready()
    rig.joints(stamp=WALL)
    assert rig.tick(FORWARD).command is None
    assert 'use_sim_time:=false' in rig.log.text('error')


def test_clocks_within_the_tolerance_stream(typestore):
    rig = Rig(typestore).ready()
    rig.joints(stamp=rig.now - int((CLOCK_TOLERANCE_S - 0.5) * S))
    assert rig.tick(FORWARD).command is not None
    rig.joints(stamp=rig.now - int((CLOCK_TOLERANCE_S + 0.5) * S))
    assert rig.tick(FORWARD).command is None
    assert 'behind' in rig.log.text('error')


def test_no_joint_states_no_streaming_and_zero_stamps_prove_nothing(typestore):
    rig = Rig(typestore)
    rig.answer(rig.tick().service_calls[0])
    assert rig.tick(FORWARD).command is None
    assert 'no joint states on /joint_states yet' in rig.log.text('warning')
    rig.joints(stamp=0)  # unstamped joint states say nothing about the clock
    assert rig.core.positions is not None
    assert rig.tick(FORWARD).command is None
    rig.joints()
    assert rig.tick(FORWARD).command is not None


# -- Servo's command type ---------------------------------------------------------------------

def test_command_type_is_asked_when_servo_is_up_and_again_after_a_timeout(typestore):
    rig = Rig(typestore, graph=FakeGraph(switch=False))
    rig.joints()
    assert rig.tick().service_calls == []
    assert 'waiting for /servo_node/switch_command_type' in rig.log.text('warning')
    rig.fake.switch = True
    (first,) = rig.tick().service_calls
    assert (first.service, first.value) == (SWITCH_COMMAND_TYPE, False)  # TWIST
    calls = []
    for _ in range(int(SERVICE_TIMEOUT_S * S / PERIOD) + 1):
        calls += rig.tick().service_calls
    (second,) = calls  # the unanswered call timed out and was made again
    assert second.token != first.token
    assert 'did not answer within 2 s; retrying' in rig.log.text('warning')
    rig.answer(first)  # too late: dropped
    assert not rig.core.servo_ready
    rig.answer(second)
    assert rig.core.servo_ready
    assert 'control map' in rig.log.text('info') and '| X ' in rig.log.text('info')


def test_a_refused_command_type_is_retried_later_and_a_restarted_servo_is_asked_again(rig):
    rig.fake.switch = False
    rig.tick()
    assert not rig.core.servo_ready and 'Servo is gone' in rig.log.text('warning')
    rig.fake.switch = True
    (call,) = rig.tick().service_calls
    rig.answer(call, ok=False, message='unknown type')
    assert 'Servo refused the command type (unknown type)' in rig.log.text('error')
    assert rig.tick().service_calls == []  # not in a hot loop
    rig.now += int(SERVICE_TIMEOUT_S * S)
    assert rig.tick().service_calls[0].service == SWITCH_COMMAND_TYPE


# -- homing -----------------------------------------------------------------------------------

def run_until(rig, predicate, limit_s=30.0, state=REST):
    outs = []
    for _ in range(int(limit_s * S / PERIOD)):
        out = rig.tick(state)
        outs.append(out)
        if predicate(out):
            return out, outs
    raise AssertionError('never happened')


def test_homing_pauses_servo_sends_the_plan_and_resumes(rig):
    rig.tick(FORWARD)
    accepted, message = rig.core.request_homing()
    assert accepted and message.startswith('homing: ')
    out = rig.tick(FORWARD)
    assert out.homing is True and out.command is None  # streaming stops while homing
    (pause,) = out.service_calls
    assert (pause.service, pause.value) == (PAUSE_SERVO, True)
    assert rig.tick().homing_plan is None  # not before Servo confirmed the pause
    rig.answer(pause)
    out = rig.tick()
    plan = out.homing_plan
    assert plan is not None and rig.core.phase is HomingPhase.MOVING
    sent_at = rig.now
    out, _ = run_until(rig, lambda o: o.homing is False)
    assert rig.now - sent_at >= (plan.duration + HOMING_SETTLE_S) * S
    (resume,) = out.service_calls
    assert (resume.service, resume.value) == (PAUSE_SERVO, False)
    assert 'homing done' in rig.log.text('info')
    assert rig.tick(FORWARD).command is not None


def test_a_pause_without_answer_cancels_homing_and_asks_servo_to_resume(rig):
    assert rig.core.request_homing()[0]
    (pause,) = rig.tick().service_calls
    out, _ = run_until(rig, lambda o: o.homing is False, limit_s=SERVICE_TIMEOUT_S + 0.5)
    assert [(c.service, c.value) for c in out.service_calls] == [(PAUSE_SERVO, False)]
    assert 'homing cancelled: /servo_node/pause_servo did not answer' in rig.log.text('warning')
    assert not rig.core.homing
    rig.answer(pause)  # a late answer changes nothing
    assert rig.tick().homing_plan is None and not rig.core.homing
    assert rig.core.request_homing()[0]


def test_a_failed_pause_cancels_homing(rig):
    rig.core.request_homing()
    (pause,) = rig.tick().service_calls
    rig.answer(pause, ok=False, message='RuntimeError: service gone')
    out = rig.tick()
    assert out.homing is False and out.homing_plan is None and out.service_calls == []
    assert 'Servo did not pause (RuntimeError: service gone)' in rig.log.text('warning')


def test_without_a_pause_service_homing_goes_ahead(rig):
    rig.fake.pause = False
    rig.core.request_homing()
    out = rig.tick()
    assert out.homing is True and out.homing_plan is not None and out.service_calls == []
    out, _ = run_until(rig, lambda o: o.homing is False)
    assert out.service_calls == []  # nothing to resume


def test_homing_refusals_are_warnings_and_acceptances_info(typestore):
    rig = Rig(typestore)
    assert rig.core.request_homing() == (
        False, 'no joint positions yet on /joint_states; cannot plan homing')
    rig.joints()
    assert rig.core.request_homing()[0]
    assert rig.core.request_homing() == (False, 'already homing')
    # Both outcomes went through the same code path: one severity per call site (rclpy).
    assert rig.log.count('warning', 'homing refused') == 2
    assert rig.log.count('info', 'homing: ') == 1


def test_home_on_start_homes_once_on_the_first_joint_state(typestore):
    rig = Rig(typestore, home_on_start=True)
    for _ in range(5):
        assert rig.tick().homing is not True
    rig.joints()
    out = rig.tick()
    assert out.homing is True and rig.core.homing
    assert out.service_calls[-1].service == PAUSE_SERVO
    rig.answer(out.service_calls[-1])
    run_until(rig, lambda o: o.homing is False)
    for _ in range(50):
        assert rig.tick().homing is None  # once only


def test_home_on_start_retries_until_a_homing_is_accepted_and_runs(typestore):
    rig = Rig(typestore, home_on_start=True, graph=FakeGraph(switch=False))
    rig.joints(positions=[np.nan] * 6)  # the planner refuses non-finite joints
    rig.tick()
    assert not rig.core.homing
    assert rig.log.count('warning', 'home_on_start: cannot plan homing') == 1
    for _ in range(int(1.0 * S / PERIOD)):
        rig.tick()
    assert rig.log.count('warning', 'home_on_start: cannot plan homing') == 2  # every second
    rig.joints()
    run_until(rig, lambda o: o.homing is True, limit_s=1.1)
    # The pause is never answered: homing is cancelled, and home_on_start tries again.
    run_until(rig, lambda o: o.homing is False, limit_s=SERVICE_TIMEOUT_S + 0.5)
    out, _ = run_until(rig, lambda o: o.homing is True, limit_s=1.1)
    assert out.service_calls[-1].service == PAUSE_SERVO


# -- the recorder and episode requests --------------------------------------------------------

@pytest.mark.parametrize('state, publishers, present', [
    (None, 0, False), (None, 1, False), ('idle', 1, True), ('recording', 1, True),
    ('paused', 1, True), ('finished', 1, False), ('', 1, False), ('idle', 0, False),
])
def test_recorder_presence_from_its_latched_state(rig, state, publishers, present):
    rig.fake.recorder_publishers = publishers
    if state is not None:
        rig.core.on_recorder_state(state)
    assert rig.core.recorder_present() is present
    out = rig.tick(GamepadState(pressed={'start'}))
    if present:
        assert out.episode_requests == ['home'] and not rig.core.homing
    else:
        assert out.episode_requests == [] and rig.core.homing  # Start homes directly


def test_x_arms_a_take_through_episode_control(rig):
    rig.fake.recorder_publishers = 1
    rig.core.on_recorder_state('idle')
    assert rig.tick(GamepadState(pressed={'x'})).episode_requests == ['arm']
    assert rig.tick(GamepadState(pressed={'x'})).episode_requests == []
    assert rig.tick(GamepadState(pressed={'y'})).episode_requests == ['save']
    rig.core.on_recorder_state('finished')
    assert rig.tick(GamepadState(pressed={'x'})).episode_requests == ['arm']
    assert 'arm: no recorder is running (/recorder/state: finished)' in rig.log.text('warning')
    assert 'recorder: idle' in rig.log.text('info')


def test_stick_clicks_send_the_take_marks_to_the_recorder(rig):
    rig.fake.recorder_publishers = 1
    rig.core.on_recorder_state('recording')
    assert rig.tick(GamepadState(pressed={'left_stick'})).episode_requests == ['success']
    assert rig.tick(GamepadState(pressed={'right_stick'})).episode_requests == ['failure']


# -- the gripper ------------------------------------------------------------------------------

def test_a_gripper_goal_counts_as_sent_only_when_the_server_took_it(typestore):
    rig = Rig(typestore, graph=FakeGraph(gripper=False))
    out = rig.tick()
    closed = CONSTANTS.gripper.closed
    assert out.gripper_target == closed and out.gripper_goal is None
    assert 'gripper action /gripper_controller/gripper_cmd not available' in rig.log.text()
    out = rig.tick(GamepadState(pressed={'a'}))
    assert out.gripper_target == CONSTANTS.gripper.open and out.gripper_goal is None
    assert rig.tick(GamepadState(pressed={'a'})).gripper_goal is None
    rig.fake.gripper = True
    out = rig.tick(GamepadState(pressed={'a'}))
    assert out.gripper_goal == CONSTANTS.gripper.open and out.gripper_target is None
    assert rig.tick(GamepadState(pressed={'a'})).gripper_goal is None  # sent once
    assert rig.log.count('warning', 'not available') == 1  # throttled


# -- helpers ----------------------------------------------------------------------------------

class FakeFuture:
    """Stands in for an rclpy Future that is done."""

    def __init__(self, result=None, error=None):
        self._result, self._error = result, error

    def result(self):
        if self._error is not None:
            raise self._error
        return self._result


def test_call_outcome(typestore):
    response = typestore.types['std_srvs/msg/SetBool_Response']
    assert call_outcome(FakeFuture(response(success=True, message='Servoing disabled'))) == (
        True, 'Servoing disabled')
    assert call_outcome(FakeFuture(response(success=False, message=''))) == (False, '')
    assert call_outcome(FakeFuture(None)) == (False, 'no response')
    assert call_outcome(FakeFuture(error=RuntimeError('gone'))) == (False, 'RuntimeError: gone')


def test_throttle():
    throttle = Throttle()
    assert throttle('a', 0, 1.0) and not throttle('a', S // 2, 1.0) and throttle('b', 0, 1.0)
    assert throttle('a', S, 1.0)


def test_the_severity_checking_logger_catches_a_switched_severity():
    # The shape rclpy refuses: one call site, severity chosen per call.
    log = CallSiteLogger()
    with pytest.raises(ValueError, match='severity cannot be changed'):
        for ok in (True, False):
            (log.info if ok else log.warning)('message')
