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
Build a tiny, randomly initialised SmolVLM folder and a SmolVLA config around it.

SmolVLA builds its backbone from ``vlm_model_name``. With ``load_vlm_weights=False`` only the
folder's configuration, tokenizer and processor files are read, so a folder written here lets
SmolVLA be built, trained and run fully offline (tests, CI, the headless demo) in tens of
milliseconds per step on a CPU. Nothing here downloads anything.

The tokenizer is a word-level vocabulary built with the ``tokenizers`` library: the special
tokens SmolVLA reads (``fake_image_token``, ``global_image_token``, ``image_token``,
``end_of_utterance_token``) plus the words of the tasks. Unknown words map to ``<unk>``.
"""

import json
from pathlib import Path
import re
from typing import Dict, Iterable, Optional, Union

PAD_TOKEN = '<|endoftext|>'
UNK_TOKEN = '<unk>'
IMAGE_SPECIAL_TOKENS = {
    'fake_image_token': '<fake_token_around_image>',
    'global_image_token': '<global-img>',
    'image_token': '<image>',
    'end_of_utterance_token': '<end_of_utterance>',
}

# Words of the instructions we record and generate (and their near neighbours), so every
# task word has its own token. Words outside this list can be added through ``extra_words``.
BASE_WORDS = (
    'a an the this that it its on in into onto of to from at by with and or then',
    'pick place put move take grab grasp lift drop push stack set release hold open close',
    'cube cubes block blocks box object objects item gripper arm robot home',
    'shelf shelves tier tiers table top middle bottom upper lower left right center front back',
    'first second third one two three',
    'red green blue teal cyan yellow orange purple pink white black grey gray brown magenta',
    'please go return reach approach',
)

# Sizes of the tiny backbone. The vision tower works on 512 x 512 images (what SmolVLA's
# resize_imgs_with_padding defaults to) cut into 32-pixel patches: 256 patches, merged 4 x 4 by
# the connector into 16 image tokens. The text model is a 4-layer Llama of width 64.
VISION_HIDDEN = 32
VISION_LAYERS = 1
VISION_HEADS = 2
PATCH_SIZE = 32
SCALE_FACTOR = 4
TEXT_HIDDEN = 64
TEXT_LAYERS = 4
TEXT_HEADS = 4
TEXT_KV_HEADS = 2
TEXT_INTERMEDIATE = 128

# Backbone sizes by name: 'tiny' (the constants above, ~0.5 M parameters with the expert) for
# tests and CI; 'small' (~11 M) for CPU demos that need more capacity than 'tiny'.
SIZES = {
    'tiny': {'vision_hidden': VISION_HIDDEN, 'vision_layers': VISION_LAYERS,
             'vision_heads': VISION_HEADS, 'text_hidden': TEXT_HIDDEN,
             'text_layers': TEXT_LAYERS, 'text_heads': TEXT_HEADS,
             'text_kv_heads': TEXT_KV_HEADS, 'text_intermediate': TEXT_INTERMEDIATE},
    'small': {'vision_hidden': 128, 'vision_layers': 2, 'vision_heads': 4, 'text_hidden': 256,
              'text_layers': 8, 'text_heads': 8, 'text_kv_heads': 4, 'text_intermediate': 768},
}


def task_words(texts: Iterable[str]) -> list:
    """Return the lower-case words of the given texts, in first-seen order."""
    seen = {}
    for text in texts:
        for word in re.findall(r'\w+|[^\w\s]', text.lower()):
            seen.setdefault(word, None)
    return list(seen)


def _build_tokenizer(words: Iterable[str]):
    """Return a word-level fast tokenizer over the special tokens and the given words."""
    from tokenizers import normalizers, pre_tokenizers, Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {}
    for token in [PAD_TOKEN, UNK_TOKEN, *IMAGE_SPECIAL_TOKENS.values(), *words]:
        vocab.setdefault(token, len(vocab))
    backend = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK_TOKEN))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token=UNK_TOKEN,
        pad_token=PAD_TOKEN,
        eos_token=PAD_TOKEN,
        bos_token=PAD_TOKEN,
        extra_special_tokens=dict(IMAGE_SPECIAL_TOKENS),
        model_max_length=1024,
        model_input_names=['input_ids', 'attention_mask'],
    )
    return tokenizer


def write_tiny_vlm(folder: Union[str, Path], extra_words: Iterable[str] = (),
                   image_size: int = 512, size: str = 'tiny') -> Path:
    """
    Write a tiny SmolVLM folder usable offline as SmolVLA's ``vlm_model_name``.

    The folder holds config.json (model_type smolvlm), tokenizer.json, tokenizer_config.json,
    special_tokens_map.json, preprocessor_config.json and processor files; no weights (SmolVLA
    initialises the backbone at random when ``load_vlm_weights`` is False). ``extra_words`` adds
    words (for example from a dataset's tasks) to the vocabulary. ``image_size`` must be a
    multiple of ``PATCH_SIZE * SCALE_FACTOR``; ``size`` names an entry of :data:`SIZES`.
    Returns the folder's path.
    """
    from transformers import SmolVLMConfig, SmolVLMImageProcessor, SmolVLMProcessor
    from transformers.models.llama import LlamaConfig
    from transformers.models.smolvlm.video_processing_smolvlm import SmolVLMVideoProcessor

    if image_size <= 0 or image_size % (PATCH_SIZE * SCALE_FACTOR):
        raise ValueError(
            f'image_size must be a positive multiple of {PATCH_SIZE * SCALE_FACTOR}, '
            f'got {image_size}')
    if size not in SIZES:
        raise ValueError(f'size must be one of {", ".join(SIZES)}, got {size!r}')
    dims = SIZES[size]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    words = task_words(BASE_WORDS) + task_words(extra_words)
    tokenizer = _build_tokenizer(words)
    vocab_size = len(tokenizer)
    image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_SPECIAL_TOKENS['image_token'])
    pad_token_id = tokenizer.pad_token_id

    text_config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=dims['text_hidden'],
        intermediate_size=dims['text_intermediate'],
        num_hidden_layers=dims['text_layers'],
        num_attention_heads=dims['text_heads'],
        num_key_value_heads=dims['text_kv_heads'],
        head_dim=dims['text_hidden'] // dims['text_heads'],
        max_position_embeddings=1024,
        rms_norm_eps=1e-5,
        pad_token_id=pad_token_id,
        bos_token_id=pad_token_id,
        eos_token_id=pad_token_id,
        tie_word_embeddings=False,
    )
    config = SmolVLMConfig(
        image_token_id=image_token_id,
        pad_token_id=pad_token_id,
        scale_factor=SCALE_FACTOR,
        vision_config={
            'hidden_size': dims['vision_hidden'],
            'intermediate_size': 2 * dims['vision_hidden'],
            'num_hidden_layers': dims['vision_layers'],
            'num_attention_heads': dims['vision_heads'],
            'image_size': image_size,
            'patch_size': PATCH_SIZE,
        },
        text_config=text_config.to_dict(),
        tie_word_embeddings=False,
    )
    config.save_pretrained(folder)

    image_processor = SmolVLMImageProcessor(
        do_resize=True,
        size={'longest_edge': image_size},
        max_image_size={'longest_edge': image_size},
        do_image_splitting=False,
    )
    video_processor = SmolVLMVideoProcessor(
        size={'longest_edge': image_size},
        max_image_size={'longest_edge': image_size},
    )
    image_seq_len = (image_size // PATCH_SIZE) ** 2 // SCALE_FACTOR ** 2
    processor = SmolVLMProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        image_seq_len=image_seq_len,
    )
    processor.save_pretrained(folder)
    return folder


def tiny_vlm_image_size(vlm_path: Union[str, Path]) -> int:
    """Return the vision tower's input size stored in a tiny VLM folder's config.json."""
    config = json.loads((Path(vlm_path) / 'config.json').read_text())
    return int(config['vision_config']['image_size'])


def contract_features() -> Dict[str, object]:
    """
    Return SmolVLA input and output features for the AR4 dataset contract.

    The keys and shapes come from ``ar4_teleop.recording.features``: the wrist camera as a
    channel-first image, the 7-dim state and the 7-dim action.
    """
    from ar4_teleop.recording import features as contract
    from lerobot.configs.types import FeatureType, PolicyFeature

    declared = contract.dataset_features()
    height, width, channels = declared[contract.IMAGE_KEY]['shape']
    return {
        'input_features': {
            contract.IMAGE_KEY: PolicyFeature(type=FeatureType.VISUAL,
                                              shape=(channels, height, width)),
            contract.STATE_KEY: PolicyFeature(
                type=FeatureType.STATE, shape=tuple(declared[contract.STATE_KEY]['shape'])),
        },
        'output_features': {
            contract.ACTION_KEY: PolicyFeature(
                type=FeatureType.ACTION, shape=tuple(declared[contract.ACTION_KEY]['shape'])),
        },
    }


def tiny_smolvla_settings(vlm_path: Union[str, Path]) -> Dict[str, object]:
    """
    Return the SmolVLAConfig fields (without features) of the tiny offline SmolVLA.

    The backbone is trained as a whole (nothing frozen: it starts from random weights) and the
    flow-matching decoder takes 4 steps, so tests and CPU demos stay fast. Chunks are 30 steps,
    one second at 30 fps, as in the README's learnability runs: none of the runs with 10-step
    chunks completed a pick and place in the twin.
    """
    image_size = tiny_vlm_image_size(vlm_path)
    return {
        'vlm_model_name': str(Path(vlm_path).resolve()),
        'load_vlm_weights': False,
        'chunk_size': 30,
        'n_action_steps': 30,
        'num_steps': 4,
        'resize_imgs_with_padding': (image_size, image_size),
        'tokenizer_max_length': 24,
        'freeze_vision_encoder': False,
        'train_expert_only': False,
        # From random weights: a higher rate than the 1e-4 meant for fine-tuning smolvla_base.
        'optimizer_lr': 3e-4,
        'scheduler_warmup_steps': 10,
        'scheduler_decay_steps': 1000,
        'push_to_hub': False,
    }


def tiny_smolvla_config(vlm_path: Union[str, Path], device: Optional[str] = 'cpu',
                        **overrides):
    """
    Return a SmolVLAConfig that builds an offline SmolVLA on the tiny VLM folder.

    Fields come from :func:`tiny_smolvla_settings`; features follow the AR4 dataset contract
    unless ``input_features``/``output_features`` are overridden. Any SmolVLAConfig field can be
    overridden by keyword.
    """
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig

    return contract_config(SmolVLAConfig, tiny_smolvla_settings(vlm_path), device, overrides)


def contract_config(config_class, settings: Dict[str, object], device: Optional[str],
                    overrides: Dict[str, object]):
    """
    Return ``config_class`` built from ``settings`` for the AR4 dataset contract.

    The device is set, the features follow :func:`contract_features` unless
    ``input_features``/``output_features`` are both overridden, then ``overrides`` apply.
    """
    settings = dict(settings)
    settings['device'] = device
    if 'input_features' not in overrides or 'output_features' not in overrides:
        settings.update(contract_features())
    settings.update(overrides)
    return config_class(**settings)
