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

"""Tests of the inference session logs: the three CSVs, their columns and the console block."""

from ar4_policy.chunking import InlineExecutor
from ar4_policy.control_loop import PolicyController
from ar4_policy.inference_log import (
    INFERENCE_FILE, InferenceLog, new_session_folder, read_csv, read_log, ROBOT_STATE_FILE,
    run_name_from_checkpoint, TRAJECTORY_FILE)
from ar4_teleop.recording.features import state_names
import numpy as np

TASK = 'place the red cube on the top shelf'
STATES = [f'state.{n}' for n in state_names()]
STATS = ['mean', 'std', 'min', 'max']


def header(path):
    return path.read_text().splitlines()[0].split(',')


def test_columns_of_the_three_csvs_are_written_before_any_row(tmp_path):
    with InferenceLog(state_names(), tmp_path / 'session') as log:
        folder = log.folder
        assert header(folder / ROBOT_STATE_FILE) == (
            ['wall_time', 'time_s', 'step'] + STATES
            + ['image_age_s', 'joint_state_age_s', 'connected'])
        assert header(folder / INFERENCE_FILE) == (
            ['index', 'wall_time', 'episode', 'step', 'observation_time_s', 'latency_ms', 'task']
            + STATES + ['chunk_len', 'actions'] + [f'actions_{s}' for s in STATS]
            + [f'image_{s}' for s in STATS] + ['error'])
        assert header(folder / TRAJECTORY_FILE) == (
            ['wall_time', 'time_s', 'step', 'episode', 'seed', 'task']
            + [f'target.{n}' for n in state_names()] + ['interventions'])


def test_rows_are_flushed_as_written_with_statistics_and_episode_metadata(tmp_path):
    log = InferenceLog(state_names(), tmp_path)
    chunk = np.arange(14, dtype=float).reshape(2, 7) / 10
    image = np.full((4, 6, 3), 7, dtype=np.uint8)
    log.start_episode(2, 12, TASK)
    log.log(0, 0.5, 0.0123, TASK, np.zeros(7), chunk, image=image)
    log.log(3, 0.6, 0.020, TASK, np.ones(7), np.empty(0), error=RuntimeError('boom'))
    log.log_robot_state(4, 0.7, np.full(7, 0.25), 0.01, None, False)
    log.log_trajectory(4, 0.7, np.full(7, 0.5), ['velocity_limited', 'position_clamped'])
    # Read while still open: a killed run keeps what it logged.
    rows = read_log(log.path)
    assert [row['step'] for row in rows] == ['0', '3']
    assert rows[0]['latency_ms'] == 12.3 and rows[0]['task'] == TASK
    assert rows[0]['episode'] == '2' and rows[0]['observation_time_s'] == '0.500000'
    np.testing.assert_allclose(rows[0]['actions'], chunk)
    np.testing.assert_allclose([float(rows[0][f'actions_{s}']) for s in STATS],
                               [chunk.mean(), chunk.std(), 0.0, 1.3], rtol=1e-5)
    assert [rows[0][f'image_{s}'] for s in STATS] == ['7', '0', '7', '7']
    assert rows[1][STATES[0]] == '1' and rows[1]['chunk_len'] == '0'
    assert rows[1]['actions_mean'] == '' and rows[1]['error'] == 'boom'
    (state,) = read_csv(log.folder / ROBOT_STATE_FILE)
    assert state['step'] == '4' and state[STATES[-1]] == '0.25'
    assert (state['image_age_s'], state['joint_state_age_s'], state['connected']) == (
        '0.0100', '', '0')
    (target,) = read_csv(log.folder / TRAJECTORY_FILE)
    assert (target['episode'], target['seed'], target['task']) == ('2', '12', TASK)
    assert target['target.' + state_names()[0]] == '0.5'
    assert target['interventions'] == 'velocity_limited;position_clamped'
    log.close()


def test_console_block_every_n_inferences_and_for_every_failure(tmp_path):
    lines = []
    with InferenceLog(state_names(), tmp_path, console=lines.append, console_every=2) as log:
        for step in range(4):
            log.log(step, 0.0, 0.010, TASK, np.arange(7) / 10, np.ones((3, 7)))
        log.log(4, 0.0, 0.010, TASK, np.zeros(7), np.empty(0), error=ValueError('nan'))
    assert len(lines) == 3  # inferences 0 and 2, then the failure
    block = lines[1].splitlines()
    assert block[0] == f"inference 2 (step 2): 10.0 ms; task {TASK!r}"
    assert block[1].startswith(f'  joint positions: {state_names()[0]}=0.0000, ')
    assert block[2].startswith('  policy output: 3 actions, first [1.0000, ')
    assert 'mean 1 std 0 min 1 max 1' in block[2]
    assert 'FAILED: nan' in lines[2]
    silent = []
    with InferenceLog(state_names(), tmp_path / 'off', console=silent.append) as log:
        log.log(0, 0.0, 0.01, TASK, np.zeros(7), np.ones((1, 7)))
    assert silent == []  # off by default


def test_session_folders_are_run_then_date_time_and_never_reused(tmp_path):
    assert run_name_from_checkpoint('runs/pick/train/checkpoints/000200/pretrained_model') == \
        'pick'
    assert run_name_from_checkpoint('data/checkpoints/teal top') == 'teal_top'
    first = new_session_folder(tmp_path, 'teal_top', session='20260101_120000')
    second = new_session_folder(tmp_path, 'teal_top', session='20260101_120000')
    assert first == tmp_path / 'teal_top' / '20260101_120000'
    assert second == tmp_path / 'teal_top' / '20260101_120000_1'
    assert new_session_folder(tmp_path, 'x').parent == tmp_path / 'x'


def test_controller_logs_every_tick_and_every_inference(tmp_path):
    def predict(image, state, task):
        return np.tile(state + 0.001, (4, 1))

    log = InferenceLog(state_names(), tmp_path)
    log.start_episode(None, None, TASK)
    controller = PolicyController(predict, TASK, n_action_steps=4, period_s=0.1, log=log,
                                  executor_factory=InlineExecutor, stale_after_s=0.5)
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    controller.on_image(image, 0.0)
    controller.on_joint_state(np.zeros(7), 0.0)
    for tick in range(3):
        controller.tick(0.1 * tick)
    controller.tick(1.0)  # both inputs are now 1 s old: stale, the arm holds
    controller.close()
    states = read_csv(log.folder / ROBOT_STATE_FILE)
    assert [row['step'] for row in states] == ['0', '1', '2', '3']
    assert [row['connected'] for row in states] == ['1', '1', '1', '0']
    assert states[-1]['image_age_s'] == '1.0000'
    targets = read_csv(log.folder / TRAJECTORY_FILE)
    assert len(targets) == 4 and targets[0]['task'] == TASK and targets[0]['episode'] == ''
    assert 'stale_observation' in targets[-1]['interventions']
    inferences = read_log(log.path)
    assert len(inferences) >= 1 and inferences[0]['actions'].shape == (4, 7)
    assert inferences[0]['image_mean'] == '0'
