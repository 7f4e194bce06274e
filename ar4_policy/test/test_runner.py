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

"""Tests of the runner on real (tiny, offline) SmolVLA and diffusion checkpoint folders."""

import json
import os
import shutil

from ar4_description.robot_constants import robot_constants
from ar4_policy.runner import CheckpointError, PolicyRunner, resolve_checkpoint
from ar4_policy.tiny_checkpoint import write_tiny_checkpoint, write_tiny_diffusion_checkpoint
from ar4_teleop.recording import features
import numpy as np
import pytest

TASK = 'put the red cube on the top shelf'


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return write_tiny_checkpoint(tmp_path_factory.mktemp('tiny') / 'run')


@pytest.fixture(scope='module')
def runner(checkpoint):
    return PolicyRunner(checkpoint)


def wrist_image(seed=0):
    return np.random.default_rng(seed).integers(0, 255, features.IMAGE_SHAPE, dtype=np.uint8)


def test_predicts_a_chunk_of_absolute_targets(runner):
    runner.reset()
    chunk = runner.predict_chunk(wrist_image(), robot_constants().home7, TASK)
    assert chunk.shape == (runner.chunk_size, features.STATE_SIZE)
    assert chunk.dtype == np.float64 and np.all(np.isfinite(chunk))
    # Unnormalised by the saved postprocessor: values in joint units around the stats' mean,
    # not the model's unit-variance space.
    assert np.abs(chunk[:, :6]).max() < 20.0


def test_deterministic_sampling_repeats_and_random_sampling_does_not(checkpoint, runner):
    image, state = wrist_image(), robot_constants().home7
    random_chunks = [runner.predict_chunk(image, state, TASK) for _ in range(2)]
    assert not np.allclose(*random_chunks)
    deterministic = PolicyRunner(checkpoint, deterministic=True)
    chunks = [deterministic.predict_chunk(image, state, TASK) for _ in range(2)]
    np.testing.assert_array_equal(*chunks)


def test_postprocessor_unnormalises_with_the_saved_stats(runner):
    import torch
    mean = torch.as_tensor((robot_constants().lower7 + robot_constants().upper7) / 2)
    out = runner.postprocessor(torch.zeros(1, 2, 7))
    np.testing.assert_allclose(out[0, 0].numpy(), mean.numpy(), rtol=1e-5, atol=1e-6)


def test_input_matches_what_the_dataset_loader_returns(tmp_path):
    """The runner's image/state tensors equal LeRobotDataset's for the same stored frame."""
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.policies.utils import prepare_observation_for_inference

    image = wrist_image(3)
    state = robot_constants().home7 + 0.1
    dataset = LeRobotDataset.create('local/runner_input', fps=features.FPS,
                                    features=features.dataset_features(use_videos=False),
                                    root=tmp_path / 'ds', robot_type=features.ROBOT_TYPE,
                                    use_videos=False)
    frame = features.build_frame(image, state, state, TASK)
    dataset.add_frame(frame)
    dataset.save_episode()
    dataset.finalize()
    stored = LeRobotDataset('local/runner_input', root=tmp_path / 'ds')[0]

    raw = PolicyRunner.observation(None, image, state)
    batch = prepare_observation_for_inference(raw, torch.device('cpu'), TASK)
    assert batch[features.IMAGE_KEY].dtype == stored[features.IMAGE_KEY].dtype == torch.float32
    torch.testing.assert_close(batch[features.IMAGE_KEY][0], stored[features.IMAGE_KEY])
    torch.testing.assert_close(batch[features.STATE_KEY][0], stored[features.STATE_KEY])
    assert batch['task'] == stored['task'] == TASK


def test_rejects_inputs_that_do_not_match_the_contract(runner):
    with pytest.raises(ValueError, match='uint8'):
        runner.predict_chunk(np.zeros((240, 320, 3), np.uint8), np.zeros(7), TASK)
    with pytest.raises(ValueError, match='7 values'):
        runner.predict_chunk(wrist_image(), np.zeros(6), TASK)


def test_accepts_run_checkpoints_and_last_folders(checkpoint, tmp_path):
    run = tmp_path / 'outputs' / 'train' / 'run1'
    step = run / 'checkpoints' / '000010'
    step.mkdir(parents=True)
    shutil.copytree(checkpoint, step / 'pretrained_model')
    os.symlink('000010', run / 'checkpoints' / 'last')
    expected = (step / 'pretrained_model').resolve()
    assert resolve_checkpoint(run) == expected
    assert resolve_checkpoint(run / 'checkpoints') == expected
    assert resolve_checkpoint(step) == expected
    assert resolve_checkpoint(expected) == expected


def test_missing_files_are_named_with_where_it_looked(checkpoint, tmp_path):
    with pytest.raises(CheckpointError, match='does not exist'):
        resolve_checkpoint(tmp_path / 'nope')
    with pytest.raises(CheckpointError, match='pretrained_model'):
        resolve_checkpoint(tmp_path)
    broken = tmp_path / 'broken'
    shutil.copytree(checkpoint, broken)
    (broken / 'policy_postprocessor.json').unlink()
    with pytest.raises(CheckpointError, match='policy_postprocessor.json'):
        resolve_checkpoint(broken)


def test_base_derived_checkpoint_loads_offline_from_a_local_vlm(checkpoint, tmp_path):
    """A checkpoint naming the hub VLM with load_vlm_weights=true needs only --vlm-path."""
    copied = tmp_path / 'from_base'
    shutil.copytree(checkpoint, copied)
    config = json.loads((copied / 'config.json').read_text())
    local_vlm = config['vlm_model_name']
    config['vlm_model_name'] = 'HuggingFaceTB/SmolVLM2-500M-Video-Instruct'
    config['load_vlm_weights'] = True
    (copied / 'config.json').write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match='--vlm-path'):
        PolicyRunner(copied)
    with pytest.raises(CheckpointError, match='lacks'):
        PolicyRunner(copied, vlm_path=tmp_path)
    runner = PolicyRunner(copied, vlm_path=local_vlm, n_action_steps=3)
    assert runner.n_action_steps == 3
    runner.reset()
    assert runner.predict_chunk(wrist_image(), robot_constants().home7, TASK).shape[1] == 7


def test_rejects_a_checkpoint_trained_on_other_features(checkpoint, tmp_path):
    copied = tmp_path / 'other'
    shutil.copytree(checkpoint, copied)
    config = json.loads((copied / 'config.json').read_text())
    config['input_features']['observation.state']['shape'] = [6]
    (copied / 'config.json').write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match='dataset contract'):
        PolicyRunner(copied)


@pytest.fixture(scope='module')
def diffusion_checkpoint(tmp_path_factory):
    return write_tiny_diffusion_checkpoint(tmp_path_factory.mktemp('tiny_diffusion') / 'run')


def edited_copy(checkpoint, folder, **config_changes):
    shutil.copytree(checkpoint, folder)
    config = json.loads((folder / 'config.json').read_text())
    config.update(config_changes)
    (folder / 'config.json').write_text(json.dumps(config))
    return folder


def test_diffusion_checkpoint_predicts_chunks_to_the_horizon(diffusion_checkpoint):
    config = json.loads((diffusion_checkpoint / 'config.json').read_text())
    runner = PolicyRunner(diffusion_checkpoint.parent)  # the run folder: finds pretrained_model
    assert runner.checkpoint == diffusion_checkpoint.resolve()
    assert runner.policy_type == 'diffusion' and runner.vlm is None
    assert config['n_obs_steps'] == 1
    assert runner.chunk_size == config['horizon'] - config['n_obs_steps'] + 1 == 16
    assert runner.n_action_steps == config['n_action_steps'] == 8
    runner.reset()
    chunk = runner.predict_chunk(wrist_image(), robot_constants().home7, TASK)
    assert chunk.shape == (runner.chunk_size, features.STATE_SIZE)
    assert chunk.dtype == np.float64 and np.all(np.isfinite(chunk))
    assert np.abs(chunk[:, :6]).max() < 20.0  # unnormalised joint units
    assert len(runner.policy._queues[features.STATE_KEY]) == 1
    runner.reset()
    assert len(runner.policy._queues[features.STATE_KEY]) == 0


def test_diffusion_n_action_steps_override_is_validated_and_vlm_path_ignored(
        diffusion_checkpoint, tmp_path):
    runner = PolicyRunner(diffusion_checkpoint, n_action_steps=16, vlm_path=tmp_path / 'none')
    assert runner.n_action_steps == 16 and runner.chunk_size == 16 and runner.vlm is None
    for bad in (0, 17):
        with pytest.raises(ValueError, match=r"1\.\.16 \(the checkpoint's horizon"):
            PolicyRunner(diffusion_checkpoint, n_action_steps=bad)


def test_deterministic_diffusion_repeats_and_random_does_not(diffusion_checkpoint):
    image, state = wrist_image(1), robot_constants().home7
    runner = PolicyRunner(diffusion_checkpoint)
    random_chunks = [runner.predict_chunk(image, state, TASK) for _ in range(2)]
    assert not np.allclose(*random_chunks)
    deterministic = PolicyRunner(diffusion_checkpoint, deterministic=True)
    chunks = []
    for _ in range(2):
        deterministic.reset()
        chunks.append(deterministic.predict_chunk(image, state, TASK))
    np.testing.assert_array_equal(*chunks)


def test_deterministic_ddpm_diffusion_repeats_too(tmp_path):
    """DDPM adds noise in every denoising step; deterministic seeds it, so chunks still repeat."""
    checkpoint = write_tiny_diffusion_checkpoint(tmp_path / 'ddpm', noise_scheduler_type='DDPM',
                                                 num_inference_steps=5)
    runner = PolicyRunner(checkpoint, deterministic=True)
    image, state = wrist_image(2), robot_constants().home7
    chunks = [runner.predict_chunk(image, state, TASK) for _ in range(2)]
    np.testing.assert_array_equal(*chunks)


def test_diffusion_with_observation_history_is_refused(diffusion_checkpoint, tmp_path):
    copied = edited_copy(diffusion_checkpoint, tmp_path / 'history', n_obs_steps=2)
    with pytest.raises(CheckpointError, match='n_obs_steps is 2.*current frame only'):
        PolicyRunner(copied)


def test_unsupported_policy_type_names_the_supported_ones(diffusion_checkpoint, tmp_path):
    copied = edited_copy(diffusion_checkpoint, tmp_path / 'act', type='act')
    with pytest.raises(CheckpointError, match="'act'; the runner supports 'smolvla', 'diffusion'"):
        PolicyRunner(copied)
