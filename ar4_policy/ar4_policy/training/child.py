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
Run lerobot 0.4.4's own training loop with the AR4 corrections; the child of ``ar4-train``.

Usage: ``python -m ar4_policy.training.child <lerobot-train arguments>`` (or the same under
``accelerate launch -m``). The arguments are exactly those of ``lerobot-train``. Differences from
plain ``lerobot-train``:

* SmolVLA is built as :class:`~ar4_policy.training.masked_loss.MaskedLossSmolVLAPolicy`
  (correct padding mask and action-dimension average; checkpoints stay plain ``smolvla``);
  other policy types (``diffusion``) are lerobot's own classes, unchanged;
* a CUDA out-of-memory error (``torch.OutOfMemoryError``, of which
  ``torch.cuda.OutOfMemoryError`` is an alias) ends the process with exit code
  :data:`OOM_EXIT_CODE` and, when ``AR4_TRAIN_OOM_MARKER`` names a file, writes that file (so
  the parent also sees it through ``accelerate launch``, which does not forward exit codes);
* for tests, ``AR4_TRAIN_TEST_OOM_ABOVE_BATCH=N`` raises a real ``torch.OutOfMemoryError`` at
  the first training step when the batch holds more than N samples.
"""

import json
import os
import sys

import torch

OOM_EXIT_CODE = 87
OOM_MARKER_ENV = 'AR4_TRAIN_OOM_MARKER'
TEST_OOM_ENV = 'AR4_TRAIN_TEST_OOM_ABOVE_BATCH'


def _batch_size(batch) -> int:
    """Return the number of samples in a lerobot training batch."""
    for value in batch.values():
        if isinstance(value, torch.Tensor) and value.ndim > 0:
            return int(value.shape[0])
    return 0


def install_test_oom(lerobot_train, limit: int) -> None:
    """Make lerobot's update step raise torch.OutOfMemoryError for batches above ``limit``."""
    original = lerobot_train.update_policy

    def update_policy(train_metrics, policy, batch, *args, **kwargs):
        size = _batch_size(batch)
        if size > limit:
            raise torch.OutOfMemoryError(
                f'CUDA out of memory (injected by {TEST_OOM_ENV}={limit} for a batch of {size})')
        return original(train_metrics, policy, batch, *args, **kwargs)

    lerobot_train.update_policy = update_policy


def find_oom(error: BaseException):
    """Return the torch.OutOfMemoryError in an exception's cause/context chain, or None."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, torch.OutOfMemoryError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _report_oom(error: BaseException) -> None:
    marker = os.environ.get(OOM_MARKER_ENV)
    if marker:
        with open(marker, 'w', encoding='utf-8') as stream:
            json.dump({'error': str(error)[:2000]}, stream)
    print(f'ar4-train child: out of memory: {str(error)[:500]}', file=sys.stderr, flush=True)


def main(argv=None) -> int:
    """Run lerobot's training with the given lerobot-train arguments; return the exit code."""
    from lerobot.scripts import lerobot_train
    from lerobot.utils.import_utils import register_third_party_plugins

    from ar4_policy.training.masked_loss import use_masked_loss

    args = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(TEST_OOM_ENV):
        install_test_oom(lerobot_train, int(os.environ[TEST_OOM_ENV]))
    # lerobot's config parser reads sys.argv itself (for --policy.path and --config_path).
    sys.argv = [sys.argv[0]] + args
    register_third_party_plugins()
    try:
        with use_masked_loss():
            lerobot_train.train()
    except Exception as error:  # noqa: B902 - re-raised unless it is (or wraps) an OOM
        oom = find_oom(error)
        if oom is None:
            raise
        _report_oom(oom)
        return OOM_EXIT_CODE
    return 0


if __name__ == '__main__':
    sys.exit(main())
