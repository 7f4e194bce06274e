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
The recorder node: a thin ROS shell around ar4_teleop.recording.session.RecordingSession.

Keyboard control (R arm, Y save, B/N discard, H home, Q or Ctrl-C quit) works in the terminal the
node runs in: run it in the foreground with ``ros2 run`` (``ros2 launch`` does not forward stdin).
The gamepad's X, Y, B and Start arrive on /episode_control from the teleop node. Voice prompts,
the Rerun live view and the scene reset between episodes are off unless asked for
(recording.session_options).

Every parameter is read once, at start-up (read-only). A configuration the recorder cannot start
with (an unknown action_source, a number out of range, a dataset it cannot open or resume) ends
it with exit status 2 and one line on stderr, ``recorder_node: error: ...``; so does a dataset
that fails while recording (ar4_description.node_startup.run_node).
"""

import os
import select
import sys
import termios
import tty
from typing import Mapping, Optional, Tuple

from ar4_description import qos
from ar4_description.node_startup import check_choice, ConfigError, run_node
from ar4_teleop.recording.episode import CONTROL_MAP, control_event, decode_keys, Event, State
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.session import GAP_POLICIES, RecordingSession
from ar4_teleop.recording.session_options import (
    build_options, check_options, DEFAULT_DISPLAY_TARGET)
from ar4_teleop.recording.sync import ACTION_SOURCES
from ar4_teleop.recording.writer import DatasetError, DatasetWriter, default_dataset_root
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Bool, Float64, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

DEFAULT_TASK = 'place the teal cube on the top shelf'
# The dataset folder data/datasets/<hf_username>/<dataset_name> that train reads by default too.
DEFAULT_DATASET_NAME = 'ar4_pick_place'
GO_HOME_SERVICE = '/ar4_teleop/go_home'
# name: (default, description, (min, max) or None). The types of the defaults are the types the
# node accepts: an override of another type (fps:=30.0) is refused by rclpy at declaration.
PARAMETERS = {
    'task': (DEFAULT_TASK, 'language instruction stored with every frame', None),
    'dataset_name': (DEFAULT_DATASET_NAME, 'dataset folder name', None),
    'dataset_root': ('', 'dataset folder; empty: data/datasets/<hf_username>/<dataset_name>',
                     None),
    'hf_username': ('', 'owner folder and Hub user of the dataset; empty: $HF_USERNAME, else '
                    'local', None),
    'fps': (FPS, 'frames per second of the dataset (one frame per camera image)', (1, 120)),
    'max_episode_duration': (60.0, 'seconds before an episode auto-pauses for save/discard; '
                             '0 disables', (0.0, 3600.0)),
    'action_source': ('command', 'command (commanded targets), next_state or state', None),
    'state_tolerance': (0.05, 'oldest joint state accepted for an image, seconds',
                        (0.001, 1.0)),
    'gap_policy': ('flag', 'flag or discard episodes with skipped frames', None),
    'keyboard': (True, 'read R/Y/B/N/H/Q from this terminal', None),
    'push_to_hub': (False, 'upload the dataset to the Hub as <hf_username>/<dataset_name> on '
                    'exit (needs a token; off by default)', None),
    'image_topic': ('/wrist_camera/image', 'sensor_msgs/Image of the wrist camera', None),
    'joint_states_topic': ('/joint_states', 'sensor_msgs/JointState of the arm', None),
    'command_topic': ('/joint_trajectory_controller/joint_trajectory',
                      'trajectory_msgs/JointTrajectory commanded to the arm', None),
    'gripper_topic': ('/gripper_target', 'std_msgs/Float64 gripper target', None),
    'control_topic': ('/episode_control', 'std_msgs/String save/discard/home/arm requests',
                      None),
    'homing_topic': ('/ar4_teleop/homing', 'std_msgs/Bool: the teleop is homing (latched)',
                     None),
    'play_sounds': (False, 'speak the prompts (recording, saved, discarded, reset, ready) with '
                    'spd-say or espeak-ng', None),
    'display_data': (False, 'show the written frames live in Rerun (display_target)', None),
    'display_target': (DEFAULT_DISPLAY_TARGET, 'a rerun+http://HOST:PORT/proxy viewer (default: '
                       'one on this machine), serve (gRPC 9876 and web viewer 9090 on every '
                       'interface) or a .rrd file', None),
    'reset_between_episodes': (False, 'after a save or discard, home the arm and reset the '
                               'cubes with a new seed (ros2 run ar4_gazebo reset_cubes)', None),
    'reset_time_s': (0.0, 'seconds after a save or discard before the next take can be armed',
                     (0.0, 3600.0)),
}
# Bad configuration: exit status 2 with one line. rclpy's ParameterException covers an override
# of the wrong type or out of its range, refused while declaring (rclpy node.py
# _declare_parameter_common); DatasetError a dataset that cannot be opened, resumed or written.
CONFIG_ERRORS = (ConfigError, DatasetError, ParameterException)
# Trajectories and /episode_control requests: every one counts (the action at t is sampled from
# the trajectory in force at t; a save must not be lost), so a stalled executor queues them
# (Servo publishes 25 trajectories a second) instead of dropping them.
COMMANDS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)


def check_parameters(values: Mapping[str, object]) -> None:
    """Raise ConfigError for the first parameter value the recorder cannot start with."""
    check_choice('action_source', values['action_source'], ACTION_SOURCES)
    check_choice('gap_policy', values['gap_policy'], GAP_POLICIES)
    for name, (_, _, limits) in PARAMETERS.items():
        value = values[name]
        if limits is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                   or not limits[0] <= value <= limits[1]):
            raise ConfigError(f'parameter {name} must be a number in [{limits[0]}, {limits[1]}], '
                              f'got {value!r}')
    if not str(values['task']).strip():
        raise ConfigError('parameter task must not be empty: it is the instruction of every frame')
    name = values['dataset_name']
    if not name or '/' in name or name in ('.', '..'):
        raise ConfigError(f'parameter dataset_name must be a plain folder name, got {name!r} '
                          '(give a path as dataset_root)')
    check_options(values)


def parameter_descriptor(description: str, limits: Optional[Tuple]) -> ParameterDescriptor:
    """Return a read-only descriptor, with the integer or floating-point range of ``limits``."""
    if limits is None:
        return ParameterDescriptor(description=description, read_only=True)
    if isinstance(limits[0], int):
        return ParameterDescriptor(description=description, read_only=True, integer_range=[
            IntegerRange(from_value=limits[0], to_value=limits[1], step=1)])
    return ParameterDescriptor(description=description, read_only=True, floating_point_range=[
        FloatingPointRange(from_value=limits[0], to_value=limits[1], step=0.0)])


class RecorderNode(Node):
    """Subscribe, convert, call the recording session, publish the recorder state."""

    def __init__(self):
        super().__init__('recorder_node')
        values = {name: self.declare_parameter(
            name, default, parameter_descriptor(description, limits)).value
            for name, (default, description, limits) in PARAMETERS.items()}
        check_parameters(values)
        self.keyboard, self.push = values['keyboard'], values['push_to_hub']
        dataset_root = values['dataset_root'] or str(default_dataset_root(
            values['dataset_name'], values['hf_username'] or None))
        # Before the dataset is opened (a live view that cannot start is a ConfigError). Off by
        # default: an option that is off imports and starts nothing (recording.session_options).
        self.options = build_options(values, self._info, self._home,
                                     lambda: self.session.machine.homing)
        self.writer = DatasetWriter.open(dataset_root, fps=values['fps'], log=self._info)
        self.session = RecordingSession(
            self.writer, values['task'], action_source=values['action_source'],
            fps=values['fps'], max_duration_s=values['max_episode_duration'],
            state_tolerance_s=values['state_tolerance'], gap_policy=values['gap_policy'],
            log=self._info, home=self._home, **self.options.session_arguments())
        # Best effort: a late camera frame is worth nothing; a reliable publisher still matches.
        self.create_subscription(Image, values['image_topic'], self.session.on_image,
                                 qos_profile_sensor_data)
        # Every input carries its receipt time on the node clock; the session maps it onto the
        # stamps' clock by the joint states (sim time whether or not use_sim_time is set), for
        # gripper targets (no stamp) and zero-stamped trajectories ("start on receipt").
        self.create_subscription(JointState, values['joint_states_topic'], lambda msg: (
            self.session.on_joint_state(msg, self._now_ns())), qos.JOINT_STATES)
        self.create_subscription(JointTrajectory, values['command_topic'], lambda msg: (
            self.session.on_trajectory(msg, self._now_ns())), COMMANDS)
        # Transient local: a recorder started after the last gripper change still gets it.
        self.create_subscription(Float64, values['gripper_topic'], lambda msg: (
            self.session.on_gripper_target(msg, self._now_ns())), qos.GRIPPER_TARGET)
        self.create_subscription(String, values['control_topic'], self._on_control, COMMANDS)
        self.create_subscription(Bool, values['homing_topic'], self.session.on_homing,
                                 qos.LATCHED)
        self.state_pub = self.create_publisher(String, '/recorder/state', qos.LATCHED)
        self.home_client = self.create_client(Trigger, GO_HOME_SERVICE)
        self._published = None
        self._terminal = None
        if self.keyboard and sys.stdin.isatty():
            self._terminal = termios.tcgetattr(sys.stdin)
            tty.setcbreak(sys.stdin.fileno())  # keys without Enter; Ctrl-C still interrupts
        elif self.keyboard:
            self._info('stdin is not a terminal: keyboard control off (use the gamepad, or run '
                       'this node in the foreground with ros2 run)')
        self._write(CONTROL_MAP + '\n')
        self._info(f'dataset {dataset_root}: {self.writer.num_episodes} episodes; task '
                   f'"{values["task"]}"')
        self.create_timer(0.1, self._tick)
        self._publish_state()

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    @staticmethod
    def _write(text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError:
            pass  # the terminal hung up: finishing the dataset matters more than the screen

    def _info(self, message: str) -> None:
        self._write('\r\033[K')  # over the status line
        self.get_logger().info(message)

    def _home(self) -> None:
        if not self.home_client.service_is_ready():
            self._info(f'homing unavailable: {GO_HOME_SERVICE} is not offered (teleop running?)')
            return
        self.home_client.call_async(Trigger.Request()).add_done_callback(self._on_home_reply)

    def _on_home_reply(self, future) -> None:
        error = future.exception()
        reply = None if error is not None else future.result()
        if reply is None or not reply.success:
            self._write('\r\033[K')
            self.get_logger().warning('homing refused: ' + (
                reply.message if reply is not None else f'no reply ({error})'))

    def _on_control(self, msg: String) -> None:
        event = control_event(msg.data)
        if event is None:
            self._info(f'unknown /episode_control request {msg.data!r}')
            return
        self._handle(event)

    def _handle(self, event: Event) -> None:
        refusal = self.options.refusal(event)  # no take while the scene is being reset
        if refusal is not None:
            self._info(refusal)
            return
        self.session.handle(event)

    def _tick(self) -> None:
        if self._terminal is not None:
            while select.select([sys.stdin], [], [], 0)[0]:
                data = os.read(sys.stdin.fileno(), 64)
                if not data:
                    break
                for event in decode_keys(data):
                    self._handle(event)
                    if event is Event.QUIT:
                        raise KeyboardInterrupt
        self.session.poll()  # the end of a timed reset phase: "ready"
        self._publish_state()
        self._write('\r\033[K' + self.session.status())

    def _publish_state(self) -> None:
        state = self.session.state.value
        if state != self._published:
            self.state_pub.publish(String(data=state))
            self._published = state

    def close(self) -> None:
        """Discard the take in progress, finish pending saves, push if asked, restore the tty."""
        try:
            if self.session.state is not State.FINISHED:
                self.session.handle(Event.QUIT)
            if self.push and self.writer.num_episodes:
                self._info(f'pushing {self.writer.repo_id} to the Hugging Face Hub ...')
                try:
                    self.writer.push_to_hub()
                except Exception as error:  # noqa: B902 - the dataset stays on disk either way
                    self._info(f'push to the Hub failed ({error}); the dataset is saved at '
                               f'{self.writer.root}; retry with: huggingface-cli upload '
                               f'{self.writer.repo_id} {self.writer.root} --repo-type dataset')
        finally:
            self.options.close()
            if self._terminal is not None:
                try:
                    termios.tcsetattr(sys.stdin, termios.TCSADRAIN, self._terminal)
                except termios.error:
                    pass  # the terminal hung up
            self._write('\n')


def main(args=None):
    """Record until Q, Ctrl-C or SIGTERM, then finalize; return the exit status (2: config)."""
    return run_node('recorder_node', RecorderNode, rclpy, args=args,
                    shutdown_errors=(ExternalShutdownException,), config_errors=CONFIG_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
