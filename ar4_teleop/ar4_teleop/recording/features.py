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
The dataset contract: feature keys, shapes, names and the frame builder.

Every producer of AR4 episodes (live recorder, rosbag2 converter, MuJoCo twin) builds its frames
with :func:`build_frame` and writes them with ``writer.DatasetWriter`` using
:func:`dataset_features`, so all datasets share one layout. Joint names and the gripper's unit
and direction come from the robot constants, never from here.
"""

from typing import Dict, List, Tuple

from ar4_description.robot_constants import robot_constants
import numpy as np

FPS = 30
IMAGE_KEY = 'observation.images.wrist_camera'
STATE_KEY = 'observation.state'
ACTION_KEY = 'action'
TASK_KEY = 'task'
IMAGE_SHAPE = (480, 640, 3)
STATE_SIZE = 7
ROBOT_TYPE = robot_constants().robot_type


class FrameError(ValueError):
    """A frame does not match the dataset contract; the message says which part and why."""


def _number_text(value: float) -> str:
    """Format a constant for a feature name: 0.0 -> '0', 0.014 -> '0.014'."""
    return f'{value:g}'


def gripper_state_name() -> str:
    """
    Return the dataset name of the gripper entry, carrying its unit and direction.

    For the AR4 constants this is ``gripper_jaw_opening_m_0_closed_0.014_open``: the opening of
    one jaw in metres, 0 when closed and 0.014 when fully open.
    """
    gripper = robot_constants().gripper
    return (f'gripper_jaw_opening_{gripper.unit}_{_number_text(gripper.closed)}_closed_'
            f'{_number_text(gripper.open)}_open')


def state_names() -> List[str]:
    """Return the seven names of observation.state and action: arm joints (rad), then gripper."""
    return list(robot_constants().joint_names) + [gripper_state_name()]


def dataset_features(use_videos: bool = True) -> Dict[str, dict]:
    """
    Return the features dict for ``LeRobotDataset.create``.

    The wrist camera is stored as video (``use_videos=True``, the default) or as PNG images.
    """
    names = state_names()
    return {
        IMAGE_KEY: {
            'dtype': 'video' if use_videos else 'image',
            'shape': IMAGE_SHAPE,
            'names': ['height', 'width', 'channels'],
        },
        STATE_KEY: {'dtype': 'float32', 'shape': (STATE_SIZE,), 'names': list(names)},
        ACTION_KEY: {'dtype': 'float32', 'shape': (STATE_SIZE,), 'names': list(names)},
    }


def _vector7(value, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise FrameError(f'{what}: expected {STATE_SIZE} numbers, got {value!r}') from None
    if array.shape != (STATE_SIZE,):
        raise FrameError(
            f'{what}: expected shape ({STATE_SIZE},) in the order {", ".join(state_names())}; '
            f'got shape {array.shape}')
    if not np.all(np.isfinite(array)):
        bad = [state_names()[i] for i in np.flatnonzero(~np.isfinite(array))]
        raise FrameError(f'{what}: non-finite values for {", ".join(bad)}')
    return array.astype(np.float32)


def _image(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise FrameError(f'image: expected a numpy array, got {type(image).__name__}')
    if image.shape != IMAGE_SHAPE:
        raise FrameError(
            f'image: expected shape {IMAGE_SHAPE} (height, width, RGB channels), '
            f'got {image.shape}')
    if image.dtype != np.uint8:
        raise FrameError(f'image: expected dtype uint8, got {image.dtype}')
    return image


def build_frame(image, state7, action7, task: str) -> dict:
    """
    Validate one time step and return it as a LeRobot frame dict.

    ``image`` is an RGB uint8 array of shape IMAGE_SHAPE (HWC, not copied); ``state7`` and
    ``action7`` are seven finite numbers in :func:`state_names` order (converted to float32);
    ``task`` is the non-empty language instruction. Raise FrameError on any mismatch.
    """
    if not isinstance(task, str) or not task.strip():
        raise FrameError(f'task: expected a non-empty instruction string, got {task!r}')
    return {
        IMAGE_KEY: _image(image),
        STATE_KEY: _vector7(state7, STATE_KEY),
        ACTION_KEY: _vector7(action7, ACTION_KEY),
        TASK_KEY: task,
    }


def frame_period_s(fps: int = FPS) -> float:
    """Return the time between frames in seconds."""
    if not isinstance(fps, int) or isinstance(fps, bool) or fps <= 0:
        raise ValueError(f'fps must be a positive integer, got {fps!r}')
    return 1.0 / fps


def shape_of(feature: dict) -> Tuple[int, ...]:
    """Return a feature's shape as a tuple (info.json stores lists)."""
    return tuple(int(n) for n in feature['shape'])


__all__ = [
    'ACTION_KEY', 'FPS', 'FrameError', 'IMAGE_KEY', 'IMAGE_SHAPE', 'ROBOT_TYPE', 'STATE_KEY',
    'STATE_SIZE', 'TASK_KEY', 'build_frame', 'dataset_features', 'frame_period_s',
    'gripper_state_name', 'shape_of', 'state_names',
]
