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
Benchmark ar4-generate: frames/s per core against earlier code, with 1 and N worker processes.

Runs the real command line in fresh processes, one after the other on the same machine, into
temporary datasets of --episodes episodes each:
1. with --baseline REV: ``ar4-generate`` of git revision REV in one process (checked out into a
   temporary worktree and imported from there), the code to compare against;
2. this checkout's ``ar4-generate`` in one process (what ``--workers 1`` runs);
3. ``ar4-generate --workers N`` for each N of --workers: N shard processes, then the merge.
Prints for each the frames recorded, the wall-clock time end to end (start-up, generation,
consolidation and, for N workers, the merge), frames/s end to end, without the merge, and
marginal (between the first and the last saved episode, so start-up and the final
consolidation are left out; one process only), the merge time (``aggregate_datasets`` plus
verification and the swap) and the speedup against one process of this checkout and against
REV. The episodes differ between configurations (other seeds, other code), so compare frames/s,
not times. With --repeats R the configurations take turns R times (REV, 1, N, REV, 1, N, ...)
so that a change in the machine's load hits all of them, and the medians are printed.

Prints figures; not a test. Run from the repository root:
  python benchmarks/bench_generate_workers.py                  # 6 episodes, 1 vs 2 workers
  python benchmarks/bench_generate_workers.py --episodes 30 --baseline ee179fc --workers
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


SAVED = re.compile(r'saved episode \d+: (\d+) frames')


def packages(root: Path) -> list:
    """Return the package folders of a checkout, to put first on PYTHONPATH."""
    return [str(root / p) for p in ('ar4_description', 'ar4_gazebo', 'ar4_teleop', 'ar4_mujoco')]


def run(episodes: int, workers: int, task: str, folder: Path, code: Path = ROOT) -> dict:
    """Run ar4-generate of the checkout ``code`` once; return frames, times and merge time."""
    out = folder / 'local' / f'bench_{workers}'
    command = [sys.executable, '-u', '-m', 'ar4_mujoco.generate', '--task', task,
               '--episodes', str(episodes), '--out', str(out), '--seed', '123', '--quiet']
    if workers > 1:
        command += ['--workers', str(workers)]
    environment = dict(os.environ)
    environment['PYTHONPATH'] = os.pathsep.join(packages(code)
                                                + [environment.get('PYTHONPATH', '')])
    started = time.perf_counter()
    # Each "saved episode" line is timed as it arrives: the marginal rate leaves start-up out.
    saves, output = [], []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=environment, cwd=ROOT) as process:
        for line in process.stdout:
            output.append(line)
            match = SAVED.search(line)
            if match:
                saves.append((time.perf_counter(), int(match.group(1))))
    seconds = time.perf_counter() - started
    text = ''.join(output)
    if process.returncode != 0:
        print(text[-4000:])
        raise SystemExit(f'ar4-generate --workers {workers} exited with {process.returncode}')
    info = json.loads((out / 'meta' / 'info.json').read_text())
    merge = re.search(r'merged \d+ episodes in ([0-9.]+) s', text)
    marginal = None
    if workers == 1 and len(saves) > 2:
        marginal = sum(n for _, n in saves[1:]) / (saves[-1][0] - saves[0][0])
    return {'workers': workers, 'episodes': info['total_episodes'],
            'frames': info['total_frames'], 'seconds': seconds,
            'merge_s': float(merge.group(1)) if merge else 0.0, 'marginal': marginal}


def worktree(revision: str, folder: Path) -> Path:
    """Check ``revision`` out into a detached worktree under ``folder``; return its path."""
    path = folder / f'code_{revision}'
    subprocess.run(['git', 'worktree', 'add', '--detach', '--quiet', str(path), revision],
                   cwd=ROOT, check=True)
    return path


def main() -> None:
    """Parse arguments, run 1 worker then each N, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--episodes', type=int, default=6,
                        help='episodes per run (default 6)')
    parser.add_argument('--workers', type=int, nargs='*', default=[2],
                        help='worker counts to compare with one process (default 2; none: '
                             'one process only)')
    parser.add_argument('--baseline', metavar='REV',
                        help='also run ar4-generate of this git revision in one process, the '
                             'code to compare against (e.g. the commit before a speed-up)')
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
    # (label, workers, checkout) in the order they take turns.
    configurations = [('this code, 1 process', 1, ROOT)]
    configurations += [(f'this code, {n} workers', n, ROOT) for n in args.workers if n > 1]
    try:
        if args.baseline:
            code = worktree(args.baseline, folder)
            configurations.insert(0, (f'{args.baseline}, 1 process', 1, code))
        runs = {label: [] for label, _, _ in configurations}
        for repeat in range(args.repeats):
            for index, (label, workers, code) in enumerate(configurations):
                result = run(args.episodes, workers, args.task,
                             folder / f'r{repeat}_c{index}', code)
                runs[label].append(result)
                marginal = result['marginal']
                print(f'  run {repeat + 1}, {label}: {result["frames"]} frames in '
                      f'{result["seconds"]:.1f} s, merge {result["merge_s"]:.1f} s'
                      + (f', marginal {marginal:.1f} frames/s' if marginal else ''), flush=True)
    finally:
        if args.baseline:
            subprocess.run(['git', 'worktree', 'remove', '--force',
                            str(folder / f'code_{args.baseline}')], cwd=ROOT, check=False)
        shutil.rmtree(folder, ignore_errors=True)

    def rate(result: dict, merge: bool = True) -> float:
        seconds = result['seconds'] - (0.0 if merge else result['merge_s'])
        return result['frames'] / seconds

    def median(label: str, value) -> float:
        values = [value(r) for r in runs[label] if value(r) is not None]
        return statistics.median(values) if values else float('nan')

    one = configurations[1 if args.baseline else 0][0]
    references = [(one, 'against 1 process')]
    if args.baseline:
        references.append((configurations[0][0], f'against {args.baseline}'))
    for label, workers, _ in configurations:
        end_to_end = median(label, rate)
        line = (f'{label:28s} {end_to_end:5.1f} frames/s end to end '
                f'({end_to_end / 30.0:.2f}x real time)')
        if workers == 1:
            line += f', {median(label, lambda r: r["marginal"]):5.1f} marginal'
        else:
            line += (f', {median(label, lambda r: rate(r, False)):5.1f} without the merge; '
                     f'merge {median(label, lambda r: r["merge_s"]):.1f} s')
        for reference, name in references:
            if reference != label:
                line += f'; {end_to_end / median(reference, rate):.2f}x {name}'
                if workers == 1:
                    marginal = median(label, lambda r: r['marginal'])
                    line += (f' ({marginal / median(reference, lambda r: r["marginal"]):.2f}x '
                             'marginal)')
        print(line + f' (median of {len(runs[label])})')
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float('nan')
    print(f'load average {load:.1f} at the end')


if __name__ == '__main__':
    main()
