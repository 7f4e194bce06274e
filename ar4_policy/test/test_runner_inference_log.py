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

"""Tests of the per-run inference CSV and console lines."""

from ar4_policy.inference_log import InferenceLog, read_log
from ar4_teleop.recording.features import state_names
import numpy as np


def test_one_row_and_one_console_line_per_inference(tmp_path):
    lines = []
    chunk = np.arange(14, dtype=float).reshape(2, 7) / 10
    with InferenceLog(state_names(), root=tmp_path, run='run 1', console=lines.append) as log:
        log.log(0, 0.0, 0.0123, 'place the red cube on the top shelf', np.zeros(7), chunk)
        log.log(3, 0.1, 0.020, 'place the red cube on the top shelf', np.ones(7), np.empty(0),
                error=RuntimeError('boom'))
    assert log.path == tmp_path / 'run_1' / 'inference.csv'
    rows = read_log(log.path)
    assert [row['step'] for row in rows] == ['0', '3']
    assert rows[0]['latency_ms'] == 12.3
    assert rows[0]['task'] == 'place the red cube on the top shelf'
    np.testing.assert_allclose(rows[0]['actions'], chunk)
    assert rows[1][f'state.{state_names()[0]}'] == '1'
    assert lines[0].startswith('inference 0: 12.3 ms')
    assert 'FAILED' in lines[1] and 'boom' in lines[1]


def test_an_existing_run_is_never_overwritten(tmp_path):
    first = InferenceLog(state_names(), root=tmp_path, run='same', console=None)
    first.log(0, 0.0, 0.01, 'task', np.zeros(7), np.zeros((1, 7)))
    first.close()
    second = InferenceLog(state_names(), root=tmp_path, run='same', console=None)
    second.close()
    assert second.path != first.path
    assert len(read_log(first.path)) == 1
