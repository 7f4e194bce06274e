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

"""Success / failure marks: stored per episode, kept by stock load, consolidation, edit, merge."""

from pathlib import Path

from ar4_teleop.recording import check_dataset, features, outcome
from ar4_teleop.recording.writer import DatasetWriter, repo_id_for
from lerobot.datasets.aggregate import aggregate_datasets
from lerobot.datasets.dataset_tools import delete_episodes
from lerobot.datasets.lerobot_dataset import LeRobotDataset
import numpy as np
import pytest

# Episode 0 success, 1 unmarked, 2 failure, 3 success.
MARKS = (True, None, False, True)


def _record(writer, marks, length=3):
    for mark in marks:
        index = writer.next_episode_index
        for i in range(length):
            image = np.full(features.IMAGE_SHAPE, 20 * (index + 1), dtype=np.uint8)
            writer.add_frame(features.build_frame(image, np.full(7, 0.004 * i), np.full(7, 0.005),
                                                  'stack the cube'))
        writer.save_episode(outcome=mark)


@pytest.fixture(scope='module')
def marked(tmp_path_factory):
    """Return a consolidated dataset whose episodes carry MARKS (recorded in two sessions)."""
    root = tmp_path_factory.mktemp('marks') / 'local' / 'marked'
    with DatasetWriter.open(root) as writer:
        _record(writer, MARKS[:2])
    with DatasetWriter.open(root) as writer:  # resumes the consolidated dataset
        _record(writer, MARKS[2:])
    return root


def test_marks_survive_the_writer_and_its_consolidation(marked):
    assert outcome.read(marked) == dict(enumerate(MARKS))
    assert len(list((marked / 'meta' / 'episodes').glob('*/*.parquet'))) == 1
    assert outcome.successful_episodes(marked) == [0, 3]


def test_stock_lerobot_loads_a_marked_dataset_unchanged(marked):
    dataset = LeRobotDataset(repo_id_for(marked), root=marked)
    assert dataset.meta.total_episodes == len(MARKS)
    assert not any(name.startswith('stats/') for name in dataset.meta.episodes.column_names)
    assert outcome.FEATURE not in dataset.meta.stats
    assert len(dataset) == 3 * len(MARKS)
    assert int(dataset[len(dataset) - 1]['episode_index']) == len(MARKS) - 1
    subset = LeRobotDataset(repo_id_for(marked), root=marked,
                            episodes=outcome.successful_episodes(marked))
    assert sorted({int(i) for i in subset.hf_dataset['episode_index']}) == [0, 3]


def test_marks_survive_delete_episodes_and_aggregate(marked, tmp_path):
    source = LeRobotDataset(repo_id_for(marked), root=marked)
    edited_root = tmp_path / 'local' / 'edited'
    edited = delete_episodes(source, episode_indices=[1], output_dir=edited_root,
                             repo_id='local/edited')
    assert edited.meta.total_episodes == 3
    assert outcome.read(edited_root) == {0: True, 1: False, 2: True}
    assert outcome.FEATURE not in edited.meta.stats

    merged_root = tmp_path / 'local' / 'merged'
    aggregate_datasets(['local/marked', 'local/edited'], 'local/merged',
                       roots=[marked, edited_root], aggr_root=merged_root)
    assert outcome.read(merged_root) == dict(enumerate(MARKS + (True, False, True)))
    merged = LeRobotDataset('local/merged', root=merged_root)
    assert merged.meta.total_episodes == 7


def test_check_dataset_shows_the_marks(marked, capsys):
    assert check_dataset.check(marked) == []
    report = capsys.readouterr().out
    assert 'outcome' in report
    assert '2 success, 1 failure, 1 unmarked' in report
    lines = [line.split() for line in report.splitlines() if line.strip()[:1].isdigit()]
    assert [line[0] for line in lines] == ['0', '1', '2', '3']
    assert [line[8] for line in lines] == ['success', 'unmarked', 'failure', 'success']


def test_marking_an_absent_episode_is_refused(marked, tmp_path):
    with pytest.raises(KeyError):
        outcome.mark(marked, {99: True})


def test_labels():
    assert [outcome.label(v) for v in (True, False, None)] == ['success', 'failure', 'unmarked']
    assert isinstance(outcome.COLUMNS, tuple) and Path(outcome.EPISODES_GLOB).parts[0] == 'meta'
