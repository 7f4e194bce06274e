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

"""Tests of consolidation at a clean end: stock layout, same frames, SIGKILL at every step."""

import os
from pathlib import Path
import shutil
import subprocess
import sys
import textwrap

from ar4_teleop.recording import consolidate, features
from ar4_teleop.recording.writer import DatasetWriter, repo_id_for
from lerobot.datasets.lerobot_dataset import LeRobotDataset
import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STOCK_NAMES = {'info.json', 'stats.json', 'tasks.parquet'}
LENGTHS = (4, 3, 5)


def _frame(value: float, shade: int, task: str = 'stack the cube'):
    image = np.full(features.IMAGE_SHAPE, shade, dtype=np.uint8)
    return features.build_frame(image, np.full(7, value), np.full(7, value + 0.5), task)


def _record(writer, lengths, first_value=0.0):
    for length in lengths:
        index = writer.next_episode_index
        for i in range(length):
            writer.add_frame(_frame(first_value + 100 * index + i, 30 * (index + 1),
                                    'stack the cube' if index % 2 == 0 else 'open the gripper'))
        writer.save_episode()


def _snapshot(root: Path):
    """Return every frame's episode, state, action, task and mean image value."""
    dataset = LeRobotDataset(repo_id_for(root), root=root)
    rows = []
    for i in range(len(dataset)):
        item = dataset[i]
        rows.append((int(item['episode_index']), int(item['frame_index']),
                     tuple(item[features.STATE_KEY].numpy().tolist()),
                     tuple(item[features.ACTION_KEY].numpy().tolist()), item['task'],
                     round(float(item[features.IMAGE_KEY].mean()), 2)))
    return rows


def _family_counts(root: Path):
    counts = consolidate.counts_by_family(root)
    return counts['data'], counts['videos'], counts['episodes']


def _assert_stock(root: Path):
    assert {p.name for p in (root / 'meta').iterdir() if p.is_file()} <= STOCK_NAMES
    assert not list(root.rglob('*.bak')) and not list(root.rglob('*.tmp'))
    assert not (root / 'images').exists()
    for suffix in ('.consolidating', '.unconsolidated', '.consolidate.json'):
        assert not (root.parent / (root.name + suffix)).exists()


@pytest.fixture(scope='module')
def per_episode(tmp_path_factory):
    """Return a dataset of three episodes left in the per-episode layout, and its frames."""
    root = tmp_path_factory.mktemp('layout') / 'local' / 'session'
    with DatasetWriter.open(root, consolidate_on_close=False) as writer:
        _record(writer, LENGTHS)
    assert _family_counts(root) == (3, 3, 3)
    return root, _snapshot(root)


def _copy(source: Path, tmp_path: Path) -> Path:
    root = tmp_path / 'local' / source.name
    shutil.copytree(source, root)
    return root


def test_clean_end_leaves_the_stock_layout_with_the_same_frames(per_episode, tmp_path):
    source, frames = per_episode
    root = _copy(source, tmp_path)
    messages = []
    DatasetWriter.open(root, log=messages.append).close()
    assert _family_counts(root) == (1, 1, 1)
    _assert_stock(root)
    assert any('consolidated 3 episodes' in m for m in messages), messages
    assert _snapshot(root) == frames
    assert not consolidate.needs_consolidation(root)
    # ar4-generate's seed fingerprint sees the values, not the layout.
    with DatasetWriter.open(source, consolidate_on_close=False, log=messages.append) as before:
        with DatasetWriter.open(root, consolidate_on_close=False) as after:
            assert before.content_fingerprint() == after.content_fingerprint() != 0

    # lerobot's own aggregate_datasets gives the same episode metadata.
    from lerobot.datasets.aggregate import aggregate_datasets
    reference = tmp_path / 'local' / 'reference'
    aggregate_datasets([repo_id_for(source)], repo_id_for(reference), roots=[source],
                       aggr_root=reference)
    ours = pd.read_parquet(root / 'meta/episodes/chunk-000/file-000.parquet')
    theirs = pd.read_parquet(reference / 'meta/episodes/chunk-000/file-000.parquet')
    # aggregate_datasets 0.4.4 keeps the source's meta/episodes/file_index (0, 1, 2) although
    # it writes one episodes file; ours say where the rows are (file 0).
    assert set(ours['meta/episodes/file_index']) == {0}
    columns = [c for c in theirs.columns if not c.startswith(('stats/', 'meta/episodes/'))]
    pd.testing.assert_frame_equal(ours[columns], theirs[columns], check_dtype=False)

    # A resume appends per-episode files again and the next clean end consolidates them.
    with DatasetWriter.open(root, log=messages.append) as writer:
        assert writer.repairs == [] and writer.foreign_reasons == []
        assert (root / 'meta/info.json.bak').is_file()
        _record(writer, (2,))
        assert _family_counts(root) == (2, 2, 2)
    assert _family_counts(root) == (1, 1, 1)
    _assert_stock(root)
    resumed = _snapshot(root)
    assert resumed[:len(frames)] == frames
    assert [row[0] for row in resumed[len(frames):]] == [3, 3]
    assert resumed[-1][2][0] == 301.0 and resumed[-1][5] == pytest.approx(120 / 255, abs=0.02)


def test_a_dataset_merged_by_stock_aggregate_resumes_and_consolidates(per_episode, tmp_path):
    # aggregate_datasets writes vectors as variable-size lists, LeRobot's writer as fixed-size
    # ones: resuming mixes both in one dataset, which the fingerprint and the merge must read.
    from lerobot.datasets.aggregate import aggregate_datasets
    source, frames = per_episode
    merged = tmp_path / 'local' / 'merged'
    aggregate_datasets([repo_id_for(source)], repo_id_for(merged), roots=[source],
                       aggr_root=merged)
    messages = []
    with DatasetWriter.open(merged, log=messages.append) as writer:
        assert writer.content_fingerprint() != 0
        _record(writer, (2,))
        assert writer.content_fingerprint() != 0
    assert not any('consolidation stopped' in m for m in messages), messages
    assert _family_counts(merged) == (1, 1, 1)
    _assert_stock(merged)
    assert _snapshot(merged)[:len(frames)] == frames


def test_opening_and_closing_a_consolidated_dataset_rewrites_nothing(per_episode, tmp_path):
    root = _copy(per_episode[0], tmp_path)
    DatasetWriter.open(root).close()
    data = root / 'data/chunk-000/file-000.parquet'
    written = data.stat().st_mtime_ns
    messages = []
    DatasetWriter.open(root, log=messages.append).close()
    assert data.stat().st_mtime_ns == written
    assert not any('consolidat' in m for m in messages), messages
    _assert_stock(root)


def test_a_session_that_saves_one_episode_leaves_no_backup(tmp_path):
    root = tmp_path / 'local' / 'single'
    with DatasetWriter.open(root) as writer:
        _record(writer, (2,))
        assert (root / 'meta/info.json.bak').is_file()
    _assert_stock(root)
    assert _family_counts(root) == (1, 1, 1)


KILL_SCRIPT = textwrap.dedent('''
    import sys
    for path in {paths!r}:
        sys.path.insert(0, path)
    from ar4_teleop.recording.writer import DatasetWriter
    DatasetWriter.open(sys.argv[1], log=lambda m: print(m, flush=True)).close()
''')

# Where the kill lands -> what the next open must say.
KILL_STEPS = {
    'building': 'removed an unfinished consolidation',
    'verified': 'removed an unfinished consolidation',
    'journaled': 'had not swapped anything yet',
    'old_moved': 'finished an interrupted consolidation',
    'swapped': 'finished an interrupted consolidation',
}


def _reopen_and_check(root: Path, frames, step: str) -> None:
    messages = []
    with DatasetWriter.open(root, log=messages.append) as writer:
        assert writer.num_episodes == len(LENGTHS)
        assert any(KILL_STEPS[step] in note for note in writer.repairs), writer.repairs
        assert messages[0].startswith('[dataset repair]')
    _assert_stock(root)
    assert _family_counts(root) == (1, 1, 1)
    assert _snapshot(root) == frames


# A real SIGKILL in a child process: mid-build (the cleanup handler must not get to run) and
# mid-swap (the dataset folder itself is missing).
@pytest.mark.parametrize('step', ['building', 'old_moved'])
def test_sigkill_during_consolidation_loses_nothing(per_episode, tmp_path, step):
    source, frames = per_episode
    root = _copy(source, tmp_path)
    script = KILL_SCRIPT.format(paths=[str(REPO_ROOT / 'ar4_teleop'),
                                       str(REPO_ROOT / 'ar4_description')])
    done = subprocess.run(
        [sys.executable, '-c', script, str(root)], capture_output=True, text=True,
        env=dict(os.environ, **{consolidate.KILL_AT_ENV: step}), timeout=300)
    assert done.returncode == -9, done.stdout + done.stderr
    _reopen_and_check(root, frames, step)


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing catches it, so no cleanup runs after it."""


# Past verification nothing in consolidate() cleans up, so stopping the process there leaves the
# disk exactly as a SIGKILL would; these steps run in-process to keep the suite fast.
@pytest.mark.parametrize('step', ['verified', 'journaled', 'swapped'])
def test_stop_after_verification_loses_nothing(per_episode, tmp_path, monkeypatch, step):
    source, frames = per_episode
    root = _copy(source, tmp_path)

    def stop_at(name):
        if name == step:
            raise _Killed(name)

    monkeypatch.setattr(consolidate, '_checkpoint', stop_at)
    writer = DatasetWriter.open(root, log=lambda message: None)
    with pytest.raises(_Killed):
        writer.close()
    monkeypatch.undo()
    _reopen_and_check(root, frames, step)


def test_resuming_a_dataset_another_tool_wrote_says_so(tmp_path):
    root = tmp_path / 'local' / 'foreign'
    dataset = LeRobotDataset.create(
        repo_id_for(root), features.FPS, features.dataset_features(), root=root,
        robot_type=features.ROBOT_TYPE, vcodec='h264')
    for i in range(3):
        frame = _frame(float(i), 200)
        dataset.add_frame(frame)
    dataset.save_episode()
    dataset.finalize()
    messages = []
    with DatasetWriter.open(root, log=messages.append) as writer:
        assert any('encoded as h264' in reason for reason in writer.foreign_reasons)
        assert any('did not create' in m and 'features match' in m for m in messages), messages
        _record(writer, (2,))
    # Different codecs are never concatenated into one MP4.
    assert _family_counts(root) == (1, 2, 1)
    _assert_stock(root)
    frames = _snapshot(root)
    assert [row[0] for row in frames] == [0, 0, 0, 1, 1]
    with DatasetWriter.open(root, log=messages.append) as writer:
        # Same number of episodes as no other dataset here, but a different content anyway.
        assert writer.content_fingerprint() not in (0, None)
    assert frames[0][5] == pytest.approx(200 / 255, abs=0.02)
    assert frames[3][5] == pytest.approx(60 / 255, abs=0.02)
