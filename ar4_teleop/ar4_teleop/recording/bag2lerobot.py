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
recorded with ``ros2 bag record`` gives the frames the recorder node would have written. MCAP and
sqlite3 bags are read with ``rosbags.highlevel.AnyReader`` (no ROS installation needed).
"""

import argparse
from pathlib import Path
import sys
from typing import List, Optional

from ar4_teleop.recording.episode import Event
from ar4_teleop.recording.features import FPS
from ar4_teleop.recording.session import GAP_POLICIES, RecordingSession
from ar4_teleop.recording.sync import ACTION_SOURCES
from ar4_teleop.recording.writer import DatasetError, DatasetWriter

DEFAULT_TOPICS = {
    'image': '/wrist_camera/image',
    'joints': '/joint_states',
    'command': '/joint_trajectory_controller/joint_trajectory',
    'gripper': '/gripper_target',
}


class UserError(Exception):
    """Bad input: printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog='ar4-bag2lerobot',
        description='Convert rosbag2 recordings (MCAP or sqlite3) of the AR4 topics into '
                    'episodes of a LeRobot v3 dataset: one episode per bag, one frame per '
                    'camera image. The dataset is created, or resumed when it exists.')
    parser.add_argument('bags', nargs='+', metavar='BAG', help='rosbag2 folders, one per episode')
    parser.add_argument('--task', required=True, help='language instruction stored with '
                        'every frame, e.g. "place the teal cube on the top shelf"')
    parser.add_argument('--out', required=True, type=Path,
                        help='dataset folder (created or appended to)')
    parser.add_argument('--repo-id', help='dataset repo id (default: <parent>/<folder> of --out)')
    parser.add_argument('--action-source', choices=ACTION_SOURCES, default='command',
                        help='command: commanded targets (default); next_state: the next '
                        'frame\'s state; state: the state itself')
    parser.add_argument('--fps', type=int, default=FPS, help='frames per second (default 30)')
    parser.add_argument('--state-tolerance', type=float, default=0.05, metavar='S',
                        help='oldest joint state accepted for an image, seconds (default 0.05)')
    parser.add_argument('--gap-policy', choices=GAP_POLICIES, default='flag',
                        help='flag (default): keep episodes with skipped frames and warn; '
                        'discard: drop them')
    parser.add_argument('--max-duration', type=float, default=0.0, metavar='S',
                        help='stop an episode after this many seconds (default 0: whole bag)')
    for key, topic in DEFAULT_TOPICS.items():
        parser.add_argument(f'--{key}-topic', default=topic, help=f'default {topic}')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def convert_bag(path: Path, session: RecordingSession, topics: dict,
                progress: bool = True) -> int:
    """Feed one bag through the session as one episode; return the frames recorded."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import get_typestore, Stores
    from tqdm import tqdm
    if not path.exists():
        raise UserError(f'{path}: no such bag folder')
    try:
        reader = AnyReader([path], default_typestore=get_typestore(Stores.ROS2_JAZZY))
        reader.open()
    except Exception as error:  # noqa: B902 - rosbags raises several types for bad bags
        raise UserError(f'{path}: cannot read the bag ({error})') from None
    try:
        by_topic = {c.topic: c for c in reader.connections}
        for key in ('image', 'joints'):
            if topics[key] not in by_topic:
                raise UserError(f'{path}: no {topics[key]} topic (has {", ".join(by_topic)}); '
                                f'pass --{key}-topic')
        # Every message goes in with its log time, the receipt on the recorder's clock (wall
        # time unless the bag was recorded with --use-sim-time); the session maps it onto the
        # stamps' clock for the messages that carry no usable stamp of their own.
        handlers = {
            topics['image']: lambda msg, log_ns: session.on_image(msg),
            topics['joints']: session.on_joint_state,
            topics['command']: session.on_trajectory,
            topics['gripper']: session.on_gripper_target,
        }
        connections = [c for c in reader.connections if c.topic in handlers]
        total = sum(c.msgcount for c in connections)
        session.reset_inputs()  # each bag is its own stream: nothing carries over
        session.handle(Event.ARM)
        frames = 0
        with tqdm(total=total, desc=path.name, unit='msg', disable=not progress) as bar:
            for connection, log_ns, raw in reader.messages(connections=connections):
                bar.update(1)
                msg = reader.deserialize(raw, connection.msgtype)
                handlers[connection.topic](msg, log_ns)
                frames = max(frames, session.frames)
        session.handle(Event.SAVE)
        return frames
    finally:
        reader.close()


def run(argv: Optional[List[str]] = None) -> int:
    """Run the converter; return the exit status."""
    args = build_parser().parse_args(argv)
    topics = {key: getattr(args, f'{key}_topic') for key in DEFAULT_TOPICS}
    if args.fps <= 0 or args.state_tolerance <= 0 or args.max_duration < 0:
        raise UserError('--fps and --state-tolerance must be positive, --max-duration >= 0')
    try:
        writer = DatasetWriter.open(args.out, repo_id=args.repo_id, fps=args.fps, log=_say)
    except DatasetError as error:
        raise UserError(str(error)) from None
    failures = 0
    with writer:
        session = RecordingSession(
            writer, args.task, action_source=args.action_source, fps=args.fps,
            max_duration_s=args.max_duration, state_tolerance_s=args.state_tolerance,
            gap_policy=args.gap_policy, log=_say)
        for bag in args.bags:
            try:
                convert_bag(Path(bag), session, topics, progress=not args.no_progress)
            except UserError as error:
                _say(f'error: {error}')
                failures += 1
                if session.machine.recording:
                    session.handle(Event.DISCARD)
        writer.wait_for_saves()
        saved = len(session.saved)
    _say(f'{saved} episode(s) written to {args.out} ({writer.num_episodes} in the dataset)')
    return 2 if failures else 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: convert and exit with 0, or 2 on bad input (no traceback)."""
    try:
        status = run(argv)
    except UserError as error:
        _say(f'error: {error}')
        status = 2
    sys.exit(status)
