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
Benchmark ar4-generate: end-to-end frames/s at 480x640 and the scripted expert's success rate.

1. ``generate``: records --episodes episodes through the real path (twin, expert, wrist camera at
   480x640 with shadows and multisampling off, ``ar4_teleop.recording`` writer with video
   encoding) into a temporary dataset; prints frames/s end to end and the wall-clock split
   between physics, rendering, planning (IK) and dataset writing (PNG staging, saving, encoding).
2. ``success``: --seeds randomised seeds per task (all 9 colour x tier tasks), rendering off;
   prints the success rate per task and overall, and the mean episode length.

Prints figures; not a test. Run from the repository root:
  python benchmarks/bench_generate.py                    # both parts
  python benchmarks/bench_generate.py --part success --seeds 50
Set MUJOCO_GL (default egl) to choose the renderer; on 2 CPU cores use taskset to pin.
"""

import argparse
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
for _package in ('ar4_description', 'ar4_gazebo', 'ar4_teleop', 'ar4_mujoco'):
    sys.path.insert(0, str(ROOT / _package))
os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('HF_HUB_OFFLINE', '1')


def bench_generate(episodes: int, task: str) -> None:
    """Time ar4-generate end to end and print the split."""
    from ar4_mujoco.generate import generate
    folder = Path(tempfile.mkdtemp(prefix='ar4-bench-generate-'))
    try:
        result = generate(task, episodes, folder / 'local' / 'bench', seed=123,
                          progress=False, log=lambda message: None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    accounted = result.physics_s + result.render_s + result.planning_s + result.writing_s
    print(f'generate: {len(result.saved)} episodes, {result.frames} frames in '
          f'{result.seconds:.1f} s = {result.frames_per_second:.1f} frames/s end to end '
          f'(target >= 90), {result.failures} failed attempts')
    for name, seconds in (('physics', result.physics_s), ('rendering', result.render_s),
                          ('planning (IK)', result.planning_s),
                          ('dataset writing', result.writing_s),
                          ('other', max(0.0, result.seconds - accounted))):
        per_frame = 1000.0 * seconds / max(result.frames, 1)
        print(f'  {name:16s} {seconds:7.2f} s  {100 * seconds / result.seconds:5.1f} %  '
              f'{per_frame:6.2f} ms/frame')


def bench_success(seeds: int) -> None:
    """Run the expert without rendering over randomised seeds for every task."""
    import numpy as np

    from ar4_mujoco.env import AR4Twin
    from ar4_mujoco.expert import PlanError, run_episode, ScriptedExpert

    env = AR4Twin(render=False)
    expert = ScriptedExpert(env)
    started = time.perf_counter()
    totals, lengths = [], []
    for colour in env.scene.colours:
        for tier in env.scene.tier_names:
            task = f'place the {colour} cube on the {tier} shelf'
            successes = 0
            for seed in range(seeds):
                frames = []
                try:
                    ok = run_episode(env, expert, task, seed=1000 + seed,
                                     on_frame=lambda observation, targets: frames.append(1))
                except PlanError:
                    ok = False
                successes += ok
                lengths.append(len(frames))
            totals.append(successes)
            print(f'success: {task:45s} {successes:3d}/{seeds} = {100 * successes / seeds:5.1f} %')
    env.close()
    overall = sum(totals) / (seeds * len(totals))
    print(f'success overall: {100 * overall:.1f} % over {seeds * len(totals)} episodes '
          f'(target >= 95 %); episode length mean {np.mean(lengths) / 30:.1f} s, '
          f'max {np.max(lengths) / 30:.1f} s; {time.perf_counter() - started:.0f} s wall')


def main() -> None:
    """Parse arguments and run the chosen parts."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--part', choices=('all', 'generate', 'success'), default='all')
    parser.add_argument('--episodes', type=int, default=4,
                        help='episodes recorded for the frames/s figure (default 4)')
    parser.add_argument('--task', default='place the teal cube on the middle shelf')
    parser.add_argument('--seeds', type=int, default=50,
                        help='randomised seeds per task for the success rate (default 50)')
    args = parser.parse_args()
    print(f'MUJOCO_GL={os.environ["MUJOCO_GL"]}, {os.cpu_count()} CPUs')
    if args.part in ('all', 'generate'):
        bench_generate(args.episodes, args.task)
    if args.part in ('all', 'success'):
        bench_success(args.seeds)


if __name__ == '__main__':
    main()
