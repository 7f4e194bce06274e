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
Parallel scripted generation: shards written by independent workers, merged into one dataset.

``ar4-generate --workers N`` (one machine) and the SLURM array job (many machines) share one
layout, the shards folder (default ``<out>.shards``):

- ``plan.json``: what was asked (task, seed, episodes, workers, ...), each shard's episode
  target, the episodes of each shard already merged into the output and the number of merges
  (rounds) done. The first worker (or ``--workers`` run) writes it; later ones check that their
  arguments match it, so a rerun with the same arguments continues the same plan.
- ``shard_KK/``: a normal dataset written by the single-process path (crash-safe like any
  dataset: a killed worker loses at most the episode it was saving).
- ``merge.json``: the journal of a merge in progress (see :func:`merge`).

Seeds: shard K of round R records with the base seed
``SeedSequence([seed, E, F], spawn_key=(K, R))`` (63 bits), where E and F are the episode count
and content fingerprint of the output dataset when the plan was made. Within a shard the usual
per-attempt seeds follow (base seed, the shard's saved episodes, attempt, its fingerprint). So
shards draw from independent seed streams, a rerun reproduces them, a new round (after a merge
that left episodes missing) does not replay the scenes already merged, and a plan made on a
grown output does not replay an earlier plan's scenes.

Merging (``aggregate_datasets``) writes the output plus every shard that holds episodes into
``<out>.merging``, checks that it loads and holds every episode, writes the journal, swaps it in
for the output, records the merged episodes in the plan and removes the merged shards (or moves
them to ``merged/round_RR/`` with ``keep``). A crash anywhere leaves either the old output and
the shards, or a journal that the next run or merge finishes first; no episode is lost or merged
twice. Do not merge while workers still write the shards.
"""

from dataclasses import asdict, dataclass, field
import hashlib
import json
import math
import os
from pathlib import Path
import shutil
import time
from typing import Callable, List, Optional

import numpy as np

PLAN_FILE = 'plan.json'
JOURNAL_FILE = 'merge.json'
PLAN_VERSION = 1
BUILD_SUFFIX = '.merging'
OLD_SUFFIX = '.premerge'
REMOVING_SUFFIX = '.removing'
# Tests set this to the name of a merge step to SIGKILL the process right there.
KILL_AT_ENV = 'AR4_MERGE_KILL_AT'


class ShardError(RuntimeError):
    """The shards folder cannot be used as asked; the message says what to do."""


@dataclass
class Plan:
    """What a parallel run was asked to do and how far it got."""

    task: str
    episodes: int
    workers: int
    seed: int
    randomize: bool
    max_attempts: Optional[int]
    base_episodes: int
    base_fingerprint: int
    targets: List[int]
    merged: List[int] = field(default_factory=list)
    rounds: int = 0
    version: int = PLAN_VERSION

    @property
    def complete(self) -> bool:
        """Return whether every shard's target is in the output."""
        return all(m >= t for m, t in zip(self.merged, self.targets))

    def shard_seed(self, shard: int) -> int:
        """Return the base seed of ``shard`` in the current round (see the module doc)."""
        entropy = [self.seed, self.base_episodes, self.base_fingerprint]
        sequence = np.random.SeedSequence(entropy, spawn_key=(shard, self.rounds))
        return int(sequence.generate_state(1, np.uint64)[0]) >> 1

    def shard_max_attempts(self, shard: int) -> Optional[int]:
        """Return the shard's share of --max-attempts (None: the generator's default)."""
        if self.max_attempts is None:
            return None
        return max(1, math.ceil(self.max_attempts * self.targets[shard] / self.episodes))


def default_shards_dir(out: Path) -> Path:
    """Return ``<out>.shards``, the default shards folder of the output dataset ``out``."""
    out = Path(out)
    return out.parent / (out.name + '.shards')


def shard_path(shards: Path, shard: int) -> Path:
    """Return the dataset folder of shard ``shard``."""
    return Path(shards) / f'shard_{shard:02d}'


def split(episodes: int, workers: int) -> List[int]:
    """Split ``episodes`` over ``workers`` shards as evenly as possible."""
    return [episodes // workers + (k < episodes % workers) for k in range(workers)]


def _checkpoint(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        import signal
        os.kill(os.getpid(), signal.SIGKILL)


def _sibling(path: Path, suffix: str) -> Path:
    return path.parent / (path.name + suffix)


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(path.name + '.tmp')
    with open(temporary, 'w') as handle:
        handle.write(json.dumps(data, indent=2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def dataset_state(root: Path) -> tuple:
    """
    Return (episodes, content fingerprint) of the dataset at ``root``, read only; (0, 0) if none.

    The fingerprint digests the saved states and actions in frame order (as the writer's own),
    so it does not depend on how the frames are split into files. Raise ShardError when the
    dataset was recorded with other features than the generator writes.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from ar4_teleop.recording.features import (
        ACTION_KEY, dataset_features, FPS, ROBOT_TYPE, STATE_KEY)
    info_path = Path(root) / 'meta' / 'info.json'
    if not info_path.is_file():
        return 0, 0
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError) as error:
        raise ShardError(f'{info_path} is unreadable ({error}); open the dataset once with '
                         'ar4-generate (it repairs it) or choose another --out') from error
    differences = []
    if info.get('fps') != FPS or info.get('robot_type') != ROBOT_TYPE:
        differences.append(f'fps {info.get("fps")}, robot type {info.get("robot_type")!r}')
    for key, want in dataset_features().items():
        have = info.get('features', {}).get(key)
        if have is None or have.get('dtype') != want['dtype'] or \
                tuple(have.get('shape', ())) != tuple(want['shape']):
            differences.append(f'feature {key!r}')
    if differences:
        raise ShardError(f'{root} was recorded with other settings than ar4-generate writes ('
                         + ', '.join(differences) + '); choose another --out')
    episodes = int(info.get('total_episodes') or 0)
    files = sorted((Path(root) / 'data').glob('*/*.parquet'))
    if not episodes or not files:
        return 0, 0
    table = pa.concat_tables([pq.read_table(path, columns=['index', STATE_KEY, ACTION_KEY])
                              for path in files]).sort_by('index')
    digest = hashlib.sha256()
    for key in (STATE_KEY, ACTION_KEY):
        values = np.asarray(table.column(key).combine_chunks().flatten(), dtype=np.float32)
        digest.update(values.tobytes())
    return episodes, int.from_bytes(digest.digest()[:8], 'little') >> 1 or 1


def load_plan(shards: Path) -> Plan:
    """Return the plan of the shards folder; raise ShardError when there is none."""
    path = Path(shards) / PLAN_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ShardError(f'{shards} holds no {PLAN_FILE}: it is not a shards folder of '
                         'ar4-generate --workers (or the SLURM array job)') from None
    except (OSError, ValueError) as error:
        raise ShardError(f'{path} is unreadable: {error}') from error
    if data.get('version') != PLAN_VERSION:
        raise ShardError(f'{path}: plan version {data.get("version")} is not {PLAN_VERSION}')
    return Plan(**data)


def save_plan(shards: Path, plan: Plan) -> None:
    """Write the plan atomically."""
    _write_json(Path(shards) / PLAN_FILE, asdict(plan))


def load_or_create_plan(shards: Path, out: Path, task: str, episodes: int, workers: int,
                        seed: int, randomize: bool, max_attempts: Optional[int],
                        log: Callable[[str], None] = print) -> Plan:
    """
    Return the plan in ``shards``, creating it when there is none.

    An existing plan must have been made with the same arguments (ShardError names the ones
    that differ). Concurrent callers (array tasks starting together) compute the same plan;
    the first to write it wins and the others read it.
    """
    shards = Path(shards)
    wanted = {'task': task, 'episodes': episodes, 'workers': workers, 'seed': seed,
              'randomize': randomize, 'max_attempts': max_attempts}
    path = shards / PLAN_FILE
    if not path.exists():
        base_episodes, base_fingerprint = dataset_state(out)
        plan = Plan(base_episodes=base_episodes, base_fingerprint=base_fingerprint,
                    targets=split(episodes, workers), merged=[0] * workers, **wanted)
        shards.mkdir(parents=True, exist_ok=True)
        temporary = shards / f'{PLAN_FILE}.{os.getpid()}.tmp'
        _write_json(temporary, asdict(plan))
        try:
            os.link(temporary, path)  # fails if another worker wrote the plan first
            log(f'ar4-generate: new plan in {path}: {episodes} episodes over {workers} '
                f'shards {plan.targets}')
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    plan = load_plan(shards)
    labels = {'randomize': 'randomize (--no-randomize)', 'max_attempts': '--max-attempts'}
    differences = [f'{labels.get(name, "--" + name)}: {getattr(plan, name)!r} in the plan, '
                   f'{value!r} now' for name, value in wanted.items()
                   if getattr(plan, name) != value]
    if differences:
        raise ShardError(
            f'{shards} continues an earlier run with other arguments:\n  - '
            + '\n  - '.join(differences)
            + f'\nRerun with the plan\'s arguments to complete it, merge what it holds with '
            f'ar4-generate --merge-shards {shards} --out OUT, or pick another --shards-dir.')
    return plan


def count_episodes(root: Path, log: Callable[[str], None] = print) -> int:
    """
    Return the episodes saved in the dataset at ``root`` (0 when there is none).

    Opens it with the recording writer, which repairs what a killed worker left, so the count
    is what a merge can use. It is not consolidated again (``aggregate_datasets`` rewrites the
    files anyway).
    """
    from ar4_teleop.recording.writer import DatasetWriter
    root = Path(root)
    if not (root / 'meta' / 'info.json').exists() and \
            not (root.parent / (root.name + '.consolidate.json')).exists():
        return 0
    writer = DatasetWriter.open(root, log=log, consolidate_on_close=False)
    try:
        return writer.num_episodes
    finally:
        writer.close()


@dataclass
class MergeReport:
    """What a merge found and did."""

    lines: List[str] = field(default_factory=list)
    merged: int = 0
    total: int = 0
    missing: int = 0
    seconds: float = 0.0


def recover(shards: Path, out: Path, log: Callable[[str], None] = print) -> bool:
    """
    Finish a merge a crash interrupted, or remove what it left before its journal.

    Return True when the finished merge completed its plan (the shards folder is then gone,
    unless it was kept).
    """
    shards, out = Path(shards), Path(out)
    removing = _sibling(shards, REMOVING_SUFFIX)
    if removing.exists():
        shutil.rmtree(removing)
        return True  # only a complete plan's folder is ever renamed for removal
    journal = shards / JOURNAL_FILE
    if journal.exists():
        log(f'ar4-generate: finishing an interrupted merge into {out}')
        return _apply(shards, out, json.loads(journal.read_text()), log)
    if _sibling(out, BUILD_SUFFIX).exists():
        shutil.rmtree(_sibling(out, BUILD_SUFFIX))
        log(f'ar4-generate: removed an unfinished merge copy {_sibling(out, BUILD_SUFFIX)}; '
            f'{out} and the shards are as they were')
    return False


def _apply(shards: Path, out: Path, journal: dict, log: Callable[[str], None]) -> bool:
    """
    Swap the verified merge in, record it in the plan, retire the merged shards.

    Every step can be redone after a crash. Return whether the plan is complete.
    """
    build, old = _sibling(out, BUILD_SUFFIX), _sibling(out, OLD_SUFFIX)
    if build.exists():
        if out.exists() and not old.exists():
            os.replace(out, old)
            _checkpoint('old_moved')
        elif out.exists():
            shutil.rmtree(out)  # both old and out: out is a half-removed leftover
        os.replace(build, out)
        _checkpoint('swapped')
    if old.exists():
        shutil.rmtree(old)
    plan = load_plan(shards)
    if plan.rounds == journal['round']:
        plan.merged = [m + h for m, h in zip(plan.merged, journal['have'])]
        plan.rounds += 1
        save_plan(shards, plan)
        _checkpoint('planned')
    retired = shards / 'merged' / f'round_{journal["round"]:02d}'
    for shard, have in enumerate(journal['have']):
        source = shard_path(shards, shard)
        if have and source.exists():
            retired.mkdir(parents=True, exist_ok=True)
            os.replace(source, retired / source.name)
            _checkpoint('retired')
    if not journal['keep']:
        shutil.rmtree(shards / 'merged', ignore_errors=True)
    (shards / JOURNAL_FILE).unlink()
    if plan.complete and not journal['keep']:
        removing = _sibling(shards, REMOVING_SUFFIX)
        os.replace(shards, removing)
        shutil.rmtree(removing)
    return plan.complete


def _native_data_schema(root: Path) -> None:
    """
    Rewrite data files that ``aggregate_datasets`` wrote through pandas in LeRobot's schema.

    lerobot 0.4.4's aggregation stores vectors as variable-size lists; ``LeRobotDataset`` writes
    fixed-size lists with the features in the schema's metadata. Stock loading accepts both, but
    a dataset that mixes them (a merged dataset resumed) cannot be read as one table, which the
    recording writer does when it fingerprints or consolidates a dataset it resumes.
    """
    import pyarrow.parquet as pq
    from lerobot.datasets.utils import get_hf_features_from_features
    info = json.loads((root / 'meta' / 'info.json').read_text())
    features = {key: dict(feature, shape=tuple(feature['shape']))
                for key, feature in info['features'].items()}
    schema = get_hf_features_from_features(features).arrow_schema
    for path in sorted((root / 'data').glob('*/*.parquet')):
        table = pq.read_table(path)
        if table.schema.equals(schema, check_metadata=True):
            continue
        table = table.select(schema.names).cast(schema)
        temporary = path.with_name(path.name + '.tmp')
        pq.write_table(table, temporary)
        os.replace(temporary, path)


def merge(shards: Path, out: Path, keep: bool = False,
          log: Callable[[str], None] = print) -> MergeReport:
    """
    Merge every shard that holds episodes into the output dataset ``out`` (created or grown).

    Report per shard what it holds against its target. When every target is merged the shards
    folder is removed (kept with ``keep``); otherwise the plan stays, and a rerun with the same
    arguments generates only what is missing.
    """
    from ar4_teleop.recording.writer import repo_id_for
    from lerobot.datasets.aggregate import aggregate_datasets
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    shards, out = Path(shards), Path(out)
    started = time.perf_counter()
    if not shards.exists() and not _sibling(shards, REMOVING_SUFFIX).exists():
        raise ShardError(f'{shards} does not exist (a complete merge removes it)')
    report = MergeReport()
    if recover(shards, out, log) and not (shards / PLAN_FILE).exists():
        report.total = count_episodes(out, log)
        report.lines.append('an interrupted merge was finished; it completed the plan')
        report.seconds = time.perf_counter() - started
        return report
    plan = load_plan(shards)
    dataset_state(out)  # refuses an output of other features before any work
    before = count_episodes(out, log)
    have = [count_episodes(shard_path(shards, k), log) for k in range(plan.workers)]
    for k, target in enumerate(plan.targets):
        missing = max(0, target - plan.merged[k] - have[k])
        report.lines.append(f'shard {k:02d}: {have[k]} episodes to merge, {plan.merged[k]} '
                            f'merged earlier, {target} asked'
                            + (f': {missing} missing' if missing else ''))
        report.missing += missing
    sources = ([out] if before else []) + [shard_path(shards, k)
                                           for k in range(plan.workers) if have[k]]
    if not any(have):
        report.total = before
        report.lines.append(f'nothing to merge; {out} has {before} episodes')
        report.seconds = time.perf_counter() - started
        return report
    build = _sibling(out, BUILD_SUFFIX)
    if build.exists():
        shutil.rmtree(build)
    log(f'ar4-generate: merging {sum(have)} episodes from {sum(1 for h in have if h)} shards '
        f'into {out} ({before} episodes) ...')
    try:
        aggregate_datasets([repo_id_for(p) for p in sources], repo_id_for(out),
                           roots=sources, aggr_root=build)
        _native_data_schema(build)
        merged = LeRobotDataset(repo_id_for(out), root=build)
        expected = before + sum(have)
        if merged.meta.total_episodes != expected or \
                merged.num_frames != merged.meta.total_frames:
            raise ShardError(f'the merged copy holds {merged.meta.total_episodes} episodes, '
                             f'expected {expected}; {out} and the shards are unchanged')
        frames = sum(int(json.loads((p / 'meta' / 'info.json').read_text())['total_frames'])
                     for p in sources)
        if merged.meta.total_frames != frames:
            raise ShardError(f'the merged copy holds {merged.meta.total_frames} frames, the '
                             f'sources {frames}; {out} and the shards are unchanged')
        del merged
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _checkpoint('verified')
    journal = {'round': plan.rounds, 'have': have, 'keep': keep, 'out': str(out)}
    _write_json(shards / JOURNAL_FILE, journal)
    _checkpoint('journaled')
    _apply(shards, out, journal, log)
    report.merged = sum(have)
    report.total = before + sum(have)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Worker:
    """One worker process writing one shard."""

    shard: int
    process: object
    relay: object = None

    @property
    def pid(self) -> int:
        """Return the worker's process id."""
        return self.process.pid


def start_workers(commands: List[List[str]], log: Callable[[str], None] = print) -> List[Worker]:
    """
    Start one worker per command (shard K runs ``commands[K]``); relay their output.

    Every line a worker prints is printed as ``[shard KK] line``. The workers see this
    process's import path, so they run the same code.
    """
    import subprocess
    import sys
    import threading
    environment = dict(os.environ)
    environment['PYTHONPATH'] = os.pathsep.join(
        [p for p in sys.path if p] + [environment.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    environment['PYTHONUNBUFFERED'] = '1'
    workers = []
    for shard, command in enumerate(commands):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=environment, text=True,
                                   bufsize=1)

        def relay(stream=process.stdout, shard=shard):
            for line in stream:
                log(f'[shard {shard:02d}] {line.rstrip()}')

        thread = threading.Thread(target=relay, daemon=True)
        thread.start()
        workers.append(Worker(shard, process, thread))
        log(f'ar4-generate: worker {shard} started (pid {process.pid})')
    return workers


def wait_workers(workers: List[Worker], log: Callable[[str], None] = print) -> List[int]:
    """Wait for every worker; return their exit codes (negative: killed by that signal)."""
    codes = []
    for worker in workers:
        code = worker.process.wait()
        worker.relay.join(timeout=5)
        codes.append(code)
        if code < 0:
            log(f'ar4-generate: worker {worker.shard} (pid {worker.pid}) was killed by '
                f'signal {-code}; the episodes it saved are kept')
        elif code:
            log(f'ar4-generate: worker {worker.shard} (pid {worker.pid}) exited with {code}')
    return codes


def stop_workers(workers: List[Worker], grace: float = 10.0, timeout: float = 60.0) -> None:
    """
    Stop the workers after an interrupt; each keeps the episodes it saved.

    A Ctrl-C in a terminal reaches the workers too: they get ``grace`` seconds to stop on their
    own, then an interrupt, and those still running after ``timeout`` are killed.
    """
    import signal
    import subprocess
    deadline = time.monotonic() + grace
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
