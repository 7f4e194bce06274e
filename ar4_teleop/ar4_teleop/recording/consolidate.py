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
Consolidate a dataset written episode by episode into LeRobot's usual file layout, crash-safely.

During a session the writer gives every episode its own data parquet, MP4 and episodes parquet
(that is what makes a SIGKILL lose at most the episode being saved). At a clean end this module
rewrites the dataset so that episodes share files up to the dataset's own size limits
(``data_files_size_in_mb``, ``video_files_size_in_mb``, ``chunks_size`` in info.json), the layout
``LeRobotDataset`` itself and ``aggregate_datasets`` produce.

Why not ``aggregate_datasets`` itself: it appends one source file at a time to the growing
destination file, re-reading and rewriting it each time (``concatenate_video_files([dst, src],
dst)``, ``pd.concat([existing, df])``). With one file per episode that is quadratic: 1,000
one-episode MP4s into 200 MB files remux about 100 GB. This module follows the same rules (same
rotation rule ``dst + src >= limit``, video offsets from ``get_video_duration_in_s``, the same
episode-metadata columns) but plans every destination file first and writes each once, with
lerobot's own ``concatenate_video_files`` and ``update_chunk_file_indices``. A test checks that
it gives the same episode metadata as ``aggregate_datasets``. Videos are only concatenated when
codec, size and pixel format agree (a resumed foreign dataset may hold another codec).

Crash safety: nothing in the dataset folder changes until the very end.
1. The new layout is built in a sibling folder ``<name>.consolidating`` and verified: it loads
   with ``LeRobotDataset``, holds the same episodes with the same lengths and frame ranges, its
   non-video columns equal the old ones row for row, and each MP4 lasts as long as its parts.
2. Its files are fsynced, then a journal ``<name>.consolidate.json`` is written (atomically).
3. ``<name>`` is renamed to ``<name>.unconsolidated``, ``<name>.consolidating`` to ``<name>``,
   the old folder is deleted, the journal removed.
A SIGKILL before step 2 leaves the old dataset untouched and a stale build folder; after it, the
journal says which renames are done. :func:`recover`, run by ``DatasetWriter.open`` before
anything else, removes a stale build, finishes a swap whose journal exists (the build was
verified before the journal was written) and reports what it did. Either way every saved episode
is in ``<name>``: the old layout or the verified new one.
"""

import json
import os
from pathlib import Path
import shutil
import signal
import time
from typing import Callable, Dict, List, Optional, Tuple

BUILD_SUFFIX = '.consolidating'
OLD_SUFFIX = '.unconsolidated'
JOURNAL_SUFFIX = '.consolidate.json'
# Files lerobot writes in a dataset; anything else in meta/ (the writer's .bak copies, .tmp
# files) stays out of the consolidated dataset.
STOCK_META_FILES = ('info.json', 'stats.json', 'tasks.parquet', 'subtasks.parquet')
#: Files the writer keeps in meta/ during a session and removes at its clean end.
WRITER_TRANSIENT_SUFFIXES = ('.bak', '.tmp')
# Tests set this to the name of a step to SIGKILL the process right there.
KILL_AT_ENV = 'AR4_CONSOLIDATE_KILL_AT'
MEGABYTE = 1024 * 1024
DURATION_TOLERANCE_S = 1e-3


class ConsolidationError(RuntimeError):
    """The consolidated copy did not verify; the dataset was left as it was."""


def _checkpoint(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _sibling(root: Path, suffix: str) -> Path:
    return root.parent / (root.name + suffix)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob('*'), reverse=True) + [root]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def recover(root: Path) -> List[str]:
    """
    Finish or undo a consolidation a crash interrupted; return what was done, one line each.

    Call before the dataset is opened: the dataset folder itself may be missing mid-swap.
    """
    root = Path(root)
    build, old, journal = (_sibling(root, s) for s in (BUILD_SUFFIX, OLD_SUFFIX, JOURNAL_SUFFIX))
    notes = []
    if journal.exists():
        if not root.exists() and build.exists():
            os.replace(build, root)
            notes.append('finished an interrupted consolidation (the verified consolidated copy '
                         'is now the dataset)')
        elif not root.exists() and old.exists():
            os.replace(old, root)
            notes.append('rolled back an interrupted consolidation (per-episode layout kept)')
        elif build.exists():
            shutil.rmtree(build)
            notes.append('an interrupted consolidation had not swapped anything yet; removed '
                         'its copy, the per-episode layout is kept')
        if old.exists() and root.exists():
            shutil.rmtree(old)
            if not notes:
                notes.append('finished an interrupted consolidation (removed the old layout)')
        _fsync_dir(root.parent)
        journal.unlink()
    elif build.exists():
        shutil.rmtree(build)
        notes.append(f'removed an unfinished consolidation copy {build.name}; the per-episode '
                     'layout is kept and consolidated at the next clean end')
    return notes


def _forget_decoders() -> None:
    """Drop lerobot's process-wide decoders: they are keyed by path and the MP4s were replaced."""
    from lerobot.datasets import video_utils
    cache = getattr(video_utils, '_default_decoder_cache', None)
    if cache is not None:
        cache.clear()


def _video_signature(path: Path) -> Tuple:
    import av
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context
        return (codec.name, codec.width, codec.height, str(codec.pix_fmt), stream.average_rate)


def _plan(sources: List[Tuple[object, float, object]], limit_mb: float,
          chunks_size: int) -> Dict[object, Tuple[int, int]]:
    """
    Assign each source, in order, the destination (chunk, file) it goes into.

    Same rule as lerobot's aggregation: start a new file when the current one plus the next
    source would reach the limit, or when the source cannot be appended (different signature).
    """
    from lerobot.datasets.utils import update_chunk_file_indices
    assignment = {}
    chunk, file, size, signature = 0, 0, None, None
    for key, source_mb, source_signature in sources:
        if size is not None and (size + source_mb >= limit_mb or source_signature != signature):
            chunk, file = update_chunk_file_indices(chunk, file, chunks_size)
            size = None
        size = source_mb if size is None else size + source_mb
        signature = source_signature
        assignment[key] = (chunk, file)
    return assignment


def _groups(assignment: Dict[object, Tuple[int, int]]) -> Dict[Tuple[int, int], List[object]]:
    groups: Dict[Tuple[int, int], List[object]] = {}
    for key, target in assignment.items():
        groups.setdefault(target, []).append(key)
    return groups


class _Layout:
    """The files a dataset's episodes use, read from its metadata."""

    def __init__(self, root: Path):
        import pandas as pd
        import pyarrow.parquet as pq
        self.root = root
        self.info = json.loads((root / 'meta' / 'info.json').read_text())
        self.video_keys = [k for k, v in self.info['features'].items()
                           if v.get('dtype') == 'video']
        files = sorted((root / 'meta' / 'episodes').glob('*/*.parquet'))
        self.episode_files = files
        self.episodes = pd.concat([pq.read_table(p).to_pandas() for p in files],
                                  ignore_index=True).sort_values('episode_index',
                                                                 ignore_index=True)

    def data_path(self, chunk: int, file: int) -> Path:
        return self.root / self.info['data_path'].format(chunk_index=chunk, file_index=file)

    def read_data(self, parts):
        """
        Return the data of ``parts`` (chunk, file) as one table in LeRobot's own schema.

        LeRobot writes vectors as fixed-size lists; stock ``aggregate_datasets`` rewrites data
        through pandas as variable-size lists. A dataset merged by it and then resumed mixes
        both, which concat_tables refuses: every file is cast to the schema of the features.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq
        from lerobot.datasets.utils import get_hf_features_from_features
        # Shapes as LeRobot's load_info gives them (tuples: a (1,) feature is a scalar).
        features = {key: {**feature, 'shape': tuple(feature['shape'])}
                    for key, feature in self.info['features'].items()}
        schema = get_hf_features_from_features(features).arrow_schema
        tables = []
        for part in parts:
            table = pq.read_table(self.data_path(*part))
            tables.append(table.select(schema.names).cast(schema))
        return pa.concat_tables(tables)

    def video_path(self, key: str, chunk: int, file: int) -> Path:
        return self.root / self.info['video_path'].format(video_key=key, chunk_index=chunk,
                                                          file_index=file)

    def data_sources(self) -> List[Tuple[int, int]]:
        pairs = zip(self.episodes['data/chunk_index'], self.episodes['data/file_index'])
        return list(dict.fromkeys((int(c), int(f)) for c, f in pairs))

    def video_sources(self, key: str) -> List[Tuple[int, int]]:
        pairs = zip(self.episodes[f'videos/{key}/chunk_index'],
                    self.episodes[f'videos/{key}/file_index'])
        return list(dict.fromkeys((int(c), int(f)) for c, f in pairs))


def _size_mb(path: Path) -> float:
    return path.stat().st_size / MEGABYTE


def needs_consolidation(root: Path) -> bool:
    """Return whether consolidating would change the dataset's files (or its meta folder)."""
    root = Path(root)
    layout = _Layout(root)
    info = layout.info
    # The writer's own backups (.bak, .tmp) go at its clean end whatever happens here: alone they
    # are no reason to rewrite the dataset (every open takes them).
    extra_meta = [p for p in (root / 'meta').iterdir()
                  if p.is_file() and p.name not in STOCK_META_FILES
                  and not p.name.endswith(WRITER_TRANSIENT_SUFFIXES)]
    if extra_meta or len(layout.episode_files) > 1:
        return True
    data = layout.data_sources()
    plan = _plan([(s, _size_mb(layout.data_path(*s)), None) for s in data],
                 info['data_files_size_in_mb'], info['chunks_size'])
    if len(set(plan.values())) != len(data) or \
            len(list((root / 'data').glob('*/*.parquet'))) != len(data):
        return True
    for key in layout.video_keys:
        videos = layout.video_sources(key)
        plan = _plan([(s, _size_mb(layout.video_path(key, *s)), None) for s in videos],
                     info['video_files_size_in_mb'], info['chunks_size'])
        if len(set(plan.values())) != len(videos):
            return True
    return False


def consolidate(root: Path, repo_id: str, log: Callable[[str], None] = print) -> Dict[str, int]:
    """
    Rewrite the dataset at ``root`` into LeRobot's shared-file layout; return file counts.

    Raises ConsolidationError (dataset untouched) when the rewritten copy does not verify.
    """
    root = Path(root)
    started = time.monotonic()
    build, old, journal = (_sibling(root, s) for s in (BUILD_SUFFIX, OLD_SUFFIX, JOURNAL_SUFFIX))
    if build.exists():
        shutil.rmtree(build)
    layout = _Layout(root)
    before = sum(1 for p in root.rglob('*') if p.is_file())
    log(f'[dataset] consolidating {len(layout.episodes)} episodes ({before} files) into '
        f'LeRobot\'s shared-file layout in {build.name} ...')
    try:
        episodes, data_groups = _build(layout, build, log)
        _checkpoint('built')
        _verify(layout, build, repo_id, episodes, data_groups)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _fsync_tree(build)
    _checkpoint('verified')
    temporary = journal.with_name(journal.name + '.tmp')
    temporary.write_text(json.dumps({'dataset': root.name, 'build': build.name,
                                     'old': old.name}))
    with open(temporary, 'rb+') as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, journal)
    _fsync_dir(root.parent)
    _checkpoint('journaled')
    os.replace(root, old)
    _checkpoint('old_moved')
    os.replace(build, root)
    _fsync_dir(root.parent)
    _checkpoint('swapped')
    shutil.rmtree(old)
    journal.unlink()
    _forget_decoders()
    after = sum(1 for p in root.rglob('*') if p.is_file())
    log(f'[dataset] consolidated {len(layout.episodes)} episodes: {before} files -> {after} '
        f'in {time.monotonic() - started:.1f} s')
    return {'files_before': before, 'files_after': after}


def _build(layout: _Layout, build: Path, log: Callable[[str], None]):
    """Write the consolidated copy into ``build``; return its episodes and data files' parts."""
    import pyarrow.parquet as pq
    from lerobot.datasets.utils import DEFAULT_EPISODES_PATH
    from lerobot.datasets.video_utils import concatenate_video_files, get_video_duration_in_s
    info = layout.info
    chunks_size = info['chunks_size']
    episodes = layout.episodes.copy()
    (build / 'meta').mkdir(parents=True)
    for name in STOCK_META_FILES:
        if (layout.root / 'meta' / name).is_file():
            shutil.copyfile(layout.root / 'meta' / name, build / 'meta' / name)
    for extra in ('README.md', '.gitattributes'):
        if (layout.root / extra).is_file():
            shutil.copyfile(layout.root / extra, build / extra)

    sources = layout.data_sources()
    plan = _plan([(s, _size_mb(layout.data_path(*s)), None) for s in sources],
                 info['data_files_size_in_mb'], chunks_size)
    data_groups = _groups(plan)
    for (chunk, file), parts in data_groups.items():
        target = build / info['data_path'].format(chunk_index=chunk, file_index=file)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(layout.read_data(parts), target)
    mapped = [plan[(int(c), int(f))] for c, f in
              zip(episodes['data/chunk_index'], episodes['data/file_index'])]
    episodes['data/chunk_index'] = [c for c, _ in mapped]
    episodes['data/file_index'] = [f for _, f in mapped]
    log(f'[dataset]   data: {len(sources)} files -> {len(set(plan.values()))}')
    _checkpoint('building')

    for key in layout.video_keys:
        sources = layout.video_sources(key)
        described = []
        durations = {}
        for index, source in enumerate(sources):
            path = layout.video_path(key, *source)
            durations[source] = get_video_duration_in_s(path)
            described.append((source, _size_mb(path), _video_signature(path)))
            if len(sources) > 200 and (index + 1) % 200 == 0:
                log(f'[dataset]   {key}: probed {index + 1}/{len(sources)} videos')
        plan = _plan(described, info['video_files_size_in_mb'], chunks_size)
        offsets = {}
        groups = _groups(plan)
        for number, ((chunk, file), parts) in enumerate(groups.items()):
            target = build / info['video_path'].format(video_key=key, chunk_index=chunk,
                                                       file_index=file)
            target.parent.mkdir(parents=True, exist_ok=True)
            offset = 0.0
            for part in parts:
                offsets[part] = offset
                offset += durations[part]
            paths = [layout.video_path(key, *p) for p in parts]
            if len(paths) == 1:
                shutil.copyfile(paths[0], target)
            else:
                concatenate_video_files(paths, target)
            if len(groups) > 1:
                log(f'[dataset]   {key}: wrote file {number + 1}/{len(groups)} '
                    f'({len(parts)} parts)')
        source_of = [(int(c), int(f)) for c, f in zip(episodes[f'videos/{key}/chunk_index'],
                                                      episodes[f'videos/{key}/file_index'])]
        episodes[f'videos/{key}/chunk_index'] = [plan[s][0] for s in source_of]
        episodes[f'videos/{key}/file_index'] = [plan[s][1] for s in source_of]
        shift = [offsets[s] for s in source_of]
        episodes[f'videos/{key}/from_timestamp'] = episodes[f'videos/{key}/from_timestamp'] + shift
        episodes[f'videos/{key}/to_timestamp'] = episodes[f'videos/{key}/to_timestamp'] + shift
        log(f'[dataset]   {key}: {len(sources)} videos -> {len(groups)}')

    # lerobot rotates episode metadata at the data-file limit; rows are a few kB each, so one
    # file holds every episode of any realistic dataset.
    episodes['meta/episodes/chunk_index'] = 0
    episodes['meta/episodes/file_index'] = 0
    target = build / DEFAULT_EPISODES_PATH.format(chunk_index=0, file_index=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    episodes.to_parquet(target)
    return episodes, data_groups


def _verify(layout: _Layout, build: Path, repo_id: str, episodes, data_groups) -> None:
    """Raise ConsolidationError unless ``build`` holds exactly the episodes of ``layout``."""
    import pyarrow.parquet as pq
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.datasets.video_utils import get_video_duration_in_s
    try:
        dataset = LeRobotDataset(repo_id, root=build)
    except Exception as error:  # noqa: B902 - any failure to load is a failed verification
        raise ConsolidationError(f'the consolidated copy does not load: {error}') from error
    info = layout.info
    if (dataset.meta.total_episodes, dataset.meta.total_frames) != \
            (info['total_episodes'], info['total_frames']) or \
            dataset.num_frames != info['total_frames']:
        raise ConsolidationError(
            f'the consolidated copy holds {dataset.meta.total_episodes} episodes, '
            f'{dataset.num_frames} frames; the dataset {info["total_episodes"]}, '
            f'{info["total_frames"]}')
    loaded = dataset.meta.episodes
    for column in ('episode_index', 'length', 'dataset_from_index', 'dataset_to_index'):
        if [int(v) for v in loaded[column]] != [int(v) for v in layout.episodes[column]]:
            raise ConsolidationError(f'episode {column} differ after consolidation')

    # One destination file at a time, so memory stays at two files' worth (image datasets).
    for (chunk, file), parts in data_groups.items():
        new_data = pq.read_table(build / info['data_path'].format(chunk_index=chunk,
                                                                  file_index=file))
        old_data = layout.read_data(parts)
        if not old_data.equals(new_data):
            raise ConsolidationError(f'data file {chunk}/{file} differs from its parts')
    if sum(1 for _ in (build / 'data').glob('*/*.parquet')) != len(data_groups):
        raise ConsolidationError('the consolidated copy holds unexpected data files')
    fps = info['fps']
    for key in layout.video_keys:
        ends = {}
        for _, row in episodes.iterrows():
            path = build / info['video_path'].format(
                video_key=key, chunk_index=int(row[f'videos/{key}/chunk_index']),
                file_index=int(row[f'videos/{key}/file_index']))
            ends[path] = max(ends.get(path, 0.0), float(row[f'videos/{key}/to_timestamp']))
        for path, end in ends.items():
            duration = get_video_duration_in_s(path)
            if duration + 1.0 / fps < end - DURATION_TOLERANCE_S:
                raise ConsolidationError(f'{path.name} lasts {duration:.3f} s, its episodes '
                                         f'need {end:.3f} s')


def file_count(root: Path) -> int:
    """Return the number of files in a dataset folder."""
    return sum(1 for p in Path(root).rglob('*') if p.is_file())


def counts_by_family(root: Path) -> Dict[str, int]:
    """Return how many data, video and episode-metadata files a dataset has."""
    root = Path(root)
    return {'data': len(list((root / 'data').glob('*/*.parquet'))),
            'videos': len(list((root / 'videos').glob('*/*/*.mp4'))),
            'episodes': len(list((root / 'meta' / 'episodes').glob('*/*.parquet'))),
            'total': file_count(root)}


def journal_path(root: Path) -> Optional[Path]:
    """Return the consolidation journal of ``root`` when one exists."""
    path = _sibling(Path(root), JOURNAL_SUFFIX)
    return path if path.exists() else None
