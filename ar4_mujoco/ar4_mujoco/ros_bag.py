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
The ROS streams of one twin episode as a rosbag2 MCAP bag (``ar4-generate --bag-out``).

The bag holds what the Gazebo stack would carry while the expert's episode runs, so that
``ar4-bag2lerobot`` on it must rebuild the episode ``ar4-generate`` writes directly: same frames,
same observation.state, the action within 1e-3 rad, the same images. Times are integer
nanoseconds of sim time; frame k is the observation at t_k = EPISODE_START_NS + round(k / fps).

- /wrist_camera/image (sensor_msgs/Image, rgb8): the rendered frame k stamped t_k, logged
  IMAGE_LATENCY_NS later (the gz bridge's delay).
- /joint_states (sensor_msgs/JointState, the joint_state_broadcaster's joints, positions and
  velocities): round(update_rate / fps) ticks per frame, the controller rate of controllers.yaml;
  the first stamped t_k with exactly the frame's observation, the others sampled from the physics
  inside the frame and stamped with their physics step's sim time; one more tick for the state
  after the last frame. Logged JOINT_STATE_LATENCY_NS after the stamp.
- /joint_trajectory_controller/joint_trajectory (trajectory_msgs/JointTrajectory): MoveIt
  Servo's sliding windows (``servo_shape``) of the commanded arm target c(s), the linear
  interpolation through (t_k + 1/fps, targets[k][:6]); each Servo cycle at tau computes
  c(tau + latency) as Servo computes the state for now + latency. Logged at tau.
- /gripper_target (std_msgs/Float64): the jaw target at frame 0 and whenever it changes, logged
  at t_k so it is received no later than the image of its frame.

Messages are written in non-decreasing log time across topics, frame by frame, so an episode is
never held in memory. A bag is written to a hidden attempt folder and renamed to
``episode_NNNNNN`` (the dataset's episode index) only when the episode is saved.
"""

from dataclasses import dataclass
import heapq
import itertools
import math
from pathlib import Path
import shutil
from typing import Iterable, List, Optional, Sequence, Tuple, Union

from ar4_description import ros_messages
from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording.adapters import rgb_to_image_msg
from ar4_teleop.recording.commanded import CommandedTrajectory, TrajectoryWindow
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.servo_shape import (
    servo_timing, servo_windows, ServoTiming, window_msg)
import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError
from rosbags.typesys import get_typestore, Stores
import yaml

NS_PER_S = ros_messages.NS_PER_S
#: Sim time of frame 0, as if the simulation had run 10 s: a zero stamp would mean "now" to the
#: trajectory controller, and no stamp of the bag should be near it.
EPISODE_START_NS = 10 * NS_PER_S
#: Receipt delay of an image after its stamp (the ros_gz bridge).
IMAGE_LATENCY_NS = 5_000_000
#: Receipt delay of a joint state after its stamp.
JOINT_STATE_LATENCY_NS = 1_000_000
#: Servo cycles still written after the first window that covers the last frame's action.
TRAILING_CYCLES = 2

IMAGE_TOPIC = '/wrist_camera/image'
JOINT_STATES_TOPIC = '/joint_states'
TRAJECTORY_TOPIC = '/joint_trajectory_controller/joint_trajectory'
GRIPPER_TOPIC = '/gripper_target'
IMAGE_TYPE = 'sensor_msgs/msg/Image'
JOINT_STATE_TYPE = 'sensor_msgs/msg/JointState'
TRAJECTORY_TYPE = 'trajectory_msgs/msg/JointTrajectory'
FLOAT64_TYPE = 'std_msgs/msg/Float64'
#: header.frame_id of the images: the gz_frame_id of the wrist camera in ar4_camera.xacro.
CAMERA_FRAME_ID = 'wrist_camera_optical_frame'


class BagError(ValueError):
    """A bag cannot be written, or bad bag options; the text says why."""


@dataclass(frozen=True)
class BagFaults:
    """
    Faults of a real recording, off by default; drawn from the episode's seed (reproducible).

    ``drop_images``: the fraction of images not written (best-effort QoS drops them).
    ``stamp_jitter_ms``: image and joint-state header stamps move by uniform noise within
    +-this many milliseconds (their log times do not).
    """

    drop_images: float = 0.0
    stamp_jitter_ms: float = 0.0

    def __post_init__(self):
        drop, jitter = self.drop_images, self.stamp_jitter_ms
        if isinstance(drop, bool) or not isinstance(drop, (int, float)) or not 0 <= drop <= 1:
            raise BagError(f'the image drop fraction must be a number from 0 to 1, got {drop!r}')
        if (isinstance(jitter, bool) or not isinstance(jitter, (int, float))
                or not math.isfinite(jitter) or jitter < 0):
            raise BagError(f'the stamp jitter must be a number of milliseconds >= 0, got '
                           f'{jitter!r}')


def controller_update_rate(path: Optional[Union[str, Path]] = None) -> float:
    """Return the controller manager's update_rate (Hz) from controllers.yaml (ours by default)."""
    if path is None:
        import ar4_description
        from ar4_description.package_files import find_package_file
        path = find_package_file('ar4_description', 'config/controllers.yaml',
                                 Path(ar4_description.__file__))
    try:
        with open(path, encoding='utf-8') as stream:
            params = yaml.safe_load(stream)['controller_manager']['ros__parameters']
        rate = float(params['update_rate'])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise BagError(f'cannot read controller_manager.ros__parameters.update_rate from '
                       f'{path}: {error}') from None
    if not (math.isfinite(rate) and rate > 0):
        raise BagError(f'{path}: update_rate must be positive, got {rate}')
    return rate


def ticks_per_frame(update_rate: float, fps: int = FPS) -> int:
    """Return the joint states the broadcaster publishes per frame (at least one)."""
    return max(1, int(round(update_rate / fps)))


def frame_stamp_ns(index: int, fps: int = FPS) -> int:
    """Return the sim time (ns) of frame ``index``'s observation."""
    return EPISODE_START_NS + int(round(index * NS_PER_S / fps))


def episode_bag_path(root: Union[str, Path], episode_index: int) -> Path:
    """Return the bag folder of dataset episode ``episode_index`` under ``root``."""
    return Path(root) / f'episode_{int(episode_index):06d}'


def attempt_folder(root: Union[str, Path], seed: int) -> Path:
    """Return the hidden folder an attempt's bag is written in before the episode is saved."""
    return Path(root) / f'.episode_attempt_{int(seed)}'


def check_free(root: Union[str, Path], episode_indices: Iterable[int]) -> None:
    """Raise BagError when ``root`` holds a bag folder of one of ``episode_indices``."""
    paths = [episode_bag_path(root, index) for index in episode_indices]
    taken = [path for path in paths if path.exists()]
    if taken:
        raise BagError(f'{taken[0]} exists already and would be overwritten by the episode of '
                       f'that index; move it away or use another --bag-out')


class CommandedArm:
    """
    The commanded arm target as a function of time, c(s).

    Linear through (t_k + 1/fps, targets[k][:6]): the target the expert commands at frame k is
    the position to reach one frame later. Held before the first and after the last point.
    """

    def __init__(self, targets, fps: int = FPS):
        targets = np.asarray(targets, dtype=np.float64)
        if targets.ndim != 2 or targets.shape[0] < 1 or targets.shape[1] != 7:
            raise BagError(f'expected one row of 7 targets per frame, got shape {targets.shape}')
        if not np.all(np.isfinite(targets)):
            raise BagError('the targets hold non-finite values')
        period = int(round(NS_PER_S / fps))
        self.times_ns = np.array([frame_stamp_ns(k, fps) + period
                                  for k in range(targets.shape[0])], dtype=np.int64)
        self.positions = targets[:, :6].copy()
        # c is the recorder's reading of one trajectory through these points (the same sampling).
        self._trajectory = CommandedTrajectory(6)
        first = int(self.times_ns[0])
        self._trajectory.offer(TrajectoryWindow(first, self.times_ns - first, self.positions),
                               first)

    @property
    def end_ns(self) -> int:
        """Return the time of the last point."""
        return int(self.times_ns[-1])

    def __call__(self, time_ns: int) -> np.ndarray:
        """Return c(time_ns)."""
        return self._trajectory.sample(time_ns)


def episode_servo_windows(commanded: CommandedArm, timing: Optional[ServoTiming] = None
                          ) -> List[Tuple[int, TrajectoryWindow]]:
    """
    Return (publish time ns, window) of every trajectory Servo publishes while c is commanded.

    Cycles run every publish period from EPISODE_START_NS - latency, so the first state is
    stamped at the episode's start; they stop TRAILING_CYCLES after the first window whose
    newest point (now + latency - period) reaches the last point of c.
    """
    timing = timing or servo_timing()
    period = int(round(timing.publish_period_s * NS_PER_S))
    latency = int(round(timing.max_expected_latency_s * NS_PER_S))
    start = EPISODE_START_NS - latency
    cycles = max(0, -(-(commanded.end_ns - latency + period - start) // period))  # ceil
    covering = start + cycles * period
    return servo_windows(commanded, start, covering + (TRAILING_CYCLES + 1) * period, timing)


def servo_commanded(targets, fps: int = FPS, timing: Optional[ServoTiming] = None) -> np.ndarray:
    """
    Return the plan's targets as the twin's arm is commanded through MoveIt Servo.

    The arm columns become what Servo's windows of c command for t_k + 1/fps, read exactly as
    the recorder reads them (``FrameAssembler``: the latest window received before the image,
    sampled one frame period after its stamp); the gripper column is unchanged. Servo
    resamples c every publish period and the controller interpolates linearly between its
    points, so where the expert accelerates hard within a frame these differ from its own
    targets by a few milliradians; the twin executes and records what Servo commands, as the
    arm in Gazebo would.
    """
    commanded = CommandedArm(targets, fps)
    out = np.array(targets, dtype=np.float64)
    trajectory = CommandedTrajectory(6)
    windows = iter(episode_servo_windows(commanded, timing))
    pending = next(windows, None)
    for k in range(len(out)):
        stamp = frame_stamp_ns(k, fps)
        while pending is not None and pending[0] <= stamp + IMAGE_LATENCY_NS:
            trajectory.offer(pending[1], pending[0])
            pending = next(windows, None)
        sampled = trajectory.sample(stamp + NS_PER_S // fps)
        if sampled is None:
            raise BagError(f'no Servo window covers frame {k}')
        out[k, :6] = sampled
    return out


def servo_action_errors(targets, fps: int = FPS,
                        timing: Optional[ServoTiming] = None) -> np.ndarray:
    """Return, per frame, max |expert's arm target - what Servo commands for it| (rad)."""
    targets = np.asarray(targets, dtype=np.float64)
    return np.max(np.abs(servo_commanded(targets, fps, timing)[:, :6] - targets[:, :6]), axis=1)


class EpisodeBag:
    """
    The bag of one episode attempt: created with the plan's targets, fed frame by frame.

    Feed ``add_frame(observation)`` for frame k before ``add_joint_sample`` gets that frame's
    samples (``AR4Twin.sample_joints(bag.ticks_per_frame, bag.add_joint_sample)``), then
    ``finish(final_sample)`` with the state after the last step, and ``commit()`` once the
    episode is saved, or ``abort()`` to remove the attempt. Raise BagError for misuse or a bag
    that cannot be written.
    """

    def __init__(self, root: Union[str, Path], episode_index: int, targets, seed: int,
                 faults: Optional[BagFaults] = None, fps: int = FPS,
                 timing: Optional[ServoTiming] = None, update_rate: Optional[float] = None,
                 joint_state_names: Optional[Sequence[str]] = None, typestore=None):
        constants = robot_constants()
        self.root = Path(root)
        self.episode_index = int(episode_index)
        self.destination = episode_bag_path(self.root, self.episode_index)
        # The bag is already named like its episode folder: rosbags names the MCAP file after
        # the bag folder, and the folder is moved out of the attempt folder on commit.
        self.attempt_folder = attempt_folder(self.root, seed)
        self.path = self.attempt_folder / self.destination.name
        self.fps = fps
        self.faults = faults or BagFaults()
        self.commanded = CommandedArm(targets, fps)
        self.gripper_targets = np.asarray(targets, dtype=np.float64)[:, 6].copy()
        self.frame_count = len(self.gripper_targets)
        rate = update_rate if update_rate is not None else controller_update_rate()
        self.ticks_per_frame = ticks_per_frame(rate, fps)
        self.joint_state_names = list(joint_state_names or (
            constants.names7 + (constants.gripper.mimic_joint_name,)))
        self._arm_names = list(constants.joint_names)
        self._rng = np.random.default_rng(seed)
        self._frames = 0
        self._state = 'open'
        self._queue = []
        self._order = itertools.count()
        self._last_gripper: Optional[float] = None
        self._windows = iter(episode_servo_windows(self.commanded, timing))
        self._next_window = next(self._windows, None)
        self._ts = typestore or get_typestore(Stores.ROS2_JAZZY)
        types = self._ts.types
        self._classes = ros_messages.message_classes(types)
        self._image_class, self._float64_class = types[IMAGE_TYPE], types[FLOAT64_TYPE]

        if self.destination.exists():
            raise BagError(f'{self.destination} exists already; refusing to overwrite it')
        shutil.rmtree(self.attempt_folder, ignore_errors=True)  # a crashed run's leftover
        try:
            self.attempt_folder.mkdir(parents=True)
            self._writer = Writer(self.path, version=9, storage_plugin=StoragePlugin.MCAP)
            self._writer.open()
            self._connections = {
                topic: self._writer.add_connection(topic, msgtype, typestore=self._ts)
                for topic, msgtype in ((IMAGE_TOPIC, IMAGE_TYPE),
                                       (JOINT_STATES_TOPIC, JOINT_STATE_TYPE),
                                       (TRAJECTORY_TOPIC, TRAJECTORY_TYPE),
                                       (GRIPPER_TOPIC, FLOAT64_TYPE))}
        except (OSError, WriterError) as error:
            self._state = 'aborted'
            shutil.rmtree(self.attempt_folder, ignore_errors=True)
            raise BagError(f'cannot create the bag {self.path}: {error}') from None

    # ------------------------------------------------------------------------------ feeding
    @property
    def frames(self) -> int:
        """Return the number of frames fed so far."""
        return self._frames

    def add_frame(self, observation) -> None:
        """Write frame k's image and (when it changes) gripper target; k counts the calls."""
        self._check('open')
        k = self._frames
        if k >= self.frame_count:
            raise BagError(f'frame {k} fed, but the plan has {self.frame_count} frames')
        if observation.image is None:
            raise BagError('the bag needs rendered images: use AR4Twin(render=True)')
        self._frames += 1
        stamp = frame_stamp_ns(k, self.fps)
        # Servo cycles up to t_k go first, so a window of the image's instant precedes it.
        self._release(stamp)
        gripper = float(self.gripper_targets[k])
        if self._last_gripper is None or gripper != self._last_gripper:
            self._last_gripper = gripper
            self._push(stamp, GRIPPER_TOPIC, FLOAT64_TYPE,
                       ros_messages.float64_msg(self._float64_class, gripper))
        if not self._drop_image():
            header = ros_messages.header_msg(self._classes, stamp + self._jitter_ns(),
                                             CAMERA_FRAME_ID)
            self._push(stamp + IMAGE_LATENCY_NS, IMAGE_TOPIC, IMAGE_TYPE,
                       rgb_to_image_msg(self._image_class, header, observation.image))
        # Nothing fed later is logged before t_k: joint states of this frame come after it.
        self._release(stamp)

    def add_joint_sample(self, sample) -> None:
        """Write a joint state of the current frame (an ``env.JointSample``)."""
        self._check('open')
        if self._frames == 0:
            raise BagError('a joint sample came before the first frame')
        self._joint_state(frame_stamp_ns(self._frames - 1, self.fps)
                          + int(round(sample.offset_s * NS_PER_S)), sample)

    def finish(self, final_sample) -> None:
        """Write the state after the last step (stamped t_N), the last Servo cycles; close."""
        self._check('open')
        try:
            self._joint_state(frame_stamp_ns(self._frames, self.fps), final_sample)
            self._release(None)
            self._writer.close()
        except (OSError, WriterError) as error:
            self.abort()
            raise BagError(f'cannot finish the bag {self.path}: {error}') from None
        except BaseException:
            self.abort()
            raise
        self._state = 'finished'

    def commit(self, episode_index: Optional[int] = None) -> Path:
        """Rename the finished bag to its episode folder (default: the index given at start)."""
        self._check('finished')
        if episode_index is not None:
            self.episode_index = int(episode_index)
            self.destination = episode_bag_path(self.root, self.episode_index)
        if self.destination.exists():
            raise BagError(f'{self.destination} exists already; the bag of this episode stays '
                           f'in {self.path}')
        self.path.rename(self.destination)
        self._state = 'committed'
        shutil.rmtree(self.attempt_folder, ignore_errors=True)
        return self.destination

    def abort(self) -> None:
        """Remove the attempt's bag (nothing happens to a committed one)."""
        if self._state == 'committed':
            return
        if self._state == 'open':
            try:
                self._writer.abort()
            except Exception:  # noqa: B902 - the folder is removed just below anyway
                pass
        self._state = 'aborted'
        shutil.rmtree(self.attempt_folder, ignore_errors=True)

    def __enter__(self) -> 'EpisodeBag':
        """Return the bag; leaving the block without commit() removes it."""
        return self

    def __exit__(self, *exc_info) -> None:
        """Abort unless committed."""
        self.abort()

    # ------------------------------------------------------------------------------ internals
    def _check(self, state: str) -> None:
        if self._state != state:
            raise BagError(f'the bag {self.path} is {self._state}, expected {state}')

    def _drop_image(self) -> bool:
        return self.faults.drop_images > 0 and self._rng.random() < self.faults.drop_images

    def _jitter_ns(self) -> int:
        bound = int(self.faults.stamp_jitter_ms * 1_000_000)
        if bound <= 0:
            return 0
        return int(np.clip(round(self._rng.uniform(-bound, bound)), -bound, bound))

    def _joint_state(self, stamp: int, sample) -> None:
        state_class = self._classes.JointState
        message = state_class(
            header=ros_messages.header_msg(self._classes, stamp + self._jitter_ns()),
            name=list(self.joint_state_names),
            position=ros_messages.float_sequence(state_class, sample.positions),
            velocity=ros_messages.float_sequence(state_class, sample.velocities),
            effort=ros_messages.float_sequence(state_class, []))
        self._push(stamp + JOINT_STATE_LATENCY_NS, JOINT_STATES_TOPIC, JOINT_STATE_TYPE, message)

    def _push(self, log_ns: int, topic: str, msgtype: str, message) -> None:
        data = self._ts.serialize_cdr(message, msgtype)
        heapq.heappush(self._queue, (int(log_ns), next(self._order), topic, data))

    def _release(self, horizon: Optional[int]) -> None:
        """Write every message logged up to ``horizon`` (None: all, Servo's to its end)."""
        while self._next_window is not None and (horizon is None
                                                 or self._next_window[0] <= horizon):
            now, window = self._next_window
            self._push(now, TRAJECTORY_TOPIC, TRAJECTORY_TYPE,
                       window_msg(self._classes, self._arm_names, window))
            self._next_window = next(self._windows, None)
        while self._queue and (horizon is None or self._queue[0][0] <= horizon):
            log_ns, _, topic, data = heapq.heappop(self._queue)
            try:
                self._writer.write(self._connections[topic], log_ns, data)
            except (OSError, WriterError) as error:
                raise BagError(f'cannot write to the bag {self.path}: {error}') from None
