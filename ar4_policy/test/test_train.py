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
ar4-train end to end on a twin dataset.

Tiny offline SmolVLA on CPU, resume, OOM, LoRA, and the diffusion policy from scratch.
"""

import json
from pathlib import Path
import shutil

from ar4_policy.runner import PolicyRunner
from ar4_policy.train import main
from ar4_policy.training.child import TEST_OOM_ENV
from ar4_teleop.recording import features as contract
import numpy as np
import pytest

TASK = 'place the teal cube on the top shelf'
FAST = ['--num-workers', '0', '--log-freq', '1', '--device', 'cpu']

pytestmark = pytest.mark.slow


def make_dataset(root: Path) -> Path:
    """Generate one expert episode with the MuJoCo twin (about 250 frames) and return the root."""
    from ar4_mujoco.generate import generate

    result = generate(TASK, 1, root, seed=0, progress=False, log=lambda message: None)
    assert result.total_episodes == 1
    return root


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp('ds') / 'teal_top')


@pytest.fixture(scope='module')
def tiny_run(dataset, tmp_path_factory):
    """Train the tiny policy for 4 steps and return (run folder, captured console output)."""
    out = tmp_path_factory.mktemp('runs') / 'tiny'
    code = main(['--dataset', str(dataset), '--out', str(out), '--tiny', '--steps', '4',
                 '--batch-size', '4', '--save-freq', '2'] + FAST)
    assert code == 0
    return out


def _record(out: Path) -> dict:
    return json.loads((out / 'ar4_train.json').read_text())


def _train_config(out: Path) -> dict:
    path = out / 'train' / 'checkpoints' / 'last' / 'pretrained_model' / 'train_config.json'
    return json.loads(path.read_text())


def _runner_predicts(checkpoint: Path) -> None:
    runner = PolicyRunner(checkpoint, device='cpu')
    runner.reset()
    chunk = runner.predict_chunk(np.zeros(contract.IMAGE_SHAPE, np.uint8),
                                 np.zeros(contract.STATE_SIZE), TASK)
    assert chunk.shape == (runner.chunk_size, contract.STATE_SIZE)
    assert np.all(np.isfinite(chunk))


def test_tiny_training_writes_a_checkpoint_the_runner_loads(tiny_run):
    out = tiny_run
    assert sorted(p.name for p in out.iterdir()) == ['ar4_train.json', 'tiny_vlm', 'train']
    checkpoints = sorted(p.name for p in (out / 'train' / 'checkpoints').iterdir())
    assert checkpoints == ['000002', '000004', 'last']
    record = _record(out)['sessions'][-1]
    assert record['attempts'] == [{'batch_size': 4, 'steps': 4, 'result': 'ok'}]
    config = json.loads(Path(record['checkpoint'], 'config.json').read_text())
    assert config['type'] == 'smolvla'
    assert config['vlm_model_name'] == str((out / 'tiny_vlm').resolve())
    assert config['push_to_hub'] is False
    assert set(config['input_features']) == {contract.IMAGE_KEY, contract.STATE_KEY}
    _runner_predicts(out / 'train')


def test_resume_continues_from_the_last_checkpoint(tiny_run, tmp_path, capfd):
    out = tmp_path / 'resumed'
    shutil.copytree(tiny_run, out, symlinks=True)
    code = main(['--out', str(out), '--resume', '--steps', '6'] + FAST)
    assert code == 0
    text = capfd.readouterr()
    logs = text.out + text.err
    assert 'loss:' in logs and 'step:6' in logs and 'step:1 ' not in logs
    assert _train_config(out)['steps'] == 6
    assert (out / 'train' / 'checkpoints' / '000006').is_dir()
    assert len(_record(out)['sessions']) == 2


def test_out_of_memory_retries_with_half_the_batch_and_a_clean_folder(
        dataset, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv(TEST_OOM_ENV, '2')
    out = tmp_path / 'oom'
    code = main(['--dataset', str(dataset), '--out', str(out), '--tiny', '--steps', '2',
                 '--batch-size', '4', '--save-freq', '1'] + FAST)
    assert code == 0
    attempts = _record(out)['sessions'][-1]['attempts']
    assert attempts == [{'batch_size': 4, 'steps': 2, 'result': 'oom'},
                        {'batch_size': 2, 'steps': 4, 'result': 'ok'}]
    logs = capfd.readouterr()
    assert 'OutOfMemory' in logs.err or 'out of memory' in logs.err
    # Only the successful attempt's files remain: its 4 checkpoints at batch size 2.
    assert sorted(p.name for p in (out / 'train' / 'checkpoints').iterdir()) == [
        '000001', '000002', '000003', '000004', 'last']
    assert (_train_config(out)['batch_size'], _train_config(out)['steps']) == (2, 4)


def test_lora_fine_tunes_a_base_with_other_cameras_and_state_size(
        tiny_run, dataset, tmp_path):
    # A local base shaped like lerobot/smolvla_base: camera1..3 and a 6-dim state.
    base = tmp_path / 'base'
    shutil.copytree(tiny_run / 'train' / 'checkpoints' / 'last' / 'pretrained_model', base)
    config = json.loads((base / 'config.json').read_text())
    config['input_features'] = {
        f'observation.images.camera{i}': {'type': 'VISUAL', 'shape': [3, 256, 256]}
        for i in (1, 2, 3)}
    config['input_features']['observation.state'] = {'type': 'STATE', 'shape': [6]}
    config['output_features'] = {'action': {'type': 'ACTION', 'shape': [6]}}
    (base / 'config.json').write_text(json.dumps(config))

    out = tmp_path / 'lora'
    code = main(['--dataset', str(dataset), '--out', str(out), '--base', str(base),
                 '--lora-rank', '4', '--steps', '1', '--batch-size', '2'] + FAST)
    assert code == 0
    adapter = out / 'train' / 'checkpoints' / 'last' / 'pretrained_model'
    assert json.loads((adapter / 'adapter_config.json').read_text())['r'] == 4
    height, width, channels = contract.IMAGE_SHAPE
    trained = json.loads((adapter / 'config.json').read_text())
    assert trained['input_features'] == {
        contract.IMAGE_KEY: {'type': 'VISUAL', 'shape': [channels, height, width]},
        contract.STATE_KEY: {'type': 'STATE', 'shape': [contract.STATE_SIZE]}}
    assert trained['output_features'] == {
        contract.ACTION_KEY: {'type': 'ACTION', 'shape': [contract.STATE_SIZE]}}
    # The adapters load in the runner on top of their local base, merged.
    _runner_predicts(out)


def test_diffusion_policy_trains_from_scratch_offline(dataset, tmp_path):
    # The AR4 settings, narrowed after "--" so that two CPU steps take seconds.
    narrow = ['--policy.down_dims=[16,32]', '--policy.horizon=16', '--policy.n_action_steps=8',
              '--policy.drop_n_last_frames=8', '--policy.resize_shape=[48,64]']
    out = tmp_path / 'diffusion'
    code = main(['--dataset', str(dataset), '--out', str(out), '--policy', 'diffusion',
                 '--steps', '2', '--batch-size', '2'] + FAST + ['--'] + narrow)
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ['ar4_train.json', 'train']
    record = _record(out)['sessions'][-1]
    assert (record['policy'], record['base']) == ('diffusion', None)
    assert record['attempts'] == [{'batch_size': 2, 'steps': 2, 'result': 'ok'}]
    assert Path(record['checkpoint']).parent.name == '000002'
    config = json.loads(Path(record['checkpoint'], 'config.json').read_text())
    assert config['type'] == 'diffusion'
    # The narrowing arguments win over the AR4 settings; the rest are the AR4 settings.
    assert (config['down_dims'], config['horizon'], config['resize_shape']) == (
        [16, 32], 16, [48, 64])
    assert config['pretrained_backbone_weights'] is None and config['crop_shape'] is None
    assert (config['n_obs_steps'], config['noise_scheduler_type']) == (1, 'DDIM')
    assert set(config['input_features']) == {contract.IMAGE_KEY, contract.STATE_KEY}
    assert _train_config(out)['policy']['type'] == 'diffusion'


def test_sigterm_stops_the_training_child_too(dataset, tmp_path):
    """`kill`, a scheduler or `docker stop` signal ar4-train only; its child must not live on."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / 'killed'
    parent = subprocess.Popen(
        [sys.executable, '-m', 'ar4_policy.train', '--dataset', str(dataset), '--out', str(out),
         '--tiny', '--steps', '100000', '--batch-size', '2'] + FAST,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        child_pids = []
        while not child_pids and time.monotonic() < deadline:
            time.sleep(0.5)
            listing = subprocess.run(['pgrep', '-P', str(parent.pid)], capture_output=True,
                                     text=True).stdout
            child_pids = [int(pid) for pid in listing.split()]
        assert child_pids, 'ar4-train never started its training child'
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=60) != 0
        for pid in child_pids:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f'training child {pid} outlived ar4-train')
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
