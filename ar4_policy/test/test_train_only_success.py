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

"""``ar4-train --only-success``: lerobot-train gets the successful episodes only."""

from ar4_policy import train
from ar4_policy.training.request import check_request, lerobot_args, TrainInputError
from ar4_teleop.recording import features
from ar4_teleop.recording.writer import DatasetWriter
import numpy as np
import pytest


def _dataset(root, marks):
    with DatasetWriter.open(root, consolidate_on_close=False) as writer:
        for mark in marks:
            for i in range(2):
                image = np.full(features.IMAGE_SHAPE, 50, dtype=np.uint8)
                writer.add_frame(features.build_frame(image, np.full(7, 0.001 * i),
                                                      np.full(7, 0.002), 'stack the cube'))
            writer.save_episode(outcome=mark)
    return root


def _request(argv):
    return train.request_from_args(train.build_parser().parse_args(argv), [])


def test_only_success_selects_the_successful_episodes(tmp_path):
    root = _dataset(tmp_path / 'local' / 'marked', (True, False, None, True))
    request = _request(['--dataset', str(root), '--out', str(tmp_path / 'run'),
                        '--policy', 'diffusion', '--device', 'cpu', '--only-success'])
    assert '--dataset.episodes=[0,3]' in lerobot_args(request, 8, 10)
    plain = _request(['--dataset', str(root), '--out', str(tmp_path / 'run'),
                      '--policy', 'diffusion', '--device', 'cpu'])
    assert not any(a.startswith('--dataset.episodes') for a in lerobot_args(plain, 8, 10))


def test_only_success_without_successes_is_refused_before_training(tmp_path):
    root = _dataset(tmp_path / 'local' / 'unmarked', (None, False))
    request = _request(['--dataset', str(root), '--out', str(tmp_path / 'run'),
                        '--policy', 'diffusion', '--device', 'cpu', '--only-success'])
    with pytest.raises(TrainInputError, match='no episode .* is marked a success'):
        check_request(request)
