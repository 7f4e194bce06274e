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
``ar4-check-dataset DIR``: check a LeRobot v3 dataset without trusting its own counters.

Every parquet file must have a footer and be readable, episode indices must be contiguous, the
episodes' frame ranges must add up to the data actually stored, and each video must hold at
least the frames its episodes claim. A per-episode quality table follows (length, fastest joint
against its velocity limit, gripper range, the success mark given while recording), and
physically impossible values count as defects: non-finite states or actions, an arm joint
faster than its velocity limit (by more than
SPEED_TOLERANCE, finite differences of sampled states overshoot a little), a gripper state or
action outside its range (by more than GRIPPER_TOLERANCE_M). The limits come from
``robot_constants()``. Exit status 0 when clean, 1 on any defect, 2 on bad input.
"""

import argparse
import json
from pathlib import Path
import sys
from typing import List, Optional

from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import outcome as success_marks
from ar4_teleop.recording.features import ACTION_KEY, STATE_KEY
import numpy as np

SPEED_TOLERANCE = 0.10
GRIPPER_TOLERANCE_M = 0.001


def _video_frames(path: Path) -> int:
    import av
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return int(stream.frames)
        return sum(1 for _ in container.demux(stream) if _.size)


def _impossible(states: np.ndarray, actions: np.ndarray, ratio: np.ndarray, speed: np.ndarray,
                gripper_low: float, gripper_high: float) -> List[str]:
    """Return the physically impossible values of one episode, one line per kind."""
    found = []
    for name, values in (('state', states), ('action', actions)):
        bad = ~np.isfinite(values)
        if bad.any():
            found.append(f'{int(bad.any(axis=1).sum())} frame(s) with non-finite {name} values')
    for joint in range(6):
        if ratio[joint] > 1.0 + SPEED_TOLERANCE:
            found.append(f'joint_{joint + 1} moves at {speed[joint]:.2f} rad/s, '
                         f'{ratio[joint]:.2f} x its velocity limit')
    for name, values in (('state', states), ('action', actions)):
        gripper = values[:, 6][np.isfinite(values[:, 6])] if len(values) else values
        if len(gripper) and (gripper.min() < gripper_low or gripper.max() > gripper_high):
            found.append(f'gripper {name} {gripper.min():.4f}..{gripper.max():.4f} m is outside '
                         f'its range {gripper_low + GRIPPER_TOLERANCE_M:.4f}..'
                         f'{gripper_high - GRIPPER_TOLERANCE_M:.4f} m')
    return found


def check(root: Path, out=None) -> List[str]:
    """Check the dataset at ``root``, print the report to ``out``; return the defects."""
    import pandas as pd
    import pyarrow.parquet as pq
    out = out or sys.stdout
    defects: List[str] = []
    try:
        info = json.loads((root / 'meta' / 'info.json').read_text())
    except (OSError, ValueError) as error:
        return [f'meta/info.json unreadable: {error}']
    fps = info.get('fps', 30)
    episode_rows = []
    for path in sorted((root / 'meta' / 'episodes').glob('*/*.parquet')):
        try:
            episode_rows += pq.read_table(path).to_pylist()
        except Exception as error:  # noqa: B902 - report any unreadable file
            defects.append(f'{path.relative_to(root)} unreadable: {error}')
    data = []
    for path in sorted((root / 'data').glob('*/*.parquet')):
        try:
            data.append(pd.read_parquet(path, columns=['episode_index', 'frame_index',
                                                       'index', STATE_KEY, ACTION_KEY]))
        except Exception as error:  # noqa: B902
            defects.append(f'{path.relative_to(root)} unreadable: {error}')
    frames = pd.concat(data, ignore_index=True) if data else pd.DataFrame(
        columns=['episode_index', 'frame_index', 'index', STATE_KEY, ACTION_KEY])
    episode_rows.sort(key=lambda row: row['episode_index'])
    indices = [row['episode_index'] for row in episode_rows]
    if indices != list(range(len(indices))):
        defects.append(f'episode indices are not contiguous from 0: {indices}')
    stored = sorted(set(int(i) for i in frames['episode_index']))
    if stored != indices:
        defects.append(f'data holds episodes {stored}, metadata lists {indices}')
    if sum(row['length'] for row in episode_rows) != len(frames):
        defects.append(f'episode lengths add up to {sum(r["length"] for r in episode_rows)}, '
                       f'data holds {len(frames)} frames')
    for name, value in (('total_episodes', len(episode_rows)), ('total_frames', len(frames))):
        if info.get(name) != value:
            defects.append(f'info.json {name} is {info.get(name)}, the files hold {value}')
    video_keys = [k for k, v in info.get('features', {}).items() if v.get('dtype') == 'video']
    claimed = {}
    for row in episode_rows:
        for key in video_keys:
            path = root / info['video_path'].format(
                video_key=key, chunk_index=row[f'videos/{key}/chunk_index'],
                file_index=row[f'videos/{key}/file_index'])
            end = row[f'videos/{key}/to_timestamp']
            claimed[path] = max(claimed.get(path, 0), int(round(end * fps)))
    for path, needed in sorted(claimed.items()):
        if not path.is_file():
            defects.append(f'{path.relative_to(root)} missing')
            continue
        try:
            count = _video_frames(path)
        except Exception as error:  # noqa: B902
            defects.append(f'{path.relative_to(root)} unreadable: {error}')
            continue
        if count < needed:
            defects.append(f'{path.relative_to(root)} has {count} frames, episodes need {needed}')
    constants = robot_constants()
    velocity = constants.velocity7
    gripper_low = constants.gripper.lower - GRIPPER_TOLERANCE_M
    gripper_high = constants.gripper.upper + GRIPPER_TOLERANCE_M
    print(f'{root}: {len(episode_rows)} episodes, {len(frames)} frames, {fps} fps, '
          f'robot {info.get("robot_type")}', file=out)
    try:
        marks = success_marks.read(root)
    except Exception as error:  # noqa: B902 - the files were reported above
        marks = {}
        defects.append(f'success marks unreadable: {error}')
    if any(mark is not None for mark in marks.values()):
        counted = [sum(1 for row in episode_rows if marks.get(row['episode_index']) is value)
                   for value in (True, False, None)]
        print('outcomes: {} success, {} failure, {} unmarked'.format(*counted), file=out)
    print(f'{"episode":>7} {"frames":>6} {"seconds":>7} {"fastest joint":>18} '
          f'{"x limit":>7} {"gripper range":>15} {"outcome":>8}  task', file=out)
    for row in episode_rows:
        index = row['episode_index']
        rows = frames[frames['episode_index'] == index].sort_values('frame_index')
        problem = ''
        if len(rows) != row['length']:
            problem = f'  DEFECT: {len(rows)} frames stored, {row["length"]} listed'
            defects.append(f'episode {index}: {len(rows)} frames stored, {row["length"]} listed')
        elif list(rows['frame_index']) != list(range(len(rows))):
            problem = '  DEFECT: frame indices not 0..n-1'
            defects.append(f'episode {index}: frame indices not 0..n-1')
        states = np.stack(rows[STATE_KEY].to_numpy()) if len(rows) else np.zeros((0, 7))
        actions = np.stack(rows[ACTION_KEY].to_numpy()) if len(rows) else np.zeros((0, 7))
        with np.errstate(invalid='ignore'):
            speed = (np.abs(np.diff(states, axis=0)) * fps).max(axis=0) if len(states) > 1 \
                else np.zeros(7)
        ratio = speed / velocity
        joint = int(np.nanargmax(ratio[:6])) if np.isfinite(ratio[:6]).any() else 0
        impossible = _impossible(states, actions, ratio, speed, gripper_low, gripper_high)
        for what in impossible:
            defects.append(f'episode {index}: {what}')
        if impossible and not problem:
            problem = '  DEFECT: ' + '; '.join(impossible)
        grip = (f'{states[:, 6].min():.4f}..{states[:, 6].max():.4f}' if len(states)
                else '-')
        tasks = ', '.join(row.get('tasks') or [])
        print(f'{index:>7} {len(rows):>6} {len(rows) / fps:>7.2f} '
              f'{"joint_%d %.2f rad/s" % (joint + 1, speed[joint]):>18} {ratio[joint]:>7.2f} '
              f'{grip:>15} {success_marks.label(marks.get(index)):>8}  {tasks}{problem}',
              file=out)
    return defects


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: exit 0 when the dataset is sound, 1 on defects, 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog='ar4-check-dataset',
        description='Check a LeRobot v3 dataset folder without trusting its counters (parquet '
                    'footers, contiguous episodes, frame counts, video lengths) and print a '
                    'per-episode quality table. Exit 1 on any defect.')
    parser.add_argument('dir', type=Path, help='dataset folder (holding meta/info.json)')
    args = parser.parse_args(argv)
    if not (args.dir / 'meta' / 'info.json').is_file():
        print(f'error: {args.dir} holds no meta/info.json; pass a dataset folder',
              file=sys.stderr)
        sys.exit(2)
    defects = check(args.dir)
    if defects:
        print(f'{len(defects)} defect(s):', file=sys.stderr)
        for defect in defects:
            print(f'  - {defect}', file=sys.stderr)
        sys.exit(1)
    print('OK: no defects found')
    sys.exit(0)
