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

"""ar4-train's checks and plans: bad input stops before training, OOM plans, lerobot args."""

import json
from pathlib import Path
import subprocess

from ar4_policy import train as train_module
from ar4_policy.diffusion import DIFFUSION_BATCH_SIZE, DIFFUSION_SETTINGS, diffusion_config
from ar4_policy.train import build_parser, main, request_from_args
from ar4_policy.training.child import find_oom
from ar4_policy.training.request import (
    check_request, child_command, lerobot_args, oom_attempts, resumed_steps, TrainInputError,
    TrainRequest)
from ar4_teleop.recording import features as contract
import numpy as np
import pytest
import torch


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any training process is started."""
    def refuse(*args, **kwargs):
        raise AssertionError(f'training was started: {args}')

    monkeypatch.setattr(subprocess, 'call', refuse)


def _run(capsys, *args):
    code = main([str(arg) for arg in args] + ['--device', 'cpu'])
    return code, capsys.readouterr().err


def test_missing_dataset_is_a_clear_error(tmp_path, capsys, no_training):
    code, err = _run(capsys, '--dataset', tmp_path / 'nope', '--out', tmp_path / 'run', '--tiny')
    assert code == 2
    assert 'does not exist' in err and 'Traceback' not in err
    assert not (tmp_path / 'run').exists()


def test_dataset_without_the_contract_features_is_refused(tmp_path, capsys, no_training):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    # A real LeRobot dataset from another robot: 6-dim state and action, no wrist camera.
    root = tmp_path / 'other_robot'
    vector = {'dtype': 'float32', 'shape': (6,), 'names': [f'j{i}' for i in range(6)]}
    other = LeRobotDataset.create('local/other_robot', fps=contract.FPS, root=root,
                                  features={'observation.state': vector, 'action': vector},
                                  use_videos=False)
    for _ in range(3):
        other.add_frame({'observation.state': np.zeros(6, np.float32),
                         'action': np.zeros(6, np.float32), 'task': 'wave'})
    other.save_episode()
    other.finalize()

    code, err = _run(capsys, '--dataset', root, '--out', tmp_path / 'run', '--tiny')
    assert code == 2
    assert f'missing feature {contract.IMAGE_KEY!r}' in err
    assert "'observation.state' has shape (6,), expected (7,)" in err
    assert not (tmp_path / 'run').exists()


def test_output_folder_holding_another_run_is_left_alone(tmp_path, capsys, no_training):
    out = tmp_path / 'run'
    (out / 'train').mkdir(parents=True)
    (out / 'train' / 'precious.txt').write_text('keep me')
    code, err = _run(capsys, '--dataset', tmp_path, '--out', out, '--tiny')
    assert code == 2
    assert 'already holds another run' in err and '--resume' in err
    assert (out / 'train' / 'precious.txt').read_text() == 'keep me'
    assert sorted(p.name for p in out.rglob('*')) == ['precious.txt', 'train']


@pytest.mark.parametrize('args, message', [
    (['--resume'], 'holds no checkpoint to resume from'),
    (['--base', 'nobody/not-a-policy'], 'HF_HUB_OFFLINE is set'),
    (['--base', 'not a hub id or folder'], 'no such folder'),
    (['--tiny', '--lora-rank', '32'], 'needs a pretrained base'),
    (['--tiny', '--batch-size', '0'], '--batch-size must be at least 1'),
])
def test_other_bad_requests_stop_before_training(tmp_path, capsys, no_training, args,
                                                 message):
    dataset = tmp_path / 'dataset'
    (dataset / 'meta' / 'episodes').mkdir(parents=True)
    (dataset / 'meta' / 'info.json').write_text(json.dumps({
        'features': contract.dataset_features(), 'total_episodes': 1, 'total_frames': 5}))
    code, err = _run(capsys, '--dataset', dataset, '--out', tmp_path / 'run', *args)
    assert code == 2
    assert message in err
    assert not (tmp_path / 'run').exists()


def test_no_dataset_without_resume(capsys, no_training):
    code, err = _run(capsys, '--tiny')
    assert code == 2 and 'pass --dataset' in err


def test_oom_plan_halves_the_batch_and_keeps_samples_seen():
    assert oom_attempts(64, 1000, 8) == [(64, 1000), (32, 2000), (16, 4000), (8, 8000)]
    assert oom_attempts(6, 5, 1) == [(6, 5), (3, 10), (1, 30)]
    assert oom_attempts(4, 3, 4) == [(4, 3)]
    for batch, steps in oom_attempts(48, 7, 1):
        assert batch * steps >= 48 * 7
    assert resumed_steps(done=600, total=1000, batch_size=64, new_batch=32) == 1400


def test_train_gives_up_at_the_floor_and_keeps_failed_runs(tmp_path, capsys):
    calls = []

    def always_oom(command, marker):
        calls.append(command)
        (tmp_path / 'run' / 'train').mkdir(parents=True, exist_ok=True)
        return 'oom'

    request = TrainRequest(dataset=tmp_path, out=tmp_path / 'run', batch_size=4, steps=3,
                           min_batch_size=1)
    assert train_module.train(request, runner=always_oom, python='python') == 3
    sizes = [(c[c.index('-m') + 2:][4], c[c.index('-m') + 2:][5]) for c in calls]
    assert sizes == [('--batch_size=4', '--steps=3'), ('--batch_size=2', '--steps=6'),
                     ('--batch_size=1', '--steps=12')]
    assert not (tmp_path / 'run' / 'train').exists()
    assert 'out of memory even at batch size 1' in capsys.readouterr().err

    def crash(command, marker):
        (tmp_path / 'run2' / 'train' / 'checkpoints').mkdir(parents=True)
        return 'failed:1'

    request.out = tmp_path / 'run2'
    assert train_module.train(request, runner=crash, python='python') == 1
    assert (tmp_path / 'run2' / 'train' / 'checkpoints').is_dir()


def test_lerobot_arguments_for_a_hub_base_with_lora(tmp_path):
    request = TrainRequest(dataset=tmp_path / 'ds', out=tmp_path / 'run', lora_rank=32,
                           vlm=str(tmp_path / 'smolvlm2'), device='cuda')
    args = lerobot_args(request, batch_size=32, steps=2000)
    assert '--policy.path=lerobot/smolvla_base' in args
    assert '--policy.input_features=null' in args and '--policy.output_features=null' in args
    assert f'--dataset.root={(tmp_path / "ds").resolve()}' in args
    assert f'--output_dir={(tmp_path / "run" / "train").resolve()}' in args
    assert '--peft.method_type=LORA' in args and '--peft.r=32' in args
    assert '--policy.push_to_hub=false' in args
    assert f'--policy.vlm_model_name={(tmp_path / "smolvlm2").resolve()}' in args
    assert '--batch_size=32' in args and '--steps=2000' in args
    request.num_processes = 4
    command = child_command(request, 'python')
    assert command[:4] == ['python', '-m', 'accelerate.commands.launch', '--multi_gpu']
    assert '--num_processes=4' in command and command[-2:] == ['-m', 'ar4_policy.training.child']


def test_wrapped_out_of_memory_errors_are_recognised():
    oom = torch.OutOfMemoryError('CUDA out of memory')
    try:
        try:
            raise oom
        except torch.OutOfMemoryError as error:
            raise RuntimeError('step failed') from error
    except RuntimeError as wrapped:
        assert find_oom(wrapped) is oom
    assert torch.cuda.OutOfMemoryError is torch.OutOfMemoryError
    assert find_oom(ValueError('x')) is None
    assert Path(child_command(TrainRequest(Path('d'), Path('o')), 'py')[-1]).name == (
        'ar4_policy.training.child')


def _request(*args, extra=()):
    parsed = build_parser().parse_args([str(arg) for arg in args] + ['--device', 'cpu'])
    return request_from_args(parsed, list(extra))


def _policy_args(args):
    """Return the --policy.* arguments without the prefix, as {key: value}."""
    prefix = '--policy.'
    return dict(arg[len(prefix):].split('=', 1) for arg in args if arg.startswith(prefix))


def test_lerobot_arguments_for_the_diffusion_policy_are_the_ar4_settings(tmp_path):
    request = _request('--dataset', tmp_path / 'ds', '--out', tmp_path / 'run', '--policy',
                       'diffusion', extra=['--policy.horizon=16'])
    assert request.batch_size == DIFFUSION_BATCH_SIZE and not request.tiny
    args = lerobot_args(request, batch_size=request.batch_size, steps=100)
    policy = _policy_args(args[:-1])
    assert policy.pop('type') == 'diffusion'
    assert policy.pop('device') == 'cpu' and policy.pop('push_to_hub') == 'false'
    assert set(policy) == set(DIFFUSION_SETTINGS) - {'push_to_hub'}
    assert policy['resize_shape'] == '[96,128]' and policy['down_dims'] == '[64,128,256]'
    assert policy['pretrained_backbone_weights'] == 'null'
    assert policy['use_group_norm'] == 'true'
    # Nothing SmolVLA-specific; the extra arguments come last, so they win.
    named = ' '.join(arg.split('=')[0] for arg in args)
    assert not any(word in named for word in ('vlm', 'tokenizer', 'peft', 'path', 'features'))
    assert args[-1] == '--policy.horizon=16'
    assert f'--dataset.root={(tmp_path / "ds").resolve()}' in args
    assert '--batch_size=32' in args and '--steps=100' in args
    assert _request('--dataset', tmp_path, '--policy', 'diffusion', '--batch-size', '4',
                    '--out', tmp_path / 'run').batch_size == 4


def test_diffusion_arguments_parse_into_the_ar4_diffusion_config(tmp_path):
    """What lerobot's parser (draccus) makes of the arguments is diffusion_config()."""
    import draccus
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

    request = TrainRequest(dataset=tmp_path, out=tmp_path / 'run', policy='diffusion')
    policy = _policy_args(lerobot_args(request, batch_size=2, steps=2))
    del policy['type']
    parsed = draccus.parse(DiffusionConfig, args=[f'--{k}={v}' for k, v in policy.items()])
    expected = diffusion_config(device='cpu')
    for key in DIFFUSION_SETTINGS:
        assert getattr(parsed, key) == getattr(expected, key), key
    assert parsed.pretrained_backbone_weights is None and parsed.crop_shape is None


@pytest.mark.parametrize('args, message', [
    (['--tiny'], 'drop --tiny'),
    (['--base', 'lerobot/smolvla_base_v2'], 'drop --base'),
    (['--base', 'tiny'], 'drop --tiny'),
    (['--vlm', 'smolvlm2'], 'drop --vlm'),
    (['--lora-rank', '32'], 'drop --lora-rank'),
])
def test_smolvla_options_are_refused_for_the_diffusion_policy(tmp_path, capsys, no_training,
                                                              args, message):
    code, err = _run(capsys, '--dataset', tmp_path, '--out', tmp_path / 'run', '--policy',
                     'diffusion', *args)
    assert code == 2
    assert message in err and '--policy diffusion' in err and 'Traceback' not in err
    assert not (tmp_path / 'run').exists()


def _saved_run(out: Path, policy_type: str, dataset: Path) -> Path:
    """Write the files of a run folder whose last checkpoint was saved at step 10."""
    checkpoint = out / 'train' / 'checkpoints' / 'last'
    (checkpoint / 'pretrained_model').mkdir(parents=True)
    (checkpoint / 'training_state').mkdir()
    (checkpoint / 'training_state' / 'training_step.json').write_text('{"step": 10}')
    (checkpoint / 'pretrained_model' / 'train_config.json').write_text(json.dumps({
        'policy': {'type': policy_type}, 'steps': 20, 'batch_size': 6,
        'dataset': {'root': str(dataset)}}))
    return checkpoint


def test_resume_keeps_the_saved_policy_type_and_adds_no_smolvla_arguments(tmp_path, capsys):
    out = tmp_path / 'run'
    checkpoint = _saved_run(out, 'diffusion', tmp_path / 'ds')
    request = _request('--out', out, '--resume', '--steps', '40')
    check_request(request)
    assert (request.policy, request.batch_size, request.steps) == ('diffusion', 6, 40)
    assert request.dataset == tmp_path / 'ds'
    args = lerobot_args(request, batch_size=6, steps=40)
    config = checkpoint.resolve() / 'pretrained_model' / 'train_config.json'
    assert args == [f'--config_path={config}', '--resume=true', '--batch_size=6', '--steps=40',
                    f'--output_dir={out / "train"}']
    check_request(_request('--out', out, '--resume', '--policy', 'diffusion'))
    with pytest.raises(TrainInputError, match="trains a 'diffusion' policy, not 'smolvla'"):
        check_request(_request('--out', out, '--resume', '--policy', 'smolvla'))

    commands = []

    def finish(command, marker):
        commands.append(command)
        return 'ok'

    assert train_module.train(request, runner=finish, python='python') == 0
    assert not (out / 'tiny_vlm').exists()
    assert commands[0][3:] == args
    record = json.loads((out / 'ar4_train.json').read_text())['sessions'][-1]
    assert record['policy'] == 'diffusion' and record['base'] is None
    assert record['resume'] is True
    assert record['checkpoint'] == str(checkpoint.resolve() / 'pretrained_model')


def test_the_record_names_the_policy_type(tmp_path):
    request = TrainRequest(dataset=tmp_path, out=tmp_path / 'run', batch_size=2, steps=1)
    assert train_module.train(request, runner=lambda command, marker: 'ok', python='py') == 0
    record = json.loads((tmp_path / 'run' / 'ar4_train.json').read_text())['sessions'][-1]
    assert (record['policy'], record['base']) == ('smolvla', 'lerobot/smolvla_base')


def test_the_masked_smolvla_loss_leaves_the_diffusion_policy_alone():
    from lerobot.policies import factory
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

    from ar4_policy.training.masked_loss import MaskedLossSmolVLAPolicy, use_masked_loss

    with use_masked_loss():
        assert factory.get_policy_class('diffusion') is DiffusionPolicy
        assert factory.get_policy_class('smolvla') is MaskedLossSmolVLAPolicy
