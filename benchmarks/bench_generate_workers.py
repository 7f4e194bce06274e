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
Benchmark ar4-generate --workers: frames/s with 1 and N worker processes, and the merge time.

Runs the real command line in fresh processes, one after the other on the same machine, into
temporary datasets of --episodes episodes each:
1. today's code: ``ar4-generate`` in one process (what ``--workers 1`` runs, unchanged);
2. ``ar4-generate --workers N`` for each N of --workers: N shard processes, then the merge.
Prints for each the frames recorded, the wall-clock time end to end (start-up, generation,
consolidation and, for N workers, the merge), frames/s end to end and without the merge, the
merge time (``aggregate_datasets`` plus verification and the swap) and the speedup against 1.
The episodes differ between runs (other seeds), so compare frames/s, not times. With
--repeats R the configurations take turns R times (1, N, 1, N, ...) so that a change in the
machine's load hits both, and the medians are printed.

Prints figures; not a test. Run from the repository root:
  python benchmarks/bench_generate_workers.py                  # 6 episodes, 1 vs 2 workers
  python benchmarks/bench_generate_workers.py --episodes 16 --workers 2 4 8 --repeats 3
"""

import argparse
import json
import os
from pathlib import Path
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [str(ROOT / p) for p in ('ar4_description', 'ar4_gazebo', 'ar4_teleop', 'ar4_mujoco')]


def run(episodes: int, workers: int, task: str, folder: Path) -> dict:
    """Run ar4-generate once; return frames, wall seconds and merge seconds."""
    out = folder / 'local' / f'bench_{workers}'
    command = [sys.executable, '-m', 'ar4_mujoco.generate', '--task', task,
               '--episodes', str(episodes), '--out', str(out), '--seed', '123', '--quiet']
    if workers > 1:
        command += ['--workers', str(workers)]
    environment = dict(os.environ)
    environment['PYTHONPATH'] = os.pathsep.join(PACKAGES + [environment.get('PYTHONPATH', '')])
    started = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=environment, cwd=ROOT)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        print(process.stdout[-4000:])
        raise SystemExit(f'ar4-generate --workers {workers} exited with {process.returncode}')
    info = json.loads((out / 'meta' / 'info.json').read_text())
    merge = re.search(r'merged \d+ episodes in ([0-9.]+) s', process.stdout)
    return {'workers': workers, 'episodes': info['total_episodes'],
            'frames': info['total_frames'], 'seconds': seconds,
            'merge_s': float(merge.group(1)) if merge else 0.0}


def main() -> None:
    """Parse arguments, run 1 worker then each N, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--episodes', type=int, default=6,
                        help='episodes per run (default 6)')
    parser.add_argument('--workers', type=int, nargs='+', default=[2],
                        help='worker counts to compare with one process (default 2)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='runs of each configuration, taking turns (default 1)')
    parser.add_argument('--task', default='place the teal cube on the middle shelf')
    args = parser.parse_args()
    os.environ.setdefault('MUJOCO_GL', 'egl')
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float('nan')
    print(f'MUJOCO_GL={os.environ["MUJOCO_GL"]}, {os.cpu_count()} CPUs, load average '
          f'{load:.1f} at start, {args.episodes} episodes per run')
    folder = Path(tempfile.mkdtemp(prefix='ar4-bench-workers-'))
    counts = [1] + [n for n in args.workers if n > 1]
    runs = {n: [] for n in counts}
    try:
        for repeat in range(args.repeats):
            for workers in counts:
                result = run(args.episodes, workers, args.task, folder / f'r{repeat}')
                runs[workers].append(result)
                print(f'  run {repeat + 1}, {workers} worker(s): {result["frames"]} frames in '
                      f'{result["seconds"]:.1f} s, merge {result["merge_s"]:.1f} s', flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def rate(result: dict, merge: bool = True) -> float:
        seconds = result['seconds'] - (0.0 if merge else result['merge_s'])
        return result['frames'] / seconds

    baseline = statistics.median(rate(r) for r in runs[1])
    for workers in counts:
        end_to_end = statistics.median(rate(r) for r in runs[workers])
        label = 'today (1 process)' if workers == 1 else f'{workers} workers'
        print(f'{label:18s} {end_to_end:5.1f} frames/s end to end '
              f'({end_to_end / 30.0:.2f}x real time), '
              f'{statistics.median(rate(r, False) for r in runs[workers]):5.1f} without the '
              f'merge; merge {statistics.median(r["merge_s"] for r in runs[workers]):.1f} s; '
              f'speedup {end_to_end / baseline:.2f}x (median of {len(runs[workers])})')
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float('nan')
    print(f'load average {load:.1f} at the end')


if __name__ == '__main__':
    main()
