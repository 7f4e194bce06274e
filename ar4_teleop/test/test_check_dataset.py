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

"""Tests of ar4-check-dataset on a sound dataset and on damaged copies."""

import json
import shutil

from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import check_dataset, features
from ar4_teleop.recording.writer import DatasetWriter
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('check') / 'local' / 'sound'
    with DatasetWriter.open(root) as writer:
        for episode, length in enumerate((4, 3)):
            for i in range(length):
                state = np.append(np.full(6, 0.01 * i), 0.002 * i)
                writer.add_frame(features.build_frame(
                    np.zeros(features.IMAGE_SHAPE, np.uint8), state, np.zeros(7), 'stack'))
            writer.save_episode()
    return root


def _run(root, capsys):
    with pytest.raises(SystemExit) as done:
        check_dataset.main([str(root)])
    captured = capsys.readouterr()
    return done.value.code, captured.out + captured.err


def test_sound_dataset_passes(dataset, capsys):
    code, text = _run(dataset, capsys)
    assert code == 0, text
    assert '2 episodes, 7 frames' in text and 'OK' in text and 'joint_1 0.30 rad/s' in text


def test_damage_is_found(dataset, tmp_path, capsys):
    broken = tmp_path / 'broken'
    shutil.copytree(dataset, broken)
    (broken / 'data/chunk-000/file-001.parquet').write_bytes(b'PAR1 torn')
    info = json.loads((broken / 'meta/info.json').read_text())
    info['total_episodes'] = 3
    (broken / 'meta/info.json').write_text(json.dumps(info))
    code, text = _run(broken, capsys)
    assert code == 1
    assert 'file-001.parquet unreadable' in text and 'total_episodes is 3' in text
    (tmp_path / 'empty').mkdir()
    assert _run(tmp_path / 'empty', capsys)[0] == 2


def _edit_frames(root, edit):
    """Rewrite the dataset's only data file after ``edit(states, actions)`` changed arrays."""
    path = root / 'data/chunk-000/file-000.parquet'
    table = pq.read_table(path)
    frame = table.to_pandas()
    states = np.stack(frame[features.STATE_KEY].to_numpy()).astype(np.float32)
    actions = np.stack(frame[features.ACTION_KEY].to_numpy()).astype(np.float32)
    edit(states, actions)
    frame[features.STATE_KEY] = list(states)
    frame[features.ACTION_KEY] = list(actions)
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)


def test_physically_impossible_values_are_defects(dataset, tmp_path, capsys):
    assert len(list(dataset.glob('data/*/*.parquet'))) == 1  # consolidated at close
    limit = robot_constants().velocity7[2]

    def impossible(states, actions):
        states[1, 2] = states[0, 2] + 2.0 * limit / features.FPS  # joint_3 twice its limit
        states[2, 6] = 0.05  # the gripper opens 14 mm at most
        actions[5, 0] = np.nan

    broken = tmp_path / 'impossible'
    shutil.copytree(dataset, broken)
    _edit_frames(broken, impossible)
    code, text = _run(broken, capsys)
    assert code == 1, text
    assert 'episode 0: joint_3 moves at' in text and '2.0' in text
    assert 'episode 0: gripper state 0.0000..0.0500 m is outside its range' in text
    assert 'episode 1: 1 frame(s) with non-finite action values' in text
    assert text.count('DEFECT') == 2

    # Within the tolerances nothing is flagged: a 5 % overshoot, a gripper 0.5 mm past open.
    def plausible(states, actions):
        states[1, 2] = states[0, 2] + 1.05 * limit / features.FPS
        states[2, 6] = robot_constants().gripper.upper + 0.0005

    fine = tmp_path / 'plausible'
    shutil.copytree(dataset, fine)
    _edit_frames(fine, plausible)
    code, text = _run(fine, capsys)
    assert code == 0, text
