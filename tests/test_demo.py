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

"""The headless pipeline (scripts/demo.sh), scaled down: demos, dataset, check, train, eval."""

import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]
TASK = 'place the teal cube on the top shelf'

pytestmark = pytest.mark.slow


def test_demo_produces_a_dataset_a_checkpoint_results_and_a_report(tmp_path):
    out = tmp_path / 'demo'
    env = dict(os.environ)
    # The demo calls the CLIs by name, as a user would: the ones of this interpreter's venv.
    env['PATH'] = os.pathsep.join([str(Path(sys.executable).parent), env.get('PATH', '')])
    result = subprocess.run(
        [str(ROOT / 'scripts' / 'demo.sh'), '--skip-setup', '--episodes', '2', '--steps', '4',
         '--batch-size', '2', '--eval-episodes', '1', '--max-steps', '15', '--out', str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'success rate' in result.stdout and 'report.html' in result.stdout

    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    dataset = LeRobotDataset('local/dataset', root=out / 'dataset')
    assert dataset.meta.total_episodes == 2
    assert tuple(dataset.meta.info['features']['action']['shape']) == (7,)

    from ar4_policy.runner import resolve_checkpoint
    assert (resolve_checkpoint(out / 'train') / 'model.safetensors').is_file()

    results = json.loads((out / 'eval' / 'results.json').read_text())
    assert results['task'] == TASK and results['n_episodes'] == 1
    assert results['episodes'][0]['steps'] == 15
    report = (out / 'eval' / 'report.html').read_text()
    assert '<video' in report


def test_demo_help_and_bad_options():
    demo = str(ROOT / 'scripts' / 'demo.sh')
    usage = subprocess.run([demo, '--help'], capture_output=True, text=True)
    assert usage.returncode == 0 and '--episodes' in usage.stdout
    bad = subprocess.run([demo, '--skip-setup', '--no-such-flag'], capture_output=True, text=True)
    assert bad.returncode == 2 and 'unknown option' in bad.stderr
