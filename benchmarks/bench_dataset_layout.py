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
Benchmark a dataset's file layout: per-episode files (during a session) against consolidated.

For a dataset of N episodes it prints the file count, the cold load time (the first
``LeRobotDataset(...)`` in a fresh process, lerobot already imported), the warm load time (the
same load again in that process) and the peak number of open file descriptors while reading one
frame of every episode, before and after ``consolidate``, and how long consolidation took.

Vectors-only (default): state + action episodes, split into one data and one episodes parquet
per episode as the writer leaves them during a session; fast enough for N = 500 and more.
``--video``
records real 480x640 episodes through ``DatasetWriter`` (slow: about 1-2 s per episode), where
the open-file growth of one decoder per MP4 shows. Prints figures; not a test. Run:
``python benchmarks/bench_dataset_layout.py --episodes 500`` or ``--video --episodes 30``.
"""

import argparse
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'ar4_teleop'), str(ROOT / 'ar4_description')]
os.environ.setdefault('HF_HUB_OFFLINE', '1')

from ar4_teleop.recording import consolidate  # noqa: E402
from ar4_teleop.recording.features import (  # noqa: E402
    ACTION_KEY, build_frame, dataset_features, FPS, IMAGE_SHAPE, ROBOT_TYPE, STATE_KEY)
from ar4_teleop.recording.writer import DatasetWriter, repo_id_for  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

# Runs in a fresh process so the first load is cold (lerobot imported before the clock starts).
LOAD_SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    root, repo_id = sys.argv[1], sys.argv[2]

    def open_files():
        return len(os.listdir('/proc/self/fd'))

    started = time.perf_counter()
    dataset = LeRobotDataset(repo_id, root=root)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    LeRobotDataset(repo_id, root=root)
    warm = time.perf_counter() - started
    baseline = peak = open_files()
    started = time.perf_counter()
    for episode in range(dataset.meta.total_episodes):
        dataset[int(dataset.meta.episodes[episode]['dataset_from_index'])]
        peak = max(peak, open_files())
    read = time.perf_counter() - started
    print(json.dumps({'cold_s': cold, 'warm_s': warm, 'fds_before_reading': baseline,
                      'fds_peak': peak, 'read_all_s': read}))
''')


def _vector_features():
    features = dataset_features(use_videos=False)
    return {key: features[key] for key in (STATE_KEY, ACTION_KEY)}


def write_vectors(root: Path, episodes: int, frames: int) -> None:
    """
    Write vector-only episodes, then split them into one file set per episode.

    Reopening after every episode, as the writer does, makes building 500 episodes take longer
    than this benchmark should (each reopen loads all earlier episodes); the split gives the
    same files: per episode one data parquet and one episodes parquet pointing at it.
    """
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    import pyarrow.parquet as pq
    repo_id = repo_id_for(root)
    dataset = LeRobotDataset.create(repo_id, FPS, _vector_features(), root=root,
                                    robot_type=ROBOT_TYPE, use_videos=False)
    rng = np.random.default_rng(0)
    for episode in range(episodes):
        for i in range(frames):
            dataset.add_frame({STATE_KEY: rng.random(7, dtype=np.float32),
                               ACTION_KEY: rng.random(7, dtype=np.float32), 'task': 'stack'})
        dataset.save_episode()
    dataset.finalize()
    info = json.loads((root / 'meta/info.json').read_text())
    data_files = sorted((root / 'data').glob('*/*.parquet'))
    episode_files = sorted((root / 'meta/episodes').glob('*/*.parquet'))
    data = pa.concat_tables([pq.read_table(p) for p in data_files]).sort_by('index')
    rows = pa.concat_tables([pq.read_table(p) for p in episode_files]).to_pandas()
    for path in data_files + episode_files:
        path.unlink()
    for row_number, row in rows.sort_values('episode_index').iterrows():
        index = int(row['episode_index'])
        chunk, file = divmod(index, info['chunks_size'])
        start, end = int(row['dataset_from_index']), int(row['dataset_to_index'])
        target = root / info['data_path'].format(chunk_index=chunk, file_index=file)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data.slice(start, end - start), target)
        single = rows.loc[[row_number]].copy()
        single['data/chunk_index'], single['data/file_index'] = chunk, file
        single['meta/episodes/chunk_index'], single['meta/episodes/file_index'] = chunk, file
        target = root / 'meta/episodes' / f'chunk-{chunk:03d}' / f'file-{file:03d}.parquet'
        target.parent.mkdir(parents=True, exist_ok=True)
        single.to_parquet(target)


def write_video(root: Path, episodes: int, frames: int) -> None:
    """Record real episodes through DatasetWriter, leaving them unconsolidated."""
    image = np.zeros(IMAGE_SHAPE, np.uint8)
    with DatasetWriter.open(root, consolidate_on_close=False, log=lambda m: None) as writer:
        for episode in range(episodes):
            for i in range(frames):
                image[:] = (episode * 7 + i) % 255
                writer.add_frame(build_frame(image, np.full(7, 0.001 * i), np.zeros(7), 'stack'))
            writer.save_episode()
            if (episode + 1) % 10 == 0:
                print(f'  recorded {episode + 1}/{episodes} episodes', flush=True)


def measure(root: Path) -> dict:
    """Return file counts and load figures of the dataset at ``root``."""
    done = subprocess.run([sys.executable, '-c', LOAD_SCRIPT, str(root), repo_id_for(root)],
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, HF_HUB_OFFLINE='1'))
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(consolidate.counts_by_family(root))
    return figures


def main() -> int:
    """Build a dataset, measure it, consolidate it, measure again; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--episodes', type=int, default=500)
    parser.add_argument('--frames', type=int, default=150, help='frames per episode')
    parser.add_argument('--video', action='store_true', help='record 480x640 video episodes')
    parser.add_argument('--keep', type=Path, default=None,
                        help='build the dataset here and keep it (default: a temporary folder)')
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix='ar4-layout-'))
    root = base / 'local' / f'layout_{args.episodes}'
    if root.exists():
        shutil.rmtree(root)
    try:
        kind = 'video 480x640' if args.video else 'vectors only'
        print(f'writing {args.episodes} episodes x {args.frames} frames ({kind}), one file set '
              'per episode ...', flush=True)
        started = time.perf_counter()
        (write_video if args.video else write_vectors)(root, args.episodes, args.frames)
        print(f'  written in {time.perf_counter() - started:.0f} s', flush=True)
        before = measure(root)
        started = time.perf_counter()
        consolidate.consolidate(root, repo_id_for(root), log=print)
        seconds = time.perf_counter() - started
        after = measure(root)
        print(f'\n{args.episodes} episodes x {args.frames} frames, {kind}; '
              f'consolidation took {seconds:.1f} s')
        rows = (('files', 'total', '{:d}'), ('data files', 'data', '{:d}'),
                ('video files', 'videos', '{:d}'), ('episode files', 'episodes', '{:d}'),
                ('cold load (s)', 'cold_s', '{:.2f}'), ('warm load (s)', 'warm_s', '{:.2f}'),
                ('read 1 frame/episode (s)', 'read_all_s', '{:.2f}'),
                ('open fds before reading', 'fds_before_reading', '{:d}'),
                ('peak open fds reading', 'fds_peak', '{:d}'))
        print(f'{"":<26} {"per-episode":>12} {"consolidated":>12}')
        for label, key, form in rows:
            print(f'{label:<26} {form.format(before[key]):>12} {form.format(after[key]):>12}')
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
