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
A LeRobot v3 dataset writer that never loses a saved episode.

lerobot 0.4.4 only writes parquet footers and the episodes metadata in ``finalize()``, and a
finalized dataset object does not append to its files again. So every saved episode is finalized
right after it is written, and the next one starts new files after it, as in a reopened dataset
(``_continue``): each episode lands in its own data, video and metadata files, and a SIGKILL at
any moment loses at most the episode being recorded or saved. Opening a dataset checks it first
and repairs what a crash left (files set aside, counters and stats recomputed from the episodes
that survived) and says so. During a session
``meta/info.json.bak`` and ``meta/tasks.parquet.bak`` keep the last good copies for that repair.

A clean end (``close()``) consolidates the dataset into LeRobot's usual layout (episodes share
data, video and episode-metadata files up to the dataset's size limits) and removes the backups,
so what stays on disk is what ``LeRobotDataset`` itself writes. ``consolidate.py`` explains how
that rewrite survives a SIGKILL; ``open`` finishes or undoes an interrupted one first. Resuming a
consolidated dataset appends one file per episode again until the next clean end.

A dataset another tool wrote is resumed when fps, robot type and features match; ``open`` says
which of its settings show it was not written here (``foreign_reasons``).

Video frames are encoded as they arrive, on a thread per take (``episode_video``: the MP4 and
image stats lerobot would make from PNGs, without writing and reading the PNGs); image features
(``use_videos=False``) are staged as PNGs by a small thread pool. The vectors stay in memory.
Saving (stats, parquet, video, finalize) runs on one background thread in submission order, so
the next episode can be armed right after pressing save.
``save_episode()`` waits for durability; ``save_episode_async()`` returns a future.
"""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
import datetime
import json
import os
from pathlib import Path
import queue
import shutil
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Union
import warnings

from ar4_teleop.recording import consolidate
from ar4_teleop.recording.episode_video import encoded_episode, EpisodeVideo
from ar4_teleop.recording import outcome as success_marks
from ar4_teleop.recording.features import (
    ACTION_KEY, dataset_features, FPS, IMAGE_KEY, ROBOT_TYPE, STATE_KEY, TASK_KEY)
import numpy as np

INFO_PATH = 'meta/info.json'
STATS_PATH = 'meta/stats.json'
TASKS_PATH = 'meta/tasks.parquet'
EPISODES_DIR = 'meta/episodes'
BACKUP_SUFFIX = '.bak'
LAYOUT_ENTRIES = ('meta', 'data', 'videos', 'images', 'README.md')
DEFAULT_DATASETS_DIR = Path('data') / 'datasets'
LOCAL_USERNAME = 'local'
PNG_COMPRESS_LEVEL = 1

# The SVT-AV1 encoder prints ~40 configuration lines per saved episode; keep its errors only, so
# the recorder's status line and per-episode summaries stay readable. A user's SVT_LOG wins.
os.environ.setdefault('SVT_LOG', '1')
# Reopening after each episode makes the datasets library draw a 'Map' progress bar per episode.
os.environ.setdefault('HF_DATASETS_DISABLE_PROGRESS_BARS', '1')
warnings.filterwarnings('ignore', message='Cannot enable progress bars')


class DatasetError(RuntimeError):
    """The dataset cannot be opened or written; the message says what to do."""


class DatasetMismatchError(DatasetError):
    """An existing dataset was recorded with a different fps, feature set or robot type."""


@dataclass(frozen=True)
class SavedEpisode:
    """An episode that is on disk, finalized and loadable."""

    index: int
    frames: int
    seconds: float
    tasks: List[str]
    save_seconds: float
    total_episodes: int


@dataclass
class _Take:
    """One episode's frames until saved: video encoding (PNGs for images), vectors in memory."""

    episode_index: int
    image_dir: Path
    image_paths: List[str] = field(default_factory=list)
    states: List[np.ndarray] = field(default_factory=list)
    actions: List[np.ndarray] = field(default_factory=list)
    tasks: List[str] = field(default_factory=list)
    writes: List[Future] = field(default_factory=list)
    videos: Dict[str, EpisodeVideo] = field(default_factory=dict)
    #: The success mark the user gave the take (None: not marked); see ``recording.outcome``.
    outcome: Optional[bool] = None

    @property
    def frames(self) -> int:
        return len(self.states)

    def wait_for_images(self) -> None:
        for write in self.writes:
            write.result()
        self.writes.clear()

    def cancel_videos(self) -> None:
        for video in self.videos.values():
            video.cancel()


def default_dataset_root(name: str, hf_username: Optional[str] = None,
                         base: Union[str, Path, None] = None) -> Path:
    """
    Return ``<base>/<HF_USERNAME or local>/<name>``, base defaulting to ``data/datasets``.

    ``hf_username`` defaults to the HF_USERNAME environment variable, then ``local``.
    """
    if not name or '/' in name or name in ('.', '..'):
        raise ValueError(f'dataset name must be a plain folder name, got {name!r}')
    user = hf_username or os.environ.get('HF_USERNAME') or LOCAL_USERNAME
    return Path(base if base is not None else DEFAULT_DATASETS_DIR) / user / name


def repo_id_for(root: Union[str, Path]) -> str:
    """Return the repo id ``<parent folder>/<folder>`` used for a dataset root."""
    root = Path(root).resolve()
    return f'{root.parent.name}/{root.name}'


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _atomic_copy(source: Path, target: Path) -> None:
    temporary = target.with_name(target.name + '.tmp')
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def _read_json(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _parquet_readable(path: Path) -> bool:
    import pyarrow.parquet as pq
    try:
        pq.read_metadata(path)
        return True
    except Exception:  # noqa: B902 - any failure means the file is unusable
        return False


def _feature_differences(info: dict, expected: Dict[str, dict], fps: int,
                         robot_type: str) -> List[str]:
    """Return a human-readable list of what differs between info.json and the expectation."""
    differences = []
    if info.get('fps') != fps:
        differences.append(f'fps: dataset has {info.get("fps")}, requested {fps}')
    if info.get('robot_type') != robot_type:
        differences.append(
            f'robot_type: dataset has {info.get("robot_type")!r}, requested {robot_type!r}')
    from lerobot.datasets.utils import DEFAULT_FEATURES
    stored = {k: v for k, v in info.get('features', {}).items() if k not in DEFAULT_FEATURES}
    for key in sorted(set(stored) - set(expected)):
        differences.append(f'feature {key!r} is in the dataset but not requested')
    for key in sorted(set(expected) - set(stored)):
        differences.append(f'feature {key!r} is requested but not in the dataset')
    for key in sorted(set(stored) & set(expected)):
        have, want = stored[key], expected[key]
        if have.get('dtype') != want['dtype']:
            differences.append(
                f'feature {key!r}: dtype {have.get("dtype")!r} in the dataset, '
                f'{want["dtype"]!r} requested')
        if tuple(have.get('shape', ())) != tuple(want['shape']):
            differences.append(
                f'feature {key!r}: shape {tuple(have.get("shape", ()))} in the dataset, '
                f'{tuple(want["shape"])} requested')
        if list(have.get('names') or []) != list(want.get('names') or []):
            differences.append(
                f'feature {key!r}: names {have.get("names")} in the dataset, '
                f'{want.get("names")} requested')
    return differences


# What LeRobotDataset.create writes for the writer's vcodec (info.json video.codec).
CODEC_NAMES = {'libsvtav1': 'av1', 'libaom-av1': 'av1', 'h264': 'h264', 'libx264': 'h264',
               'hevc': 'hevc', 'libx265': 'hevc'}


def _foreign_traits(info: dict, vcodec: str) -> List[str]:
    """
    Return what in ``info`` differs from what this writer writes, beyond the compared features.

    A dataset that matches in everything below is indistinguishable from one of ours.
    """
    from lerobot.datasets.utils import (
        DEFAULT_CHUNK_SIZE, DEFAULT_DATA_FILE_SIZE_IN_MB, DEFAULT_DATA_PATH, DEFAULT_FEATURES,
        DEFAULT_VIDEO_FILE_SIZE_IN_MB, DEFAULT_VIDEO_PATH)
    traits = []
    expected = {'chunks_size': DEFAULT_CHUNK_SIZE,
                'data_files_size_in_mb': DEFAULT_DATA_FILE_SIZE_IN_MB,
                'video_files_size_in_mb': DEFAULT_VIDEO_FILE_SIZE_IN_MB,
                'data_path': DEFAULT_DATA_PATH}
    if any(v.get('dtype') == 'video' for v in info.get('features', {}).values()):
        expected['video_path'] = DEFAULT_VIDEO_PATH
    for key, value in expected.items():
        if info.get(key) != value:
            traits.append(f'{key} {info.get(key)!r} instead of {value!r}')
    for key, feature in DEFAULT_FEATURES.items():
        have = info.get('features', {}).get(key, {})
        if have.get('dtype') != feature['dtype']:
            traits.append(f'{key} dtype {have.get("dtype")!r} instead of {feature["dtype"]!r}')
    codec = CODEC_NAMES.get(vcodec)
    for key, feature in info.get('features', {}).items():
        stored = (feature.get('info') or {}).get('video.codec')
        if feature.get('dtype') == 'video' and codec and stored and stored != codec:
            traits.append(f'{key} encoded as {stored}, this writer encodes {codec}')
    return traits


class _Inspection:
    """A read-only survey of a dataset folder and the repairs it needs."""

    def __init__(self, root: Path, info: dict):
        self.root = root
        self.info = info
        self.set_aside: List[Path] = []
        self.delete: List[Path] = []
        self.episodes: List[dict] = []
        self.notes: List[str] = []
        self.stats_bad = False
        self.tasks_bad = False
        self._survey()

    def _survey(self) -> None:
        import pyarrow.parquet as pq
        root = self.root
        video_keys = [k for k, v in self.info['features'].items() if v.get('dtype') == 'video']
        rows_by_file = {}
        for path in sorted((root / EPISODES_DIR).glob('*/*.parquet')):
            try:
                rows_by_file[path] = pq.read_table(path).to_pylist()
            except Exception:  # noqa: B902 - unreadable means a crash before finalize
                self.set_aside.append(path)
                self.notes.append(f'episode metadata {path.relative_to(root)} is unreadable '
                                  '(interrupted save)')
        rows = sorted(((row, path) for path, rows in rows_by_file.items() for row in rows),
                      key=lambda item: item[0]['episode_index'])
        kept_files = set()
        dropped_files = set()
        frames = 0
        for row, path in rows:
            index = row['episode_index']
            problem = None
            data_path = root / self.info['data_path'].format(
                chunk_index=row['data/chunk_index'], file_index=row['data/file_index'])
            if dropped_files:
                problem = 'follows a missing episode'
            elif index != len(self.episodes):
                problem = f'expected episode {len(self.episodes)} here'
            elif row['dataset_from_index'] != frames:
                problem = 'frame range does not continue the previous episode'
            elif not _parquet_readable(data_path):
                problem = f'data file {data_path.relative_to(root)} is unreadable'
            else:
                for key in video_keys:
                    video = root / self.info['video_path'].format(
                        video_key=key, chunk_index=row[f'videos/{key}/chunk_index'],
                        file_index=row[f'videos/{key}/file_index'])
                    if not video.is_file():
                        problem = f'video {video.relative_to(root)} is missing'
            if problem:
                dropped_files.add(path)
                self.notes.append(f'episode {index} dropped: {problem}')
                continue
            kept_files.add(path)
            self.episodes.append(row)
            frames += row['length']
        # An episodes file holding a dropped row goes aside whole, with the rows after it.
        for path in sorted(dropped_files):
            if path in kept_files:
                raise DatasetError(
                    f'{path}: mixes usable and unusable episodes; repair it by hand '
                    '(lerobot-edit-dataset) or record into a new dataset')
            self.set_aside.append(path)
        referenced = set()
        for row in self.episodes:
            referenced.add(root / self.info['data_path'].format(
                chunk_index=row['data/chunk_index'], file_index=row['data/file_index']))
            for key in video_keys:
                referenced.add(root / self.info['video_path'].format(
                    video_key=key, chunk_index=row[f'videos/{key}/chunk_index'],
                    file_index=row[f'videos/{key}/file_index']))
        for path in sorted((root / 'data').glob('*/*.parquet')):
            if path not in referenced:
                self.set_aside.append(path)
                self.notes.append(f'{path.relative_to(root)} belongs to no saved episode')
        for path in sorted((root / 'videos').glob('*/*/*.mp4')):
            if path not in referenced:
                self.set_aside.append(path)
                self.notes.append(f'{path.relative_to(root)} belongs to no saved episode')
        staged = root / 'images'
        if staged.exists():
            count = sum(1 for _ in staged.rglob('*.png'))
            self.delete.append(staged)
            if count:
                self.notes.append(f'removed {count} staged frames of unsaved takes')
        for path in sorted(root.glob('tmp*')):
            if path.is_dir():
                self.delete.append(path)
                self.notes.append(f'removed temporary encoder folder {path.name}')
        total_frames = frames
        total_tasks = self._tasks_count()
        expected = {'total_episodes': len(self.episodes), 'total_frames': total_frames}
        for key, value in expected.items():
            if self.info.get(key) != value:
                self.notes.append(f'info.json {key} {self.info.get(key)} -> {value}')
        if total_tasks is not None and self.info.get('total_tasks') != total_tasks:
            self.notes.append(f'info.json total_tasks {self.info.get("total_tasks")} -> '
                              f'{total_tasks}')
        if _read_json(root / STATS_PATH) is None and self.episodes:
            self.stats_bad = True
            self.notes.append('stats.json unreadable; recomputed from the episodes')

    def _tasks_count(self) -> Optional[int]:
        import pandas as pd
        path = self.root / TASKS_PATH
        if not path.exists():
            if self.episodes:
                self.tasks_bad = True
            return None
        try:
            return len(pd.read_parquet(path))
        except Exception:  # noqa: B902 - a torn write
            self.tasks_bad = True
            self.notes.append('tasks.parquet unreadable')
            return None

    @property
    def needs_repair(self) -> bool:
        return bool(self.notes) or self.stats_bad or self.tasks_bad


def _episode_stats(row: dict) -> dict:
    from lerobot.datasets.utils import unflatten_dict
    flat = {k[len('stats/'):]: np.asarray(v) for k, v in row.items()
            if k.startswith('stats/') and v is not None}
    return unflatten_dict(flat)


class DatasetWriter:
    """
    Create or resume a LeRobot v3 dataset and write AR4 episodes to it durably.

    Use :meth:`open`; then ``add_frame`` for each frame (see ``features.build_frame``),
    ``save_episode`` or ``discard_episode`` per take, and ``close`` (or a ``with`` block).
    """

    def __init__(self, *args, **kwargs):
        raise TypeError('use DatasetWriter.open(root, ...)')

    @classmethod
    def open(cls, root: Union[str, Path], repo_id: Optional[str] = None, fps: int = FPS,
             robot_type: str = ROBOT_TYPE, use_videos: bool = True,
             features: Optional[Dict[str, dict]] = None, vcodec: str = 'libsvtav1',
             encoder_threads: Optional[int] = None, image_writer_threads: int = 4,
             log: Callable[[str], None] = _stderr,
             consolidate_on_close: bool = True) -> 'DatasetWriter':
        """
        Create the dataset at ``root`` or resume it, repairing what a crash left.

        A resume with a different fps, feature set or robot type raises DatasetMismatchError,
        naming each difference, before anything on disk is touched. ``close()`` consolidates
        the episodes into LeRobot's shared-file layout unless ``consolidate_on_close`` is False.
        """
        self = object.__new__(cls)
        self.root = Path(root)
        self.repo_id = repo_id or repo_id_for(self.root)
        self.fps = int(fps)
        self.robot_type = robot_type
        self.features = features if features is not None else dataset_features(use_videos)
        self.vcodec = vcodec
        self.encoder_threads = encoder_threads
        self.log = log
        self.repairs: List[str] = []
        self.foreign_reasons: List[str] = []
        self.consolidate_on_close = consolidate_on_close
        self.created = False
        self._lock = threading.Lock()
        self._staging_lock = threading.Lock()
        self._take: Optional[_Take] = None
        self._pending = 0
        self._saved_total = 0
        self._closed = False
        self._failure: Optional[BaseException] = None
        for note in consolidate.recover(self.root):
            self._note(note)
        self._dataset = self._open_dataset()
        self._saved_total = self._dataset.meta.total_episodes
        self._images = ThreadPoolExecutor(max_workers=max(1, image_writer_threads),
                                          thread_name_prefix='ar4-png')
        self._jobs: 'queue.Queue' = queue.Queue()
        self._worker = threading.Thread(target=self._work, name='ar4-dataset-save', daemon=True)
        self._worker.start()
        return self

    # ----------------------------------------------------------------- opening and repair
    def _create(self):
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        if self.root.is_dir():
            self.root.rmdir()
        self.root.parent.mkdir(parents=True, exist_ok=True)
        dataset = LeRobotDataset.create(
            self.repo_id, self.fps, self.features, root=self.root, robot_type=self.robot_type,
            use_videos=any(f['dtype'] == 'video' for f in self.features.values()),
            vcodec=self.vcodec, encoder_threads=self.encoder_threads)
        self.created = True
        self._backup_metadata()
        return dataset

    def _reopen(self):
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        return LeRobotDataset(self.repo_id, root=self.root, vcodec=self.vcodec,
                              encoder_threads=self.encoder_threads)

    def _open_dataset(self):
        root = self.root
        if root.exists() and not root.is_dir():
            raise DatasetError(f'{root} is a file, not a dataset folder; choose another root')
        if not root.exists() or not any(root.iterdir()):
            return self._create()
        info_path = root / INFO_PATH
        info = _read_json(info_path)
        restored_info = False
        if info is None:
            info = _read_json(root / (INFO_PATH + BACKUP_SUFFIX))
            if info is None:
                raise DatasetError(
                    f'{root} is not empty and holds no readable {INFO_PATH}: it is not a LeRobot '
                    'dataset. Choose another dataset name or root; nothing was changed.')
            restored_info = True
        if info.get('codebase_version') != 'v3.0':
            raise DatasetError(
                f'{root}: dataset format {info.get("codebase_version")!r} is not v3.0; convert it '
                'with lerobot or record into a new dataset. Nothing was changed.')
        differences = _feature_differences(info, self.features, self.fps, self.robot_type)
        if differences:
            raise DatasetMismatchError(
                f'cannot resume {root}: it was recorded with different settings:\n  - '
                + '\n  - '.join(differences)
                + '\nRecord into a new dataset name (or fix the settings). Nothing was changed.')
        inspection = _Inspection(root, info)
        if not inspection.episodes:
            self._remove_empty(inspection)
            return self._create()
        if inspection.needs_repair or restored_info:
            if restored_info:
                inspection.notes.insert(0, 'info.json unreadable; restored from its backup')
            self._repair(inspection)
        for path in inspection.delete:
            shutil.rmtree(path, ignore_errors=True)
        self._report_foreign(info)
        # A consolidated dataset carries no backups; the first save of this session may tear
        # info.json or tasks.parquet, so take them now.
        self._backup_metadata()
        return self._reopen()

    def _report_foreign(self, info: dict) -> None:
        """Say so when a dataset with matching features was written by another tool."""
        self.foreign_reasons = _foreign_traits(info, self.vcodec)
        if self.foreign_reasons:
            self.log(f'[dataset] resuming {self.root}, which this writer did not create ('
                     + '; '.join(self.foreign_reasons) + '). Its fps, robot type and features '
                     'match, so new episodes are appended in this writer\'s format.')

    def _aside_dir(self) -> Path:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')
        return self.root.parent / f'{self.root.name}.recovered' / stamp

    def _remove_empty(self, inspection: _Inspection) -> None:
        unknown = [p.name for p in self.root.iterdir()
                   if p.name not in LAYOUT_ENTRIES and not p.name.startswith('tmp')]
        if unknown:
            raise DatasetError(
                f'{self.root} holds no saved episode but also files lerobot does not write '
                f'({", ".join(sorted(unknown))}); move them away or choose another root. '
                'Nothing was changed.')
        leftovers = inspection.set_aside
        if leftovers:
            aside = self._aside_dir()
            for path in leftovers:
                target = aside / path.relative_to(self.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), str(target))
            self._note(f'set aside {len(leftovers)} files of unsaved episodes in {aside}')
        shutil.rmtree(self.root)
        self._note(f'{self.root} held no saved episode (an earlier session ended before its '
                   'first save); starting it afresh')

    def _note(self, message: str) -> None:
        self.repairs.append(message)
        self.log(f'[dataset repair] {message}')

    def _repair(self, inspection: _Inspection) -> None:
        from lerobot.datasets.compute_stats import aggregate_stats
        from lerobot.datasets.utils import write_stats
        import pandas as pd
        root = self.root
        for note in inspection.notes:
            self._note(note)
        if inspection.set_aside:
            aside = self._aside_dir()
            for path in inspection.set_aside:
                target = aside / path.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), str(target))
            self._note(f'set aside {len(inspection.set_aside)} unusable files in {aside}')
        for path in inspection.delete:
            shutil.rmtree(path, ignore_errors=True)
        if inspection.tasks_bad:
            backup = root / (TASKS_PATH + BACKUP_SUFFIX)
            if not backup.is_file():
                raise DatasetError(f'{root / TASKS_PATH} is unreadable and has no backup; '
                                   'the dataset cannot be resumed. Record into a new dataset.')
            _atomic_copy(backup, root / TASKS_PATH)
            self._note('tasks.parquet restored from its backup')
        info = dict(inspection.info)
        info['total_episodes'] = len(inspection.episodes)
        info['total_frames'] = int(sum(row['length'] for row in inspection.episodes))
        info['total_tasks'] = len(pd.read_parquet(root / TASKS_PATH))
        info['splits'] = {'train': f'0:{info["total_episodes"]}'}
        self._write_json(root / INFO_PATH, info)
        stats = aggregate_stats([_episode_stats(row) for row in inspection.episodes])
        write_stats(stats, root)
        self._backup_metadata()
        self._note(f'dataset consistent again: {info["total_episodes"]} episodes, '
                   f'{info["total_frames"]} frames')

    @staticmethod
    def _write_json(path: Path, data: dict) -> None:
        temporary = path.with_name(path.name + '.tmp')
        temporary.write_text(json.dumps(data, indent=4, ensure_ascii=False))
        os.replace(temporary, path)

    @staticmethod
    def _continue(dataset):
        """
        Ready a finalized dataset object for the next episode exactly as a reopen would.

        Of the episodes already on disk, lerobot 0.4.4's first ``save_episode`` after opening
        reads one thing: the last episode's row, ``meta.episodes[-1]`` (its data, video and
        episodes-metadata file indices and ``dataset_to_index``), to start new files after it.
        Those are the branches taken while ``latest_episode`` is None in
        ``LeRobotDataset._save_episode_data``, ``LeRobotDataset._save_episode_video`` and
        ``LeRobotDatasetMetadata._save_episode_metadata``. A reopen gets that row by loading
        every episode's metadata and data through the datasets library, which costs more with
        each episode saved: 4 s of CPU per episode at 60 episodes on 2 cores (ar4-generate's
        profile), quadratic over a session. The finalized object already holds the row
        (``meta.latest_episode``); info, tasks and stats are read back as a reopen reads them
        (the stats from JSON, so later aggregates round exactly as after a reopen), and with the
        two ``latest_episode`` fields cleared the next save takes the same branches with the
        row. ``test_writer_continuation`` checks the files equal those written with a reopen.
        """
        from lerobot.datasets.utils import load_info, load_stats, load_tasks

        row = {key: value[0] if isinstance(value, list) else value
               for key, value in dataset.meta.latest_episode.items()}
        root = dataset.meta.root
        dataset.meta.info, dataset.meta.tasks = load_info(root), load_tasks(root)
        dataset.meta.stats = load_stats(root)
        dataset.meta.episodes = [row]
        dataset.meta.latest_episode = None
        dataset.latest_episode = None
        return dataset

    def _backup_metadata(self) -> None:
        for relative in (INFO_PATH, TASKS_PATH):
            path = self.root / relative
            if path.is_file():
                _atomic_copy(path, self.root / (relative + BACKUP_SUFFIX))

    # ----------------------------------------------------------------- recording
    @property
    def num_episodes(self) -> int:
        """Return the number of episodes saved durably (pending saves not counted)."""
        return self._saved_total

    @property
    def pending_saves(self) -> int:
        """Return how many saved takes are still being written in the background."""
        return self._pending

    @property
    def frames_in_episode(self) -> int:
        """Return the number of frames in the take being recorded."""
        return self._take.frames if self._take else 0

    @property
    def next_episode_index(self) -> int:
        """Return the index the take being recorded (or the next one) will get."""
        return self._saved_total + self._pending

    def content_fingerprint(self) -> int:
        """
        Return a 63-bit digest of the saved frames' states and actions (0 when none is saved).

        It depends on the recorded values only, not on how they are split into files, so it is
        the same before and after consolidation. ``ar4-generate`` mixes it into its seeds.
        """
        import hashlib
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.wait_for_saves()
        if self._saved_total == 0:
            return 0
        # Vectors as LeRobot writes them (fixed-size lists); a file rewritten by stock
        # aggregate_datasets holds variable-size lists, which concat_tables refuses to mix.
        vector = pa.list_(pa.float32())
        tables = [pq.read_table(path, columns=['index', STATE_KEY, ACTION_KEY])
                  for path in sorted((self.root / 'data').glob('*/*.parquet'))]
        tables = [table.cast(pa.schema([table.schema.field('index'),
                                        pa.field(STATE_KEY, vector),
                                        pa.field(ACTION_KEY, vector)]))
                  for table in tables]
        table = pa.concat_tables(tables).sort_by('index')
        digest = hashlib.sha256()
        for key in (STATE_KEY, ACTION_KEY):
            values = np.asarray(table.column(key).combine_chunks().flatten(), dtype=np.float32)
            digest.update(values.tobytes())
        return int.from_bytes(digest.digest()[:8], 'little') >> 1 or 1

    def _check_open(self) -> None:
        if self._closed:
            raise DatasetError('the dataset writer is closed')

    def add_frame(self, frame: dict) -> None:
        """
        Stage one frame built by ``features.build_frame`` into the current take.

        The image is copied, so the caller may reuse its buffer. Timestamps are frame_index/fps.
        """
        self._check_open()
        missing = {IMAGE_KEY, STATE_KEY, ACTION_KEY, TASK_KEY} - set(frame)
        if missing or len(frame) != 4:
            raise ValueError(f'frame keys must be exactly {IMAGE_KEY}, {STATE_KEY}, {ACTION_KEY}, '
                             f'{TASK_KEY}; got {sorted(frame)} (use features.build_frame)')
        image = frame[IMAGE_KEY]
        want = tuple(self.features[IMAGE_KEY]['shape'])
        if getattr(image, 'shape', None) != want or image.dtype != np.uint8:
            raise ValueError(f'{IMAGE_KEY}: expected uint8 {want}, got '
                             f'{getattr(image, "dtype", "?")} {getattr(image, "shape", "?")}')
        for key in (STATE_KEY, ACTION_KEY):
            vector = frame[key]
            shape = tuple(self.features[key]['shape'])
            if getattr(vector, 'dtype', None) != np.float32 or vector.shape != shape:
                raise ValueError(f'{key}: expected float32 {shape} (use features.build_frame)')
        take = self._take
        if take is None:
            index = self.next_episode_index
            take = _Take(index, self._image_dir(index))
            if self.features[IMAGE_KEY]['dtype'] == 'video':
                take.videos[IMAGE_KEY] = EpisodeVideo(
                    self.root, f'{IMAGE_KEY}_{index:06d}', self.fps, self.vcodec,
                    self.encoder_threads)
            else:
                with self._staging_lock:
                    shutil.rmtree(take.image_dir, ignore_errors=True)
                    take.image_dir.mkdir(parents=True, exist_ok=True)
            self._take = take
        if take.videos:
            take.videos[IMAGE_KEY].add(np.array(image, copy=True))
        else:
            path = take.image_dir / f'frame-{take.frames:06d}.png'
            take.writes.append(self._images.submit(_write_png, np.array(image, copy=True), path))
            take.image_paths.append(str(path))
        take.states.append(np.array(frame[STATE_KEY], copy=True))
        take.actions.append(np.array(frame[ACTION_KEY], copy=True))
        take.tasks.append(frame[TASK_KEY])

    def _image_dir(self, episode_index: int) -> Path:
        return self.root / 'images' / IMAGE_KEY / f'episode-{episode_index:06d}'

    def discard_episode(self) -> int:
        """Drop the take being recorded, its staged images included; return its frame count."""
        self._check_open()
        take, self._take = self._take, None
        if take is None:
            return 0
        for write in take.writes:
            write.exception()
        take.cancel_videos()
        self._remove_staged(take)
        return take.frames

    def _remove_staged(self, take: _Take) -> None:
        with self._staging_lock:
            shutil.rmtree(take.image_dir, ignore_errors=True)
            staging = self.root / 'images'
            for folder in (take.image_dir.parent, staging):
                try:
                    folder.rmdir()
                except OSError:
                    pass  # not empty: another take is staged there

    def save_episode_async(self, outcome: Optional[bool] = None) -> 'Future[SavedEpisode]':
        """
        Hand the current take to the background saver and return at once.

        ``outcome`` (True success, False failure, None not marked) is stored with the episode.

        The future resolves to a SavedEpisode once the episode is durable on disk, or raises
        what went wrong. The next take may start immediately.
        """
        self._check_open()
        if self._failure is not None:
            raise DatasetError(f'an earlier save failed: {self._failure}')
        take, self._take = self._take, None
        if take is None or take.frames == 0:
            raise DatasetError('nothing to save: the episode has no frames')
        take.outcome = outcome
        future: 'Future[SavedEpisode]' = Future()
        with self._lock:
            self._pending += 1
        self._jobs.put((take, future))
        return future

    def save_episode(self, outcome: Optional[bool] = None) -> SavedEpisode:
        """Save the current take and wait until it is durable; return what was saved."""
        return self.save_episode_async(outcome).result()

    def wait_for_saves(self, timeout: Optional[float] = None) -> bool:
        """Wait until every pending save has finished; return False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._pending:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            take, future = job
            try:
                result = self._save(take)
            except BaseException as error:  # noqa: B902 - reported through the future
                shutil.rmtree(take.image_dir, ignore_errors=True)
                take.cancel_videos()
                self._recover_after_failure(error)
                with self._lock:
                    self._pending -= 1
                future.set_exception(error)
                continue
            with self._lock:
                self._saved_total = result.total_episodes
                self._pending -= 1
            future.set_result(result)

    def _recover_after_failure(self, error: BaseException) -> None:
        """Reopen from disk after a failed save so later takes can still be saved."""
        try:
            self._dataset.finalize()
        except Exception:  # noqa: B902 - the object is being discarded anyway
            pass
        try:
            self._dataset = self._open_dataset()
            self._saved_total = self._dataset.meta.total_episodes
        except BaseException as reopen_error:  # noqa: B902 - keep the first cause
            self._failure = reopen_error
        self.log(f'[dataset] saving an episode failed: {error}')

    def _save(self, take: _Take) -> SavedEpisode:
        started = time.monotonic()
        take.wait_for_images()
        videos = {key: video.finish() for key, video in take.videos.items()}
        dataset = self._dataset
        index = dataset.meta.total_episodes
        if index != take.episode_index and take.image_paths:
            # An earlier save failed: move the staged frames to the index lerobot expects.
            target = self._image_dir(index)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(take.image_dir, target)
            take.image_paths = [str(target / Path(p).name) for p in take.image_paths]
            take.image_dir, take.episode_index = target, index
        n = take.frames
        buffer = {
            'size': n,
            'task': list(take.tasks),
            IMAGE_KEY: list(take.image_paths),  # empty for a video, which is encoded already
            STATE_KEY: list(take.states),
            ACTION_KEY: list(take.actions),
            'timestamp': [i / self.fps for i in range(n)],
            'frame_index': list(range(n)),
            'episode_index': index,
            'index': [],
            'task_index': [],
        }
        with encoded_episode(dataset, videos):
            dataset.save_episode(episode_data=buffer)
        dataset.finalize()
        try:
            if take.outcome is not None:
                success_marks.mark(self.root, {index: take.outcome})
            # Stock loading casts every episodes file to one schema: once one episode is
            # marked, all files carry the columns. Without any mark nothing is written.
            success_marks.complete(self.root)
        except (OSError, ValueError, KeyError) as error:  # the episode itself is saved
            self.log(f'[dataset] episode {index} saved, but its mark was not: {error}')
        self._remove_staged(take)
        self._backup_metadata()
        total = dataset.meta.total_episodes
        self._dataset = self._continue(dataset)
        return SavedEpisode(index=index, frames=n, seconds=n / self.fps,
                            tasks=sorted(set(take.tasks)),
                            save_seconds=time.monotonic() - started, total_episodes=total)

    # ----------------------------------------------------------------- closing
    def close(self, discard_current: bool = True) -> None:
        """
        Finish pending saves, drop the take in progress and release the dataset.

        A dataset this writer created that ends with no saved episode is removed, so no empty
        dataset is left behind.
        """
        if self._closed:
            return
        if self._take is not None and discard_current:
            frames = self.discard_episode()
            if frames:
                self.log(f'[dataset] discarded the unsaved take ({frames} frames)')
        if self._pending:
            self.log(f'[dataset] finishing {self._pending} pending save(s)...')
        self._jobs.put(None)
        self._worker.join()
        self._images.shutdown(wait=True)
        self._closed = True
        try:
            self._dataset.finalize()
        except Exception:  # noqa: B902 - nothing unsaved can be in it
            pass
        if self._saved_total == 0 and self.created:
            shutil.rmtree(self.root, ignore_errors=True)
            self.log(f'[dataset] no episode saved; removed the empty dataset {self.root}')
            return
        if self._failure is not None:
            return  # the backups may be what the next open needs to repair the dataset
        if self._saved_total and self.consolidate_on_close:
            # Consolidation concatenates the episodes files: no row may lack the mark columns.
            success_marks.complete(self.root)
            self._consolidate()
        for relative in (INFO_PATH, TASKS_PATH):
            for suffix in (BACKUP_SUFFIX, BACKUP_SUFFIX + '.tmp', '.tmp'):
                try:
                    (self.root / (relative + suffix)).unlink()
                except FileNotFoundError:
                    pass

    def _consolidate(self) -> None:
        """Rewrite the dataset into LeRobot's shared-file layout; keep it as it is on failure."""
        try:
            if not consolidate.needs_consolidation(self.root):
                return
            consolidate.consolidate(self.root, self.repo_id, log=self.log)
        except (Exception, KeyboardInterrupt) as error:  # noqa: B902 - the dataset stays sound
            for note in consolidate.recover(self.root):
                self.log(f'[dataset] {note}')
            self.log(f'[dataset] consolidation stopped ({type(error).__name__}: {error}); the '
                     'dataset keeps one file per episode, complete and loadable, and is '
                     'consolidated at the end of the next session that saves into it')

    def push_to_hub(self, private: bool = True, **kwargs) -> None:
        """Upload the dataset to the Hugging Face Hub (only when asked; needs a token)."""
        self.wait_for_saves()
        if self._saved_total == 0:
            raise DatasetError('nothing to push: the dataset has no saved episode')
        # After close() the files on disk are the consolidated ones; the object in memory
        # describes the per-episode layout they replaced.
        dataset = self._reopen() if self._closed else self._dataset
        dataset.push_to_hub(private=private, **kwargs)

    def __enter__(self) -> 'DatasetWriter':
        """Return the writer itself."""
        return self

    def __exit__(self, *exc_info) -> None:
        """Close the writer, discarding the take in progress."""
        self.close()


def _write_png(image: np.ndarray, path: Path) -> None:
    from PIL import Image
    Image.fromarray(image).save(path, compress_level=PNG_COMPRESS_LEVEL)
