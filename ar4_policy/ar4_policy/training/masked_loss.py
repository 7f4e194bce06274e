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
Correct SmolVLA's training loss in lerobot 0.4.4 without forking lerobot.

lerobot 0.4.4's ``SmolVLAPolicy.forward`` has two defects (fixed upstream in 0.5.1):

* it reads the episode-end padding mask from ``actions_id_pad`` while the dataset provides
  ``action_is_pad``, so chunk steps past the end of an episode (copies of the last action)
  are trained on as if they were real;
* it averages the per-element flow-matching loss over all ``max_action_dim`` (32) padded action
  dimensions instead of the real ones (7 for the AR4), so the padded dimensions dilute the
  gradient of the real ones by 7/32 and take up model capacity.

Both matter for AR4 datasets: actions are 7-dim, and with 50-step chunks every sample taken in
the last 49 frames of an episode has padded steps (about a third of a 150-frame episode).

:class:`MaskedLossSmolVLAPolicy` is a SmolVLAPolicy whose ``forward`` computes the same model
output and applies :func:`masked_action_loss`. It saves and loads as a plain ``smolvla``
policy (same config type, same weights), so checkpoints need nothing from this module.
:func:`use_masked_loss` makes lerobot's policy factory build it for the ``smolvla`` type.
"""

import contextlib

from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy
from lerobot.utils.constants import (
    ACTION, OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS, OBS_STATE)
import torch

PAD_MASK_KEY = ACTION + '_is_pad'


def masked_action_loss(losses: torch.Tensor, action_is_pad, action_dim: int,
                       reduction: str = 'mean') -> torch.Tensor:
    """
    Average per-element losses over the real chunk steps and the real action dimensions.

    ``losses`` has shape (batch, chunk, padded_dims); ``action_is_pad`` (batch, chunk) is True
    for chunk steps past the end of the episode (or None when nothing is padded);
    ``action_dim`` is the number of real action dimensions (the first ones). With reduction
    ``'mean'`` return a scalar (mean over every real element of the batch); with ``'none'``
    return one value per sample (a sample whose steps are all padded gives 0).
    """
    if reduction not in ('mean', 'none'):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    real = losses[:, :, :action_dim]
    if action_is_pad is None:
        weights = torch.ones(real.shape[:2], dtype=real.dtype, device=real.device)
    else:
        weights = (~action_is_pad.bool()).to(real.dtype)
    summed = (real * weights.unsqueeze(-1)).sum(dim=(1, 2))
    counts = weights.sum(dim=1) * action_dim
    if reduction == 'none':
        return summed / counts.clamp(min=1)
    return summed.sum() / counts.sum().clamp(min=1)


class MaskedLossSmolVLAPolicy(SmolVLAPolicy):
    """SmolVLA whose training loss ignores padded chunk steps and padded action dimensions."""

    def forward(self, batch, noise=None, time=None, reduction: str = 'mean'):
        """Compute the flow-matching loss of a training batch with the corrected mask."""
        if self.config.adapt_to_pi_aloha:
            batch[OBS_STATE] = self._pi_aloha_decode_state(batch[OBS_STATE])
            batch[ACTION] = self._pi_aloha_encode_actions_inv(batch[ACTION])
        images, img_masks = self.prepare_images(batch)
        state = self.prepare_state(batch)
        lang_tokens = batch[OBS_LANGUAGE_TOKENS]
        lang_masks = batch[OBS_LANGUAGE_ATTENTION_MASK]
        actions = self.prepare_action(batch)
        losses = self.model.forward(
            images, img_masks, lang_tokens, lang_masks, state, actions, noise, time)
        action_is_pad = batch.get(PAD_MASK_KEY)
        action_dim = self.config.action_feature.shape[0]
        loss = masked_action_loss(losses, action_is_pad, action_dim, reduction)
        loss_dict = {
            'losses_after_forward': losses.detach().mean().item(),
            'loss': loss.detach().mean().item(),
            'padded_step_fraction': (
                0.0 if action_is_pad is None else action_is_pad.float().mean().item()),
        }
        return loss, loss_dict


@contextlib.contextmanager
def use_masked_loss():
    """Make lerobot's policy factory build MaskedLossSmolVLAPolicy for type 'smolvla'."""
    from lerobot.policies import factory

    original = factory.get_policy_class

    def get_policy_class(name: str):
        if name == SmolVLAPolicy.name:
            return MaskedLossSmolVLAPolicy
        return original(name)

    factory.get_policy_class = get_policy_class
    try:
        yield
    finally:
        factory.get_policy_class = original
