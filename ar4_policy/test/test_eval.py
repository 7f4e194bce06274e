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
ar4-eval end to end: a tiny SmolVLA trained on a small twin dataset, rolled out in the twin.

The dataset is recorded from the real MuJoCo twin through the recording core's DatasetWriter,
ar4-train trains the tiny offline SmolVLA on it for two steps, and ar4-eval loads the saved
checkpoint with the runner and rolls it out closed loop in the twin. A tiny untrained diffusion
checkpoint is rolled out the same way.
"""

import csv
import json
from pathlib import Path

from ar4_mujoco.env import CUBE_OFFSET_M
from ar4_policy.evaluate import main
from ar4_teleop.recording import features as contract
import numpy as np
import pytest

TASK = 'place the teal cube on the top shelf'

pytestmark = pytest.mark.slow


def record_twin_dataset(root: Path, episodes: int = 2, frames: int = 10) -> Path:
    """Record short twin episodes moving joint_1 slowly, as the recorder would store them."""
    from ar4_mujoco.env import AR4Twin
    from ar4_teleop.recording.writer import DatasetWriter

    with AR4Twin(render=True) as twin, DatasetWriter.open(root, log=lambda m: None) as writer:
        for episode in range(episodes):
            observation = twin.reset(seed=episode)
            target = observation.state7.copy()
            for _ in range(frames):
                target[0] += 0.01
                writer.add_frame(contract.build_frame(observation.image, observation.state7,
                                                      target, TASK))
                observation = twin.step(target)
            writer.save_episode()
    return root


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    from ar4_policy.train import main as train_main

    dataset = record_twin_dataset(tmp_path_factory.mktemp('ds') / 'teal_top')
    out = tmp_path_factory.mktemp('runs') / 'tiny'
    code = train_main(['--dataset', str(dataset), '--out', str(out), '--tiny', '--steps', '2',
                       '--batch-size', '2', '--save-freq', '2', '--num-workers', '0',
                       '--log-freq', '1', '--device', 'cpu'])
    assert code == 0
    return out  # the run folder: the runner finds train/checkpoints/last itself


def test_closed_loop_rollout_writes_results_videos_and_report(checkpoint, tmp_path):
    import av

    out = tmp_path / 'eval'
    code = main(['--policy', str(checkpoint / 'train'), '--task', TASK, '--episodes', '1',
                 '--max-steps', '6', '--out', str(out), '--seed', '3',
                 '--n-action-steps', '1'])
    assert code == 0
    results = json.loads((out / 'results.json').read_text())
    assert results['n_episodes'] == 1 and results['success_rate'] in (0.0, 1.0)
    episode = results['episodes'][0]
    assert episode['seed'] == 3 and 1 <= episode['steps'] <= 6
    kinds = {'non_finite', 'position_clamped', 'velocity_limited', 'stale_observation'}
    assert set(episode['safety_interventions']) >= kinds
    assert episode['chunks']['chunks'] == episode['steps']  # one inference per executed action
    outcome = 'success' if episode['success'] else 'failure'
    video = out / f'episode_000_{outcome}.mp4'
    assert episode['video'] == video.name
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264'
        assert sum(1 for _ in container.decode(stream)) == episode['steps'] + 1
    page = (out / 'report.html').read_text()
    assert f'src="{video.name}"' in page and page.count('<svg') == contract.STATE_SIZE
    rows = (out / results['inference_log']).read_text().splitlines()
    assert len(rows) == 1 + episode['steps'] and TASK in rows[1]
    for name in ('ar4_robot_state.csv', 'ar4_trajectory.csv'):
        with open(out / 'inference_log' / name, newline='') as handle:
            logged = list(csv.DictReader(handle))
        assert len(logged) == episode['steps'], name
    assert (logged[0]['episode'], logged[0]['seed'], logged[0]['task']) == ('0', '3', TASK)
    assert results['combined_video'] == 'combined.mp4' and 'src="combined.mp4"' in page
    with av.open(str(out / 'combined.mp4')) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.width <= 320
        assert sum(1 for _ in container.decode(stream)) == episode['steps'] + 1


def test_bad_input_exits_2_without_touching_saved_results(checkpoint, tmp_path, capsys):
    out = tmp_path / 'eval'
    out.mkdir()
    (out / 'results.json').write_text('{"keep": true}')
    assert main(['--policy', str(tmp_path / 'missing'), '--task', TASK, '--episodes', '1',
                 '--out', str(tmp_path / 'x')]) == 2
    assert 'no such folder' in capsys.readouterr().err
    assert main(['--policy', str(checkpoint), '--task', TASK, '--episodes', '1',
                 '--out', str(out)]) == 2
    assert '--overwrite' in capsys.readouterr().err
    assert json.loads((out / 'results.json').read_text()) == {'keep': True}
    assert main(['--policy', str(checkpoint), '--task', 'dance', '--episodes', '1',
                 '--out', str(tmp_path / 'y')]) == 2
    assert 'place the' in capsys.readouterr().err
    assert not (tmp_path / 'y' / 'results.json').exists()
    assert main(['--policy', str(tmp_path), '--task', TASK, '--out', str(tmp_path / 'z')]) == 2
    assert 'no checkpoint found' in capsys.readouterr().err


def test_default_executes_the_checkpoints_own_n_action_steps(checkpoint, tmp_path):
    out = tmp_path / 'eval'
    assert main(['--policy', str(checkpoint / 'train'), '--task', TASK, '--episodes', '1',
                 '--max-steps', '6', '--out', str(out), '--no-video']) == 0
    results = json.loads((out / 'results.json').read_text())
    assert results['n_action_steps'] == 30  # the tiny policy's whole one-second chunk
    assert results['episodes'][0]['chunks']['chunks'] == 1


def test_several_instructions_run_the_same_seeds_and_report_the_moved_cube(
        checkpoint, tmp_path, capsys):
    out = tmp_path / 'eval'
    magenta = TASK.replace('teal', 'magenta')
    assert main(['--policy', str(checkpoint / 'train'), '--task', TASK, '--task', magenta,
                 '--episodes', '2', '--seed', '5', '--max-steps', '3', '--out', str(out),
                 '--no-video']) == 0
    results = json.loads((out / 'results.json').read_text())
    assert results['tasks'] == [TASK, magenta] and results['episodes_per_task'] == 2
    assert [(e['task'], e['seed']) for e in results['episodes']] == [
        (TASK, 5), (TASK, 6), (magenta, 5), (magenta, 6)]
    assert [e['instructed_cube'] for e in results['episodes']] == ['teal'] * 2 + ['magenta'] * 2
    assert results['cube_colours'] == ['teal', 'magenta', 'yellow']
    assert set(results['episodes'][0]['cube_displacement_m']) == {'teal', 'magenta', 'yellow'}
    # Where each cube started, from the world file's pose: within the reset's randomisation (plus
    # settling), the same scene for a seed under every instruction, another for another seed.
    offsets = [e['cube_start_offset_m'] for e in results['episodes']]
    assert all(set(o) == {'teal', 'magenta', 'yellow'} for o in offsets)
    assert all(abs(v) <= CUBE_OFFSET_M + 0.002 for o in offsets for xy in o.values() for v in xy)
    assert offsets[0] == offsets[2] and offsets[1] == offsets[3] and offsets[0] != offsets[1]
    assert any(abs(v) > 0.002 for xy in offsets[0].values() for v in xy)
    assert list(results['by_task']) == [TASK, magenta]
    assert results['instruction_swap']['n_seeds'] == 2
    printed = capsys.readouterr().out
    assert f'| {magenta} |' in printed and 'instruction swap, 2 scenes' in printed
    page = (out / 'report.html').read_text()
    assert 'Per instruction' in page and 'moved magenta' in page
    assert main(['--policy', str(checkpoint / 'train'), '--task', TASK, '--task', TASK + '.',
                 '--out', str(tmp_path / 'twice')]) == 2
    assert 'the same instruction is given twice' in capsys.readouterr().err


def test_random_noise_evaluations_repeat_episode_for_episode(checkpoint, tmp_path):
    def targets(out: Path) -> list:
        with open(out / 'inference_log' / 'ar4_trajectory.csv', newline='') as handle:
            return [[v for k, v in row.items() if k.startswith('target.')]
                    for row in csv.DictReader(handle)]

    runs = []
    for name, episodes in (('a', 2), ('b', 2), ('one', 1)):
        out = tmp_path / name
        # Seeds 4, 5 (a, b) and 5 alone: episode 5 must not depend on the episode run before it.
        assert main(['--policy', str(checkpoint / 'train'), '--task', TASK, '--episodes',
                     str(episodes), '--seed', str(6 - episodes), '--max-steps', '35',
                     '--n-action-steps', '5', '--out', str(out), '--no-video']) == 0
        assert json.loads((out / 'results.json').read_text())['noise_seeded_per_episode']
        runs.append(targets(out))
    assert runs[0] == runs[1]
    assert runs[2] == runs[0][len(runs[0]) - len(runs[2]):]


def test_diffusion_checkpoint_rolls_out_executing_its_n_action_steps(tmp_path):
    from ar4_policy.tiny_checkpoint import write_tiny_diffusion_checkpoint

    write_tiny_diffusion_checkpoint(tmp_path / 'diffusion')
    out = tmp_path / 'eval'
    assert main(['--policy', str(tmp_path / 'diffusion'), '--task', TASK, '--episodes', '1',
                 '--max-steps', '20', '--out', str(out), '--no-video', '--deterministic']) == 0
    results = json.loads((out / 'results.json').read_text())
    assert results['n_action_steps'] == 8 and results['deterministic']
    episode = results['episodes'][0]
    assert 1 <= episode['steps'] <= 20
    # A chunk every 8 steps at most; more when the measured latency asks for them earlier.
    assert -(-episode['steps'] // 8) <= episode['chunks']['chunks'] <= episode['steps']
    assert episode['chunks']['failed'] == 0


def test_report_plots_measured_and_commanded_paths():
    from ar4_policy.report import joint_plot_svg

    svg = joint_plot_svg('joint_1', np.arange(5) / 30, np.linspace(0, 1, 5), np.ones(5))
    assert svg.startswith('<svg') and svg.count('<polyline') == 2
