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
lerobot's diffusion policy, sized to train from scratch on a CPU: the AR4 settings.

A ResNet-18 with group norm and no pretrained weights (nothing is downloaded) reads the wrist
image resized to 96 x 128 (the camera's 3:4 aspect), and a spatial softmax turns its feature map
into keypoint coordinates: the inductive bias for *where* the cube is, which the tiny SmolVLA's
32-pixel linear patches lacked (README, learnability). No random crop: on a wrist camera a shift
of the image is a shift of the target. One observation step, because the runner predicts from
the current frame only. The 1-D U-Net is narrowed to 64-128-256 channels, and inference takes
10 DDIM steps.
"""

from typing import Dict, Optional

#: The policy's type in lerobot's config.json.
POLICY_TYPE = 'diffusion'

#: DiffusionConfig fields (without features) of the AR4 CPU diffusion policy.
DIFFUSION_SETTINGS: Dict[str, object] = {
    'n_obs_steps': 1,
    'horizon': 32,
    'n_action_steps': 16,
    # horizon - n_action_steps - n_obs_steps + 1: the last frames that cannot fill a chunk.
    'drop_n_last_frames': 16,
    'resize_shape': (96, 128),
    'crop_ratio': 1.0,
    'pretrained_backbone_weights': None,
    'use_group_norm': True,
    'down_dims': (64, 128, 256),
    'noise_scheduler_type': 'DDIM',
    'num_inference_steps': 10,
    'optimizer_lr': 2e-4,
    'scheduler_warmup_steps': 200,
    'push_to_hub': False,
}

#: Batch size ar4-train uses for the diffusion policy unless told otherwise.
DIFFUSION_BATCH_SIZE = 32


def diffusion_config(device: Optional[str] = 'cpu', **overrides):
    """
    Return a DiffusionConfig with the AR4 settings and the AR4 dataset contract's features.

    Any DiffusionConfig field can be overridden by keyword.
    """
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

    from ar4_policy.tiny_vlm import contract_config

    return contract_config(DiffusionConfig, DIFFUSION_SETTINGS, device, overrides)
