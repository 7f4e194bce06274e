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

"""The SLURM array job and its merge, run through a stand-in sbatch on this machine."""

import os
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLURM = ROOT / 'scripts' / 'slurm'
TASK = 'place the magenta cube on the middle shelf'

# Runs an array's tasks at once and waits for them (so a job that depends on the array starts
# after it, as afterany does); any other job runs in the foreground. Prints a job id.
FAKE_SBATCH = r'''#!/usr/bin/env bash
array=''
while [[ "$1" == --* ]]; do
  echo "option $1" >> "$FAKE_LOG/sbatch.log"
  case "$1" in --array=*) array=${1#--array=} ;; esac
  shift
done
script=$1; shift
echo "job $(basename "$script") $*" >> "$FAKE_LOG/sbatch.log"
if [ -n "$array" ]; then
  first=${array%-*}; last=${array#*-}
  for (( k = first; k <= last; k++ )); do
    SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=$(( last - first + 1 )) \
      bash "$script" "$@" > "$FAKE_LOG/task_$k.log" 2>&1 &
  done
  wait
  echo 101
else
  bash "$script" "$@" > "$FAKE_LOG/merge.log" 2>&1
  echo $? > "$FAKE_LOG/merge.rc"
  echo '102;cluster'
fi
'''


def test_scripts_are_valid_bash():
    for script in ('generate_ar4.sbatch', 'merge_ar4.sbatch', 'submit_generate.sh'):
        subprocess.run(['bash', '-n', str(SLURM / script)], check=True)


@pytest.mark.skipif(not Path(sys.prefix, 'bin', 'activate').exists(),
                    reason='the scripts activate a virtual environment')
def test_array_job_and_merge_write_one_dataset(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    bin_dir, log_dir = tmp_path / 'bin', tmp_path / 'log'
    bin_dir.mkdir()
    log_dir.mkdir()
    (bin_dir / 'sbatch').write_text(FAKE_SBATCH)
    (bin_dir / 'sbatch').chmod(0o755)
    out = tmp_path / 'local' / 'ar4_sim'
    environment = dict(os.environ, FAKE_LOG=str(log_dir), AR4_REPO=str(tmp_path),
                       AR4_VENV=sys.prefix, SBATCH_OPTS='--partition=cpu',
                       PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
                       PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    process = subprocess.run(
        [str(SLURM / 'submit_generate.sh'), '2', f'{out}/', '2', TASK, '--seed', '9'],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=tmp_path, timeout=600)
    logs = {p.name: p.read_text() for p in log_dir.iterdir()}
    assert process.returncode == 0, (process.stdout, logs)
    assert 'submitted array job 101 (2 shards' in process.stdout
    assert 'merge job 102 into' in process.stdout
    sbatch = logs['sbatch.log']
    assert 'option --array=0-1' in sbatch and 'option --dependency=afterany:101' in sbatch
    assert sbatch.count('option --partition=cpu') == 2
    assert 'shard 0: generating 1 episodes' in logs['task_0.log']
    assert 'shard 1: generating 1 episodes' in logs['task_1.log']
    assert logs['merge.rc'].strip() == '0', logs['merge.log']
    assert 'now has 2 episodes' in logs['merge.log']
    dataset = LeRobotDataset('local/ar4_sim', root=out)
    assert dataset.meta.total_episodes == 2
    assert dataset.num_frames == dataset.meta.total_frames
    assert not (tmp_path / 'local' / 'ar4_sim.shards').exists()
