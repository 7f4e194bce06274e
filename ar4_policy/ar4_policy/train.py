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
``ar4-train``: train a policy on an AR4 dataset with lerobot 0.4.4's own training loop.

Two policy types (``--policy``): ``smolvla`` (the default) fine-tunes a pretrained SmolVLA
(``--base``, optionally with LoRA adapters) or, with ``--tiny``, trains a tiny offline SmolVLA
from scratch; ``diffusion`` trains lerobot's diffusion policy from scratch with the AR4 CPU
settings of :mod:`ar4_policy.diffusion` (ResNet-18 and spatial softmax, nothing downloaded).

A thin wrapper: it checks the request (policy options, dataset contract, output folder, base
policy) before anything starts, builds the ``lerobot-train`` arguments, and runs lerobot's
training in a child process (``python -m ar4_policy.training.child``, or ``accelerate launch``
for several GPUs). The child is lerobot's ``train()`` with SmolVLA's padding-mask loss
corrected (other policy types train unchanged). A child process
(rather than calling ``train()`` here) gives every out-of-memory retry a fresh CUDA allocator
and keeps lerobot's sys.argv-based config parsing (used by ``--resume``) untouched.

On a CUDA out-of-memory error the attempt's partial run is deleted and training restarts with
half the batch size (down to ``--min-batch-size``) and proportionally more steps.
"""

import argparse
from datetime import datetime, timezone
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile

from ar4_policy.diffusion import DIFFUSION_BATCH_SIZE
from ar4_policy.training import child as child_module
from ar4_policy.training.request import (
    check_request, checkpoint_step, child_command, dataset_tasks, default_out, DEFAULT_BASE,
    DIFFUSION, last_checkpoint, lerobot_args, oom_attempts, POLICIES, RECORD_NAME,
    resumed_steps, SMOLVLA, TINY_BASE, TrainInputError, TrainRequest)

EXIT_BAD_INPUT = 2
EXIT_OUT_OF_MEMORY = 3


def build_parser() -> argparse.ArgumentParser:
    """Return the ar4-train argument parser."""
    parser = argparse.ArgumentParser(
        prog='ar4-train',
        description=(
            'Train a policy on an AR4 LeRobot dataset with lerobot 0.4.4\'s training loop: '
            'fine-tune SmolVLA (default), train a tiny SmolVLA from scratch (--tiny), or train '
            'lerobot\'s diffusion policy from scratch (--policy diffusion). '
            'Checkpoints land in OUT/train/checkpoints/NNNNNN/pretrained_model '
            '(OUT/train/checkpoints/last is the newest). On CUDA out-of-memory the run restarts '
            'with half the batch and proportionally more steps.'),
        epilog=('Extra lerobot-train arguments can follow "--", e.g. '
                '"-- --policy.optimizer_lr=5e-5". Several GPUs: --num-processes N runs the '
                'same training under "accelerate launch --multi_gpu".'),
    )
    parser.add_argument('--policy', choices=POLICIES, default=None,
                        help=f'policy type: "{SMOLVLA}" fine-tunes --base (or trains the tiny '
                             f'SmolVLA with --tiny); "{DIFFUSION}" trains lerobot\'s diffusion '
                             'policy from scratch with the AR4 CPU settings (ResNet-18 + '
                             'spatial softmax, fully offline; no --tiny, --base, --vlm or '
                             f'--lora-rank). Default {SMOLVLA}; with --resume: the run\'s own')
    parser.add_argument('--dataset', type=Path, default=None,
                        help='LeRobot dataset folder (the one holding meta/, data/, videos/); '
                             'required unless --resume (which uses the run\'s own)')
    parser.add_argument('--out', type=Path, default=None,
                        help='run folder (default: data/checkpoints/<dataset folder name>); '
                             'must be new unless --resume')
    parser.add_argument('--steps', type=int, default=None,
                        help='training steps (default 20000; with --resume: the run\'s own)')
    parser.add_argument('--batch-size', type=int, default=None,
                        help=f'batch size per process (default 64, 8 with --tiny, '
                             f'{DIFFUSION_BATCH_SIZE} with --policy {DIFFUSION}; with --resume: '
                             'the run\'s own)')
    parser.add_argument('--min-batch-size', type=int, default=1,
                        help='smallest batch the out-of-memory fallback tries (default 1)')
    parser.add_argument('--lora-rank', type=int, default=None,
                        help='train LoRA adapters of this rank (32 suggested) instead of '
                             'fine-tuning every weight; needs a pretrained SmolVLA --base')
    parser.add_argument('--base', default=DEFAULT_BASE,
                        help=f'SmolVLA base policy: a hub id or a local pretrained_model folder '
                             f'(default {DEFAULT_BASE}); "{TINY_BASE}" is the same as --tiny')
    parser.add_argument('--vlm', default=None,
                        help='local SmolVLM2 folder to load the SmolVLA backbone from (for '
                             'bases whose load_vlm_weights is true, when working offline)')
    parser.add_argument('--tiny', action='store_true',
                        help='train a tiny SmolVLA from scratch, fully offline (tests, CI, CPU '
                             'demos)')
    parser.add_argument('--tiny-size', choices=('tiny', 'small'), default='tiny',
                        help='backbone of --tiny: "tiny" (~0.5 M parameters, tests) or "small" '
                             '(~11 M, CPU demos)')
    parser.add_argument('--resume', action='store_true',
                        help='continue the run in --out from its last checkpoint')
    parser.add_argument('--device', default=None, choices=('cuda', 'cpu', 'mps'),
                        help='training device (default: cuda when available, else cpu)')
    parser.add_argument('--num-workers', type=int, default=4,
                        help='data loader worker processes (default 4)')
    parser.add_argument('--save-freq', type=int, default=5000,
                        help='save a checkpoint every N steps and at the end (default 5000)')
    parser.add_argument('--log-freq', type=int, default=50,
                        help='log loss and speed every N steps (default 50)')
    parser.add_argument('--seed', type=int, default=1000, help='random seed (default 1000)')
    parser.add_argument('--num-processes', type=int, default=1,
                        help='GPUs to train on through accelerate launch (default 1)')
    parser.add_argument('--only-success', action='store_true',
                        help='train on the episodes marked a success while recording only '
                             '(S / F keys of the recorder; ar4-check-dataset lists the marks)')
    parser.add_argument('--push-to-hub', metavar='REPO_ID', default=None,
                        help='push the final policy to this hub repo (default: do not push)')
    return parser


def _default_device() -> str:
    import torch

    return 'cuda' if torch.cuda.is_available() else 'cpu'


def request_from_args(args: argparse.Namespace, extra_args) -> TrainRequest:
    """Turn parsed arguments into a TrainRequest (defaults filled in, paths resolved)."""
    base = TINY_BASE if args.tiny else args.base
    if args.dataset is None and not (args.resume and args.out is not None):
        raise TrainInputError('pass --dataset DIR (or --resume --out RUN_DIR to continue a run)')
    out = args.out if args.out is not None else default_out(args.dataset)
    request = TrainRequest(
        dataset=Path(args.dataset or '.').expanduser(), out=out.expanduser(),
        policy=args.policy or SMOLVLA, base=base,
        vlm=args.vlm, lora_rank=args.lora_rank, resume=args.resume,
        min_batch_size=args.min_batch_size,
        device=args.device or _default_device(), num_workers=args.num_workers,
        save_freq=args.save_freq, log_freq=args.log_freq, seed=args.seed,
        num_processes=args.num_processes, push_to_hub=args.push_to_hub, tiny_size=args.tiny_size,
        only_success=args.only_success, extra_args=list(extra_args))
    saved = _saved_train_config(request) if args.resume else {}
    if saved.get('dataset', {}).get('root'):
        request.dataset = Path(saved['dataset']['root'])
    if args.policy is None and saved.get('policy', {}).get('type'):
        # check_request refuses a --policy that differs from the resumed run's own.
        request.policy = saved['policy']['type']
    default_batch = request.batch_size
    if request.tiny:
        default_batch = 8
    elif request.diffusion:
        default_batch = DIFFUSION_BATCH_SIZE
    request.steps = _first_set(args.steps, saved.get('steps'), request.steps)
    request.batch_size = _first_set(args.batch_size, saved.get('batch_size'), default_batch)
    if request.batch_size >= 1:
        request.min_batch_size = min(request.min_batch_size, request.batch_size)
    return request


def _first_set(*values) -> int:
    """Return the first value that is not None, as an int."""
    return int(next(value for value in values if value is not None))


def _saved_train_config(request: TrainRequest) -> dict:
    checkpoint = last_checkpoint(request.run_dir)
    if checkpoint is None:
        return {}
    path = checkpoint / 'pretrained_model' / 'train_config.json'
    return json.loads(path.read_text(encoding='utf-8'))


def _child_env() -> dict:
    """Return the child's environment: our packages importable, output unbuffered."""
    import ar4_description
    import ar4_policy
    import ar4_teleop

    roots = [str(Path(module.__file__).resolve().parents[1])
             for module in (ar4_policy, ar4_teleop, ar4_description)]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(roots + [p for p in [env.get('PYTHONPATH')] if p])
    env['PYTHONUNBUFFERED'] = '1'
    return env


FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def run_child(command, marker: Path) -> str:
    """Run one training attempt; return 'ok', 'oom' or 'failed:<exit code>'."""
    env = _child_env()
    env[child_module.OOM_MARKER_ENV] = str(marker)
    marker.unlink(missing_ok=True)
    child = subprocess.Popen(command, env=env)

    # A terminal's Ctrl-C reaches the whole process group, but `kill`, a batch scheduler or
    # `docker stop` signal only this process: pass those on, or the training would run orphaned.
    def forward(signum, _frame):
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:
            child.terminate()
            child.wait()
    if code == child_module.OOM_EXIT_CODE or marker.exists():
        return 'oom'
    return 'ok' if code == 0 else f'failed:{code}'


def _write_record(request: TrainRequest, record: dict) -> None:
    request.out.mkdir(parents=True, exist_ok=True)
    path = request.out / RECORD_NAME
    previous = []
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding='utf-8')).get('sessions', [])
        except ValueError:
            previous = []
    temporary = path.with_suffix('.json.tmp')
    temporary.write_text(json.dumps({'sessions': previous + [record]}, indent=2) + '\n',
                         encoding='utf-8')
    temporary.replace(path)


def _prepare_tiny_vlm(request: TrainRequest) -> None:
    from ar4_policy.tiny_vlm import write_tiny_vlm

    write_tiny_vlm(request.tiny_vlm_dir, extra_words=dataset_tasks(request.dataset),
                   size=request.tiny_size)


def train(request: TrainRequest, runner=run_child, python: str = sys.executable) -> int:
    """
    Train with the out-of-memory fallback; return the process exit code.

    ``runner(command, marker_path)`` runs one attempt and returns 'ok', 'oom' or
    'failed:<code>' (tests may pass their own).
    """
    done = 0
    if request.resume:
        done = checkpoint_step(last_checkpoint(request.run_dir))
    attempts = oom_attempts(request.batch_size, request.steps, request.min_batch_size)
    record = {
        'started': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'dataset': str(request.dataset.resolve()), 'policy': request.policy,
        'base': None if request.diffusion else request.base,
        'resume': request.resume, 'attempts': [],
    }
    if request.tiny and not request.resume:
        _prepare_tiny_vlm(request)
    marker_dir = Path(tempfile.mkdtemp(prefix='ar4-train-'))
    try:
        for batch, steps in attempts:
            if request.resume:
                steps = resumed_steps(done, request.steps, request.batch_size, batch)
            command = child_command(request, python) + lerobot_args(request, batch, steps)
            print(f'ar4-train: batch size {batch}, {steps} steps ->\n  ' + ' '.join(command),
                  flush=True)
            result = runner(command, marker_dir / 'oom.json')
            record['attempts'].append({'batch_size': batch, 'steps': steps, 'result': result})
            if result == 'ok':
                checkpoint = last_checkpoint(request.run_dir)
                record['checkpoint'] = str(checkpoint / 'pretrained_model') if checkpoint else None
                _write_record(request, record)
                print(f'ar4-train: done. Policy: {record["checkpoint"]}', flush=True)
                return 0
            if result != 'oom':
                _write_record(request, record)
                print(f'ar4-train: training failed ({result}); the run folder {request.out} is '
                      'kept: fix the cause and continue with --resume (if a checkpoint was '
                      'saved) or start again in a new --out', file=sys.stderr, flush=True)
                return 1
            if not request.resume and request.run_dir.exists():
                shutil.rmtree(request.run_dir)
            print(f'ar4-train: CUDA out of memory at batch size {batch}; partial run removed',
                  file=sys.stderr, flush=True)
        _write_record(request, record)
        smaller = ('"-- --policy.down_dims=[...]"' if request.diffusion else '--lora-rank')
        print(f'ar4-train: out of memory even at batch size {attempts[-1][0]}: use a smaller '
              f'model ({smaller}), a GPU with more memory, or more GPUs (--num-processes)',
              file=sys.stderr, flush=True)
        return EXIT_OUT_OF_MEMORY
    finally:
        shutil.rmtree(marker_dir, ignore_errors=True)


def main(argv=None) -> int:
    """Run ar4-train with command-line arguments; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if '--' in argv:
        split = argv.index('--')
        argv, extra = argv[:split], argv[split + 1:]
    args = build_parser().parse_args(argv)
    try:
        request = request_from_args(args, extra)
        check_request(request)
    except TrainInputError as error:
        print(f'ar4-train: error: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return train(request)


if __name__ == '__main__':
    sys.exit(main())
