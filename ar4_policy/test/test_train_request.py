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
from ar4_policy.train import main
from ar4_policy.training.child import find_oom
from ar4_policy.training.request import (
    child_command, lerobot_args, oom_attempts, resumed_steps, TrainRequest)
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
