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
Write an untrained tiny SmolVLA or diffusion checkpoint folder, offline (tests and benchmarks).

The folder has lerobot's ``pretrained_model/`` layout, written by lerobot's own
``save_pretrained`` for the policy and both processors, so :class:`ar4_policy.runner.PolicyRunner`
loads it exactly like a trained checkpoint. Normalisation statistics default to the robot
constants' ranges (mean at mid-range, std a quarter of the range) and, for the diffusion policy
(which normalises images by mean and std), a plausible image mean and std.
"""

from pathlib import Path
from typing import Dict, Optional, Union

from ar4_description.robot_constants import robot_constants
import numpy as np


#: Small DiffusionConfig overrides of the AR4 settings for tests (the ResNet-18 stays ~11 M).
TINY_DIFFUSION_OVERRIDES: Dict[str, object] = {
    'down_dims': (16, 32),
    'horizon': 16,
    'n_action_steps': 8,
    'drop_n_last_frames': 8,
    'resize_shape': (48, 64),
    'spatial_softmax_num_keypoints': 8,
}


def constants_stats(image: bool = False) -> Dict[str, Dict[str, np.ndarray]]:
    """
    Return plausible state/action statistics from the robot constants' position limits.

    ``image`` adds per-channel statistics (mean 0.5, std 0.25, range 0..1) for the wrist image,
    shaped (3, 1, 1) as lerobot computes them, for policies that normalise images.
    """
    from ar4_teleop.recording.features import ACTION_KEY, IMAGE_KEY, STATE_KEY

    constants = robot_constants()
    mean = (constants.lower7 + constants.upper7) / 2.0
    std = (constants.upper7 - constants.lower7) / 4.0
    entry = {'mean': mean.astype(np.float32), 'std': std.astype(np.float32),
             'min': constants.lower7.astype(np.float32),
             'max': constants.upper7.astype(np.float32)}
    stats = {STATE_KEY: dict(entry), ACTION_KEY: dict(entry)}
    if image:
        stats[IMAGE_KEY] = {name: np.full((3, 1, 1), value, np.float32) for name, value in
                            (('mean', 0.5), ('std', 0.25), ('min', 0.0), ('max', 1.0))}
    return stats


def write_tiny_checkpoint(folder: Union[str, Path], vlm_path: Optional[Union[str, Path]] = None,
                          stats: Optional[dict] = None, seed: int = 0, **config_overrides) -> Path:
    """
    Build a randomly initialised tiny SmolVLA and save it with its processors under ``folder``.

    ``vlm_path`` is a tiny VLM folder (written next to the checkpoint when omitted). Returns the
    ``pretrained_model`` folder.
    """
    import torch
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    from ar4_policy.tiny_vlm import tiny_smolvla_config, write_tiny_vlm

    folder = Path(folder)
    if vlm_path is None:
        vlm_path = write_tiny_vlm(folder / 'tiny_vlm')
    torch.manual_seed(seed)
    config = tiny_smolvla_config(vlm_path, device='cpu', **config_overrides)
    return _save(folder, SmolVLAPolicy(config), config,
                 stats if stats is not None else constants_stats())


def write_tiny_diffusion_checkpoint(folder: Union[str, Path], stats: Optional[dict] = None,
                                    seed: int = 0, **config_overrides) -> Path:
    """
    Build a randomly initialised small diffusion policy and save it with its processors.

    The config is :func:`ar4_policy.diffusion.diffusion_config` with
    :data:`TINY_DIFFUSION_OVERRIDES`, then ``config_overrides``. Returns the
    ``pretrained_model`` folder under ``folder``.
    """
    import torch
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

    from ar4_policy.diffusion import diffusion_config

    torch.manual_seed(seed)
    config = diffusion_config(device='cpu', **{**TINY_DIFFUSION_OVERRIDES, **config_overrides})
    return _save(Path(folder), DiffusionPolicy(config), config,
                 stats if stats is not None else constants_stats(image=True))


def _save(folder: Path, policy, config, stats: dict) -> Path:
    """Save the policy and its processors (built with ``stats``) as ``folder/pretrained_model``."""
    from lerobot.policies.factory import make_pre_post_processors

    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=stats)
    target = folder / 'pretrained_model'
    policy.save_pretrained(target)
    preprocessor.save_pretrained(target)
    postprocessor.save_pretrained(target)
    return target
