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
Load a SmolVLA or diffusion policy checkpoint offline and predict action chunks.

:class:`PolicyRunner` accepts lerobot's ``pretrained_model/`` folder (config.json,
model.safetensors, policy_preprocessor.json, policy_postprocessor.json and their state files),
a ``checkpoints/NNNNNN`` folder, a ``checkpoints`` folder (uses ``last``), a training run
folder (uses ``checkpoints/last``) or an ar4-train run folder (uses ``train/checkpoints/last``).
The policy type comes from config.json's ``type``; :data:`POLICY_TYPES` holds what differs
between the supported types.

``smolvla``: the backbone is built from the VLM folder named by the checkpoint's
``vlm_model_name`` or by ``vlm_path``; only its config, tokenizer and processor files are read,
because the checkpoint's model.safetensors carries every weight (the VLM's included). That is
why a checkpoint fine-tuned from ``smolvla_base`` (``load_vlm_weights=true``) loads offline from
a local copy of SmolVLM2 without its weight files, and the load is strict: a checkpoint missing
weights fails.

``diffusion`` (lerobot's diffusion policy, e.g. trained with :mod:`ar4_policy.diffusion`'s
settings): no VLM is involved. The runner predicts each chunk from the current frame only, so
the checkpoint must have ``n_obs_steps == 1``; a chunk is the ``horizon - n_obs_steps + 1``
actions from the current step on, of which callers execute the first ``n_action_steps``.

Inputs are built exactly as the dataset stores them (``ar4_teleop.recording.features``): the
wrist image HWC uint8 becomes float32 CHW in [0, 1] (lerobot's own
``prepare_observation_for_inference``, the conversion its dataset loader applies), the state is
float32[7], the task a string; then the saved preprocessor normalises (and for SmolVLA
tokenises), and the saved postprocessor returns unnormalised absolute targets.
"""

import json
from pathlib import Path
from typing import Optional, Sequence, Union

from ar4_teleop.recording.features import IMAGE_KEY, IMAGE_SHAPE, STATE_KEY, STATE_SIZE
import numpy as np

CONFIG_FILE = 'config.json'
WEIGHTS_FILE = 'model.safetensors'
PREPROCESSOR_FILE = 'policy_preprocessor.json'
POSTPROCESSOR_FILE = 'policy_postprocessor.json'
CHECKPOINT_FILES = (CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE, POSTPROCESSOR_FILE)
# A LoRA run (ar4-train --lora-rank) saves only the adapters; its config names the base policy.
ADAPTER_CONFIG_FILE = 'adapter_config.json'
ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors'
VLM_FILES = ('config.json', 'tokenizer_config.json', 'preprocessor_config.json')
VLM_TOKENIZER_FILES = ('tokenizer.json', 'vocab.json', 'tokenizer.model')


class CheckpointError(RuntimeError):
    """A checkpoint or VLM folder is missing or unusable; the message says what and where."""


def resolve_checkpoint(path: Union[str, Path]) -> Path:
    """
    Return the ``pretrained_model`` folder for a checkpoint, checkpoints or run folder.

    Raise CheckpointError naming the missing files and every folder that was looked at.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(f'checkpoint folder {path} does not exist')
    if not path.is_dir():
        raise CheckpointError(f'{path} is a file; pass the checkpoint folder that holds '
                              f'{", ".join(CHECKPOINT_FILES)}')
    candidates = [path, path / 'pretrained_model', path / 'last' / 'pretrained_model']
    # A lerobot output folder holds checkpoints/; an ar4-train run folder holds train/checkpoints/.
    for checkpoints in (path / 'checkpoints', path / 'train' / 'checkpoints'):
        candidates.append(checkpoints / 'last' / 'pretrained_model')
        if checkpoints.is_dir():
            numbered = sorted(p for p in checkpoints.iterdir() if p.name.isdigit())
            candidates.extend(p / 'pretrained_model' for p in reversed(numbered))
    for candidate in candidates:
        if candidate.is_dir() and (candidate / CONFIG_FILE).is_file() and (
                (candidate / WEIGHTS_FILE).is_file() or is_lora_checkpoint(candidate)):
            missing = [name for name in CHECKPOINT_FILES if not (candidate / name).is_file()
                       and not (name == WEIGHTS_FILE and is_lora_checkpoint(candidate))]
            if missing:
                raise CheckpointError(
                    f'checkpoint {candidate} lacks {", ".join(missing)}; it was not saved with '
                    'its pre/post processors (save them with lerobot\'s save_pretrained)')
            return candidate.resolve()
    looked = '\n  '.join(str(c) for c in candidates if c == path or c.parent.exists())
    raise CheckpointError(
        f'no checkpoint found: none of these folders holds {CONFIG_FILE} and {WEIGHTS_FILE}:'
        f'\n  {looked}\nPass a pretrained_model folder, a checkpoints/NNNNNN folder or a '
        'training output folder.')


def is_lora_checkpoint(folder: Path) -> bool:
    """Return whether a checkpoint folder holds LoRA adapters instead of the full weights."""
    return ((folder / ADAPTER_CONFIG_FILE).is_file() and (folder / ADAPTER_WEIGHTS_FILE).is_file()
            and not (folder / WEIGHTS_FILE).is_file())


def check_vlm_folder(vlm: str) -> str:
    """
    Return ``vlm`` if it is a usable local VLM folder or a Hugging Face id present in the cache.

    Raise CheckpointError naming the missing files, or the cache that was searched.
    """
    folder = Path(vlm).expanduser()
    if folder.is_dir():
        missing = [name for name in VLM_FILES if not (folder / name).is_file()]
        if not any((folder / name).is_file() for name in VLM_TOKENIZER_FILES):
            missing.append(' or '.join(VLM_TOKENIZER_FILES))
        if missing:
            raise CheckpointError(
                f'VLM folder {folder} lacks {", ".join(missing)}; it needs the VLM\'s config, '
                'tokenizer and processor files (weights are not needed)')
        return str(folder.resolve())
    if vlm.startswith(('/', '.', '~')) or vlm.count('/') != 1:
        raise CheckpointError(f'VLM folder {folder} does not exist; pass --vlm-path DIR with a '
                              'local copy of the VLM (config, tokenizer and processor files)')
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.constants import HF_HUB_CACHE

    cached = try_to_load_from_cache(vlm, 'config.json')
    if not isinstance(cached, str):
        raise CheckpointError(
            f'the checkpoint names the VLM {vlm!r}, which is neither a local folder nor in the '
            f'Hugging Face cache ({HF_HUB_CACHE}); this runs offline, so pass --vlm-path DIR '
            '(parameter vlm_path) pointing at a local copy of its config, tokenizer and '
            'processor files')
    return vlm


class SmolVLAType:
    """SmolVLA: a VLM backbone and a flow-matching action expert; chunk_size actions per call."""

    name = 'smolvla'
    needs_vlm = True
    chunk_size_source = 'the checkpoint\'s chunk_size'

    @staticmethod
    def check(config, where: Path) -> None:
        """Raise CheckpointError if the runner cannot use this checkpoint (SmolVLA: always can)."""

    @staticmethod
    def chunk_size(config) -> int:
        """Return the number of actions one prediction gives."""
        return int(config.chunk_size)

    @staticmethod
    def configure(config, vlm: Optional[str]) -> None:
        """Adapt the loaded config for inference: build the VLM from its folder, no weights."""
        config.vlm_model_name = vlm
        # model.safetensors holds every weight; building the VLM from its config is enough.
        config.load_vlm_weights = False

    @staticmethod
    def preprocessor_overrides(vlm: Optional[str]) -> dict:
        """Return the preprocessor step overrides beyond the device: the VLM's tokenizer."""
        return {'tokenizer_processor': {'tokenizer_name': vlm}}

    @staticmethod
    def predict(policy, config, batch: dict, deterministic: bool, device):
        """Return the normalised chunk (1, chunk_size, 7) for a preprocessed batch."""
        import torch

        noise = None
        if deterministic:
            noise = torch.zeros(1, config.chunk_size, config.max_action_dim, device=device)
        return policy.predict_action_chunk(batch, noise=noise)


class DiffusionType:
    """lerobot's diffusion policy: a ResNet image encoder and a denoising 1-D U-Net."""

    name = 'diffusion'
    needs_vlm = False
    chunk_size_source = 'the checkpoint\'s horizon - n_obs_steps + 1'

    @staticmethod
    def check(config, where: Path) -> None:
        """Require one observation step: the runner has no history of past frames to stack."""
        if int(config.n_obs_steps) != 1:
            raise CheckpointError(
                f'{where}: n_obs_steps is {config.n_obs_steps}, but the runner supports only 1 '
                'for diffusion policies: it is called once per chunk, not every frame, so it '
                'predicts from the current frame only and has no past observations to stack; '
                'train with n_obs_steps=1 (ar4_policy.diffusion.DIFFUSION_SETTINGS)')

    @staticmethod
    def chunk_size(config) -> int:
        """Return the actions from the current step to the horizon's end."""
        return int(config.horizon) - int(config.n_obs_steps) + 1

    @staticmethod
    def configure(config, vlm: Optional[str]) -> None:
        """Make every prediction return the whole usable horizon (callers pick n_action_steps)."""
        config.n_action_steps = DiffusionType.chunk_size(config)

    @staticmethod
    def preprocessor_overrides(vlm: Optional[str]) -> dict:
        """Return the preprocessor step overrides beyond the device: none."""
        return {}

    @staticmethod
    def predict(policy, config, batch: dict, deterministic: bool, device):
        """
        Return the normalised chunk (1, chunk_size, 7) for a preprocessed batch.

        ``predict_action_chunk`` reads the observations from the policy's queues, so they are
        filled first as lerobot's ``select_action`` does: without the (empty) action, the images
        stacked into one key, then ``populate_queues``. ``deterministic`` starts the denoising
        from zeros and seeds the random draws that DDPM's steps add (DDIM adds none).
        """
        import torch
        from lerobot.policies.utils import populate_queues
        from lerobot.utils.constants import ACTION, OBS_IMAGES

        batch = {key: value for key, value in batch.items() if key != ACTION}
        batch[OBS_IMAGES] = torch.stack([batch[key] for key in config.image_features], dim=-4)
        policy._queues = populate_queues(policy._queues, batch)
        if not deterministic:
            return policy.predict_action_chunk(batch)
        noise = torch.zeros(1, config.horizon, config.action_feature.shape[0], device=device)
        with torch.random.fork_rng(devices=[] if device.type == 'cpu' else None,
                                   device_type=device.type):
            torch.manual_seed(0)
            return policy.predict_action_chunk(batch, noise=noise)


#: What differs between the policy types the runner loads, by config.json ``type``.
POLICY_TYPES = {kind.name: kind for kind in (SmolVLAType, DiffusionType)}


class PolicyRunner:
    """A SmolVLA or diffusion policy with its processors: reset per episode, predict chunks."""

    def __init__(self, checkpoint: Union[str, Path], device: str = 'cpu',
                 vlm_path: Optional[Union[str, Path]] = None,
                 n_action_steps: Optional[int] = None, deterministic: bool = False):
        """
        Load the checkpoint (see the module docstring for what is accepted).

        ``vlm_path`` overrides a SmolVLA checkpoint's ``vlm_model_name``; it is ignored for
        diffusion checkpoints, which have no VLM (``self.vlm`` is None). ``n_action_steps``
        overrides the checkpoint's actions executed per chunk (1..chunk_size).
        ``deterministic`` starts the decoder (SmolVLA's flow matching, the diffusion policy's
        denoising) from the mean of its noise prior (zeros) instead of a random draw, so the
        same observation always gives the same chunk.
        """
        self.checkpoint = resolve_checkpoint(checkpoint)
        self.deterministic = bool(deterministic)
        try:
            raw = json.loads((self.checkpoint / CONFIG_FILE).read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f'{self.checkpoint / CONFIG_FILE}: unreadable: {error}')
        self.kind = POLICY_TYPES.get(raw.get('type'))
        if self.kind is None:
            raise CheckpointError(
                f'{self.checkpoint / CONFIG_FILE}: policy type is {raw.get("type")!r}; the runner '
                f'supports {", ".join(repr(name) for name in POLICY_TYPES)}')
        self.policy_type = self.kind.name
        self.vlm = None
        if self.kind.needs_vlm:
            vlm = str(vlm_path) if vlm_path is not None else str(raw.get('vlm_model_name', ''))
            self.vlm = check_vlm_folder(vlm)
        self.device = device
        self._load(n_action_steps)

    def _load(self, n_action_steps: Optional[int]) -> None:
        from lerobot.configs.policies import PreTrainedConfig
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors

        config = PreTrainedConfig.from_pretrained(str(self.checkpoint), local_files_only=True)
        self.kind.check(config, self.checkpoint / CONFIG_FILE)
        config.device = self.device
        config.pretrained_path = str(self.checkpoint)
        self._chunk_size = self.kind.chunk_size(config)
        if n_action_steps is not None:
            if not 1 <= int(n_action_steps) <= self._chunk_size:
                raise ValueError(f'n_action_steps must be in 1..{self._chunk_size} '
                                 f'({self.kind.chunk_size_source}), got {n_action_steps}')
            config.n_action_steps = int(n_action_steps)
        self._n_action_steps = int(config.n_action_steps)
        self.kind.configure(config, self.vlm)
        self._check_features(config)
        self.config = config
        policy_class = get_policy_class(self.kind.name)
        try:
            if is_lora_checkpoint(self.checkpoint):
                self.policy = self._load_lora(policy_class, config)
            else:
                self.policy = policy_class.from_pretrained(
                    str(self.checkpoint), config=config, strict=True, local_files_only=True)
        except RuntimeError as error:
            built_from = CONFIG_FILE + (f' and VLM {self.vlm}' if self.vlm else '')
            raise CheckpointError(f'{self.checkpoint / WEIGHTS_FILE} does not match the '
                                  f'policy built from {built_from}: '
                                  f'{str(error)[:500]}') from None
        self.policy.eval()
        device_override = {'device_processor': {'device': self.device}}
        self.preprocessor, self.postprocessor = make_pre_post_processors(
            config, pretrained_path=str(self.checkpoint),
            preprocessor_overrides={**device_override,
                                    **self.kind.preprocessor_overrides(self.vlm)},
            postprocessor_overrides={'device_processor': {'device': 'cpu'}})
        self._torch_device = None

    def _load_lora(self, policy_class, config):
        """Load the base policy the adapters were trained on and merge the adapters into it."""
        from peft import PeftConfig, PeftModel

        adapters = PeftConfig.from_pretrained(str(self.checkpoint))
        base = adapters.base_model_name_or_path
        if not base or not Path(base).expanduser().is_dir():
            raise CheckpointError(
                f'{self.checkpoint} holds LoRA adapters for the base policy {base!r}, which is '
                'not a local folder; put a copy of that base there (or edit base_model_name_or_'
                f'path in {self.checkpoint / ADAPTER_CONFIG_FILE})')
        policy = policy_class.from_pretrained(str(Path(base).expanduser()), config=config,
                                              strict=True, local_files_only=True)
        merged = PeftModel.from_pretrained(policy, str(self.checkpoint), config=adapters)
        return merged.merge_and_unload()

    def _check_features(self, config) -> None:
        inputs = config.input_features or {}
        outputs = config.output_features or {}
        problems = []
        if IMAGE_KEY not in inputs:
            problems.append(f'input {IMAGE_KEY} missing (has {", ".join(inputs) or "none"})')
        if STATE_KEY not in inputs or tuple(inputs[STATE_KEY].shape) != (STATE_SIZE,):
            problems.append(f'input {STATE_KEY} must have shape ({STATE_SIZE},)')
        if 'action' not in outputs or tuple(outputs['action'].shape) != (STATE_SIZE,):
            problems.append(f'output action must have shape ({STATE_SIZE},)')
        if problems:
            raise CheckpointError(
                f'{self.checkpoint / CONFIG_FILE} was not trained on the AR4 dataset contract: '
                + '; '.join(problems))

    @property
    def chunk_size(self) -> int:
        """Return the number of actions the model predicts per inference."""
        return self._chunk_size

    @property
    def n_action_steps(self) -> int:
        """Return the checkpoint's (or the overridden) actions executed per chunk."""
        return self._n_action_steps

    def reset(self) -> None:
        """Reset the policy's queues and the processors' state: call at each episode start."""
        self.policy.reset()
        self.preprocessor.reset()
        self.postprocessor.reset()

    def observation(self, image: np.ndarray, state7: Sequence[float]) -> dict:
        """Return the raw observation dict in the dataset's keys, dtypes and layout."""
        image = np.asarray(image)
        if image.shape != IMAGE_SHAPE or image.dtype != np.uint8:
            raise ValueError(f'image must be uint8 with shape {IMAGE_SHAPE} (HWC RGB), got '
                             f'{image.dtype} {image.shape}')
        state = np.asarray(state7, dtype=np.float32).reshape(-1)
        if state.shape != (STATE_SIZE,):
            raise ValueError(f'state must have {STATE_SIZE} values, got shape {state.shape}')
        return {IMAGE_KEY: np.ascontiguousarray(image), STATE_KEY: state}

    def predict_chunk(self, image: np.ndarray, state7: Sequence[float], task: str) -> np.ndarray:
        """Return the next chunk of absolute targets, shape (chunk_size, 7), float64."""
        import torch
        from lerobot.policies.utils import prepare_observation_for_inference

        if self._torch_device is None:
            self._torch_device = torch.device(self.device)
        observation = self.observation(image, state7)
        with torch.inference_mode():
            batch = prepare_observation_for_inference(observation, self._torch_device, task,
                                                      robot_type=None)
            batch = self.preprocessor(batch)
            chunk = self.kind.predict(self.policy, self.config, batch, self.deterministic,
                                      self._torch_device)
            chunk = self.postprocessor(chunk)
        return chunk.squeeze(0).to('cpu', torch.float64).numpy()
