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

"""The corrected SmolVLA loss: padded chunk steps and padded action dims do not count."""

from ar4_policy.tiny_vlm import tiny_smolvla_config, write_tiny_vlm
from ar4_policy.training.masked_loss import (
    masked_action_loss, MaskedLossSmolVLAPolicy, PAD_MASK_KEY, use_masked_loss)
from ar4_teleop.recording import features as contract
import pytest
import torch

TASK = 'Place the teal cube on the top shelf.'
ACTION_DIM = contract.STATE_SIZE


def _losses_with_poisoned_padding(batch, chunk, padded_dims, pad):
    """Return per-element losses: 1 on real elements, 1000 on padded steps and padded dims."""
    losses = torch.full((batch, chunk, padded_dims), 1000.0)
    real = losses[:, :, :ACTION_DIM]
    real[~pad] = 1.0
    return losses


def test_padded_steps_and_dims_do_not_count():
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[0, 3:] = True          # sample 0: the episode ends after 3 chunk steps
    pad[1, :] = False
    losses = _losses_with_poisoned_padding(2, 5, 32, pad)
    assert masked_action_loss(losses, pad, ACTION_DIM).item() == pytest.approx(1.0)
    per_sample = masked_action_loss(losses, pad, ACTION_DIM, reduction='none')
    assert per_sample.tolist() == pytest.approx([1.0, 1.0])
    # lerobot 0.4.4's reduction (no mask, mean over all 32 dims) is dominated by padding.
    assert losses.mean().item() > 700


def test_all_padded_sample_and_no_mask():
    losses = torch.rand(2, 4, 32)
    pad = torch.zeros(2, 4, dtype=torch.bool)
    pad[1] = True
    per_sample = masked_action_loss(losses, pad, ACTION_DIM, reduction='none')
    assert per_sample[1].item() == 0.0
    assert per_sample[0].item() == pytest.approx(losses[0, :, :ACTION_DIM].mean().item())
    assert masked_action_loss(losses, None, ACTION_DIM).item() == pytest.approx(
        losses[:, :, :ACTION_DIM].mean().item())
    with pytest.raises(ValueError):
        masked_action_loss(losses, None, ACTION_DIM, reduction='sum')


@pytest.fixture(scope='module')
def policy_and_batch(tmp_path_factory):
    from lerobot.policies.factory import make_pre_post_processors

    torch.manual_seed(0)
    vlm = write_tiny_vlm(tmp_path_factory.mktemp('vlm'), extra_words=[TASK])
    config = tiny_smolvla_config(vlm, chunk_size=5, n_action_steps=5)
    stats = {key: {'mean': torch.zeros(ACTION_DIM), 'std': torch.ones(ACTION_DIM)}
             for key in (contract.STATE_KEY, contract.ACTION_KEY)}
    preprocess, _ = make_pre_post_processors(config, dataset_stats=stats)
    height, width, channels = contract.IMAGE_SHAPE
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[0, 3:] = True
    raw = {
        contract.IMAGE_KEY: torch.rand(2, channels, height, width),
        contract.STATE_KEY: torch.randn(2, ACTION_DIM),
        contract.ACTION_KEY: torch.randn(2, 5, ACTION_DIM),
        PAD_MASK_KEY: pad,
        'task': [TASK, TASK],
    }
    return config, preprocess(raw), pad


def test_policy_forward_uses_the_dataset_mask_and_real_dims(policy_and_batch, monkeypatch):
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    config, batch, pad = policy_and_batch
    # The dataset's key survives lerobot's preprocessing; 0.4.4 looks for another one.
    assert PAD_MASK_KEY in batch and 'actions_id_pad' not in batch
    poisoned = _losses_with_poisoned_padding(2, 5, config.max_action_dim, pad)
    fixed = MaskedLossSmolVLAPolicy(config)
    original = SmolVLAPolicy(config)
    for policy in (fixed, original):
        monkeypatch.setattr(policy.model, 'forward', lambda *args, **kwargs: poisoned.clone())
    loss, info = fixed.forward(dict(batch))
    assert loss.item() == pytest.approx(1.0)
    assert info['padded_step_fraction'] == pytest.approx(pad.float().mean().item())
    per_sample, _ = fixed.forward(dict(batch), reduction='none')
    assert per_sample.tolist() == pytest.approx([1.0, 1.0])
    wrong, _ = original.forward(dict(batch))
    assert wrong.item() > 700


def test_real_forward_trains_and_factory_builds_the_fixed_policy(policy_and_batch):
    from lerobot.policies import factory

    config, batch, _ = policy_and_batch
    with use_masked_loss():
        assert factory.get_policy_class('smolvla') is MaskedLossSmolVLAPolicy
        assert factory.get_policy_class('act').name == 'act'
    assert factory.get_policy_class('smolvla') is not MaskedLossSmolVLAPolicy
    policy = MaskedLossSmolVLAPolicy(config)
    policy.train()
    loss, _ = policy.forward(dict(batch))
    assert torch.isfinite(loss)
    loss.backward()
    assert policy.model.action_out_proj.weight.grad is not None
    # Output rows of the padded action dims get no gradient: they do not count.
    padded_rows = policy.model.action_out_proj.weight.grad[ACTION_DIM:]
    assert torch.count_nonzero(padded_rows) == 0
