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

"""The Rerun live view: a real recording stream saved to a file and read back."""

from ar4_teleop.recording import features
from ar4_teleop.recording.live_view import LiveView
import numpy as np
import pytest
import rerun.dataframe as rd


def _frame(value: float):
    image = np.full(features.IMAGE_SHAPE, 40, dtype=np.uint8)
    return features.build_frame(image, np.full(7, value), np.full(7, value + 0.5), 'stack')


def test_a_saved_stream_holds_image_joints_actions_and_counters(tmp_path):
    path = tmp_path / 'live.rrd'
    view = LiveView(str(path), compress=False)
    for i in range(3):
        view(_frame(0.001 * i), episode_index=2, frames_in_episode=i + 1)
    view.close()
    recording = rd.load_recording(str(path))
    entities = {column.entity_path for column in recording.schema().component_columns()}
    for entity in ('/camera/wrist', '/state/joint_1', '/state/gripper', '/action/joint_6',
                   '/counters/episode', '/counters/frame'):
        assert entity in entities
    table = recording.view(index='frame', contents='/action/joint_1').select().read_all()
    assert table.column('frame').to_pylist() == [0, 1, 2]
    scalars = [row[0] for row in table.column('/action/joint_1:Scalars:scalars').to_pylist()]
    assert scalars == pytest.approx([0.5, 0.501, 0.502])
    image = recording.view(index='frame', contents='/camera/wrist').select().read_all()
    assert image.num_rows == 3


def test_a_bad_target_is_refused():
    with pytest.raises(ValueError, match='display target'):
        LiveView('somewhere')
