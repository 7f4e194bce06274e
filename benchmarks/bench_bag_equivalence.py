#!/usr/bin/env python3
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
Compare a dataset ``ar4-generate`` wrote directly with its bags converted by ar4-bag2lerobot.

Prints episodes, frames, and the largest and median differences of state, arm action, gripper
action and (on sampled frames) decoded images.

    ar4-generate --task T --episodes 100 --out D --bag-out B
    ar4-bag2lerobot B/episode_* --task T --out D2
    python benchmarks/bench_bag_equivalence.py D D2 [--image-frames 20]
"""

import argparse
import json
from pathlib import Path

import numpy as np


def columns(root: Path) -> dict:
    """Return state, action and indices of every frame, read from the data parquet files."""
    import pyarrow.parquet as pq
    tables = [pq.read_table(path) for path in sorted((root / 'data').rglob('*.parquet'))]
    out = {}
    for key in ('observation.state', 'action', 'episode_index', 'frame_index'):
        values = [np.stack(t.column(key).to_numpy(zero_copy_only=False)) if key in (
            'observation.state', 'action') else t.column(key).to_numpy() for t in tables]
        out[key] = np.concatenate(values).astype(np.float64)
    order = np.lexsort((out['frame_index'], out['episode_index']))
    return {key: value[order] for key, value in out.items()}


def main():
    """Compare and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('direct', type=Path)
    parser.add_argument('converted', type=Path)
    parser.add_argument('--image-frames', type=int, default=20,
                        help='frames, evenly spread, whose decoded images are compared')
    args = parser.parse_args()
    a, b = columns(args.direct), columns(args.converted)
    episodes = [json.loads((root / 'meta' / 'info.json').read_text())['total_episodes']
                for root in (args.direct, args.converted)]
    print(f'episodes {episodes[0]} / {episodes[1]}, frames {len(a["action"])} / '
          f'{len(b["action"])} (direct / from bags)')
    same_frames = np.array_equal(a['episode_index'], b['episode_index'])
    if len(a['action']) != len(b['action']) or not same_frames:
        raise SystemExit('the datasets do not have the same frames; nothing more to compare')
    rows = {'observation.state (rad, m)': np.abs(a['observation.state'] - b['observation.state']),
            'action, arm (rad)': np.abs(a['action'][:, :6] - b['action'][:, :6]),
            'action, gripper (m)': np.abs(a['action'][:, 6:] - b['action'][:, 6:])}
    if args.image_frames > 0:
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        key = 'observation.images.wrist_camera'
        first = LeRobotDataset(f'{args.direct.parent.name}/{args.direct.name}', root=args.direct)
        second = LeRobotDataset(f'{args.converted.parent.name}/{args.converted.name}',
                                root=args.converted)
        picks = np.linspace(0, len(first) - 1, args.image_frames).astype(int)
        rows['image (0..1, sampled frames)'] = np.array(
            [np.abs(first[int(i)][key].numpy() - second[int(i)][key].numpy()).max()
             for i in picks])
    print('| quantity | max difference | median difference |')
    print('| --- | --- | --- |')
    for name, diff in rows.items():
        print(f'| {name} | {diff.max():.3g} | {np.median(diff):.3g} |')


if __name__ == '__main__':
    main()
