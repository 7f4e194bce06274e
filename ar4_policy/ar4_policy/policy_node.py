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
The policy node: wrist camera and joint states in, joint trajectory and gripper targets out.

Thin shell around :class:`ar4_policy.control_loop.PolicyController` (chunking, background
inference, safety filter) and :class:`ar4_policy.runner.PolicyRunner` (SmolVLA or diffusion).
Messages are parsed with ``ar4_teleop.recording.adapters`` and ``ar4_description.ros_messages``
and built with ``ar4_policy.policy_messages`` and ``ar4_description.ros_messages``.
Publishes straight to the joint trajectory controller, bypassing Servo.
"""

from types import SimpleNamespace

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import (
    float64_msg, gripper_goal_msg, joint_positions, MessageError)
from ar4_teleop.recording.adapters import image_to_rgb
from ar4_teleop.recording.features import state_names
from builtin_interfaces.msg import Duration, Time
from control_msgs.action import ParallelGripperCommand
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data, ReliabilityPolicy
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64, Header
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from .control_loop import PolicyController
from .inference_log import DEFAULT_ROOT, InferenceLog
from .policy_messages import joint_trajectory_msg
from .runner import CheckpointError, PolicyRunner


class PolicyNode(Node):
    """Run a SmolVLA or diffusion checkpoint on the AR4 at a fixed control rate."""

    def __init__(self):
        """Declare parameters, load the policy, wire topics and start the control timer."""
        super().__init__('policy_node')
        self.constants = robot_constants()
        self.names7 = list(self.constants.names7)
        text = ParameterDescriptor
        self.declare_parameter('checkpoint', '', text(
            description='policy checkpoint: pretrained_model, checkpoints/NNNNNN or run folder'))
        self.declare_parameter('task', '', text(description='language instruction'))
        self.declare_parameter('device', 'cpu', text(description='torch device: cpu, cuda'))
        self.declare_parameter('vlm_path', '', text(
            description='SmolVLA only: local base-VLM folder overriding the checkpoint '
                        '(empty: keep)'))
        self.declare_parameter('n_action_steps', 0, text(
            description='actions executed per chunk before the next (0: the checkpoint\'s own '
                        'n_action_steps; at most its chunk size)',
            integer_range=[IntegerRange(from_value=0, to_value=1000, step=1)]))
        self.declare_parameter('fps', 30, text(
            description='control rate (Hz); the dataset is recorded at 30',
            integer_range=[IntegerRange(from_value=1, to_value=200, step=1)]))
        self.declare_parameter('blend_steps', 5, text(
            description='steps over which a new chunk crossfades in (0: switch at once)',
            integer_range=[IntegerRange(from_value=0, to_value=1000, step=1)]))
        self.declare_parameter('deterministic', False, text(
            description='start the decoder (flow matching, diffusion) from zeros instead of '
                        'random noise'))
        self.declare_parameter('stale_after_s', 0.5, text(
            description='hold position when the newest image/joint state is older (s)',
            floating_point_range=[FloatingPointRange(from_value=0.01, to_value=10.0, step=0.0)]))
        self.declare_parameter('log_root', str(DEFAULT_ROOT), text(
            description='inference CSV folder root (a run subfolder is created)'))

        value = self.get_parameter
        checkpoint = value('checkpoint').value
        task = value('task').value
        if not checkpoint or not task.strip():
            raise CheckpointError('set the parameters checkpoint and task (launch arguments '
                                  'checkpoint:=DIR task:="..." or $CHECKPOINT / $TASK)')
        fps = int(value('fps').value)
        self.period_s = 1.0 / fps
        runner = PolicyRunner(checkpoint, device=value('device').value,
                              vlm_path=value('vlm_path').value or None,
                              deterministic=bool(value('deterministic').value))
        n_action_steps = min(int(value('n_action_steps').value) or runner.n_action_steps,
                             runner.chunk_size)
        log = InferenceLog(state_names(), root=value('log_root').value,
                           console=lambda line: self.get_logger().info(line))
        self.get_logger().info(f'loaded {runner.checkpoint}; task {task!r}; executing '
                               f'{n_action_steps} of {runner.chunk_size} actions per chunk; '
                               f'inference log {log.path}')
        runner.reset()
        self.controller = PolicyController(
            runner.predict_chunk, task, n_action_steps, self.period_s,
            blend_steps=int(value('blend_steps').value),
            stale_after_s=float(value('stale_after_s').value), log=log)
        self.classes = SimpleNamespace(JointTrajectory=JointTrajectory,
                                       JointTrajectoryPoint=JointTrajectoryPoint,
                                       Header=Header, Time=Time, Duration=Duration,
                                       JointState=JointState)

        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.trajectory_pub = self.create_publisher(
            JointTrajectory, '/joint_trajectory_controller/joint_trajectory', reliable)
        self.gripper_pub = self.create_publisher(Float64, '/gripper_target', reliable)
        self.gripper_action = ActionClient(self, ParallelGripperCommand,
                                           '/gripper_controller/gripper_cmd')
        self.create_subscription(Image, '/wrist_camera/image', self.on_image,
                                 qos_profile_sensor_data)
        self.create_subscription(JointState, '/joint_states', self.on_joint_state, reliable)
        self.timer = self.create_timer(self.period_s, self.on_tick)

    def now_s(self) -> float:
        """Return the node clock (sim time under use_sim_time) in seconds."""
        return self.get_clock().now().nanoseconds * 1e-9

    def on_image(self, msg) -> None:
        """Store the newest wrist image."""
        try:
            self.controller.on_image(image_to_rgb(msg), self.now_s())
        except MessageError as error:
            self.get_logger().warning(f'wrist image ignored: {error}', throttle_duration_sec=5.0)

    def on_joint_state(self, msg) -> None:
        """Store the newest arm and gripper positions (ordered by name)."""
        try:
            self.controller.on_joint_state(joint_positions(msg, self.names7), self.now_s())
        except MessageError as error:
            self.get_logger().warning(f'joint state ignored: {error}', throttle_duration_sec=5.0)

    def on_tick(self) -> None:
        """Run one control period and publish its targets."""
        command = self.controller.tick(self.now_s())
        if command is None:
            self.get_logger().info('waiting for /joint_states', throttle_duration_sec=5.0)
            return
        self.trajectory_pub.publish(joint_trajectory_msg(
            self.classes, self.constants.joint_names, command.arm, self.period_s))
        self.gripper_pub.publish(float64_msg(Float64, command.gripper))
        if command.send_gripper_goal and self.gripper_action.server_is_ready():
            goal = gripper_goal_msg(ParallelGripperCommand.Goal, self.classes,
                                    self.constants.gripper.joint_name, command.gripper,
                                    max_effort=self.constants.gripper.effort_limit)
            self.gripper_action.send_goal_async(goal)

    def destroy_node(self):
        """Stop the inference thread and close the log before the node goes."""
        self.controller.close()
        return super().destroy_node()


def main(args=None):
    """Entry point of ``policy_node``."""
    rclpy.init(args=args)
    node = None
    try:
        node = PolicyNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except CheckpointError as error:
        print(f'policy_node: error: {error}')
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
