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
Inference logging: one CSV row and one console line per model call.

Each run writes ``<root>/<run>/inference.csv`` (default root ``data/inference_logs``) with the
inference index, wall-clock time, the control step and time of the observation, the latency in
ms, the task, the seven state values given (named as in the dataset) and the chunk returned (a
JSON list of lists, absolute targets). Rows are flushed as they are written, so a crash keeps
everything logged so far.
"""

import csv
from datetime import datetime, timezone
import json
from pathlib import Path
import re
from typing import Callable, Optional, Sequence, Union

import numpy as np

DEFAULT_ROOT = Path('data') / 'inference_logs'
FILE_NAME = 'inference.csv'


def default_run_name() -> str:
    """Return a sortable, filesystem-safe run name from the current local time."""
    return datetime.now().strftime('%Y%m%d_%H%M%S')


def _safe(name: str) -> str:
    cleaned = re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('._')
    if not cleaned:
        raise ValueError(f'run name {name!r} has no usable characters')
    return cleaned


class InferenceLog:
    """Append one row per inference to a run's CSV and print one line with its timing."""

    def __init__(self, state_names: Sequence[str], root: Union[str, Path] = DEFAULT_ROOT,
                 run: Optional[str] = None, console: Optional[Callable[[str], None]] = print):
        """Create ``root/run/`` (a new ``_N`` suffix when it already holds a log)."""
        self.state_names = list(state_names)
        base = _safe(run or default_run_name())
        root = Path(root)
        folder = root / base
        suffix = 1
        while (folder / FILE_NAME).exists():
            folder = root / f'{base}_{suffix}'
            suffix += 1
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / FILE_NAME
        self.console = console
        self.count = 0
        self._file = open(self.path, 'w', newline='')
        self._writer = csv.writer(self._file)
        self._writer.writerow(['index', 'wall_time', 'step', 'observation_time_s', 'latency_ms',
                               'task'] + [f'state.{n}' for n in self.state_names]
                              + ['chunk_len', 'actions'])
        self._file.flush()

    def log(self, step: int, observation_time_s: float, latency_s: float, task: str,
            state7, chunk, error: Optional[BaseException] = None) -> None:
        """Write one inference (``chunk`` is (n, 7) targets; empty with ``error`` on failure)."""
        state = np.asarray(state7, dtype=np.float64).reshape(-1)
        actions = np.asarray(chunk, dtype=np.float64)
        if actions.ndim != 2:
            actions = actions.reshape(0, len(self.state_names))
        latency_ms = latency_s * 1e3
        self._writer.writerow(
            [self.count, datetime.now(timezone.utc).isoformat(timespec='milliseconds'), step,
             f'{observation_time_s:.6f}', f'{latency_ms:.3f}', task]
            + [f'{v:.6g}' for v in state]
            + [len(actions), json.dumps(np.round(actions, 6).tolist())])
        self._file.flush()
        if self.console is not None:
            if error is None:
                self.console(f'inference {self.count}: {latency_ms:.1f} ms, step {step}, '
                             f'{len(actions)} actions')
            else:
                self.console(f'inference {self.count}: FAILED after {latency_ms:.1f} ms, '
                             f'step {step}: {error}')
        self.count += 1

    def close(self) -> None:
        """Close the CSV file."""
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        """Return self for ``with InferenceLog(...) as log``."""
        return self

    def __exit__(self, *exc):
        """Close on leaving the block."""
        self.close()


def read_log(path: Union[str, Path]) -> list:
    """Return the rows of an inference CSV as dicts, ``actions`` parsed back to arrays."""
    with open(path, newline='') as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row['actions'] = np.asarray(json.loads(row['actions']), dtype=np.float64)
        row['latency_ms'] = float(row['latency_ms'])
    return rows
