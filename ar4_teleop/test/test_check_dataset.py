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

from ar4_teleop.recording import check_dataset, features
from ar4_teleop.recording.writer import DatasetWriter
import numpy as np
import pytest


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('check') / 'local' / 'sound'
    with DatasetWriter.open(root) as writer:
        for episode, length in enumerate((4, 3)):
            for i in range(length):
                writer.add_frame(features.build_frame(
                    np.zeros(features.IMAGE_SHAPE, np.uint8), np.full(7, 0.01 * i),
                    np.zeros(7), 'stack'))
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
