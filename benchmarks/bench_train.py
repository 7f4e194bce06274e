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
Benchmark SmolVLA training speed on CPU for sizing demos: steps/s at a given batch size.

For each backbone size of ``ar4_policy.tiny_vlm`` ('tiny', 'small'): build the offline SmolVLA
exactly as ``ar4-train --tiny`` does (MaskedLossSmolVLAPolicy, lerobot's optimizer preset and
pre-processor), then time full training updates (preprocess, forward, backward, clip, AdamW)
on synthetic 480x640 batches. Data loading is timed separately, as lerobot's data loader does
it: decoding batches from a dataset (``--dataset DIR``, for example one made by ar4-generate).

Run from the repository root:
  python benchmarks/bench_train.py                          # tiny and small, batch 8
  python benchmarks/bench_train.py --dataset data/datasets/teal_top --batch-size 8
"""

import argparse
import json
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
for _package in ('ar4_description', 'ar4_teleop', 'ar4_policy'):
    sys.path.insert(0, str(ROOT / _package))
os.environ.setdefault('HF_HUB_OFFLINE', '1')

TASK = 'place the teal cube on the top shelf'


def bench_updates(size: str, batch_size: int, steps: int, warmup: int) -> dict:
    """Return the median seconds per training update of the offline SmolVLA of ``size``."""
    import torch
    from lerobot.policies.factory import make_pre_post_processors

    from ar4_policy.tiny_vlm import tiny_smolvla_config, write_tiny_vlm
    from ar4_policy.training.masked_loss import MaskedLossSmolVLAPolicy
    from ar4_teleop.recording import features as contract

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        vlm = write_tiny_vlm(Path(folder) / 'vlm', extra_words=[TASK], size=size)
        config = tiny_smolvla_config(vlm)
        policy = MaskedLossSmolVLAPolicy(config)
        dim = contract.STATE_SIZE
        stats = {key: {'mean': torch.zeros(dim), 'std': torch.ones(dim)}
                 for key in (contract.STATE_KEY, contract.ACTION_KEY)}
        preprocess, _ = make_pre_post_processors(config, dataset_stats=stats)
        optimizer = config.get_optimizer_preset().build(policy.get_optim_params())
        height, width, channels = contract.IMAGE_SHAPE
        times = []
        policy.train()
        for step in range(warmup + steps):
            batch = {
                contract.IMAGE_KEY: torch.rand(batch_size, channels, height, width),
                contract.STATE_KEY: torch.randn(batch_size, dim),
                contract.ACTION_KEY: torch.randn(batch_size, config.chunk_size, dim),
                'action_is_pad': torch.zeros(batch_size, config.chunk_size, dtype=torch.bool),
                'task': [TASK] * batch_size,
            }
            started = time.perf_counter()
            loss, _ = policy.forward(preprocess(batch))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), config.optimizer_grad_clip_norm)
            optimizer.step()
            optimizer.zero_grad()
            if step >= warmup:
                times.append(time.perf_counter() - started)
        parameters = sum(p.numel() for p in policy.parameters())
    median = statistics.median(times)
    return {'size': size, 'parameters': parameters, 'batch_size': batch_size,
            'update_s_median': round(median, 4), 'steps_per_s': round(1.0 / median, 2),
            'threads': torch.get_num_threads()}


def bench_loading(dataset: Path, batch_size: int, batches: int) -> dict:
    """Return the median seconds to load one batch (video decode) with lerobot's dataset."""
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    data = LeRobotDataset(f'local/{dataset.name}', root=dataset,
                          delta_timestamps={'action': [i / 30 for i in range(10)]})
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True,
                                         num_workers=0)
    times = []
    iterator = iter(loader)
    for _ in range(batches):
        started = time.perf_counter()
        next(iterator)
        times.append(time.perf_counter() - started)
    return {'dataset': str(dataset), 'frames': data.num_frames,
            'load_s_median': round(statistics.median(times), 4)}


def main() -> int:
    """Run the benchmarks and print one JSON line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', nargs='+', default=['tiny', 'small'],
                        choices=('tiny', 'small'), help='backbone sizes to time')
    parser.add_argument('--batch-size', type=int, default=8, help='batch size (default 8)')
    parser.add_argument('--steps', type=int, default=10, help='timed updates (default 10)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed updates first')
    parser.add_argument('--dataset', type=Path, default=None,
                        help='also time batch loading from this LeRobot dataset')
    args = parser.parse_args()
    for size in args.sizes:
        print(json.dumps(bench_updates(size, args.batch_size, args.steps, args.warmup)),
              flush=True)
    if args.dataset is not None:
        if not (args.dataset / 'meta' / 'info.json').is_file():
            print(f'bench_train: {args.dataset} is not a LeRobot dataset', file=sys.stderr)
            return 2
        print(json.dumps(bench_loading(args.dataset, args.batch_size, args.steps)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
