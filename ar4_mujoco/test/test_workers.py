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

"""ar4-generate --workers: shards on disjoint seeds, a killed worker, the merge and the rerun."""

import json
import os
from pathlib import Path
import re
import signal
import subprocess
import sys

from ar4_mujoco.generate import main
from ar4_mujoco.shards import load_or_create_plan, Plan, ShardError, split
import pytest

TASK = 'place the magenta cube on the middle shelf'
ROOT = Path(__file__).resolve().parents[2]


def _plan(**changes) -> Plan:
    fields = dict(task=TASK, episodes=10, workers=3, seed=7, randomize=True, max_attempts=None,
                  base_episodes=0, base_fingerprint=0, targets=split(10, 3), merged=[0, 0, 0])
    fields.update(changes)
    return Plan(**fields)


def test_split_covers_the_count_evenly():
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 2) == [1, 1]
    assert sum(split(1001, 16)) == 1001


def test_shard_seed_streams_are_disjoint_and_reproducible():
    plan = _plan()
    seeds = {plan.shard_seed(k) for k in range(3)}
    later = _plan(rounds=1)
    seeds |= {later.shard_seed(k) for k in range(3)}
    grown = _plan(base_episodes=10, base_fingerprint=12345)
    seeds |= {grown.shard_seed(k) for k in range(3)}
    assert len(seeds) == 9
    assert _plan().shard_seed(2) == plan.shard_seed(2)
    assert _plan(seed=8).shard_seed(0) != plan.shard_seed(0)
    assert all(0 <= seed < 2 ** 63 for seed in seeds)


def test_plan_max_attempts_share():
    plan = _plan(max_attempts=20)
    assert [plan.shard_max_attempts(k) for k in range(3)] == [8, 6, 6]
    assert _plan().shard_max_attempts(0) is None


def test_a_rerun_with_other_arguments_is_refused(tmp_path):
    shards, out = tmp_path / 'ds.shards', tmp_path / 'ds'
    plan = load_or_create_plan(shards, out, TASK, 4, 2, 0, True, None, log=lambda m: None)
    assert plan.targets == [2, 2] and plan.merged == [0, 0]
    assert load_or_create_plan(shards, out, TASK, 4, 2, 0, True, None,
                               log=lambda m: None) == plan
    with pytest.raises(ShardError) as error:
        load_or_create_plan(shards, out, TASK, 6, 3, 0, True, None, log=lambda m: None)
    assert '--episodes: 4 in the plan, 6 now' in str(error.value)
    assert '--workers: 2 in the plan, 3 now' in str(error.value)


def test_bad_parallel_arguments_exit_2(tmp_path, capsys):
    out = str(tmp_path / 'x')
    assert main(['--task', TASK, '--episodes', '2', '--workers', '3', '--out', out]) == 2
    assert '--workers 3 is more than --episodes 2' in capsys.readouterr().err
    assert main(['--task', TASK, '--episodes', '2', '--workers', '2', '--shard', '2',
                 '--out', out]) == 2
    assert '--shard must be 0..1' in capsys.readouterr().err
    assert main(['--task', 'place the red cube on the top shelf', '--episodes', '2',
                 '--workers', '2', '--out', out]) == 2
    assert "unknown cube colour 'red'" in capsys.readouterr().err
    assert main(['--out', out]) == 2
    assert '--task is required' in capsys.readouterr().err
    assert main(['--merge-shards', str(tmp_path / 'none'), '--out', out]) == 2
    assert 'does not exist' in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _generate(out: Path) -> subprocess.Popen:
    environment = dict(os.environ, PYTHONUNBUFFERED='1', HF_HUB_OFFLINE='1')
    environment['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.Popen(
        [sys.executable, '-m', 'ar4_mujoco.generate', '--task', TASK, '--episodes', '3',
         '--workers', '2', '--seed', '4', '--out', str(out), '--keep-shards'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
        cwd=ROOT)


def test_a_killed_worker_keeps_its_episodes_and_a_rerun_completes_the_count(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    out = tmp_path / 'local' / 'ar4_sim'
    shards = tmp_path / 'local' / 'ar4_sim.shards'
    # Shard 0 is asked for 2 episodes, shard 1 for 1; shard 0 is killed after its first save.
    process = _generate(out)
    pids, saved, lines, killed = {}, [], [], False
    for line in process.stdout:
        lines.append(line)
        started = re.search(r'worker (\d) started \(pid (\d+)\)', line)
        if started:
            pids[int(started.group(1))] = int(started.group(2))
        match = re.match(r'\[shard (\d\d)\] saved episode (\d+)', line)
        if match:
            saved.append(int(match.group(1)))
            if int(match.group(1)) == 0 and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed = True
    log = ''.join(lines)
    assert process.wait(timeout=600) == 1, log
    assert killed and sorted(saved) == [0, 1], log
    assert 'worker 0 (pid %d) was killed by signal 9' % pids[0] in log
    assert 'shard 00: 1 episodes to merge, 0 merged earlier, 2 asked: 1 missing' in log
    assert 'shard 01: 1 episodes to merge, 0 merged earlier, 1 asked' in log
    assert '1 episodes of the plan' in log and 'are missing' in log
    # The shards, kept, are sound datasets; the merge holds exactly what they saved.
    for name in ('shard_00', 'shard_01'):
        shard = LeRobotDataset(f'round_00/{name}', root=shards / 'merged' / 'round_00' / name)
        assert shard.meta.total_episodes == 1
    merged = LeRobotDataset('local/ar4_sim', root=out)
    assert merged.meta.total_episodes == 2
    assert merged.num_frames == merged.meta.total_frames == sum(
        int(merged.meta.episodes[i]['length']) for i in range(2))
    plan = json.loads((shards / 'plan.json').read_text())
    assert plan['merged'] == [1, 1] and plan['rounds'] == 1

    # The same command again generates only the missing episode, then merges it.
    process = _generate(out)
    log = process.communicate(timeout=600)[0]
    assert process.returncode == 0, log
    assert 'shard 0: generating 1 episodes' in log and 'shard 1: complete' in log
    merged = LeRobotDataset('local/ar4_sim', root=out)
    assert merged.meta.total_episodes == 3
    assert merged.num_frames == merged.meta.total_frames
    lengths = [int(merged.meta.episodes[i]['length']) for i in range(3)]
    assert sum(lengths) == merged.num_frames
    assert len(set(lengths)) == 3  # three different scenes
    first = merged[0]
    assert tuple(first['observation.images.wrist_camera'].shape) == (3, 480, 640)
    assert json.loads((shards / 'plan.json').read_text())['merged'] == [2, 1]
