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
Per-episode success / failure marks, stored in the dataset's episodes metadata.

A mark lives in ``meta/episodes/*/*.parquet`` as the columns of a pseudo feature
``episode_success`` in LeRobot's per-episode statistics: ``stats/episode_success/{min, max,
mean, std, count}``, each a one-element array holding 1.0 (success), 0.0 (failure) or NaN (not
marked). Why there and not in a plain column: stock lerobot 0.4.4 loads the episodes metadata
without its ``stats/`` columns (so the mark changes nothing it reads), ``aggregate_datasets``
and the consolidation copy every column, and ``lerobot-edit-dataset`` (delete/split) rebuilds
each episode's row from ``episode_index``, ``tasks``, ``length``, the file indices and *every*
``stats/<feature>/<stat>`` column, dropping any other column. Its dataset-wide stats.json keeps
only declared features, so the pseudo feature never reaches training's normalisation.

Every row of an episodes file must carry the columns once one row does: lerobot's statistics
aggregation rejects a missing (null) value, so unmarked rows hold NaN.
"""

import os
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

FEATURE = 'episode_success'
STATS = ('min', 'max', 'mean', 'std', 'count')
COLUMNS = tuple(f'stats/{FEATURE}/{stat}' for stat in STATS)
EPISODES_GLOB = 'meta/episodes/*/*.parquet'
LABELS = {True: 'success', False: 'failure', None: 'unmarked'}


def _value(outcome: Optional[bool]) -> float:
    return float('nan') if outcome is None else (1.0 if outcome else 0.0)


def _cells(outcome: Optional[bool]) -> Dict[str, np.ndarray]:
    """Return one row's columns for an outcome (the shape lerobot's episode statistics have)."""
    value = _value(outcome)
    return {f'stats/{FEATURE}/min': np.array([value]), f'stats/{FEATURE}/max': np.array([value]),
            f'stats/{FEATURE}/mean': np.array([value]), f'stats/{FEATURE}/std': np.array([0.0]),
            f'stats/{FEATURE}/count': np.array([1])}


def _outcome_of(cell) -> Optional[bool]:
    """Return the outcome a ``mean`` cell holds (None when not marked or absent)."""
    if cell is None:
        return None
    value = float(np.asarray(cell, dtype=np.float64).reshape(-1)[0])
    return None if np.isnan(value) else value >= 0.5


def _write_atomically(frame, path: Path) -> None:
    temporary = path.with_name(path.name + '.tmp')
    frame.to_parquet(temporary)
    with open(temporary, 'rb') as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _episode_files(root: Path) -> List[Path]:
    return sorted(Path(root).glob(EPISODES_GLOB))


def mark(root: Union[str, Path], marks: Dict[int, Optional[bool]]) -> None:
    """
    Store outcomes (``{episode_index: True/False/None}``) in the dataset at ``root``.

    Rows of the touched files that are not in ``marks`` keep their mark, or get NaN.
    """
    import pandas as pd
    remaining = dict(marks)
    for path in reversed(_episode_files(root)):  # a session's newest episode is in the last
        if not remaining:
            return
        frame = pd.read_parquet(path)
        hits = [i for i in frame['episode_index'] if int(i) in remaining]
        if not hits and all(c in frame.columns for c in COLUMNS):
            continue
        given = {int(i): remaining.pop(int(i)) for i in hits}
        for column in COLUMNS:
            kept = list(frame[column]) if column in frame.columns else [None] * len(frame)
            frame[column] = [
                _cells(given[int(i)])[column] if int(i) in given
                else (cell if cell is not None else _cells(None)[column])
                for i, cell in zip(frame['episode_index'], kept)]
        if hits:
            _write_atomically(frame, path)
    if remaining:
        raise KeyError(f'episodes {sorted(remaining)} are not in {root}')


def complete(root: Union[str, Path]) -> int:
    """
    Give every episode that has no mark columns NaN ones, once any episode is marked.

    Consolidation concatenates the episodes files, which would leave nulls in rows from
    unmarked files. Return the number of files rewritten.
    """
    import pandas as pd
    import pyarrow.parquet as pq
    files = _episode_files(root)
    names = {path: set(pq.read_schema(path).names) for path in files}
    if not any(set(COLUMNS) <= columns for columns in names.values()):
        return 0
    rewritten = 0
    for path in files:
        if not set(COLUMNS) <= names[path]:
            frame = pd.read_parquet(path)
            for column in COLUMNS:
                if column not in frame.columns:
                    frame[column] = [_cells(None)[column] for _ in range(len(frame))]
            _write_atomically(frame, path)
            rewritten += 1
    return rewritten


def read(root: Union[str, Path]) -> Dict[int, Optional[bool]]:
    """Return ``{episode_index: True (success) / False (failure) / None (unmarked)}``."""
    import pandas as pd
    import pyarrow.parquet as pq
    column = f'stats/{FEATURE}/mean'
    outcomes: Dict[int, Optional[bool]] = {}
    for path in _episode_files(root):
        present = column in pq.read_schema(path).names
        frame = pd.read_parquet(path, columns=['episode_index'] + ([column] if present else []))
        for row in frame.itertuples(index=False):
            outcomes[int(row[0])] = _outcome_of(row[1]) if present else None
    return dict(sorted(outcomes.items()))


def successful_episodes(root: Union[str, Path]) -> List[int]:
    """Return the indices of the episodes marked as a success, in order."""
    return [index for index, outcome in read(root).items() if outcome]


def label(outcome: Optional[bool]) -> str:
    """Return 'success', 'failure' or 'unmarked'."""
    return LABELS[outcome]
