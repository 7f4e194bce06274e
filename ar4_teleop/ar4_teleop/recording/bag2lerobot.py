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
``ar4-bag2lerobot``: turn rosbag2 recordings into episodes of an AR4 LeRobot dataset.

Each bag becomes one episode, built by the same RecordingSession as the live recorder, so a bag
recorded with ``ros2 bag record`` gives the frames the recorder node would have written. Bags of
other ROS 2 systems are welcome: ``recording.bags`` opens folders and files, old type names and
interrupted recordings; images may be compressed or of another size (``--resize``); the joints
may have other names (``--joint-names``).

Two passes. First every bag is checked (topics, their types, the first image and joint state)
with nothing but rosbags: a bag that cannot give an episode is refused within a second or two,
before lerobot is imported or a dataset created, and the run exits 2 with nothing written. Then
each bag is converted as its own stream (nothing carries from one bag to the next); the run exits
0 only when every bag gave an episode, 1 otherwise, naming each bag that did not and why.
"""

import argparse
from dataclasses import dataclass, field
from pathlib import Path
import sys
from typing import List, Optional

from ar4_description.robot_constants import robot_constants
from ar4_description.ros_messages import joint_positions, MessageError
from ar4_teleop.recording import adapters
from ar4_teleop.recording.bags import Bag, BagError, open_bag
from ar4_teleop.recording.episode import Event, State
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.session import GAP_POLICIES, RecordingSession
from ar4_teleop.recording.sync import ACTION_SOURCES

DEFAULT_TOPICS = {
    'image': '/wrist_camera/image',
    'joints': '/joint_states',
    'command': '/joint_trajectory_controller/joint_trajectory',
    'gripper': '/gripper_target',
}
IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
TOPIC_TYPES = {
    'image': IMAGE_TYPES,
    'joints': ('sensor_msgs/msg/JointState',),
    'command': ('trajectory_msgs/msg/JointTrajectory',),
    'gripper': ('std_msgs/msg/Float64',),
}


class UserError(Exception):
    """Bad input: printed without a traceback, exit status 2."""


@dataclass
class BagPlan:
    """What a checked bag will be read for: its topics by role and what the user should know."""

    path: Path
    topics: dict
    actions: str
    notes: List[str] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog='ar4-bag2lerobot',
        description='Convert rosbag2 recordings (MCAP or sqlite3) into episodes of a LeRobot v3 '
                    'dataset: one episode per bag, one frame per camera image. The dataset is '
                    'created, or resumed when it exists. Every bag is checked before anything is '
                    'written. Exit status: 0 every bag gave an episode, 1 some did not (each is '
                    'named), 2 bad input (nothing written).')
    parser.add_argument('bags', nargs='+', metavar='BAG',
                        help='one per episode: a rosbag2 folder, its metadata.yaml, or its .mcap '
                        'or .db3 file (a folder without metadata.yaml is read from its file)')
    parser.add_argument('--task', required=True, help='language instruction stored with '
                        'every frame, e.g. "place the teal cube on the top shelf"')
    parser.add_argument('--out', required=True, type=Path,
                        help='dataset folder (created or appended to)')
    parser.add_argument('--repo-id', help='dataset repo id (default: <parent>/<folder> of --out)')
    parser.add_argument('--action-source', choices=ACTION_SOURCES, default='command',
                        help='command (default): the commanded trajectories and gripper targets; '
                        'next_state: the next frame\'s state (bags without commands); state: '
                        'the state itself')
    parser.add_argument('--joint-names', metavar='A,B,C,D,E,F[,GRIPPER]',
                        help='the bag\'s joint names in the dataset\'s order, for arms whose '
                        'joint states use other names (default: the AR4\'s, '
                        f'{",".join(robot_constants().names7)}); with six, the gripper\'s state '
                        'is 0')
    parser.add_argument('--resize', action='store_true',
                        help='scale images of another size to the dataset\'s 640x480 (default: '
                        'refuse them)')
    parser.add_argument('--fps', type=int, default=FPS, help='frames per second (default 30)')
    parser.add_argument('--state-tolerance', type=float, default=0.05, metavar='S',
                        help='how far from an image stamp a joint state may lie, seconds '
                        '(default 0.05); the state at the stamp is interpolated between the two '
                        'around it when both lie within it')
    parser.add_argument('--gap-policy', choices=GAP_POLICIES, default='flag',
                        help='flag (default): keep episodes with skipped frames and warn; '
                        'discard: drop them')
    parser.add_argument('--max-duration', type=float, default=0.0, metavar='S',
                        help='stop an episode after this many seconds (default 0: whole bag)')
    for key, topic in DEFAULT_TOPICS.items():
        types = ' or '.join(TOPIC_TYPES[key])
        parser.add_argument(f'--{key}-topic', default=topic, help=f'{types} (default {topic})')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def joint_names_option(text: Optional[str]) -> Optional[List[str]]:
    """Parse ``--joint-names``: six or seven distinct names, or None when not given."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(',')]
    if len(names) not in (6, 7) or not all(names) or len(set(names)) != len(names):
        raise UserError(f'--joint-names: give six or seven distinct names separated by commas '
                        f'(the arm\'s joints 1 to 6, then the gripper\'s), got {text!r}')
    return names


def check_bag(bag: Bag, topics: dict, action_source: str, names7: List[str],
              resize: bool) -> BagPlan:
    """Check a bag's topics, their types, its first image and joint state; raise UserError."""
    def refuse(reason: str) -> UserError:
        return UserError(f'{bag.path}: {reason}\n  the bag has:\n{bag.describe_topics()}')

    wanted = ['image', 'joints'] + (['command'] if action_source == 'command' else [])
    for role in wanted + ['gripper']:
        info = bag.topics.get(topics[role])
        if info is None:
            continue
        if info.msgtype not in TOPIC_TYPES[role]:
            raise refuse(f'{info.name} is {info.raw_type}; --{role}-topic needs '
                         f'{" or ".join(TOPIC_TYPES[role])}')
    for role in wanted:
        info = bag.topics.get(topics[role])
        if info is None and role == 'command':
            raise refuse(f'no {topics[role]} topic (the arm\'s commanded trajectories): pass '
                         '--command-topic, or --action-source next_state to take each action '
                         'from the next frame\'s state')
        if info is None:
            raise refuse(f'no {topics[role]} topic: pass --{role}-topic')
        if info.count == 0:
            raise refuse(f'{info.name} has no messages')
    state, image = bag.first(topics['joints']), bag.first(topics['image'])
    for role, message in (('joints', state), ('image', image)):
        if message is None:
            raise refuse(f'no readable message on {topics[role]}')
    try:
        joint_positions(state, names7, require_finite=False)
    except MessageError:
        raise refuse(f'the joint states name {", ".join(state.name)}; the dataset needs '
                     f'{", ".join(names7)}: pass --joint-names with the bag\'s names in that '
                     'order (six arm joints, then the gripper\'s if it has one)') from None
    try:
        adapters.image_to_rgb(image, resize=resize)
    except MessageError as error:
        raise refuse(f'{topics["image"]}: {error}') from None
    plan = BagPlan(bag.path, topics, _actions_used(bag, topics, action_source, names7))
    size = adapters.image_size(image)
    if resize and size != (640, 480):
        plan.notes.append(f'images of {size[0]}x{size[1]} are scaled to 640x480')
    return plan


def _actions_used(bag: Bag, topics: dict, action_source: str, names7: List[str]) -> str:
    if action_source == 'next_state':
        return 'actions: each frame\'s action is the next frame\'s state'
    if action_source == 'state':
        return 'actions: each frame\'s action is its own state'
    gripper = (f'gripper from the targets on {topics["gripper"]}' if topics['gripper']
               in bag.topics else f'gripper holds its state (no {topics["gripper"]} topic)')
    if len(names7) == 6 and topics['gripper'] not in bag.topics:
        gripper = 'gripper 0 (no gripper joint or target)'
    return (f'actions: arm from the commanded trajectories on {topics["command"]} (sampled one '
            f'frame ahead), {gripper}')


def convert_bag(bag: Bag, plan: BagPlan, session: RecordingSession, progress: bool = True) -> None:
    """Feed one checked bag through the session as one episode (its own stream)."""
    from tqdm import tqdm
    topics = plan.topics
    # Every message goes in with its log time, the receipt on the recorder's clock (wall time
    # unless the bag was recorded with --use-sim-time); the session maps it onto the stamps'
    # clock for the messages that carry no usable stamp of their own.
    handlers = {topics['image']: lambda msg, log_ns: session.on_image(msg),
                topics['joints']: session.on_joint_state}
    if session.assembler.action_source == 'command':
        handlers[topics['command']] = session.on_trajectory
        handlers[topics['gripper']] = session.on_gripper_target
    used = [name for name in handlers if name in bag.topics]
    counts = [bag.topics[name].count for name in used]
    total = None if None in counts else sum(counts)
    session.reset_inputs()  # each bag is its own stream: nothing carries over
    session.handle(Event.ARM)
    read = dict.fromkeys(used, 0)
    with tqdm(total=total, desc=bag.path.name, unit='msg', disable=not progress) as bar:
        for topic, log_ns, msg in bag.messages(used):
            bar.update(1)
            read[topic] += 1
            handlers[topic](msg, log_ns)
    for note in bag.notes:
        _say(f'{bag.path}: {note}')
    # rosbags pairs metadata.yaml's topics with the storage's by name, type and QoS: where
    # they disagree a topic reads empty though both list its messages.
    for topic in used:
        if read[topic] == 0 and bag.topics[topic].count:
            _say(f'{bag.path}: WARNING {bag.topics[topic].count} messages listed on {topic}, '
                 'none readable (does metadata.yaml match the storage file? pass the file)')
    if bag.stopped:
        _say(f'{bag.path}: WARNING {bag.stopped}; the messages before it are converted')
    if session.state in (State.RECORDING, State.PAUSED):
        session.handle(Event.SAVE)


def _check_all(paths: List[str], topics: dict, args, names7: List[str]) -> List[BagPlan]:
    plans, refusals = [], []
    for text in paths:
        try:
            with open_bag(text) as bag:
                plans.append(check_bag(bag, topics, args.action_source, names7, args.resize))
        except (BagError, UserError) as error:
            refusals.append(str(error))
    if refusals:
        raise UserError('\n'.join(refusals) + f'\n{len(refusals)} of {len(paths)} bag(s) '
                        'refused; nothing was written')
    return plans


def run(argv: Optional[List[str]] = None) -> int:
    """Run the converter; return the exit status."""
    args = build_parser().parse_args(argv)
    topics = {key: getattr(args, f'{key}_topic') for key in DEFAULT_TOPICS}
    if args.fps <= 0 or args.state_tolerance <= 0 or args.max_duration < 0:
        raise UserError('--fps and --state-tolerance must be positive, --max-duration >= 0')
    names7 = joint_names_option(args.joint_names) or list(robot_constants().names7)
    plans = _check_all(args.bags, topics, args, names7)
    from ar4_teleop.recording.writer import DatasetError, DatasetWriter  # imports lerobot
    try:
        writer = DatasetWriter.open(args.out, repo_id=args.repo_id, fps=args.fps, log=_say)
    except DatasetError as error:
        raise UserError(str(error)) from None
    failed = {}
    with writer:
        session = RecordingSession(
            writer, args.task, action_source=args.action_source, fps=args.fps,
            max_duration_s=args.max_duration, state_tolerance_s=args.state_tolerance,
            gap_policy=args.gap_policy, log=_say, joint_names=names7,
            resize_images=args.resize)
        saves = {}
        for plan in plans:
            _say(f'{plan.path}: {plan.actions}')
            for note in plan.notes:
                _say(f'{plan.path}: {note}')
            before = len(session.saves)
            try:
                with open_bag(plan.path) as bag:
                    convert_bag(bag, plan, session, progress=not args.no_progress)
            except BagError as error:
                failed[plan.path] = str(error)
                if session.machine.recording:
                    session.handle(Event.DISCARD)
                continue
            if len(session.saves) > before:
                saves[plan.path] = session.saves[-1]
            else:
                failed[plan.path] = session.last_discard or 'no episode'
        writer.wait_for_saves()
        for path, future in saves.items():
            if future.exception() is not None:
                failed[path] = f'not saved: {future.exception()}'
    _say(f'{len(plans) - len(failed)} of {len(plans)} bag(s) gave an episode; '
         f'{writer.num_episodes} episode(s) in {args.out}')
    for path, reason in failed.items():
        _say(f'  no episode from {path}: {reason}')
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: exit 0 when every bag gave an episode, 1 when some did not, 2 on bad input."""
    try:
        status = run(argv)
    except UserError as error:
        _say(f'error: {error}')
        status = 2
    sys.exit(status)
