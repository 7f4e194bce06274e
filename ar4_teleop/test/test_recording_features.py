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

"""Tests of the dataset contract in ar4_teleop.recording.features."""

from ar4_description.robot_constants import robot_constants
from ar4_teleop.recording import features
import numpy as np
import pytest


def _image():
    return np.zeros(features.IMAGE_SHAPE, dtype=np.uint8)


def test_contract_constants():
    assert features.FPS == 30
    assert features.IMAGE_KEY == 'observation.images.wrist_camera'
    assert features.STATE_KEY == 'observation.state'
    assert features.ACTION_KEY == 'action'
    assert features.IMAGE_SHAPE == (480, 640, 3)
    assert features.ROBOT_TYPE == robot_constants().robot_type


def test_state_names_come_from_the_robot_constants():
    names = features.state_names()
    constants = robot_constants()
    assert names[:6] == list(constants.joint_names)
    gripper = names[6]
    assert gripper.startswith('gripper_jaw_opening_' + constants.gripper.unit)
    assert f'{constants.gripper.closed:g}_closed' in gripper
    assert f'{constants.gripper.open:g}_open' in gripper


def test_dataset_features_video_and_image():
    video = features.dataset_features()
    assert set(video) == {features.IMAGE_KEY, features.STATE_KEY, features.ACTION_KEY}
    assert video[features.IMAGE_KEY]['dtype'] == 'video'
    assert video[features.IMAGE_KEY]['shape'] == features.IMAGE_SHAPE
    assert video[features.STATE_KEY]['names'] == features.state_names()
    assert video[features.ACTION_KEY]['shape'] == (7,)
    assert features.dataset_features(use_videos=False)[features.IMAGE_KEY]['dtype'] == 'image'


def test_build_frame_converts_vectors_to_float32():
    frame = features.build_frame(_image(), np.arange(7, dtype=np.float64), list(range(7)), 'pick')
    assert frame[features.STATE_KEY].dtype == np.float32
    assert frame[features.ACTION_KEY].dtype == np.float32
    assert frame[features.IMAGE_KEY].dtype == np.uint8
    assert frame['task'] == 'pick'
    np.testing.assert_array_equal(frame[features.ACTION_KEY], np.arange(7))


@pytest.mark.parametrize('image, message', [
    (np.zeros((480, 640, 4), np.uint8), 'shape'),
    (np.zeros((640, 480, 3), np.uint8), 'shape'),
    (np.zeros((480, 640, 3), np.float32), 'uint8'),
    ([[0]], 'numpy array'),
])
def test_build_frame_rejects_bad_images(image, message):
    with pytest.raises(features.FrameError, match=message):
        features.build_frame(image, np.zeros(7), np.zeros(7), 'pick')


def test_build_frame_rejects_bad_vectors_and_task():
    with pytest.raises(features.FrameError, match='shape'):
        features.build_frame(_image(), np.zeros(6), np.zeros(7), 'pick')
    nan_action = np.zeros(7)
    nan_action[2] = np.nan
    with pytest.raises(features.FrameError, match='joint_3'):
        features.build_frame(_image(), np.zeros(7), nan_action, 'pick')
    with pytest.raises(features.FrameError, match='task'):
        features.build_frame(_image(), np.zeros(7), np.zeros(7), '  ')
    with pytest.raises(features.FrameError, match='numbers'):
        features.build_frame(_image(), ['a'] * 7, np.zeros(7), 'pick')
