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
``ar4-eval``: roll a policy out in the MuJoCo twin, closed loop, over seeded starts.

Each episode resets the twin with seed ``--seed + episode``, resets the policy and its
processors, then runs the control loop the robot runs (chunk scheduler, safety filter) at the
twin's 30 Hz until the task succeeds or ``--max-steps`` is reached. In simulation the world
waits for the model (inference runs inline), so results do not depend on the machine's speed,
and torch's generator is seeded with the episode's seed at each start, so random-noise sampling
repeats too (:func:`seeded_reset`).

Several ``--task`` instructions each run the same seeds, so the same scene is seen under every
instruction (the instruction-swap control of :mod:`ar4_policy.instruction_results`). Every
episode also records how far each cube moved and which cube that was, so a failure says whether
the policy fetched another cube or none.

The output folder gets ``results.json`` (per-episode success, steps, safety interventions,
moved cube; overall and per-instruction success, the instructed-against-moved-cube table),
one H.264 MP4 per episode named with its outcome
(``episode_000_success.mp4`` / ``episode_000_failure.mp4``), ``combined.mp4`` (all episodes,
each labelled with its seed and outcome), ``report.html`` (success table, videos,
joint-trajectory plots; opens from disk without a server, or ``--serve PORT`` serves the folder
on 127.0.0.1) and ``inference_log/`` (the robot state, inference and trajectory CSVs of
:mod:`ar4_policy.inference_log`).

The loop is written against a small protocol (:class:`TwinEnv`) so it is tested with the real
twin and usable with any environment that has ``reset(seed)``, ``step(targets7)`` and
``is_success(task)`` (and, for the moved-cube accounting, ``cube_poses()``).
"""

import argparse
from dataclasses import dataclass, field
import json
import logging
import os
from pathlib import Path
import sys
import time
from typing import Callable, Dict, List, Optional, Protocol, Sequence

import numpy as np

from .chunking import ChunkScheduler, InlineExecutor
from .eval_video import (
    COMBINED_FILE, CombinedVideo, episode_label, make_report_server, server_url)
from .inference_log import InferenceLog
from .instruction_results import (
    confusion_table, cube_displacements, cube_start_offsets, episode_fields,
    instruction_summary)
from .safety import DEFAULT_STALE_AFTER_S, SafetyFilter

DEFAULT_MAX_STEPS = 600
DEFAULT_FPS = 30
RESULTS_FILE = 'results.json'
REPORT_FILE = 'report.html'


class TwinEnv(Protocol):
    """What the evaluation needs from a simulator (``ar4_mujoco.env.AR4Twin`` provides it)."""

    def reset(self, seed: Optional[int] = None):
        """Start an episode; return an observation (image, joint_positions, gripper, time)."""

    def step(self, targets7):
        """Advance one control period towards the seven targets; return the observation."""

    def is_success(self, task) -> bool:
        """Return whether the task is accomplished now."""


# The model: (image HWC uint8, state7, task) -> chunk (n, 7) of absolute targets.
ChunkModel = Callable[[np.ndarray, np.ndarray, str], np.ndarray]


@dataclass
class EpisodeResult:
    """One rollout: outcome, counters, and the trajectories the report plots."""

    index: int
    seed: int
    success: bool
    steps: int
    sim_time_s: float
    interventions: Dict[str, int]
    chunk_stats: Dict[str, object]
    wall_time_s: float
    times: np.ndarray = field(repr=False, default=None)
    states: np.ndarray = field(repr=False, default=None)
    commands: np.ndarray = field(repr=False, default=None)
    frames: List[np.ndarray] = field(repr=False, default_factory=list)
    video: Optional[str] = None
    task: str = ''
    instructed_cube: Optional[str] = None
    cube_displacement_m: Dict[str, float] = field(default_factory=dict)
    cube_start_offset_m: Dict[str, List[float]] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """Return 'success' or 'failure' (used in file names)."""
        return 'success' if self.success else 'failure'

    def summary(self) -> dict:
        """Return the JSON-ready summary written to results.json."""
        return {
            'episode': self.index, 'task': self.task, 'seed': self.seed,
            'success': self.success,
            **episode_fields(self.instructed_cube, self.cube_displacement_m,
                             start_offsets=self.cube_start_offset_m),
            'steps': self.steps, 'sim_time_s': round(self.sim_time_s, 4),
            'safety_interventions': dict(self.interventions),
            'safety_interventions_total': int(sum(self.interventions.values())),
            'chunks': self.chunk_stats, 'wall_time_s': round(self.wall_time_s, 3),
            'video': self.video,
        }


def _state7(observation) -> np.ndarray:
    state = getattr(observation, 'state7', None)
    if state is None:
        state = np.append(observation.joint_positions, observation.gripper)
    return np.asarray(state, dtype=np.float64)


def _cube_positions(env) -> Dict[str, np.ndarray]:
    # Optional: an environment without cube_poses() ({colour: (position, orientation)}) gets
    # episodes without the moved-cube accounting.
    poses = getattr(env, 'cube_poses', None)
    return {} if poses is None else {colour: pose[0] for colour, pose in poses().items()}


def _world_cube_positions(env) -> Dict[str, Sequence[float]]:
    # The cubes' poses in the world file, before the reset's randomisation (the twin's scene).
    scene = getattr(env, 'scene', None)
    return {} if scene is None else {cube.colour: cube.position for cube in scene.cubes}


def rollout(env: TwinEnv, model: ChunkModel, task: str, seed: int, max_steps: int,
            n_action_steps: int = 1, fps: int = DEFAULT_FPS, blend_steps: int = 0,
            reset_model: Optional[Callable[[], None]] = None, index: int = 0,
            log: Optional[InferenceLog] = None, keep_frames: bool = True,
            stale_after_s: float = DEFAULT_STALE_AFTER_S,
            instructed_cube: Optional[str] = None) -> EpisodeResult:
    """Run one closed-loop episode and return its result, with how far each cube moved."""
    period = 1.0 / fps
    started = time.perf_counter()
    observation = env.reset(seed=seed)
    cubes_at_start = _cube_positions(env)
    if reset_model is not None:
        reset_model()
    safety = SafetyFilter.from_robot_constants(period, stale_after_s=stale_after_s)
    safety.reset(_state7(observation))
    if log is not None:
        log.start_episode(index, seed, task)

    def predict(inputs):
        image, state = inputs
        return model(image, state, task)

    def on_result(result):
        if log is not None:
            image, state = result.request.observation
            log.log(result.request.step, result.request.time_s, result.latency_s, task,
                    state, result.chunk, result.error, image=image)

    scheduler = ChunkScheduler(InlineExecutor(predict), n_action_steps, period,
                               blend_steps=blend_steps, on_result=on_result)
    times, states, commands, frames = [], [], [], []
    success = False
    steps = 0
    for step in range(max_steps):
        state = _state7(observation)
        if keep_frames and observation.image is not None:
            frames.append(observation.image)
        target = scheduler.step(step, observation.time, (observation.image, state))
        command, interventions = safety.filter(target, observation.time, observation.time)
        if log is not None:
            # The twin renders and measures in step with the loop: always connected and fresh.
            log.log_robot_state(step, observation.time, state, 0.0, 0.0, True)
            log.log_trajectory(step, observation.time, command, interventions)
        times.append(observation.time)
        states.append(state)
        commands.append(command)
        observation = env.step(command)
        steps = step + 1
        if env.is_success(task):
            success = True
            break
    if keep_frames and observation.image is not None:
        frames.append(observation.image)
    return EpisodeResult(
        index=index, seed=seed, success=success, steps=steps,
        sim_time_s=float(observation.time), interventions=safety.counts_dict(),
        chunk_stats=scheduler.stats.as_dict(), wall_time_s=time.perf_counter() - started,
        times=np.asarray(times), states=np.asarray(states), commands=np.asarray(commands),
        frames=frames, task=task, instructed_cube=instructed_cube,
        cube_displacement_m=cube_displacements(cubes_at_start, _cube_positions(env)),
        cube_start_offset_m=cube_start_offsets(cubes_at_start, _world_cube_positions(env)))


def write_video(frames: List[np.ndarray], path: Path, fps: int = DEFAULT_FPS) -> Path:
    """Encode RGB frames as an H.264 (yuv420p) MP4 that browsers play, with PyAV."""
    import av

    if not frames:
        raise ValueError('no frames to encode (was the twin created with render=False?)')
    height, width = frames[0].shape[:2]
    path = Path(path)
    partial = path.with_name(path.name + '.partial.mp4')
    with av.open(str(partial), mode='w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width = width - width % 2
        stream.height = height - height % 2
        stream.pix_fmt = 'yuv420p'
        stream.options = {'crf': '23', 'preset': 'veryfast'}
        for image in frames:
            image = np.ascontiguousarray(image[:stream.height, :stream.width, :3])
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(partial, path)
    return path


def results_document(episodes: List[EpisodeResult], settings: dict,
                     colours: Sequence[str] = ()) -> dict:
    """
    Return the results.json content.

    Settings, per-episode summaries, the overall success rate, and per instruction its success
    rate and moved-cube counts over ``colours`` (:func:`instruction_summary`).
    """
    successes = sum(1 for e in episodes if e.success)
    summaries = [e.summary() for e in episodes]
    return {
        **settings,
        'episodes': summaries,
        'n_episodes': len(episodes),
        'n_success': successes,
        'success_rate': successes / len(episodes) if episodes else 0.0,
        'safety_interventions_total': int(
            sum(sum(e.interventions.values()) for e in episodes)),
        'cube_colours': list(colours),
        **instruction_summary(summaries, colours),
    }


class UsageError(Exception):
    """Bad command-line input: printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """Return the ar4-eval argument parser."""
    parser = argparse.ArgumentParser(
        prog='ar4-eval',
        description='Roll a SmolVLA or diffusion checkpoint out in the MuJoCo twin over seeded '
                    'starts and write results.json, one MP4 per episode and an HTML report.')
    parser.add_argument('--policy', required=True, metavar='DIR',
                        help='checkpoint: a pretrained_model folder, a checkpoints/NNNNNN '
                             'folder or a training output folder (uses checkpoints/last)')
    parser.add_argument('--task', required=True, metavar='TEXT', action='append',
                        help='instruction given to the policy and checked by the twin, e.g. '
                             '"place the teal cube on the top shelf"; repeat it to evaluate '
                             'several instructions on the same seeds (the instruction-swap '
                             'control)')
    parser.add_argument('--episodes', type=int, default=10, metavar='N',
                        help='number of episodes per instruction (default: %(default)s)')
    parser.add_argument('--out', required=True, metavar='DIR',
                        help='output folder (created; refuses one holding results unless '
                             '--overwrite)')
    parser.add_argument('--max-steps', type=int, default=DEFAULT_MAX_STEPS, metavar='K',
                        help='control steps (1/30 s each) before an episode counts as failed '
                             '(default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0, metavar='S',
                        help='episode i starts from twin seed S + i (default: %(default)s)')
    parser.add_argument('--device', default='cpu',
                        help='torch device for the policy: cpu, cuda, cuda:0, mps '
                             '(default: %(default)s)')
    parser.add_argument('--n-action-steps', type=int, default=None, metavar='N',
                        help='actions executed from each chunk before asking for the next '
                             '(default: the checkpoint\'s n_action_steps, its whole chunk for '
                             'ar4-train --tiny policies)')
    parser.add_argument('--blend-steps', type=int, default=0, metavar='N',
                        help='steps over which a new chunk crossfades from the plan in force '
                             '(default: %(default)s, switch at once)')
    parser.add_argument('--deterministic', action='store_true',
                        help='start the decoder (flow matching, diffusion) from zeros instead '
                             'of random noise: the same observation always gives the same '
                             'actions')
    parser.add_argument('--vlm-path', metavar='DIR', default=None,
                        help='SmolVLA checkpoints only: local folder of the base VLM (config, '
                             'tokenizer, processor files) overriding the checkpoint\'s '
                             'vlm_model_name')
    parser.add_argument('--no-video', action='store_true',
                        help='skip the MP4s (the twin still renders: the policy needs images)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace results in an --out folder that already holds them')
    parser.add_argument('--log-every-n-inferences', type=int, default=0, metavar='N',
                        help='print joints, policy output, timing and task every N inferences '
                             '(default: %(default)s, never; the CSVs in inference_log/ always '
                             'get every one)')
    parser.add_argument('--print-inferences', action='store_true',
                        help='the same as --log-every-n-inferences 1')
    parser.add_argument('--serve', type=int, default=None, metavar='PORT',
                        help='after the evaluation, serve the output folder on '
                             'http://127.0.0.1:PORT/ until Ctrl-C (default: off)')
    return parser


def _check_args(args) -> None:
    if args.episodes < 1:
        raise UsageError(f'--episodes must be at least 1, got {args.episodes}')
    if args.max_steps < 1:
        raise UsageError(f'--max-steps must be at least 1, got {args.max_steps}')
    if args.n_action_steps is not None and args.n_action_steps < 1:
        raise UsageError(f'--n-action-steps must be at least 1, got {args.n_action_steps}')
    if args.log_every_n_inferences < 0:
        raise UsageError('--log-every-n-inferences must be >= 0, got '
                         f'{args.log_every_n_inferences}')
    if args.serve is not None and not 0 <= args.serve <= 65535:
        raise UsageError(f'--serve must be a port in 0..65535, got {args.serve}')
    if args.blend_steps < 0:
        raise UsageError(f'--blend-steps must be >= 0, got {args.blend_steps}')
    if not Path(args.policy).exists():
        raise UsageError(f'--policy {args.policy}: no such folder')
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f'--out {out} is a file; give a folder')
    if (out / RESULTS_FILE).exists() and not args.overwrite:
        raise UsageError(f'--out {out} already holds {RESULTS_FILE}; choose another folder or '
                         'pass --overwrite')
    if args.device.startswith('cuda'):
        import torch
        if not torch.cuda.is_available():
            raise UsageError(f'--device {args.device}: CUDA is not available here; use '
                             '--device cpu')


def seeded_reset(runner, seed: int) -> Callable[[], None]:
    """
    Return the episode-start reset: the policy's queues and processors, then torch's generator.

    SmolVLA's flow matching and the diffusion policy draw their starting noise from torch's
    global generator. Seeded with the episode's seed at each start, a random-noise evaluation is
    repeatable (the same checkpoint, instruction and seed give the same episode) and one episode's
    noise does not depend on how many inferences the episodes before it made.
    """
    import torch

    def reset() -> None:
        runner.reset()
        torch.manual_seed(seed)
    return reset


def evaluate(args, progress=None) -> dict:
    """Run the evaluation described by parsed arguments; return the results document."""
    from ar4_mujoco.env import AR4Twin
    from ar4_mujoco.tasks import TaskError
    from ar4_teleop.recording.features import state_names
    from tqdm import tqdm

    from .report import write_report
    from .runner import CheckpointError, PolicyRunner

    _check_args(args)
    out = Path(args.out)
    env = AR4Twin(render=True)
    try:
        try:
            parsed = [env.parse_task(task) for task in args.task]
        except TaskError as error:
            raise UsageError(f'--task: {error}') from None
        if len(set(parsed)) < len(parsed):
            raise UsageError('--task: the same instruction is given twice')
        instructed = [task.colour for task in parsed]
        colours = env.scene.colours
        try:
            runner = PolicyRunner(args.policy, device=args.device, vlm_path=args.vlm_path,
                                  deterministic=args.deterministic)
        except CheckpointError as error:
            raise UsageError(str(error)) from None
        if args.n_action_steps is None:
            args.n_action_steps = runner.n_action_steps
        if args.n_action_steps > runner.chunk_size:
            raise UsageError(f'--n-action-steps {args.n_action_steps} exceeds the '
                             f'checkpoint\'s chunk size {runner.chunk_size}')
        out.mkdir(parents=True, exist_ok=True)
        if args.overwrite:
            for stale in [*out.glob('episode_*.mp4'), out / COMBINED_FILE]:
                if stale.exists():
                    stale.unlink()
        every = 1 if args.print_inferences else args.log_every_n_inferences
        log = InferenceLog(state_names(), out / 'inference_log', console=tqdm.write,
                           console_every=every)
        fps = int(round(1.0 / env.frame_period)) if hasattr(env, 'frame_period') else DEFAULT_FPS
        combined = None if args.no_video else CombinedVideo(out / COMBINED_FILE, fps)
        episodes = []
        runs = [(task, cube, args.seed + i)
                for task, cube in zip(args.task, instructed) for i in range(args.episodes)]
        bar = progress or tqdm(total=len(runs), desc='ar4-eval', unit='episode')
        try:
            for index, (task, cube, seed) in enumerate(runs):
                result = rollout(env, runner.predict_chunk, task, seed,
                                 args.max_steps, n_action_steps=args.n_action_steps, fps=fps,
                                 blend_steps=args.blend_steps,
                                 reset_model=seeded_reset(runner, seed),
                                 index=index, log=log, keep_frames=not args.no_video,
                                 instructed_cube=cube)
                if not args.no_video:
                    name = f'episode_{index:03d}_{result.outcome}.mp4'
                    write_video(result.frames, out / name, fps=fps)
                    result.video = name
                    label = episode_label(index, result.seed, result.success,
                                          cube if len(args.task) > 1 else None)
                    combined.add_episode(result.frames, label)
                result.frames = []
                episodes.append(result)
                rate = sum(e.success for e in episodes) / len(episodes)
                bar.set_postfix(success=f'{rate:.0%}', steps=result.steps)
                bar.update(1)
            has_combined = combined is not None and combined.close()
        finally:
            log.close()
            if combined is not None:
                combined.abandon()  # nothing left after close(); a partial file on failure
            if progress is None:
                bar.close()
    finally:
        env.close()
    settings = {
        'policy': str(runner.checkpoint), 'task': args.task[0], 'tasks': args.task,
        'episodes_per_task': args.episodes, 'seed': args.seed,
        'max_steps': args.max_steps, 'fps': fps, 'device': args.device,
        'n_action_steps': args.n_action_steps, 'blend_steps': args.blend_steps,
        'deterministic': args.deterministic, 'noise_seeded_per_episode': True,
        'inference_log': os.path.relpath(log.path, out),
        'combined_video': COMBINED_FILE if has_combined else None,
    }
    document = results_document(episodes, settings, colours)
    (out / RESULTS_FILE).write_text(json.dumps(document, indent=2) + '\n')
    write_report(out / REPORT_FILE, document, episodes, state_names())
    return document


def main(argv=None) -> int:
    """Entry point of ``ar4-eval``."""
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    logging.getLogger('ar4_policy.safety').setLevel(logging.ERROR)
    args = build_parser().parse_args(argv)
    server = None
    try:
        if args.serve is not None:
            # Bound before the evaluation: a busy port fails now, not after an hour of episodes.
            _check_args(args)
            Path(args.out).mkdir(parents=True, exist_ok=True)
            try:
                server = make_report_server(args.out, args.serve)
            except OSError as error:
                raise UsageError(f'--serve {args.serve}: cannot listen on 127.0.0.1: '
                                 f'{error.strerror or error}') from None
        document = evaluate(args)
    except (UsageError, KeyboardInterrupt) as error:
        if server is not None:
            server.server_close()
        if isinstance(error, KeyboardInterrupt):
            print('ar4-eval: interrupted; results of finished episodes were not written',
                  file=sys.stderr)
            return 130
        print(f'ar4-eval: error: {error}', file=sys.stderr)
        return 2
    print(confusion_table(document, document['cube_colours']))
    print(f'success rate {document["success_rate"]:.0%} '
          f'({document["n_success"]}/{document["n_episodes"]}), a cube other than the '
          f'instructed one moved in {document["n_wrong_cube"]}; results in '
          f'{Path(args.out) / RESULTS_FILE}, report {Path(args.out) / REPORT_FILE}')
    if server is not None:
        print(f'serving {args.out} at {server_url(server, REPORT_FILE)} (Ctrl-C to stop)',
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
