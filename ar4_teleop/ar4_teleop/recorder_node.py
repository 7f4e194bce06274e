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
The gamepad's Y, B and Start arrive on /episode_control from the teleop node.
"""

import os
import select
import sys
import termios
import tty

from ar4_teleop.recording.episode import CONTROL_MAP, control_event, decode_keys, Event, State
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.session import GAP_POLICIES, RecordingSession
from ar4_teleop.recording.sync import ACTION_SOURCES
from ar4_teleop.recording.writer import DatasetError, DatasetWriter, default_dataset_root
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import (DurabilityPolicy, QoSProfile, qos_profile_sensor_data, ReliabilityPolicy)
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Bool, Float64, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

DEFAULT_TASK = 'place the teal cube on the top shelf'


class RecorderNode(Node):
    """Subscribe, convert, call the recording session, publish the recorder state."""

    def __init__(self):
        super().__init__('recorder_node')
        p = self._declare
        task = p('task', DEFAULT_TASK, 'language instruction stored with every frame')
        name = p('dataset_name', 'ar4_demos', 'dataset folder name')
        root = p('dataset_root', '', 'dataset folder; empty: data/datasets/<hf_username>/<name>')
        user = p('hf_username', os.environ.get('HF_USERNAME', 'local'),
                 'owner folder and Hub user of the dataset')
        fps = p('fps', FPS, 'frames per second of the dataset (one frame per camera image)',
                integer_range=(1, 120))
        max_duration = p('max_episode_duration', 60.0,
                         'seconds before an episode auto-pauses for save/discard; 0 disables',
                         float_range=(0.0, 3600.0))
        action_source = p('action_source', 'command',
                          'command (commanded targets), next_state or state')
        tolerance = p('state_tolerance', 0.05,
                      'oldest joint state accepted for an image, seconds',
                      float_range=(0.001, 1.0))
        gap_policy = p('gap_policy', 'flag', 'flag or discard episodes with skipped frames')
        self.keyboard = p('keyboard', True, 'read R/Y/B/N/H/Q from this terminal')
        self.push = p('push_to_hub', False,
                      'upload the dataset to the Hub as <hf_username>/<dataset_name> on exit '
                      '(needs a token; off by default)')
        topics = {key: p(f'{key}_topic', default, f'{key} topic') for key, default in (
            ('image', '/wrist_camera/image'), ('joint_states', '/joint_states'),
            ('command', '/joint_trajectory_controller/joint_trajectory'),
            ('gripper', '/gripper_target'), ('control', '/episode_control'),
            ('homing', '/ar4_teleop/homing'))}
        if action_source not in ACTION_SOURCES or gap_policy not in GAP_POLICIES:
            raise ValueError(f'action_source must be one of {ACTION_SOURCES}, gap_policy one of '
                             f'{GAP_POLICIES}')
        dataset_root = root or str(default_dataset_root(name, user))
        self.writer = DatasetWriter.open(dataset_root, fps=fps, log=self._info)
        self.session = RecordingSession(
            self.writer, task, action_source=action_source, fps=fps,
            max_duration_s=max_duration, state_tolerance_s=tolerance, gap_policy=gap_policy,
            log=self._info, home=self._home)
        reliable = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(Image, topics['image'], self.session.on_image,
                                 qos_profile_sensor_data)
        # Every input carries its receipt time on the node clock; the session maps it onto the
        # stamps' clock by the joint states (sim time whether or not use_sim_time is set), for
        # gripper targets (no stamp) and zero-stamped trajectories ("start on receipt").
        self.create_subscription(JointState, topics['joint_states'], lambda msg: (
            self.session.on_joint_state(msg, self._now_ns())), reliable)
        self.create_subscription(JointTrajectory, topics['command'], lambda msg: (
            self.session.on_trajectory(msg, self._now_ns())), reliable)
        self.create_subscription(Float64, topics['gripper'], lambda msg: (
            self.session.on_gripper_target(msg, self._now_ns())), reliable)
        self.create_subscription(String, topics['control'], self._on_control, reliable)
        self.create_subscription(Bool, topics['homing'], self.session.on_homing, latched)
        self.state_pub = self.create_publisher(String, '/recorder/state', latched)
        self.home_client = self.create_client(Trigger, '/ar4_teleop/go_home')
        self._published = None
        self._terminal = None
        if self.keyboard and sys.stdin.isatty():
            self._terminal = termios.tcgetattr(sys.stdin)
            tty.setcbreak(sys.stdin.fileno())  # keys without Enter; Ctrl-C still interrupts
        elif self.keyboard:
            self._info('stdin is not a terminal: keyboard control off (use the gamepad, or run '
                       'this node in the foreground with ros2 run)')
        print(CONTROL_MAP, flush=True)
        self._info(f'dataset {dataset_root}: {self.writer.num_episodes} episodes; task "{task}"')
        self.create_timer(0.1, self._tick)
        self._publish_state()

    def _declare(self, name, default, description, integer_range=None, float_range=None):
        descriptor = ParameterDescriptor(description=description)
        if integer_range:
            descriptor.integer_range = [IntegerRange(
                from_value=integer_range[0], to_value=integer_range[1], step=1)]
        if float_range:
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float_range[0], to_value=float_range[1], step=0.0)]
        return self.declare_parameter(name, default, descriptor).value

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _info(self, message: str) -> None:
        sys.stdout.write('\r\033[K')
        self.get_logger().info(message)

    def _home(self) -> None:
        if not self.home_client.service_is_ready():
            self._info('homing unavailable: /ar4_teleop/go_home is not offered (teleop running?)')
            return
        self.home_client.call_async(Trigger.Request())

    def _on_control(self, msg: String) -> None:
        event = control_event(msg.data)
        if event is None:
            self._info(f'unknown /episode_control request {msg.data!r}')
            return
        self.session.handle(event)

    def _tick(self) -> None:
        if self._terminal is not None:
            while select.select([sys.stdin], [], [], 0)[0]:
                data = os.read(sys.stdin.fileno(), 64)
                if not data:
                    break
                for event in decode_keys(data):
                    self.session.handle(event)
                    if event is Event.QUIT:
                        raise KeyboardInterrupt
        self._publish_state()
        sys.stdout.write('\r\033[K' + self.session.status())
        sys.stdout.flush()

    def _publish_state(self) -> None:
        state = self.session.state.value
        if state != self._published:
            self.state_pub.publish(String(data=state))
            self._published = state

    def shutdown(self) -> None:
        """Discard the take in progress, finish pending saves, restore the terminal."""
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
            if self._terminal is not None:
                termios.tcsetattr(sys.stdin, termios.TCSADRAIN, self._terminal)
            print(flush=True)


def main(args=None):
    """Run the recorder until Ctrl-C, Q or SIGTERM; then finalize the dataset."""
    rclpy.init(args=args)
    node = None
    try:
        node = RecorderNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except DatasetError as error:
        print(f'error: {error}', file=sys.stderr)
    finally:
        if node is not None:
            node.shutdown()
            node.destroy_node()
        rclpy.try_shutdown()
