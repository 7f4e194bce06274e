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

"""The tiny SmolVLM folder builds a SmolVLA that trains and acts on CPU, offline."""

import json
import os

from ar4_policy.tiny_vlm import (
    IMAGE_SPECIAL_TOKENS, task_words, tiny_smolvla_config, write_tiny_vlm)
from ar4_teleop.recording import features as contract
import pytest
import torch

TASK = 'Place the teal cube on the top shelf.'


@pytest.fixture(scope='module')
def tiny_vlm(tmp_path_factory):
    return write_tiny_vlm(tmp_path_factory.mktemp('tiny_vlm'), extra_words=[TASK])


def _stats():
    """Return dataset-style statistics for state and action (7 dims each)."""
    size = contract.STATE_SIZE
    vector = {'mean': torch.zeros(size), 'std': torch.ones(size),
              'min': -torch.ones(size), 'max': torch.ones(size)}
    return {contract.STATE_KEY: dict(vector), contract.ACTION_KEY: dict(vector)}


def _observation(batch):
    height, width, channels = contract.IMAGE_SHAPE
    return {
        contract.IMAGE_KEY: torch.rand(batch, channels, height, width),
        contract.STATE_KEY: torch.randn(batch, contract.STATE_SIZE),
        'task': [TASK] * batch,
    }


def test_folder_is_small_and_offline_loadable(tiny_vlm):
    from transformers import AutoConfig, AutoProcessor

    assert os.environ.get('HF_HUB_OFFLINE') == '1'
    names = {path.name for path in tiny_vlm.iterdir()}
    assert {'config.json', 'tokenizer.json', 'tokenizer_config.json',
            'preprocessor_config.json'} <= names
    assert sum(path.stat().st_size for path in tiny_vlm.iterdir()) < 100_000
    assert AutoConfig.from_pretrained(tiny_vlm).model_type == 'smolvlm'
    tokenizer = AutoProcessor.from_pretrained(tiny_vlm).tokenizer
    for attribute, token in IMAGE_SPECIAL_TOKENS.items():
        assert getattr(tokenizer, attribute) == token
        assert getattr(tokenizer, attribute + '_id') != tokenizer.unk_token_id
    ids = tokenizer(TASK.lower())['input_ids']
    assert tokenizer.unk_token_id not in ids
    # One token per word plus one for the full stop.
    assert len(ids) == len(TASK.split()) + 1
    assert set(task_words([TASK])) <= set(tokenizer.get_vocab())
    saved = json.loads((tiny_vlm / 'tokenizer_config.json').read_text())
    assert set(IMAGE_SPECIAL_TOKENS) <= set(saved['extra_special_tokens'])


def test_policy_trains_and_acts_on_cpu(tiny_vlm):
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    torch.manual_seed(0)
    config = tiny_smolvla_config(tiny_vlm)
    assert set(config.input_features) == {contract.IMAGE_KEY, contract.STATE_KEY}
    assert config.output_features[contract.ACTION_KEY].shape == (contract.STATE_SIZE,)
    policy = SmolVLAPolicy(config)
    assert sum(p.numel() for p in policy.parameters()) < 2_000_000
    preprocess, postprocess = make_pre_post_processors(config, dataset_stats=_stats())

    batch = _observation(2)
    batch[contract.ACTION_KEY] = torch.randn(2, config.chunk_size, contract.STATE_SIZE)
    policy.train()
    loss, _ = policy.forward(preprocess(batch))
    assert torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.parameters())

    policy.eval()
    policy.reset()
    action = postprocess(policy.select_action(preprocess(_observation(1))))
    assert action.shape == (1, contract.STATE_SIZE)
    assert torch.isfinite(action).all()
    chunk = policy.predict_action_chunk(preprocess(_observation(1)))
    assert chunk.shape == (1, config.chunk_size, contract.STATE_SIZE)


def test_overrides_and_bad_image_size(tiny_vlm, tmp_path):
    config = tiny_smolvla_config(tiny_vlm, chunk_size=4, n_action_steps=2)
    assert (config.chunk_size, config.n_action_steps) == (4, 2)
    assert config.load_vlm_weights is False
    assert config.vlm_model_name == str(tiny_vlm.resolve())
    with pytest.raises(ValueError, match='multiple of'):
        write_tiny_vlm(tmp_path / 'bad', image_size=100)
