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
The teleop node's decisions without rclpy: what to send, and when, on each tick.

``TeleopCore.tick`` gets the input device's state (gamepad or SpaceMouse; None while no device
is read) and the typed keys once per Servo period and returns a ``TickOutput``: the Servo
command to publish (or none), the gripper target and goal, /episode_control requests, service
calls to make, the homing trajectory and the homing flag.
Between ticks the node hands over joint states, the recorder's state, /ar4_teleop/go_home
requests and service answers. The node converts and publishes; nothing here needs ROS.

One clock: every ``now_ns`` is the node clock (simulation time with use_sim_time). The timer that
drives ``tick`` runs on it as well, so when the simulation pauses the timeouts pause with it.

The rules, and the upstream behaviour they rest on (moveit_servo 2.12 of MoveIt jazzy,
moveit_ros/moveit_servo/src/servo_node.cpp and src/servo.cpp):

- Streaming. ``ServoNode::servoLoop`` acts on the newest command every cycle while
  ``now - header.stamp < incoming_command_timeout`` (``processTwistCommand``,
  ``processJointJogCommand``), zero commands included: a fresh zero twist has Servo keep
  publishing a trajectory that holds the arm where it is, which replaces whatever the controller
  was executing (a plan sent from RViz, say). Once the newest command is stale Servo brings the
  arm to rest (``Servo::smoothHalt``) and then publishes nothing. So the core streams while a
  stick is deflected, then zero commands for ``IDLE_ZERO_S`` once the sticks are at rest (a few
  periods: one lost message must not leave a moving twist as the newest), then nothing until a
  stick moves again.
- Clocks. Servo judges staleness by its own clock. A teleop on another clock (use_sim_time set
  differently) sends commands that are never stale (the arm keeps the last twist for ever) or
  always stale (nothing moves). The joint states are stamped on the robot's clock, Servo's
  clock: while their stamps and this node's clock differ by more than ``CLOCK_TOLERANCE_S`` the
  core streams nothing and says, as a throttled error, which setting to change.
- Command type. Servo accepts nothing before ``~/switch_command_type``: the core asks once the
  service is there, again after it went away and came back, and again when an answer does not
  come within ``SERVICE_TIMEOUT_S``.
- Homing pauses Servo (``~/pause_servo``), publishes the plan, and resumes Servo when the plan
  has run plus ``HOMING_SETTLE_S``. Every phase has a deadline, so an answer that never comes
  cannot leave the node homing for ever: a pause without an answer cancels the homing and asks
  Servo to resume, in case the pause lands late.
- The recorder is present while its latched /recorder/state is one of its live states (idle,
  recording, paused; not finished or empty) and someone still publishes it. Then Start goes to
  it as 'home' (it refuses homing while recording); otherwise Start homes directly.
- A gripper goal counts as sent only once the action server was there to take it; until then it
  is retried every tick (the latched /gripper_target carries the target meanwhile).
"""

from dataclasses import dataclass, field
import enum
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

from ar4_description.homing import homing_trajectory, HomingError, HomingPlan
from ar4_description.ros_messages import joint_positions_or_none, stamp_ns
from ar4_teleop.gamepad import GamepadState, TeleopMapper
from ar4_teleop.spacemouse import SpaceMouseMapper, SpaceMouseState
from ar4_teleop.teleop_config import TeleopConfig
from ar4_teleop.teleop_mapping import Command, TeleopSettings

# The mapper of each input device (teleop_config.DEVICES).
MAPPERS = {'gamepad': TeleopMapper, 'spacemouse': SpaceMouseMapper}
DeviceState = Union[GamepadState, SpaceMouseState]

# Zero commands sent after the sticks come to rest, before the stream goes quiet.
IDLE_ZERO_S = 0.5
# Largest accepted difference between joint state stamps and this node's clock.
CLOCK_TOLERANCE_S = 2.0
# How long a service call may go unanswered before its state is reset.
SERVICE_TIMEOUT_S = 2.0
# Servo keeps publishing for a moment after it is paused; let the homing run out before resuming.
HOMING_SETTLE_S = 0.5
# Spacing of home_on_start attempts while homing is refused (and of their warnings).
HOME_ON_START_RETRY_S = 1.0
# /recorder/state values that mean no recorder takes requests (see recording.episode.State).
RECORDER_GONE_STATES = ('', 'finished')
# Stamps below this (2001-09-09) count from the start of a simulation, not from the epoch.
_EPOCH_STAMP_NS = 1_000_000_000 * 1_000_000_000

SWITCH_COMMAND_TYPE = 'switch_command_type'
PAUSE_SERVO = 'pause_servo'


@dataclass(frozen=True)
class Graph:
    """What the core asks the node about the ROS graph (callables; plain fakes in tests)."""

    switch_ready: Callable[[], bool]
    pause_ready: Callable[[], bool]
    gripper_ready: Callable[[], bool]
    recorder_publishers: Callable[[], int]


@dataclass(frozen=True)
class ServiceCall:
    """A call for the node to make; its answer goes back through on_service_result(token)."""

    token: int
    service: str  # SWITCH_COMMAND_TYPE (value: joint_jog) or PAUSE_SERVO (value: pause)
    value: bool


@dataclass
class TickOutput:
    """What the node publishes or calls after one tick; None / empty: nothing."""

    command: Optional[Command] = None
    gripper_target: Optional[float] = None
    gripper_goal: Optional[float] = None
    episode_requests: List[str] = field(default_factory=list)
    service_calls: List[ServiceCall] = field(default_factory=list)
    homing_plan: Optional[HomingPlan] = None
    homing: Optional[bool] = None


def call_outcome(future) -> Tuple[bool, str]:
    """Return (success, detail) of a finished service future (rclpy's or a stand-in)."""
    try:
        response = future.result()
    except Exception as error:  # noqa: B902 - any failure of the call is reported, not raised
        return False, f'{type(error).__name__}: {error}'
    if response is None:
        return False, 'no response'
    return bool(getattr(response, 'success', False)), str(getattr(response, 'message', ''))


class Throttle:
    """Say yes to a key at most once per period (log throttling on the core's clock)."""

    def __init__(self):
        """Start with every key ready."""
        self._last: Dict[str, int] = {}

    def __call__(self, key: str, now_ns: int, period_s: float) -> bool:
        """Return True, and restart the period, when ``key`` was last allowed long enough ago."""
        last = self._last.get(key)
        if last is not None and now_ns - last < period_s * 1e9:
            return False
        self._last[key] = now_ns
        return True


class CommandStream:
    """Decide per tick whether Servo gets a command: while moving, a little after, then not."""

    def __init__(self, idle_zero_s: float = IDLE_ZERO_S):
        """Start quiet."""
        self._idle_zero_ns = idle_zero_s * 1e9
        self._rest_since: Optional[int] = None
        self.active = False

    def decide(self, now_ns: int, moving: bool) -> bool:
        """Return True when this tick's command (zero or not) is to be published."""
        if moving:
            self.active, self._rest_since = True, None
            return True
        if not self.active:
            return False
        if self._rest_since is None:
            self._rest_since = now_ns
        if now_ns - self._rest_since < self._idle_zero_ns:
            return True
        self.stop()
        return False

    def stop(self):
        """Go quiet now (streaming blocked)."""
        self.active, self._rest_since = False, None


class ClockCheck:
    """Compare joint state stamps with the node clock on receipt."""

    def __init__(self, tolerance_s: float = CLOCK_TOLERANCE_S):
        """Start with nothing observed."""
        self.tolerance_s = tolerance_s
        self.last: Optional[Tuple[int, int]] = None  # (stamp_ns, now_ns) of the latest sample

    def observe(self, stamp: int, now_ns: int):
        """Record a joint state stamp received at ``now_ns`` (zeros tell nothing, skipped)."""
        if stamp > 0 and now_ns > 0:
            self.last = (stamp, now_ns)

    @property
    def offset_s(self) -> Optional[float]:
        """Return node clock minus stamp of the latest sample, seconds (None before one)."""
        return None if self.last is None else (self.last[1] - self.last[0]) / 1e9

    def mismatch(self, topic: str) -> Optional[str]:
        """Return why the clocks disagree, or None while they agree (or nothing was seen)."""
        offset = self.offset_s
        if offset is None or abs(offset) <= self.tolerance_s:
            return None
        stamp, now = self.last
        if stamp < _EPOCH_STAMP_NS <= now:
            fix = ('the joint states run on simulation time: start the teleop with '
                   'use_sim_time:=true, like servo_node')
        elif now < _EPOCH_STAMP_NS <= stamp:
            fix = ('the joint states are stamped with the system clock: start the teleop with '
                   'use_sim_time:=false, like servo_node')
        else:
            fix = 'do the robot, servo_node and this node share a clock (use_sim_time, NTP)?'
        return (f'{topic} stamps are {abs(offset):.1f} s {"behind" if offset > 0 else "ahead of"}'
                f' this node\'s clock, so MoveIt Servo would misjudge the age of every command: '
                f'not streaming; {fix}')


class HomingPhase(enum.Enum):
    """Where a homing is."""

    IDLE = 'idle'
    REQUESTED = 'requested'   # planned; Servo to be paused on the next tick
    PAUSING = 'pausing'       # pause_servo called, answer awaited
    PAUSED = 'paused'         # Servo paused; the trajectory goes out on the next tick
    MOVING = 'moving'         # trajectory sent; waiting for it to run out


@dataclass
class _PendingCall:
    deadline_ns: int
    on_result: Callable[[bool, str], None]
    on_timeout: Callable[[], None]


class TeleopCore:
    """The teleop node's state and rules; see the module docstring."""

    def __init__(self, config: TeleopConfig, graph: Graph, log):
        """Bind the configuration, the graph queries and a logger (info / warning / error)."""
        self.config = config
        self.graph = graph
        self.log = log
        self.mapper = MAPPERS[config.device](config.mapping, config.settings, config.constants)
        self.positions = None
        self.recorder_state: Optional[str] = None
        self.servo_ready = False
        self.stream = CommandStream()
        self.clock = ClockCheck()
        self.phase = HomingPhase.IDLE
        self._throttle = Throttle()
        self._calls: Dict[int, _PendingCall] = {}
        self._tokens = 0
        self._switch_pending = False
        self._switch_retry_ns = 0
        self._clock_was_bad = False
        self._plan: Optional[HomingPlan] = None
        self._homing_deadline_ns = 0
        self._servo_paused = False
        self._homing_for_start = False
        self._homing_published: Optional[bool] = None
        self._gripper_goal: Optional[float] = None
        self._home_on_start = config.home_on_start
        self._home_attempt_ns = 0
        self._now_ns = 0  # of the latest tick, for answers that arrive between ticks
        self._out = TickOutput()

    # -- inputs between ticks -------------------------------------------------------------------

    @property
    def settings(self) -> TeleopSettings:
        """Return the live TeleopSettings: speeds, scales, deadzone, dominant axis, mode."""
        return self.mapper.settings

    @settings.setter
    def settings(self, settings: TeleopSettings):
        self.mapper.settings = settings

    @property
    def homing(self) -> bool:
        """Return True from a homing request until it is done or cancelled."""
        return self.phase is not HomingPhase.IDLE

    def on_joint_state(self, message, now_ns: int):
        """Take a sensor_msgs/JointState received at ``now_ns``: arm positions and clock."""
        self.clock.observe(stamp_ns(message.header.stamp), now_ns)
        positions = joint_positions_or_none(message, self.config.constants.joint_names)
        if positions is not None:
            self.positions = positions

    def on_recorder_state(self, state: str):
        """Take the recorder's latched state."""
        if state != self.recorder_state:
            self.recorder_state = state
            self.log.info(f'recorder: {state or "(empty state)"}')

    def recorder_present(self) -> bool:
        """Return True while a recorder takes /episode_control requests."""
        return (self.recorder_state is not None
                and self.recorder_state.strip().lower() not in RECORDER_GONE_STATES
                and self.graph.recorder_publishers() > 0)

    def request_homing(self) -> Tuple[bool, str]:
        """Plan a homing from the latest joint positions; return (accepted, message)."""
        accepted, message = self._plan_homing()
        if accepted:
            self.log.info(message)
        else:
            self.log.warning(f'homing refused: {message}')
        return accepted, message

    def on_service_result(self, token: int, ok: bool, detail: str):
        """Take the answer to a ServiceCall; late answers (after the timeout) are dropped."""
        call = self._calls.pop(token, None)
        if call is not None:
            call.on_result(ok, detail)

    def shutdown_command(self) -> Optional[Command]:
        """Return the zero command to send on shutdown while the stream is active, else None."""
        if not self.stream.active:
            return None
        self.stream.stop()
        return self.mapper.command(self.mapper.neutral_state())

    # -- the tick -------------------------------------------------------------------------------

    def tick(self, now_ns: int, state: Optional[DeviceState] = None,
             keys: Iterable[str] = ()) -> TickOutput:
        """Advance one Servo period (``state`` None: no device read); return what to do."""
        if state is None:
            state = self.mapper.neutral_state()
        self._out, self._now_ns = TickOutput(), now_ns
        out = self._out
        for token in [t for t, call in self._calls.items() if now_ns >= call.deadline_ns]:
            self._calls.pop(token).on_timeout()
        self._keep_command_type(now_ns)
        step = self.mapper.update(state, keys)
        self._gripper(step.gripper_target, now_ns)
        for event in step.events:
            self._episode_event(event)
        self._home_on_start_attempt(now_ns)
        self._advance_homing(now_ns)
        if self.homing != self._homing_published:
            out.homing = self._homing_published = self.homing
        out.command = self._stream(step.command, now_ns)
        self._out = TickOutput()
        return out

    def _call(self, service: str, value: bool, now_ns: int,
              on_result: Callable[[bool, str], None], on_timeout: Callable[[], None]):
        self._tokens += 1
        self._calls[self._tokens] = _PendingCall(
            now_ns + int(SERVICE_TIMEOUT_S * 1e9), on_result, on_timeout)
        self._out.service_calls.append(ServiceCall(self._tokens, service, value))

    # -- Servo's command type -------------------------------------------------------------------

    def _keep_command_type(self, now_ns: int):
        available = self.graph.switch_ready()
        service = self.config.topics['switch_command_type_service']
        if self.servo_ready and not available:
            # Servo went away (restarted): its command type must be set again.
            self.servo_ready = False
            self.log.warning('Servo is gone; waiting for it to come back')
        if self.servo_ready or self._switch_pending or now_ns < self._switch_retry_ns:
            return
        if not available:
            if self._throttle('switch', now_ns, 10.0):
                self.log.warning(f'waiting for {service} (is servo_node running?)')
            return
        self._switch_pending = True
        self._call(SWITCH_COMMAND_TYPE, self.settings.joint_jog, now_ns,
                   lambda ok, detail: self._on_command_type(ok, detail, now_ns),
                   lambda: self._on_command_type_timeout(service))

    def _on_command_type(self, ok: bool, detail: str, asked_ns: int):
        self._switch_pending = False
        if not ok:
            self._switch_retry_ns = asked_ns + int(SERVICE_TIMEOUT_S * 1e9)
            self.log.error(f'Servo refused the command type ({detail or "no reason given"}); '
                           'retrying')
            return
        self.servo_ready = True
        self.log.info('Servo accepts commands; control map:\n'
                      + self.mapper.control_map(self.config.planning_frame))

    def _on_command_type_timeout(self, service: str):
        self._switch_pending = False
        self.log.warning(f'{service} did not answer within {SERVICE_TIMEOUT_S:g} s; retrying')

    # -- streaming ------------------------------------------------------------------------------

    def _stream(self, command: Command, now_ns: int) -> Optional[Command]:
        mismatch = self.clock.mismatch(self.config.topics['joint_states_topic'])
        if mismatch is not None and self._throttle('clock', now_ns, 5.0):
            self.log.error(mismatch)
        elif mismatch is None and self._clock_was_bad:
            self.log.info('the joint state stamps and this node\'s clock agree now')
        self._clock_was_bad = mismatch is not None
        blocked = self._blocked(mismatch)
        moving = not command.is_zero
        if blocked is not None:
            self.stream.stop()
            if moving and self._throttle('blocked', now_ns, 5.0):
                self.log.warning(f'the arm does not follow the sticks: {blocked}')
            return None
        return command if self.stream.decide(now_ns, moving) else None

    def _blocked(self, mismatch: Optional[str]) -> Optional[str]:
        topics = self.config.topics
        if not self.servo_ready:
            return (f'Servo does not accept commands yet '
                    f'({topics["switch_command_type_service"]} has not answered)')
        if self.homing:
            return 'homing in progress'
        if self.clock.last is None:
            return (f'no joint states on {topics["joint_states_topic"]} yet (needed to check '
                    'that this node and Servo share a clock)')
        return None if mismatch is None else 'clock mismatch (see the error above)'

    # -- gripper and episode requests -----------------------------------------------------------

    def _gripper(self, target: Optional[float], now_ns: int):
        if target is not None:
            self._out.gripper_target = target
            self._gripper_goal = target
        if self._gripper_goal is None:
            return
        if self.graph.gripper_ready():
            self._out.gripper_goal, self._gripper_goal = self._gripper_goal, None
        elif self._throttle('gripper', now_ns, 5.0):
            topics = self.config.topics
            self.log.warning(
                f'gripper action {topics["gripper_action"]} not available; target '
                f'{self._gripper_goal:.3f} m published on {topics["gripper_target_topic"]}, '
                'goal sent once the action server is up')

    def _episode_event(self, event: str):
        present = self.recorder_present()
        if event == 'home' and not present:
            self.request_homing()
            return
        if not present:
            self.log.warning(
                f'{event}: no recorder is running ({self.config.topics["recorder_state_topic"]}'
                f': {self.recorder_state if self.recorder_state is not None else "nothing"}); '
                'start one to record episodes')
        self._out.episode_requests.append(event)
        self.log.info(f'episode control: {event}')

    # -- homing ---------------------------------------------------------------------------------

    def _plan_homing(self) -> Tuple[bool, str]:
        if self.homing:
            return False, 'already homing'
        if self.positions is None:
            return False, (f'no joint positions yet on {self.config.topics["joint_states_topic"]}'
                           '; cannot plan homing')
        try:
            plan = homing_trajectory(self.positions, self.config.constants,
                                     velocity_fraction=self.config.homing_velocity_fraction)
        except HomingError as error:
            return False, f'cannot plan homing: {error}'
        self._plan, self.phase, self._homing_for_start = plan, HomingPhase.REQUESTED, False
        return True, f'homing: {plan.duration:.1f} s to the home pose'

    def _home_on_start_attempt(self, now_ns: int):
        if (not self._home_on_start or self.positions is None or self.homing
                or now_ns < self._home_attempt_ns):
            return
        self._home_attempt_ns = now_ns + int(HOME_ON_START_RETRY_S * 1e9)
        accepted, message = self._plan_homing()
        if accepted:
            self._home_on_start, self._homing_for_start = False, True
            self.log.info(f'home_on_start: {message}')
        else:
            self.log.warning(f'home_on_start: {message}; retrying')

    def _advance_homing(self, now_ns: int):
        pause_service = self.config.topics['pause_servo_service']
        if self.phase is HomingPhase.REQUESTED:
            if self.graph.pause_ready():
                self.phase = HomingPhase.PAUSING
                self._call(PAUSE_SERVO, True, now_ns, self._on_paused,
                           lambda: self._cancel_homing(
                               f'{pause_service} did not answer within {SERVICE_TIMEOUT_S:g} s',
                               resume=True))
            else:
                self.log.warning(f'{pause_service} not available; homing without pausing Servo')
                self._start_moving(now_ns, paused=False)
        elif self.phase is HomingPhase.PAUSED:
            self._start_moving(now_ns, paused=True)
        elif self.phase is HomingPhase.MOVING and now_ns >= self._homing_deadline_ns:
            if self._servo_paused:
                self._resume_servo(now_ns)
            self.phase, self._plan = HomingPhase.IDLE, None
            self.log.info('homing done')

    def _on_paused(self, ok: bool, detail: str):
        if self.phase is not HomingPhase.PAUSING:
            return
        if ok:
            self.phase = HomingPhase.PAUSED
        else:
            self._cancel_homing(f'Servo did not pause ({detail or "no reason given"})')

    def _start_moving(self, now_ns: int, paused: bool):
        self._out.homing_plan = self._plan
        self._servo_paused = paused
        self._homing_deadline_ns = now_ns + int((self._plan.duration + HOMING_SETTLE_S) * 1e9)
        self.phase = HomingPhase.MOVING

    def _resume_servo(self, now_ns: int):
        service = self.config.topics['pause_servo_service']
        self._servo_paused = False

        def resumed(ok: bool, detail: str):
            if not ok:
                self.log.error(f'Servo did not resume ({detail or "no reason given"}); call '
                               f'{service} with data: false')

        self._call(PAUSE_SERVO, False, now_ns, resumed, lambda: self.log.error(
            f'{service} did not confirm resuming within {SERVICE_TIMEOUT_S:g} s; if the arm '
            f'ignores the sticks, call {service} with data: false'))

    def _cancel_homing(self, reason: str, resume: bool = False):
        self.phase, self._plan = HomingPhase.IDLE, None
        if resume:
            self._resume_servo(self._now_ns)
        if self._homing_for_start:
            self._home_on_start, self._homing_for_start = True, False
            self._home_attempt_ns = self._now_ns + int(HOME_ON_START_RETRY_S * 1e9)
        self.log.warning(f'homing cancelled: {reason}')
