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
Check an ``ar4-train`` request and turn it into ``lerobot-train`` arguments.

Pure functions over paths and plain values: every check here runs before any training starts
and raises :class:`TrainInputError` with a message that says what to do.

Two policy types: ``smolvla`` (fine-tune a pretrained SmolVLA from ``--base``, or train the
tiny offline SmolVLA from scratch with ``--tiny``) and ``diffusion`` (lerobot's diffusion
policy trained from scratch with the AR4 settings of :mod:`ar4_policy.diffusion`).

Run folder layout (``--out``)::

    <out>/ar4_train.json        what ar4-train ran: policy type, base, attempts, final checkpoint
    <out>/tiny_vlm/             the tiny offline SmolVLM (``--tiny`` runs only)
    <out>/train/                lerobot's output_dir: checkpoints/NNNNNN/pretrained_model,
                                checkpoints/last -> the newest one
"""

from dataclasses import dataclass, field
import json
import math
import os
from pathlib import Path
import re
from typing import List, Optional, Tuple

from ar4_policy.diffusion import POLICY_TYPE as DIFFUSION_POLICY_TYPE
from ar4_teleop.recording import features as contract
from ar4_teleop.recording import outcome as success_marks

RUN_SUBDIR = 'train'
TINY_VLM_SUBDIR = 'tiny_vlm'
RECORD_NAME = 'ar4_train.json'
TINY_BASE = 'tiny'
DEFAULT_BASE = 'lerobot/smolvla_base'
DEFAULT_CHECKPOINT_ROOT = Path('data') / 'checkpoints'
SMOLVLA = 'smolvla'
DIFFUSION = DIFFUSION_POLICY_TYPE
#: The policy types ar4-train trains (lerobot's ``type`` in config.json).
POLICIES = (SMOLVLA, DIFFUSION)


class TrainInputError(ValueError):
    """The request cannot be trained as given; the message says what to change."""


@dataclass
class TrainRequest:
    """What the user asked ``ar4-train`` for (paths already resolved)."""

    dataset: Path
    out: Path
    policy: str = SMOLVLA
    steps: int = 20000
    batch_size: int = 64
    min_batch_size: int = 1
    lora_rank: Optional[int] = None
    base: str = DEFAULT_BASE
    vlm: Optional[str] = None
    resume: bool = False
    device: str = 'cpu'
    num_workers: int = 4
    save_freq: int = 5000
    log_freq: int = 50
    seed: int = 1000
    num_processes: int = 1
    push_to_hub: Optional[str] = None
    tiny_size: str = 'tiny'
    #: Train on the episodes marked a success while recording only (recording.outcome).
    only_success: bool = False
    extra_args: List[str] = field(default_factory=list)

    @property
    def tiny(self) -> bool:
        """Return True when the policy is the tiny offline SmolVLA built from scratch."""
        return self.policy == SMOLVLA and self.base == TINY_BASE

    @property
    def diffusion(self) -> bool:
        """Return True when the policy is lerobot's diffusion policy built from scratch."""
        return self.policy == DIFFUSION

    @property
    def run_dir(self) -> Path:
        """Return lerobot's output_dir inside the run folder."""
        return self.out / RUN_SUBDIR

    @property
    def tiny_vlm_dir(self) -> Path:
        """Return where the tiny SmolVLM folder of a ``--tiny`` run lives."""
        return self.out / TINY_VLM_SUBDIR


def default_out(dataset: Path) -> Path:
    """Return the default run folder for a dataset: data/checkpoints/<dataset folder name>."""
    return DEFAULT_CHECKPOINT_ROOT / Path(dataset).resolve().name


def check_dataset(dataset: Path) -> dict:
    """
    Check that a folder is a finalized LeRobot dataset with the AR4 contract's features.

    Return its meta/info.json. Nothing is decoded, so this takes milliseconds.
    """
    dataset = Path(dataset)
    if not dataset.is_dir():
        raise TrainInputError(
            f'dataset folder {dataset} does not exist: pass --dataset with a folder recorded by '
            'the recorder, ar4-bag2lerobot or ar4-generate')
    info_path = dataset / 'meta' / 'info.json'
    if not info_path.is_file():
        raise TrainInputError(
            f'{dataset} is not a LeRobot dataset (no meta/info.json): pass the dataset root '
            'folder, the one holding meta/, data/ and videos/')
    try:
        info = json.loads(info_path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as error:
        raise TrainInputError(f'cannot read {info_path}: {error}') from None
    declared = info.get('features', {})
    expected = contract.dataset_features()
    problems = []
    for key, feature in expected.items():
        if key not in declared:
            problems.append(f'missing feature {key!r}')
            continue
        shape = contract.shape_of(declared[key])
        if shape != contract.shape_of(feature):
            problems.append(
                f'{key!r} has shape {shape}, expected {contract.shape_of(feature)}')
        if key == contract.IMAGE_KEY and declared[key].get('dtype') not in ('video', 'image'):
            problems.append(f'{key!r} is not an image or video feature')
    if problems:
        raise TrainInputError(
            f'{dataset} does not follow the AR4 dataset contract (ar4_teleop.recording.features)'
            f': {"; ".join(problems)}. Record it with the AR4 recorder, ar4-bag2lerobot or '
            'ar4-generate, or convert it to these features first')
    if int(info.get('total_episodes', 0)) < 1 or int(info.get('total_frames', 0)) < 1:
        raise TrainInputError(f'{dataset} holds no episodes: record some before training')
    if not (dataset / 'meta' / 'episodes').is_dir():
        raise TrainInputError(
            f'{dataset} was not finalized (no meta/episodes/): check it with ar4-check-dataset '
            'and repair it before training')
    return info


def dataset_tasks(dataset: Path) -> List[str]:
    """Return the dataset's task strings (from meta/tasks.parquet), or [] if unreadable."""
    import pandas as pd

    try:
        tasks = pd.read_parquet(Path(dataset) / 'meta' / 'tasks.parquet')
    except (OSError, ValueError):
        return []
    if 'task' in tasks.columns:
        return [str(task) for task in tasks['task']]
    return [str(task) for task in tasks.index]


def successful_episodes(dataset: Path) -> List[int]:
    """Return the episodes marked a success; raise TrainInputError when there are none."""
    episodes = success_marks.successful_episodes(dataset)
    if not episodes:
        raise TrainInputError(
            f'--only-success: no episode of {dataset} is marked a success (ar4-check-dataset '
            'shows the marks; mark takes with S / F while recording)')
    return episodes


def last_checkpoint(run_dir: Path) -> Optional[Path]:
    """Return run_dir/checkpoints/last resolved, or None when no checkpoint was saved."""
    last = Path(run_dir) / 'checkpoints' / 'last'
    if (last / 'pretrained_model' / 'train_config.json').is_file():
        return last.resolve()
    return None


def checkpoint_step(checkpoint: Path) -> int:
    """Return the training step a checkpoint folder was saved at."""
    state = Path(checkpoint) / 'training_state' / 'training_step.json'
    return int(json.loads(state.read_text(encoding='utf-8'))['step'])


def saved_policy_type(run_dir: Path) -> Optional[str]:
    """Return the policy type in the last checkpoint's train_config.json (None without one)."""
    checkpoint = last_checkpoint(run_dir)
    if checkpoint is None:
        return None
    path = checkpoint / 'pretrained_model' / 'train_config.json'
    return json.loads(path.read_text(encoding='utf-8')).get('policy', {}).get('type')


def check_output(request: TrainRequest) -> None:
    """Refuse to overwrite another run; for ``--resume`` require a checkpoint to resume from."""
    out = request.out
    if request.resume:
        if last_checkpoint(request.run_dir) is None:
            raise TrainInputError(
                f'--resume: {out} holds no checkpoint to resume from (expected '
                f'{request.run_dir}/checkpoints/last/pretrained_model/train_config.json); '
                'drop --resume to start a new run')
        saved = saved_policy_type(request.run_dir)
        if saved is not None and saved != request.policy:
            raise TrainInputError(
                f'--resume: the run in {out} trains a {saved!r} policy, not {request.policy!r}: '
                f'drop --policy (or pass --policy {saved}) to continue it, or start a '
                f'{request.policy} run in a new --out')
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TrainInputError(
            f'output folder {out} already holds another run: pass --resume to continue it, or '
            'choose a new --out (nothing was changed)')


def _hub_config_cached(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, 'config.json'), str)


def check_base(request: TrainRequest) -> None:
    """Check that the base policy can be found (a local folder, or a hub id when online)."""
    base = request.base
    if request.tiny:
        return
    local = Path(base).expanduser()
    if local.exists():
        config_path = local / 'config.json'
        if not config_path.is_file():
            raise TrainInputError(
                f'--base {base} is not a policy folder (no config.json): pass a pretrained_model '
                'folder such as data/checkpoints/<run>/train/checkpoints/last/pretrained_model')
        policy_type = json.loads(config_path.read_text(encoding='utf-8')).get('type')
        if policy_type != SMOLVLA:
            raise TrainInputError(
                f'--base {base} is a {policy_type!r} policy; ar4-train fine-tunes SmolVLA only '
                f'(--policy {DIFFUSION} trains a diffusion policy from scratch, without --base)')
        return
    if not re.fullmatch(r'[\w.-]+/[\w.-]+', base):
        raise TrainInputError(
            f'--base {base}: no such folder, and not a hub id of the form owner/name')
    offline = os.environ.get('HF_HUB_OFFLINE', '').lower() in ('1', 'true', 'yes', 'on')
    if offline and not _hub_config_cached(base):
        raise TrainInputError(
            f'--base {base} is a hub id but HF_HUB_OFFLINE is set and it is not in the local '
            'cache: pass --base with a local folder holding the policy (for example a '
            'downloaded smolvla_base), and --vlm with a local SmolVLM2 folder if its '
            'load_vlm_weights is true; or use --tiny for the offline tiny policy')


def check_numbers(request: TrainRequest) -> None:
    """Reject non-positive sizes and counts."""
    for name in ('steps', 'batch_size', 'min_batch_size', 'save_freq', 'num_processes'):
        if getattr(request, name) < 1:
            raise TrainInputError(f'--{name.replace("_", "-")} must be at least 1')
    if request.log_freq < 0 or request.num_workers < 0:
        raise TrainInputError('--log-freq and --num-workers must not be negative')
    if request.lora_rank is not None and request.lora_rank < 1:
        raise TrainInputError('--lora-rank must be at least 1')
    if request.min_batch_size > request.batch_size:
        raise TrainInputError('--min-batch-size must not exceed --batch-size')
    if request.lora_rank is not None and request.tiny:
        raise TrainInputError(
            '--lora-rank needs a pretrained base (--base): the tiny policy starts from random '
            'weights, so train it fully')


def check_policy(request: TrainRequest) -> None:
    """Reject a policy type ar4-train does not train, and SmolVLA options given to diffusion."""
    if request.policy not in POLICIES:
        raise TrainInputError(
            f'--policy {request.policy}: unknown policy type; choose one of {", ".join(POLICIES)}')
    if not request.diffusion:
        return
    unused = f'--policy {DIFFUSION} trains lerobot\'s diffusion policy from scratch'
    if request.base == TINY_BASE:
        raise TrainInputError(
            f'--tiny is a SmolVLA option and {unused}: drop --tiny (size the diffusion policy '
            'with lerobot arguments after "--", e.g. "-- --policy.down_dims=[32,64,128]"), or '
            f'drop --policy {DIFFUSION} to train the tiny SmolVLA')
    if request.base != DEFAULT_BASE:
        raise TrainInputError(
            f'--base is a SmolVLA option and {unused}, with no base policy: drop --base, or '
            f'drop --policy {DIFFUSION} to fine-tune that SmolVLA')
    if request.vlm is not None:
        raise TrainInputError(
            f'--vlm is a SmolVLA option and {unused}, with no language model: drop --vlm')
    if request.lora_rank is not None:
        raise TrainInputError(
            f'--lora-rank needs a pretrained SmolVLA base and {unused}, so it trains every '
            'weight: drop --lora-rank')


def check_request(request: TrainRequest) -> dict:
    """Run every check before training; return the dataset's info.json."""
    check_policy(request)
    check_numbers(request)
    check_output(request)
    if request.resume:
        return {}
    info = check_dataset(request.dataset)
    if request.only_success:
        successful_episodes(request.dataset)
    if not request.diffusion:
        check_base(request)
    return info


def oom_attempts(batch_size: int, steps: int, floor: int) -> List[Tuple[int, int]]:
    """
    Return the (batch size, steps) attempts of the out-of-memory fallback.

    The batch halves each time down to ``floor``; steps scale up so that every attempt sees
    the same number of samples (rounded up): 64 x 1000 -> 32 x 2000 -> 16 x 4000 ...
    """
    attempts = []
    batch = batch_size
    while True:
        attempts.append((batch, math.ceil(steps * batch_size / batch)))
        if batch <= floor:
            return attempts
        batch = max(floor, batch // 2)


def resumed_steps(done: int, total: int, batch_size: int, new_batch: int) -> int:
    """Return the total steps of a resumed run whose remaining steps move to a smaller batch."""
    remaining = max(0, total - done)
    return done + math.ceil(remaining * batch_size / new_batch)


def _value(value) -> str:
    """Return a setting as draccus parses it: true/false, null, [a,b] for tuples and lists."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (tuple, list)):
        return '[' + ','.join(str(item) for item in value) + ']'
    return str(value)


def lerobot_args(request: TrainRequest, batch_size: int, steps: int) -> List[str]:
    """Return the ``lerobot-train`` arguments of one training attempt."""
    if request.resume:
        config = last_checkpoint(request.run_dir) / 'pretrained_model' / 'train_config.json'
        return [f'--config_path={config}', '--resume=true', f'--batch_size={batch_size}',
                f'--steps={steps}', f'--output_dir={request.run_dir}'] + request.extra_args
    dataset = request.dataset.resolve()
    args = [
        f'--dataset.repo_id=local/{dataset.name}',
        f'--dataset.root={dataset}',
        f'--output_dir={request.run_dir.resolve()}',
        f'--job_name={request.out.resolve().name}',
        f'--batch_size={batch_size}',
        f'--steps={steps}',
        f'--num_workers={request.num_workers}',
        f'--save_freq={request.save_freq}',
        f'--log_freq={request.log_freq}',
        f'--seed={request.seed}',
        '--wandb.enable=false',
    ]
    if request.only_success:
        episodes = ','.join(str(i) for i in successful_episodes(dataset))
        args.append(f'--dataset.episodes=[{episodes}]')
    if request.diffusion:
        from ar4_policy.diffusion import DIFFUSION_SETTINGS

        # From scratch, no pretrained backbone: lerobot's cosine schedule spans the whole run.
        args.append(f'--policy.type={DIFFUSION}')
        settings = dict(DIFFUSION_SETTINGS)
        settings.pop('push_to_hub')
        args += [f'--policy.{key}={_value(value)}' for key, value in settings.items()]
    elif request.tiny:
        from ar4_policy.tiny_vlm import tiny_smolvla_settings

        args.append(f'--policy.type={SMOLVLA}')
        settings = tiny_smolvla_settings(request.tiny_vlm_dir)
        settings.pop('push_to_hub')
        # Trained from scratch: the learning rate decays over the whole run, not 1000 steps.
        settings['scheduler_decay_steps'] = steps
        args += [f'--policy.{key}={_value(value)}' for key, value in settings.items()]
    else:
        # The dataset's wrist camera and 7-dim state replace the base's camera1..3 and 6-dim
        # state: lerobot fills empty input features from the dataset (make_policy), and the
        # state projection works on the padded 32-dim vector, so the weights still fit.
        args += [f'--policy.path={request.base}', '--policy.input_features=null',
                 '--policy.output_features=null']
        if request.vlm:
            args.append(f'--policy.vlm_model_name={Path(request.vlm).expanduser().resolve()}')
    args.append(f'--policy.device={request.device}')
    if request.push_to_hub:
        args += ['--policy.push_to_hub=true', f'--policy.repo_id={request.push_to_hub}']
    else:
        args.append('--policy.push_to_hub=false')
    if request.lora_rank is not None:
        args += ['--peft.method_type=LORA', f'--peft.r={request.lora_rank}']
    return args + request.extra_args


def child_command(request: TrainRequest, python: str) -> List[str]:
    """Return the command prefix that runs the training child (through accelerate for >1 GPU)."""
    if request.num_processes > 1:
        return [python, '-m', 'accelerate.commands.launch', '--multi_gpu',
                f'--num_processes={request.num_processes}', '-m', 'ar4_policy.training.child']
    return [python, '-m', 'ar4_policy.training.child']
