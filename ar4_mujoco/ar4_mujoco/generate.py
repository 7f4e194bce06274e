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
ar4-generate: record scripted demonstrations in the MuJoCo twin as a LeRobot v3 dataset.

Each attempt resets the twin (seeded, small random cube offsets), lets the scripted expert
perform the task and records every frame through the same recording core as the teleop recorder
(``ar4_teleop.recording``): the wrist image and measured joints + gripper as the observation,
the absolute targets commanded for the next frame as the action, 30 frames per second of sim
time. The expert's arm targets reach the arm as they would in Gazebo, through MoveIt Servo's
sliding windows (every 40 ms, read by the commanded-target contract): the twin executes and
records what Servo commands. Only successful episodes are saved; failed ones are discarded. An
existing dataset is resumed.

With ``--bag-out`` every saved episode is also written as the rosbag2 the Gazebo stack would
record (``ros_bag``): converted with ``ar4-bag2lerobot`` it must give the same episode, which
checks the ROS recording path against the twin.

With ``--workers N`` the episodes are split over N worker processes, each writing its own shard
dataset with its own seed stream, and the shards are then merged into the output with lerobot's
``aggregate_datasets``; ``--shard K`` runs one worker alone (a SLURM array task) and
``--merge-shards`` the merge alone. ``shards`` describes the layout, seeds and crash safety.
"""

import argparse
from dataclasses import dataclass, field
from pathlib import Path
import sys
import time
from typing import Callable, List, Optional

import numpy as np

EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 1
#: Saved episodes that may wait for encoding while the next one is simulated.
MAX_PENDING_SAVES = 1
#: SVT-AV1 threads per episode video (lerobot's default, None, starts one per core).
ENCODER_THREADS = 1


@dataclass
class GenerateResult:
    """What a generation run did, with wall-clock time split for the benchmark."""

    saved: List[int] = field(default_factory=list)
    attempts: int = 0
    failures: int = 0
    frames: int = 0
    seconds: float = 0.0
    physics_s: float = 0.0
    render_s: float = 0.0
    planning_s: float = 0.0
    writing_s: float = 0.0
    total_episodes: int = 0
    bags: List[Path] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        """Return recorded frames per wall-clock second, end to end."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def episode_seed(seed: int, existing_episodes: int, attempt: int, content: int = 0) -> int:
    """
    Return the reset seed of one attempt.

    It depends on the run's seed, the episodes already in the dataset, the attempt number and,
    for a resumed dataset, a fingerprint of the frames it already holds (``content``, 0 for a
    new dataset). So a resumed run does not repeat the scenes of the first one, two different
    datasets of the same size resumed with the same --seed get different scenes (without the
    fingerprint both would replay the same demonstrations), and reruns are reproducible: the
    same dataset resumed with the same seed gets the same scenes.
    """
    entropy = [seed, existing_episodes, attempt]
    if content:
        entropy.append(content)
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def generate(task_text: str, episodes: int, out, seed: int = 0,
             max_attempts: Optional[int] = None, randomize: bool = True,
             progress: bool = True, log: Callable[[str], None] = print,
             twin=None, bag_out=None, bag_faults=None) -> GenerateResult:
    """
    Record ``episodes`` successful expert episodes of ``task_text`` into the dataset at ``out``.

    With ``bag_out`` (a folder) each saved episode's ROS streams are also written there as the
    rosbag2 ``episode_NNNNNN`` (NNNNNN: its dataset index), with the optional
    ``ros_bag.BagFaults`` ``bag_faults``. Raise TaskError for an instruction the twin does not
    know, DatasetError (from the writer) for a dataset that cannot be opened or does not match
    and ros_bag.BagError when a bag folder this run would write exists already.
    """
    from ar4_teleop.recording.features import build_frame, FPS
    from ar4_teleop.recording.writer import DatasetWriter
    from tqdm import tqdm

    from . import ros_bag
    from .env import AR4Twin
    from .expert import PlanError, run_episode, ScriptedExpert

    env = AR4Twin(render=True, twin=twin)
    try:
        task = env.parse_task(task_text)
        if round(1.0 / env.frame_period) != FPS:
            raise RuntimeError(f'the twin steps at {1.0 / env.frame_period:.2f} Hz, '
                               f'the dataset contract is {FPS} frames/s')
        expert = ScriptedExpert(env)
        max_attempts = max_attempts if max_attempts is not None else max(3 * episodes, 5)
        result = GenerateResult()
        # One encoder thread: rendering and physics keep the other core busy, and SVT-AV1 on
        # one thread spends 6% less CPU per frame for the same bytes (docs/results.md).
        writer = DatasetWriter.open(Path(out), fps=FPS, log=log, encoder_threads=ENCODER_THREADS)
        started = time.perf_counter()
        existing = writer.num_episodes
        content = writer.content_fingerprint()
        physics0, render0 = env.timings['physics_s'], env.timings['render_s']
        if bag_out is not None:
            first = writer.next_episode_index
            try:
                ros_bag.check_free(bag_out, range(first, first + episodes))
            except ros_bag.BagError:
                writer.close()
                raise
        bar = tqdm(total=episodes, unit='episode', desc='ar4-generate', disable=not progress,
                   file=sys.stderr)
        # Saving (video encoding) runs on the writer's background thread while the next
        # attempt is simulated; at most MAX_PENDING_SAVES wait, so memory stays bounded.
        pending = []

        def collect(wait_for: int = 0) -> None:
            """Report finished saves; first wait for the oldest ``wait_for`` ones."""
            while pending and (wait_for > 0 or pending[0][0].done()):
                wait_for -= 1
                future, attempt_seed, attempt, bag = pending.pop(0)
                began = time.perf_counter()
                try:
                    saved = future.result()
                except BaseException:
                    if bag is not None:
                        bag.abort()
                    raise
                # The bag takes the index the episode got (an earlier failed save shifts it).
                bag_note = ''
                if bag is not None:
                    result.bags.append(bag.commit(saved.index))
                    bag_note = f', bag {result.bags[-1]}'
                result.writing_s += time.perf_counter() - began
                result.saved.append(saved.index)
                result.frames += saved.frames
                bar.write(f'saved episode {saved.index}: {saved.frames} frames '
                          f'({saved.seconds:.1f} s), seed {attempt_seed}, attempt {attempt}'
                          f'{bag_note}')
                bar.update(1)
                bar.set_postfix(
                    frames_per_s=f'{result.frames / (time.perf_counter() - started):.0f}')

        try:
            while (len(result.saved) + len(pending) < episodes
                   and result.attempts < max_attempts):
                attempt_seed = episode_seed(seed, existing, result.attempts, content)
                result.attempts += 1
                writing = [0.0]
                # The attempt's bag, opened once the plan is known (its Servo stream needs
                # the targets ahead of time).
                bag = [None]

                def record(observation, targets):
                    began = time.perf_counter()
                    writer.add_frame(build_frame(observation.image, observation.state7,
                                                 targets, task.text))
                    if bag[0] is not None:
                        bag[0].add_frame(observation)
                    writing[0] += time.perf_counter() - began

                def record_joints(sample):
                    began = time.perf_counter()
                    bag[0].add_joint_sample(sample)
                    writing[0] += time.perf_counter() - began

                def open_bag(plan, seed=attempt_seed):
                    began = time.perf_counter()
                    bag[0] = ros_bag.EpisodeBag(
                        bag_out, writer.next_episode_index, plan.targets, seed,
                        faults=bag_faults, joint_state_names=env.joint_state_names)
                    env.sample_joints(bag[0].ticks_per_frame, record_joints)
                    writing[0] += time.perf_counter() - began

                planner = _ServoCommandedExpert(expert, None if bag_out is None else open_bag)
                planning = time.perf_counter()
                stepped_before = env.timings['render_s'] + env.timings['physics_s']
                try:
                    success = run_episode(env, planner, task, seed=attempt_seed,
                                          randomize=randomize, on_frame=record)
                except PlanError as error:
                    success = False
                    log(f'attempt {result.attempts} (seed {attempt_seed}): {error}')
                except BaseException:
                    if bag[0] is not None:
                        bag[0].abort()
                    raise
                finally:
                    env.sample_joints(1, None)
                elapsed = time.perf_counter() - planning
                stepped = env.timings['render_s'] + env.timings['physics_s'] - stepped_before
                frames = writer.frames_in_episode
                began = time.perf_counter()
                if success and frames:
                    try:
                        if bag[0] is not None:
                            bag[0].finish(env.joint_sample())
                        future = writer.save_episode_async()
                    except BaseException:
                        if bag[0] is not None:
                            bag[0].abort()
                        raise
                    pending.append((future, attempt_seed, result.attempts, bag[0]))
                else:
                    if bag[0] is not None:
                        bag[0].abort()
                    if frames:
                        writer.discard_episode()
                    result.failures += 1
                    bar.write(f'discarded attempt {result.attempts} (seed {attempt_seed}): '
                              'the expert did not complete the task')
                result.writing_s += writing[0] + time.perf_counter() - began
                result.planning_s += max(0.0, elapsed - stepped - writing[0])
                collect(wait_for=len(pending) - MAX_PENDING_SAVES)
            collect(wait_for=len(pending))
            result.total_episodes = writer.num_episodes
        finally:
            bar.close()
            began = time.perf_counter()
            writer.close()
            _settle_bags(pending, result, log)
            result.writing_s += time.perf_counter() - began
        result.seconds = time.perf_counter() - started
        result.physics_s = env.timings['physics_s'] - physics0
        result.render_s = env.timings['render_s'] - render0
        return result
    finally:
        env.close()


class _ServoCommandedExpert:
    """
    The expert as the Gazebo stack executes it: its arm targets pass through MoveIt Servo.

    Each plan is first handed to ``on_plan`` (the bag builds Servo's windows from the expert's
    own targets), then returned with the targets those windows command for every frame
    (``ros_bag.servo_commanded``): the twin's arm executes, and the dataset records, what Servo
    commands, so the bag's trajectories are exactly what the twin did.
    """

    def __init__(self, expert, on_plan: Optional[Callable] = None):
        self._expert = expert
        self._on_plan = on_plan

    def plan(self, *args, **kwargs):
        """Plan with the expert, report the plan, return it as Servo commands it."""
        from .expert import Plan
        from .ros_bag import servo_commanded
        plan = self._expert.plan(*args, **kwargs)
        if self._on_plan is not None:
            self._on_plan(plan)
        return Plan(targets=servo_commanded(plan.targets), phases=list(plan.phases))

    def __getattr__(self, name):
        """Forward everything else to the expert."""
        return getattr(self._expert, name)


def _settle_bags(pending, result: GenerateResult, log: Callable[[str], None]) -> None:
    """
    Commit the bags of saves that finished while the run was stopping, remove the others.

    Only reached with entries left when the run is interrupted: closing the writer finishes
    their saves, so their episodes are in the dataset and keep their bags.
    """
    for future, _, _, bag in pending:
        if bag is None:
            continue
        if future.done() and not future.cancelled() and future.exception() is None:
            try:
                result.bags.append(bag.commit(future.result().index))
                continue
            except (OSError, ValueError) as error:
                log(f'ar4-generate: could not keep the bag of episode '
                    f'{future.result().index}: {error}')
        bag.abort()
    pending.clear()


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ar4-generate."""
    parser = argparse.ArgumentParser(
        prog='ar4-generate',
        description=(
            'Record successful scripted demonstrations in the headless MuJoCo twin of the AR4 '
            'into a LeRobot v3 dataset (same features as the teleop recorder: wrist video '
            '480x640, observation.state and action = joint_1..joint_6 + gripper, 30 fps). '
            'Failed attempts are discarded; an existing dataset at --out is resumed. Renders '
            'offscreen with MUJOCO_GL (default egl: the GPU if there is one, else Mesa on the '
            'CPU; osmesa also works).'),
        epilog=('Tasks: "place the <teal|magenta|yellow> cube on the <top|middle|bottom> '
                'shelf". Example: ar4-generate --task "place the teal cube on the top shelf" '
                '--episodes 20 --out data/datasets/local/ar4_sim_teal_top'))
    parser.add_argument('--task',
                        help='the instruction (see below); required unless --merge-shards')
    parser.add_argument('--episodes', type=int,
                        help='number of successful episodes to add to the dataset; required '
                             'unless --merge-shards')
    parser.add_argument('--out', required=True, type=Path,
                        help='dataset folder (created, or resumed when it exists); its repo id '
                             'is <parent folder>/<folder>')
    parser.add_argument('--seed', type=int, default=0,
                        help='base seed of the randomised scenes (default 0); with the number '
                             'of episodes already saved and a fingerprint of their frames it '
                             'determines every attempt, so resuming two datasets with the same '
                             'seed does not repeat scenes')
    parser.add_argument('--max-attempts', type=int, default=None,
                        help='stop after this many attempts (default 3 x --episodes, at least 5)')
    parser.add_argument('--no-randomize', action='store_true',
                        help='start every episode from the exact home pose and cube poses of '
                             'the world file')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    parser.add_argument('--bag-out', type=Path, default=None, metavar='DIR',
                        help='also write every saved episode as a rosbag2 (MCAP) DIR/'
                             'episode_NNNNNN (NNNNNN: its dataset index) of the ROS topics the '
                             'Gazebo stack would carry: /wrist_camera/image, /joint_states, '
                             "MoveIt Servo's /joint_trajectory_controller/joint_trajectory and "
                             '/gripper_target. For checking the ROS recording path: '
                             'ar4-bag2lerobot DIR/episode_* must rebuild the same episodes')
    parser.add_argument('--bag-drop-images', type=float, default=0.0, metavar='FRACTION',
                        help='with --bag-out: leave this fraction of images out of the bags, '
                             'as a best-effort subscription drops them (0 to 1, default 0)')
    parser.add_argument('--bag-stamp-jitter-ms', type=float, default=0.0, metavar='MS',
                        help='with --bag-out: move image and joint-state header stamps by '
                             'uniform noise within +-MS milliseconds (default 0)')
    parallel = parser.add_argument_group(
        'parallel generation',
        'With --workers N (one machine) or one --shard K per SLURM array task (many machines), '
        'each worker writes its share of --episodes into its own shard dataset '
        '(<shards>/shard_KK, a normal resumable dataset) with its own seed stream; the merge '
        "(lerobot's aggregate_datasets) appends the shards' episodes to --out. A killed worker "
        'keeps the episodes it saved: the merge takes them and says how many are missing, and '
        'running the same command again generates only those. <shards>/plan.json records the '
        'arguments; a rerun must repeat them.')
    parallel.add_argument('--workers', type=int, default=1, metavar='N',
                          help='run N generator processes on disjoint seed streams, then merge '
                               'their shards into --out (default 1: one process, no shards)')
    parallel.add_argument('--shards-dir', type=Path, default=None, metavar='DIR',
                          help='folder of the shards and their plan (default <out>.shards)')
    parallel.add_argument('--shard', type=int, default=None, metavar='K',
                          help='with --workers N: write only shard K (0..N-1) and do not merge '
                               '(one SLURM array task); merge later with --merge-shards')
    parallel.add_argument('--merge-shards', type=Path, default=None, metavar='DIR',
                          help='only merge the shards in DIR into --out (the SLURM merge step); '
                               'do not merge while workers still write them')
    parallel.add_argument('--keep-shards', action='store_true',
                          help='keep merged shards (under <shards>/merged/) instead of '
                               'removing them once the merged dataset is verified')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run ar4-generate; return the exit code (2 for bad input, 1 if episodes are missing)."""
    args = build_parser().parse_args(argv)
    if args.merge_shards is not None:
        return _merge_main(args)
    for name in ('task', 'episodes'):
        if getattr(args, name) is None:
            print(f'ar4-generate: --{name} is required (unless --merge-shards)', file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.workers < 1:
        print('ar4-generate: --workers must be at least 1', file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.shard is not None and not 0 <= args.shard < args.workers:
        print(f'ar4-generate: --shard must be 0..{args.workers - 1} (--workers {args.workers})',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if (args.workers > 1 or args.shard is not None) and args.bag_out is not None:
        print('ar4-generate: --bag-out works with one process only (no --workers/--shard)',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if 1 <= args.episodes < args.workers:
        print(f'ar4-generate: --workers {args.workers} is more than --episodes '
              f'{args.episodes}', file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.episodes < 1:
        print('ar4-generate: --episodes must be at least 1', file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.max_attempts is not None and args.max_attempts < 1:
        print('ar4-generate: --max-attempts must be at least 1', file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.out.exists() and not args.out.is_dir():
        print(f'ar4-generate: --out {args.out} exists and is not a folder', file=sys.stderr)
        return EXIT_BAD_INPUT
    bag_options = args.bag_drop_images != 0.0 or args.bag_stamp_jitter_ms != 0.0
    if args.bag_out is None and bag_options:
        print('ar4-generate: --bag-drop-images and --bag-stamp-jitter-ms need --bag-out',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.bag_out is not None and args.bag_out.exists() and not args.bag_out.is_dir():
        print(f'ar4-generate: --bag-out {args.bag_out} exists and is not a folder',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    from ar4_teleop.recording.writer import DatasetError

    from .tasks import TaskError
    from .ros_bag import BagError, BagFaults
    try:
        faults = BagFaults(drop_images=args.bag_drop_images,
                           stamp_jitter_ms=args.bag_stamp_jitter_ms)
    except BagError as error:
        print(f'ar4-generate: --bag-drop-images/--bag-stamp-jitter-ms: {error}',
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.workers > 1 or args.shard is not None:
        return _parallel_main(args)
    try:
        result = generate(args.task, args.episodes, args.out, seed=args.seed,
                          max_attempts=args.max_attempts, randomize=not args.no_randomize,
                          progress=not args.quiet,
                          log=lambda message: print(message, file=sys.stderr),
                          bag_out=args.bag_out, bag_faults=faults)
    except BagError as error:
        print(f'ar4-generate: --bag-out: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    except TaskError as error:
        print(f'ar4-generate: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatasetError as error:
        print(f'ar4-generate: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print('ar4-generate: interrupted; saved episodes are kept', file=sys.stderr)
        return 130
    print(f'{len(result.saved)} episodes saved ({result.frames} frames, '
          f'{result.frames_per_second:.0f} frames/s), {result.failures} attempts discarded; '
          f'the dataset at {args.out} now has {result.total_episodes} episodes')
    if len(result.saved) < args.episodes:
        print(f'ar4-generate: only {len(result.saved)} of {args.episodes} episodes succeeded '
              f'in {result.attempts} attempts; run again (it resumes) or raise --max-attempts',
              file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _merge_main(args) -> int:
    """Run --merge-shards: merge DIR into --out and report."""
    from ar4_teleop.recording.writer import DatasetError

    from .shards import merge, ShardError
    if args.out.exists() and not args.out.is_dir():
        print(f'ar4-generate: --out {args.out} exists and is not a folder', file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        report = merge(args.merge_shards, args.out, keep=args.keep_shards, log=_log)
    except (ShardError, DatasetError) as error:
        print(f'ar4-generate: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return _print_merge(report, args.out, args.merge_shards)


def _print_merge(report, out: Path, shards: Path) -> int:
    for line in report.lines:
        print(line)
    print(f'merged {report.merged} episodes in {report.seconds:.1f} s; the dataset at {out} '
          f'now has {report.total} episodes')
    if report.missing:
        print(f'ar4-generate: {report.missing} episodes of the plan in {shards} are missing; '
              'run the same ar4-generate command again (it generates only those), then merge',
              file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def _shard_command(args, shard: int, shards: Path) -> List[str]:
    """Return the command line of one worker: this command, restricted to one shard."""
    command = [sys.executable, '-m', 'ar4_mujoco.generate', '--task', args.task,
               '--episodes', str(args.episodes), '--out', str(args.out),
               '--seed', str(args.seed), '--workers', str(args.workers),
               '--shard', str(shard), '--shards-dir', str(shards), '--quiet']
    if args.max_attempts is not None:
        command += ['--max-attempts', str(args.max_attempts)]
    if args.no_randomize:
        command.append('--no-randomize')
    return command


def _parallel_main(args) -> int:
    """Run --workers N (all shards, then the merge) or --shard K (one shard, no merge)."""
    from ar4_teleop.recording.writer import DatasetError

    from . import shards as sharding
    from .tasks import TaskError
    shards = args.shards_dir or sharding.default_shards_dir(args.out)
    try:
        _check_task(args.task)  # before a plan records it
        if sharding.recover(shards, args.out, log=_log):
            print(f'an interrupted merge into {args.out} was finished and completed the plan '
                  'of these arguments; run again to add more episodes')
            return 0
        plan = sharding.load_or_create_plan(
            shards, args.out, args.task, args.episodes, args.workers, args.seed,
            not args.no_randomize, args.max_attempts, log=_log)
        if args.shard is not None:
            return _run_one_shard(args, plan, shards)
        if plan.complete:
            print(f'the plan in {shards} is complete (kept with --keep-shards); remove that '
                  'folder to generate more')
            return 0
        workers = sharding.start_workers(
            [_shard_command(args, k, shards) for k in range(args.workers)], log=_log)
        try:
            codes = sharding.wait_workers(workers, log=_log)
        except KeyboardInterrupt:
            sharding.stop_workers(workers)
            print(f'ar4-generate: interrupted; the shards in {shards} keep their saved '
                  'episodes: run the same command again to complete and merge them',
                  file=sys.stderr)
            return 130
        if any(code == EXIT_BAD_INPUT for code in codes):
            print('ar4-generate: a worker refused its input (see above); nothing merged',
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        report = sharding.merge(shards, args.out, keep=args.keep_shards, log=_log)
    except (sharding.ShardError, DatasetError, TaskError) as error:
        print(f'ar4-generate: {error}', file=sys.stderr)
        return EXIT_BAD_INPUT
    return _print_merge(report, args.out, shards)


def _check_task(text: str) -> None:
    """Raise TaskError unless the twin's world knows the instruction ``text``."""
    from ar4_gazebo.world import load_world

    from .scene import scene_from_world
    from .tasks import parse_task
    scene = scene_from_world(load_world())
    parse_task(text, scene.colours, scene.tier_names)


def _run_one_shard(args, plan, shards: Path) -> int:
    """Generate what shard --shard still lacks into its dataset; never merge."""
    from .shards import count_episodes, shard_path
    k = args.shard
    out = shard_path(shards, k)
    have = count_episodes(out, log=_log)
    need = plan.targets[k] - plan.merged[k] - have
    if need <= 0:
        print(f'shard {k}: complete ({have} episodes waiting for the merge, '
              f'{plan.merged[k]} merged, {plan.targets[k]} asked)')
        return 0
    seed = plan.shard_seed(k)
    print(f'shard {k}: generating {need} episodes into {out} (seed stream {seed}, round '
          f'{plan.rounds}; {have} saved, {plan.merged[k]} merged, {plan.targets[k]} asked)',
          flush=True)
    try:
        result = generate(args.task, need, out, seed=seed,
                          max_attempts=plan.shard_max_attempts(k),
                          randomize=not args.no_randomize, progress=not args.quiet, log=_log)
    except KeyboardInterrupt:
        print(f'ar4-generate: shard {k} interrupted; saved episodes are kept', file=sys.stderr)
        return 130
    print(f'shard {k}: {len(result.saved)} episodes saved ({result.frames} frames, '
          f'{result.frames_per_second:.0f} frames/s), {result.failures} attempts discarded; '
          f'it now holds {result.total_episodes}')
    if len(result.saved) < need:
        print(f'ar4-generate: shard {k}: only {len(result.saved)} of {need} episodes '
              f'succeeded in {result.attempts} attempts', file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


if __name__ == '__main__':
    sys.exit(main())
