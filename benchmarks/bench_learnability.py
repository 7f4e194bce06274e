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
Learnability benchmark: a policy trained only on twin demonstrations, evaluated in the twin.

Generates scripted demonstrations in the MuJoCo twin (or reuses a dataset), trains a policy with
ar4-train, evaluates it closed-loop with ar4-eval (random and zero-noise sampling) and prints the
results-table row of docs/results.md: demonstrations, frames, steps, training time, loss,
success. With --task given several times, --episodes demonstrations of each instruction go into
one dataset, one policy is trained on it, and every instruction is evaluated on the same seeds:
the row then gives success per instruction, followed by ar4-eval's table of instructed against
moved cube and the instruction-swap control.

  python benchmarks/bench_learnability.py --episodes 30 --steps 4000            # CPU, ~10 min
  python benchmarks/bench_learnability.py --episodes 100 --steps 8000 --tiny-size small
  python benchmarks/bench_learnability.py --dataset DIR --steps 4500 --policy diffusion
  python benchmarks/bench_learnability.py --dataset DIR --steps 8000 --lr 2e-4 \
      --base RUN/train/checkpoints/last/pretrained_model       # continue a run, fresh schedule
  python benchmarks/bench_learnability.py --episodes 200 --steps 20000 --base DIR --device cuda
  python benchmarks/bench_learnability.py --task "place the teal cube on the top shelf" \
      --task "place the magenta cube on the top shelf" \
      --task "place the yellow cube on the top shelf" --episodes 60 --steps 24000 \
      --batch-size 8 --lr 3e-4 --tiny-size small --eval-episodes 30
"""

import argparse
import json
from pathlib import Path
import re
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

from ar4_policy.instruction_results import confusion_table
from ar4_policy.runner import POLICY_TYPES

TASK = 'place the teal cube on the top shelf'


def run(command, log_path: Path) -> float:
    """Run a CLI with its output going to a log file; return its wall time in seconds."""
    print('$ ' + ' '.join(command), flush=True)
    started = time.monotonic()
    with open(log_path, 'w') as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        sys.exit(f'{command[0]} failed with exit code {code}; see {log_path}')
    return time.monotonic() - started


def dataset_size(root: Path):
    """Return (episodes, frames) from the dataset's own metadata."""
    info = json.loads((root / 'meta' / 'info.json').read_text())
    return info['total_episodes'], info['total_frames']


def last_loss(log_path: Path) -> str:
    """Return the last loss lerobot logged, or '?'."""
    losses = re.findall(r'loss:([0-9.]+)', log_path.read_text(errors='ignore'))
    return losses[-1] if losses else '?'


def main(argv=None) -> int:
    """Run the benchmark and print the results-table row."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--task', action='append',
                        help=f'instruction (default: "{TASK}"); repeat for a multi-instruction '
                             'dataset, policy and evaluation')
    parser.add_argument('--dataset', type=Path, help='reuse this dataset instead of generating')
    parser.add_argument('--episodes', type=int, default=30,
                        help='demonstrations to generate per instruction')
    parser.add_argument('--seed', type=int, default=0, help='seed of the demonstrations')
    parser.add_argument('--steps', type=int, default=4000, help='training steps')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='training batch (default: ar4-train\'s own for the policy)')
    parser.add_argument('--policy', choices=('smolvla', 'diffusion'), default='smolvla',
                        help='smolvla: the tiny SmolVLA (--tiny-size) or --base; diffusion: '
                             'lerobot\'s diffusion policy from scratch (ar4-train --policy)')
    parser.add_argument('--tiny-size', choices=('tiny', 'small'), default='tiny',
                        help='from-scratch backbone when --base is not given')
    parser.add_argument('--base', help='fine-tune this SmolVLA (local folder) instead: '
                                       'smolvla_base, or a checkpoint of an earlier run')
    parser.add_argument('--lr', type=float, help='learning rate (default: the policy\'s own)')
    parser.add_argument('--device', default=None, help='training and evaluation device')
    parser.add_argument('--eval-episodes', type=int, default=10,
                        help='evaluation episodes per instruction (seeds 1000 on)')
    parser.add_argument('--max-steps', type=int, default=400, help='control steps per rollout')
    parser.add_argument('--n-action-steps', type=int, default=None,
                        help='actions executed from each chunk before the next inference '
                             '(default: the checkpoint\'s own, its whole chunk)')
    parser.add_argument('--out', type=Path, help='work folder (default: a temporary one)')
    args = parser.parse_args(argv)
    tasks = args.task or [TASK]

    out = args.out or Path(tempfile.mkdtemp(prefix='ar4-learnability-'))
    out.mkdir(parents=True, exist_ok=True)
    dataset = args.dataset
    generate_s = 0.0
    if dataset is None:
        dataset = out / 'dataset'
        for index, task in enumerate(tasks):
            generate_s += run(['ar4-generate', '--task', task, '--episodes', str(args.episodes),
                               '--seed', str(args.seed), '--out', str(dataset), '--quiet'],
                              out / f'generate_{index}.log')
    episodes, frames = dataset_size(dataset)

    train = ['ar4-train', '--dataset', str(dataset), '--out', str(out / 'train'),
             '--steps', str(args.steps), '--save-freq', str(args.steps),
             '--log-freq', str(max(1, args.steps // 20)), '--num-workers', '2']
    if args.batch_size:
        train += ['--batch-size', str(args.batch_size)]
    if args.policy == 'diffusion':
        train += ['--policy', 'diffusion']
    else:
        train += ['--base', args.base] if args.base else ['--tiny', '--tiny-size', args.tiny_size]
    if args.device:
        train += ['--device', args.device]
    if args.lr:
        train += ['--', f'--policy.optimizer_lr={args.lr}']
        # SmolVLA's cosine decay has its own length; the diffusion policy's spans the run.
        if args.policy == 'smolvla':
            train.append(f'--policy.scheduler_decay_steps={args.steps}')
    train_s = run(train, out / 'train.log')

    success, tables = {}, {}
    for sampling in ('random', 'zero noise'):
        folder = out / ('eval_' + sampling.replace(' ', '_'))
        command = ['ar4-eval', '--policy', str(out / 'train')]
        for task in tasks:
            command += ['--task', task]
        command += ['--episodes', str(args.eval_episodes), '--max-steps', str(args.max_steps),
                    '--seed', '1000', '--out', str(folder)]
        if args.n_action_steps:
            command += ['--n-action-steps', str(args.n_action_steps)]
        if sampling == 'zero noise':
            command.append('--deterministic')
        if args.device:
            command += ['--device', args.device]
        run(command, folder.with_suffix('.log'))
        results = json.loads((folder / 'results.json').read_text())
        success[sampling] = ', '.join(f'{row["n_success"]} / {row["n_episodes"]}'
                                      for row in results['by_task'].values())
        tables[sampling] = confusion_table(results, results['cube_colours'])

    executed = results['n_action_steps']
    # results.json names the checkpoint folder ar4-eval resolved from the run folder.
    config = json.loads((Path(results['policy']) / 'config.json').read_text())
    loss = last_loss(out / 'train.log')
    record = json.loads((out / 'train' / 'ar4_train.json').read_text())
    batch_size = record['sessions'][-1]['attempts'][-1]['batch_size']
    # The runner's own definition of a chunk for the checkpoint's policy type.
    chunk_size = POLICY_TYPES[config['type']].chunk_size(SimpleNamespace(**config))
    if args.policy == 'diffusion':
        policy = '`diffusion` from scratch'
    else:
        policy = f'from {args.base}' if args.base else f'`{args.tiny_size}` from scratch'
    print(json.dumps({'tasks': tasks, 'episodes': episodes, 'frames': frames,
                      'generate_s': round(generate_s, 1), 'policy': policy,
                      'chunk_size': chunk_size, 'steps': args.steps,
                      'batch_size': batch_size, 'lr': config['optimizer_lr'],
                      'train_s': round(train_s, 1), 'final_loss': loss,
                      'n_action_steps': executed, 'success': success,
                      'work_folder': str(out)}))
    for sampling, table in tables.items():
        print(f'\n{sampling}:\n{table}')
    # One success per instruction, in --task order, for each sampling.
    print(f'| {policy}, {episodes} demos | {chunk_size} | {args.steps:,} steps, '
          f'{train_s / 60:.0f} min | {loss} | {executed} | '
          f'random / zero noise | {success["random"]}; {success["zero noise"]} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
