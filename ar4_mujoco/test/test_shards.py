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

"""The shard merge appends shards to a dataset once, and survives a SIGKILL at every step."""

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

from ar4_mujoco.shards import (
    dataset_state, KILL_AT_ENV, load_plan, merge, Plan, save_plan, shard_path, split)
import numpy as np
import pytest

TASK = 'place the teal cube on the top shelf'
FRAMES = 4


def _write(root: Path, episodes: int, start: int, log=lambda message: None) -> None:
    """Write a small dataset whose frames are numbered: states start at ``start``."""
    from ar4_teleop.recording.features import build_frame, IMAGE_SHAPE
    from ar4_teleop.recording.writer import DatasetWriter
    writer = DatasetWriter.open(root, log=log)
    writer.content_fingerprint()  # reads every data file as one table
    value = start
    for _ in range(episodes):
        for _ in range(FRAMES):
            image = np.full(IMAGE_SHAPE, value % 250, dtype=np.uint8)
            state = np.full(7, value / 1000.0)
            writer.add_frame(build_frame(image, state, state, TASK))
            value += 1
        writer.save_episode()
    writer.close()


@pytest.fixture(scope='module')
def template(tmp_path_factory):
    """Return a folder with an output dataset (1 episode) and its shards (2 and 1 episodes)."""
    folder = tmp_path_factory.mktemp('merge')
    out = folder / 'local' / 'out'
    shards = folder / 'local' / 'out.shards'
    _write(out, 1, 0)
    _write(shard_path(shards, 0), 2, 100)
    _write(shard_path(shards, 1), 1, 200)
    episodes, fingerprint = dataset_state(out)
    save_plan(shards, Plan(task=TASK, episodes=4, workers=2, seed=0, randomize=True,
                           max_attempts=None, base_episodes=episodes,
                           base_fingerprint=fingerprint, targets=split(4, 2), merged=[0, 0]))
    return folder


def _copy(template: Path, tmp_path: Path):
    shutil.copytree(template / 'local', tmp_path / 'local')
    return tmp_path / 'local' / 'out', tmp_path / 'local' / 'out.shards'


def _states(out: Path) -> list:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    dataset = LeRobotDataset('local/out', root=out)
    assert dataset.num_frames == dataset.meta.total_frames
    return [round(float(dataset.hf_dataset[i]['observation.state'][0]) * 1000)
            for i in range(dataset.num_frames)]


EXPECTED = list(range(0, 4)) + list(range(100, 108)) + list(range(200, 204))


def test_merge_appends_the_shards_and_keeps_the_plan_until_complete(template, tmp_path):
    out, shards = _copy(template, tmp_path)
    report = merge(shards, out, log=lambda message: None)
    assert report.lines[:2] == [
        'shard 00: 2 episodes to merge, 0 merged earlier, 2 asked',
        'shard 01: 1 episodes to merge, 0 merged earlier, 2 asked: 1 missing']
    assert (report.merged, report.total, report.missing) == (3, 4, 1)
    assert _states(out) == EXPECTED
    plan = load_plan(shards)
    assert plan.merged == [2, 1] and plan.rounds == 1 and not plan.complete
    assert not shard_path(shards, 0).exists() and not (shards / 'merged').exists()
    # Merging again finds nothing new.
    again = merge(shards, out, log=lambda message: None)
    assert (again.merged, again.total) == (0, 4)
    # The missing episode arrives in a new shard folder; its merge completes the plan.
    _write(shard_path(shards, 1), 1, 300)
    last = merge(shards, out, log=lambda message: None)
    assert (last.merged, last.total, last.missing) == (1, 5, 0)
    assert _states(out) == EXPECTED + list(range(300, 304))
    assert not shards.exists()
    # The merged dataset resumes like any other: the writer appends and consolidates it.
    notes = []
    _write(out, 1, 400, log=notes.append)
    assert not [note for note in notes if 'consolidation stopped' in note], notes
    assert _states(out) == EXPECTED + list(range(300, 304)) + list(range(400, 404))
    assert len(list((out / 'data').glob('*/*.parquet'))) == 1


def test_keep_shards_keeps_each_round(template, tmp_path):
    out, shards = _copy(template, tmp_path)
    merge(shards, out, keep=True, log=lambda message: None)
    assert sorted(p.name for p in (shards / 'merged' / 'round_00').iterdir()) == [
        'shard_00', 'shard_01']


# Before the journal, in the middle of the swap, and after it (the suite's time budget keeps
# three of the six steps shards.merge names).
@pytest.mark.parametrize('step', ['verified', 'old_moved', 'planned'])
def test_a_merge_killed_at_any_step_neither_loses_nor_repeats_episodes(template, tmp_path,
                                                                       step):
    out, shards = _copy(template, tmp_path)
    code = (f'from ar4_mujoco.shards import merge; '
            f'merge({str(shards)!r}, {str(out)!r}, log=lambda m: None)')
    environment = dict(os.environ, **{KILL_AT_ENV: step})
    environment['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    process = subprocess.run([sys.executable, '-c', code], env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.returncode == -9, process.stdout
    notes = []
    report = merge(shards, out, log=notes.append)
    assert report.total == 4
    assert _states(out) == EXPECTED
    plan = load_plan(shards)
    assert plan.merged == [2, 1] and plan.rounds == 1
    assert not (shards / 'merge.json').exists()
    leftovers = [p.name for p in out.parent.iterdir()]
    assert sorted(leftovers) == ['out', 'out.shards'], leftovers
    if step != 'verified':
        assert any('finishing an interrupted merge' in note for note in notes)
    assert json.loads((out / 'meta' / 'info.json').read_text())['total_episodes'] == 4
