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

"""ar4-generate writes a LeRobot v3 dataset with the recorder's features, and resumes it."""

import json

from ar4_mujoco.generate import episode_seed, main
from ar4_teleop.recording.features import ACTION_KEY, dataset_features, IMAGE_KEY, STATE_KEY
import numpy as np
import pytest

TASK = 'place the magenta cube on the middle shelf'


def test_generate_writes_a_loadable_dataset_and_resumes(tmp_path, capsys):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    out = tmp_path / 'local' / 'ar4_sim'
    assert main(['--task', TASK, '--episodes', '1', '--out', str(out), '--seed', '4',
                 '--quiet']) == 0
    assert 'saved episode 0' in capsys.readouterr().out
    # Resume: a second run adds an episode rather than starting over.
    assert main(['--task', TASK, '--episodes', '1', '--out', str(out), '--seed', '4',
                 '--quiet']) == 0
    captured = capsys.readouterr()
    assert 'saved episode 1' in captured.out
    assert 'now has 2 episodes' in captured.out

    dataset = LeRobotDataset('local/ar4_sim', root=out)
    assert dataset.meta.total_episodes == 2
    expected = dataset_features()
    for key in (IMAGE_KEY, STATE_KEY, ACTION_KEY):
        assert dataset.meta.features[key]['dtype'] == expected[key]['dtype']
        assert tuple(dataset.meta.features[key]['shape']) == tuple(expected[key]['shape'])
        assert dataset.meta.features[key]['names'] == expected[key]['names']
    assert dataset.meta.fps == 30
    info = json.loads((out / 'meta' / 'info.json').read_text())
    lengths = [int(dataset.meta.episodes[i]['length']) for i in range(2)]
    assert sum(lengths) == info['total_frames'] == dataset.num_frames
    assert all(90 <= length <= 360 for length in lengths)
    first, last = dataset[0], dataset[lengths[0] - 1]
    assert tuple(first[IMAGE_KEY].shape) == (3, 480, 640)
    assert first['task'] == TASK
    # The action is the absolute target: the expert opens the jaws first, closes on the cube.
    actions = np.stack([dataset[i][ACTION_KEY].numpy() for i in range(lengths[0])])
    assert actions[:, 6].max() == pytest.approx(0.014, abs=1e-6)
    assert actions[:, 6].min() == pytest.approx(0.0, abs=1e-6)
    assert last[STATE_KEY].shape == (7,)


def test_bad_task_exits_2_without_creating_anything(tmp_path, capsys):
    out = tmp_path / 'nothing'
    assert main(['--task', 'place the red cube on the top shelf', '--episodes', '1',
                 '--out', str(out), '--quiet']) == 2
    error = capsys.readouterr().err
    assert 'place the <teal|magenta|yellow> cube' in error
    assert 'Traceback' not in error
    assert not out.exists()


def test_bad_episode_count_exits_2(tmp_path, capsys):
    assert main(['--task', TASK, '--episodes', '0', '--out', str(tmp_path / 'x')]) == 2
    assert '--episodes' in capsys.readouterr().err


def test_episode_seeds_differ_between_runs_and_attempts():
    seeds = {episode_seed(0, existing, attempt) for existing in range(3) for attempt in range(3)}
    assert len(seeds) == 9
    assert episode_seed(5, 1, 2) == episode_seed(5, 1, 2)


def test_resumed_datasets_of_the_same_size_get_different_seeds():
    # Two datasets of 10 episodes resumed with --seed 5: their frames' fingerprints differ, so
    # do their scenes. A new dataset (fingerprint 0) keeps the seeds it always had.
    first = [episode_seed(5, 10, attempt, content=1234) for attempt in range(20)]
    second = [episode_seed(5, 10, attempt, content=98765) for attempt in range(20)]
    assert not set(first) & set(second)
    assert first == [episode_seed(5, 10, attempt, content=1234) for attempt in range(20)]
    assert episode_seed(5, 0, 3, content=0) == episode_seed(5, 0, 3)
