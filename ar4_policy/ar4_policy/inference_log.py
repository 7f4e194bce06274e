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
Inference session logs, like ``lerobot-record --log=true``: three CSVs and a console block.

A session writes into ``<root>/<run>/<date-time>/`` (default root ``data/inference_logs``,
``run`` the dataset or training run the checkpoint came from):

* ``ar4_robot_state.csv``: one row per control tick: time, step, every joint position and the
  connection status (age of the newest wrist image and joint state, and whether both are fresh).
* ``ar4_policy_inference.csv``: one row per model call: time, latency in ms, the observation
  state, the returned actions (a JSON list of lists of absolute targets), their statistics
  (mean, std, min, max over the whole chunk) and those of the image, the task, any error.
* ``ar4_trajectory.csv``: one row per executed target (after the safety filter) with the
  episode metadata (episode index, seed, task) and the safety interventions of that tick.

Every file starts with its header row and is flushed after each row, so a killed run keeps all
it logged. Every ``console_every``-th inference (0: none) a block (joint positions, policy
output, timing, task) goes to ``console``, the caller's logger; a failed inference always does.
"""

import csv
from datetime import datetime, timezone
import json
from pathlib import Path
import re
from typing import Callable, Optional, Sequence, Union

import numpy as np

DEFAULT_ROOT = Path('data') / 'inference_logs'
ROBOT_STATE_FILE = 'ar4_robot_state.csv'
INFERENCE_FILE = 'ar4_policy_inference.csv'
TRAJECTORY_FILE = 'ar4_trajectory.csv'
STATISTICS = ('mean', 'std', 'min', 'max')


def default_session_name() -> str:
    """Return a sortable, filesystem-safe date-time folder name (local time)."""
    return datetime.now().strftime('%Y%m%d_%H%M%S')


def safe_name(name: str) -> str:
    """Return ``name`` with anything but letters, digits, ``._-`` replaced by ``_``."""
    cleaned = re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('._')
    if not cleaned:
        raise ValueError(f'run name {name!r} has no usable characters')
    return cleaned


def run_name_from_checkpoint(checkpoint: Union[str, Path]) -> str:
    """
    Return the training run's folder name for a checkpoint path.

    ``runs/pick/train/checkpoints/000200/pretrained_model`` gives ``pick``: the folders that
    every checkpoint layout shares are skipped, so logs of one run gather in one folder.
    """
    generic = {'pretrained_model', 'checkpoints', 'last', 'train', ''}
    for part in reversed(Path(checkpoint).parts):
        if part not in generic and not part.isdigit():
            return safe_name(part)
    return 'policy'


def new_session_folder(root: Union[str, Path], run: str,
                       session: Optional[str] = None) -> Path:
    """Create and return ``root/run/session`` (``_N`` appended while that one exists)."""
    base = Path(root) / safe_name(run)
    name = safe_name(session or default_session_name())
    folder = base / name
    suffix = 1
    while folder.exists():
        folder = base / f'{name}_{suffix}'
        suffix += 1
    folder.mkdir(parents=True)
    return folder


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds')


def statistics(values) -> list:
    """Return mean, std, min, max of an array (empty strings when it has no finite values)."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    array = array[np.isfinite(array)]
    if not array.size:
        return ['', '', '', '']
    return [f'{float(f(array)):.6g}' for f in (np.mean, np.std, np.min, np.max)]


def _numbers(values) -> list:
    return [f'{float(v):.6g}' for v in np.asarray(values, dtype=np.float64).reshape(-1)]


class _Csv:
    """One CSV file: header written at once, every row flushed."""

    def __init__(self, path: Path, header: Sequence[str]):
        self.path = path
        self.header = list(header)
        self._file = open(path, 'w', newline='')
        self._writer = csv.writer(self._file)
        self.write(self.header)

    def write(self, row: Sequence) -> None:
        self._writer.writerow(row)
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


class InferenceLog:
    """Write a session's robot state, inference and trajectory CSVs; print console blocks."""

    def __init__(self, state_names: Sequence[str], folder: Union[str, Path],
                 console: Optional[Callable[[str], None]] = None, console_every: int = 0):
        """
        Log into ``folder`` (see :func:`new_session_folder`); existing CSVs are replaced.

        ``console`` receives a block every ``console_every`` inferences (0: never) and one for
        every failed inference.
        """
        if console_every < 0:
            raise ValueError(f'console_every must be >= 0, got {console_every}')
        self.state_names = list(state_names)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.console = console
        self.console_every = int(console_every)
        self.count = 0
        self.episode: Optional[int] = None
        self.seed: Optional[int] = None
        self.task = ''
        states = [f'state.{n}' for n in self.state_names]
        self.robot_state = _Csv(self.folder / ROBOT_STATE_FILE, [
            'wall_time', 'time_s', 'step'] + states + [
            'image_age_s', 'joint_state_age_s', 'connected'])
        self.inference = _Csv(self.folder / INFERENCE_FILE, [
            'index', 'wall_time', 'episode', 'step', 'observation_time_s', 'latency_ms', 'task']
            + states + ['chunk_len', 'actions'] + [f'actions_{s}' for s in STATISTICS]
            + [f'image_{s}' for s in STATISTICS] + ['error'])
        self.trajectory = _Csv(self.folder / TRAJECTORY_FILE, [
            'wall_time', 'time_s', 'step', 'episode', 'seed', 'task']
            + [f'target.{n}' for n in self.state_names] + ['interventions'])

    @property
    def path(self) -> Path:
        """Return the inference CSV's path."""
        return self.inference.path

    def start_episode(self, episode: Optional[int], seed: Optional[int], task: str) -> None:
        """Set the episode metadata written with the following trajectory rows."""
        self.episode, self.seed, self.task = episode, seed, task

    def _blank(self, value) -> str:
        return '' if value is None else str(value)

    def log_robot_state(self, step: int, time_s: float, state7,
                        image_age_s: Optional[float], joint_state_age_s: Optional[float],
                        connected: bool) -> None:
        """Write one control tick's joint positions and connection status (ages in s)."""
        ages = ['' if age is None else f'{age:.4f}' for age in (image_age_s, joint_state_age_s)]
        self.robot_state.write([_now(), f'{time_s:.6f}', step] + _numbers(state7) + ages
                               + [int(bool(connected))])

    def log_trajectory(self, step: int, time_s: float, target7, interventions=()) -> None:
        """Write one executed target with the current episode metadata."""
        self.trajectory.write([_now(), f'{time_s:.6f}', step, self._blank(self.episode),
                               self._blank(self.seed), self.task] + _numbers(target7)
                              + [';'.join(interventions)])

    def log(self, step: int, observation_time_s: float, latency_s: float, task: str,
            state7, chunk, error: Optional[BaseException] = None, image=None) -> None:
        """Write one inference (``chunk`` is (n, 7) targets; empty with ``error`` on failure)."""
        state = np.asarray(state7, dtype=np.float64).reshape(-1)
        actions = np.asarray(chunk, dtype=np.float64)
        if actions.ndim != 2:
            actions = actions.reshape(0, len(self.state_names))
        latency_ms = latency_s * 1e3
        image_stats = ['', '', '', ''] if image is None else statistics(image)
        self.inference.write(
            [self.count, _now(), self._blank(self.episode), step, f'{observation_time_s:.6f}',
             f'{latency_ms:.3f}', task] + _numbers(state)
            + [len(actions), json.dumps(np.round(actions, 6).tolist())]
            + statistics(actions) + image_stats + ['' if error is None else str(error)])
        due = self.console_every and self.count % self.console_every == 0
        if self.console is not None and (due or error is not None):
            self.console(self.console_block(step, latency_ms, task, state, actions, error))
        self.count += 1

    def console_block(self, step, latency_ms, task, state, actions, error=None) -> str:
        """Return the multi-line console report of one inference."""
        joints = ', '.join(f'{n}={v:.4f}' for n, v in zip(self.state_names, state))
        lines = [f'inference {self.count} (step {step}): {latency_ms:.1f} ms; task {task!r}',
                 f'  joint positions: {joints}']
        if error is not None:
            lines.append(f'  FAILED: {error}')
        elif len(actions):
            first = ', '.join(f'{v:.4f}' for v in actions[0])
            mean, std, low, high = statistics(actions)
            lines.append(f'  policy output: {len(actions)} actions, first [{first}]; '
                         f'mean {mean} std {std} min {low} max {high}')
        return '\n'.join(lines)

    def close(self) -> None:
        """Close the three files."""
        for file in (self.robot_state, self.inference, self.trajectory):
            file.close()

    def __enter__(self):
        """Return self for ``with InferenceLog(...) as log``."""
        return self

    def __exit__(self, *exc):
        """Close on leaving the block."""
        self.close()


def read_csv(path: Union[str, Path]) -> list:
    """Return the rows of one of the CSVs as dicts of strings."""
    with open(path, newline='') as handle:
        return list(csv.DictReader(handle))


def read_log(path: Union[str, Path]) -> list:
    """Return the rows of an inference CSV, ``actions`` parsed to arrays, latency a float."""
    rows = read_csv(path)
    for row in rows:
        row['actions'] = np.asarray(json.loads(row['actions']), dtype=np.float64)
        row['latency_ms'] = float(row['latency_ms'])
    return rows
