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
The live robot's control loop, pure (the policy node only feeds it messages and publishes).

:class:`PolicyController` keeps the newest wrist image and joint state with their arrival
times, and on every control tick runs the chunk scheduler (inference in a background thread),
the safety filter (stale observations hold the arm) and the gripper gate, returning the
:class:`Command` to publish. Time is passed in, so tests drive it on a simulated clock.

The node's start-up lives here too, so it is tested without rclpy: :data:`POLICY_PARAMETERS`
(every parameter, each read once at start-up, so the node declares them read-only),
:func:`policy_settings` (checks the values, raises ConfigError with one line that says what to
do) and :func:`start_policy` (loads the checkpoint, builds the controller). The node's main()
reports :data:`CONFIG_ERRORS` through ``ar4_description.node_startup.run_node``: one line on
stderr and exit status 2.
"""

from dataclasses import dataclass
import re
from typing import Callable, List, Mapping, Optional, Tuple, Union

from ar4_description.node_startup import ConfigError
from ar4_teleop.recording.features import state_names
import numpy as np

from .chunking import ChunkScheduler, ThreadExecutor
from .inference_log import (
    DEFAULT_ROOT, InferenceLog, new_session_folder, run_name_from_checkpoint)
from .policy_messages import GripperCommandGate
from .runner import CheckpointError, PolicyRunner
from .safety import DEFAULT_STALE_AFTER_S, Logger, SafetyFilter

DEFAULT_GRIPPER_THRESHOLD_M = 0.0005


@dataclass
class Command:
    """What to publish for one tick: arm targets, gripper target, whether to send a goal."""

    arm: np.ndarray
    gripper: float
    send_gripper_goal: bool
    interventions: List[str]


class PolicyController:
    """Combine observations, the chunk scheduler and the safety filter for the policy node."""

    def __init__(self, predict: Callable[[np.ndarray, np.ndarray, str], np.ndarray], task: str,
                 n_action_steps: int, period_s: float, blend_steps: int = 0,
                 stale_after_s: float = DEFAULT_STALE_AFTER_S,
                 gripper_threshold: float = DEFAULT_GRIPPER_THRESHOLD_M,
                 log: Optional[InferenceLog] = None, executor_factory=ThreadExecutor,
                 logger: Optional[Logger] = None):
        """
        ``predict(image, state7, task)`` returns a chunk of absolute targets (n, 7).

        ``logger`` receives the safety filter's intervention messages (the node's logger).
        ``log`` gets every tick's robot state and executed target and every inference.
        """
        if not isinstance(task, str) or not task.strip():
            raise ValueError('task must be a non-empty instruction')
        self.task = task
        self.period_s = float(period_s)
        self.safety = SafetyFilter.from_robot_constants(self.period_s, stale_after_s,
                                                        logger=logger)
        self.gate = GripperCommandGate(gripper_threshold)
        self.log = log

        def model(inputs):
            image, state = inputs
            return predict(image, state, self.task)

        self.executor = executor_factory(model)
        self.scheduler = ChunkScheduler(self.executor, n_action_steps, self.period_s,
                                        blend_steps=blend_steps, on_result=self._logged)
        self._image = None
        self._image_time: Optional[float] = None
        self._state = None
        self._state_time: Optional[float] = None
        self._step = 0
        self._started = False

    def _logged(self, result) -> None:
        if self.log is not None:
            image, state = result.request.observation
            self.log.log(result.request.step, result.request.time_s, result.latency_s,
                         self.task, state, result.chunk, result.error, image=image)

    def on_image(self, rgb: np.ndarray, time_s: float) -> None:
        """Store the newest wrist image (HWC uint8 RGB) and when it arrived."""
        self._image, self._image_time = rgb, float(time_s)

    def on_joint_state(self, state7, time_s: float) -> None:
        """Store the newest joint state (arm then gripper) and when it arrived."""
        self._state = np.asarray(state7, dtype=np.float64)
        self._state_time = float(time_s)
        if not self._started:
            self.safety.reset(self._state)
            self._started = True

    def observation_time(self) -> Optional[float]:
        """Return the time of the older of the two inputs (None until both arrived)."""
        if self._image_time is None or self._state_time is None:
            return None
        return min(self._image_time, self._state_time)

    def tick(self, now_s: float) -> Optional[Command]:
        """Run one control period; None until a joint state has arrived (nothing to hold)."""
        if not self._started:
            return None
        observed = self.observation_time()
        fresh = observed is not None and now_s - observed <= self.safety.stale_after_s
        target = None
        if fresh:
            # Only fresh observations reach the model; stale ones hold the arm instead.
            target = self.scheduler.step(self._step, now_s, (self._image, self._state.copy()))
        command, interventions = self.safety.filter(target, now_s, observed)
        if self.log is not None:
            self._log_tick(now_s, fresh, command, interventions)
        self._step += 1
        send = self.gate.should_send(float(command[-1]))
        return Command(arm=command[:-1], gripper=float(command[-1]), send_gripper_goal=send,
                       interventions=interventions)

    def _log_tick(self, now_s: float, fresh: bool, command, interventions) -> None:
        ages = [None if arrived is None else now_s - arrived
                for arrived in (self._image_time, self._state_time)]
        self.log.log_robot_state(self._step, now_s, self._state, ages[0], ages[1], fresh)
        self.log.log_trajectory(self._step, now_s, command, interventions)

    def close(self) -> None:
        """Stop the inference thread and close the log."""
        self.executor.close()
        if self.log is not None:
            self.log.close()


@dataclass(frozen=True)
class ParameterSpec:
    """One policy_node parameter: its default gives its type; ``bounds`` an inclusive range."""

    name: str
    default: Union[str, int, float, bool]
    description: str
    bounds: Optional[Tuple[Union[int, float], Union[int, float]]] = None


POLICY_PARAMETERS = (
    ParameterSpec('checkpoint', '', 'policy checkpoint: pretrained_model, checkpoints/NNNNNN or '
                                    'run folder'),
    ParameterSpec('task', '', 'language instruction'),
    ParameterSpec('device', 'cpu', 'torch device: cpu, cuda, cuda:N or mps'),
    ParameterSpec('vlm_path', '', 'SmolVLA only: local base-VLM folder overriding the checkpoint '
                                  '(empty: keep)'),
    ParameterSpec('n_action_steps', 0, "actions executed per chunk before the next (0: the "
                                       "checkpoint's own n_action_steps; at most its chunk size)",
                  (0, 1000)),
    ParameterSpec('fps', 30, 'control rate (Hz); the dataset is recorded at 30', (1, 200)),
    ParameterSpec('blend_steps', 5, 'steps over which a new chunk crossfades in (0: switch at '
                                    'once)', (0, 1000)),
    ParameterSpec('deterministic', False, 'start the decoder (flow matching, diffusion) from '
                                          'zeros instead of random noise'),
    ParameterSpec('stale_after_s', DEFAULT_STALE_AFTER_S, 'hold position when the newest '
                                                          'image/joint state is older (s)',
                  (0.01, 10.0)),
    ParameterSpec('log_root', str(DEFAULT_ROOT), 'inference log root: the CSVs go to '
                                                 'LOG_ROOT/RUN/DATE_TIME/'),
    ParameterSpec('log_run', '', "inference log RUN folder, e.g. the dataset's name (empty: the "
                                 "checkpoint's training run folder)"),
    ParameterSpec('log_every_n_inferences', 0, 'print a block (joints, policy output, timing, '
                                               'task) every N inferences (0: never)',
                  (0, 1000000)),
)
DEVICE_PATTERN = re.compile(r'cpu|cuda(:[0-9]+)?|mps')
# What main() reports as one line and exit status 2 (rclpy's own parameter errors are added there).
CONFIG_ERRORS = (ConfigError, CheckpointError)


@dataclass(frozen=True)
class PolicySettings:
    """The checked values of :data:`POLICY_PARAMETERS`."""

    checkpoint: str
    task: str
    device: str
    vlm_path: str
    n_action_steps: int
    fps: int
    blend_steps: int
    deterministic: bool
    stale_after_s: float
    log_root: str
    log_run: str
    log_every_n_inferences: int

    @property
    def period_s(self) -> float:
        """Return the control period (s)."""
        return 1.0 / self.fps


def _checked(spec: ParameterSpec, value):
    expected = (int, float) if isinstance(spec.default, float) else type(spec.default)
    if isinstance(value, bool) != isinstance(spec.default, bool) or not isinstance(
            value, expected):
        raise ConfigError(f'parameter {spec.name} must be a {type(spec.default).__name__}, '
                          f'got {value!r}')
    if spec.bounds is not None and not spec.bounds[0] <= value <= spec.bounds[1]:
        raise ConfigError(f'parameter {spec.name} must be in {spec.bounds[0]}..{spec.bounds[1]}, '
                          f'got {value!r}')
    return value


def policy_settings(values: Mapping[str, object]) -> PolicySettings:
    """
    Check the node's parameter values (defaults for those absent); raise ConfigError.

    The checkpoint and the task have no usable default: without them nothing can run, so the
    node must not start (and must not exit 0).
    """
    unknown = sorted(set(values) - {spec.name for spec in POLICY_PARAMETERS})
    if unknown:
        raise ConfigError(f'unknown policy_node parameters: {", ".join(unknown)}')
    checked = {spec.name: _checked(spec, values.get(spec.name, spec.default))
               for spec in POLICY_PARAMETERS}
    if not checked['checkpoint'].strip():
        raise ConfigError('parameter checkpoint is empty: pass checkpoint:=DIR to '
                          'infer.launch.py or set $CHECKPOINT')
    if not checked['task'].strip():
        raise ConfigError('parameter task is empty: pass task:="..." to infer.launch.py or set '
                          '$TASK')
    if not DEVICE_PATTERN.fullmatch(checked['device']):
        raise ConfigError(f'parameter device must be cpu, cuda, cuda:N or mps, '
                          f'got {checked["device"]!r}')
    return PolicySettings(**checked)


def _torch_cuda_available() -> bool:
    import torch
    return bool(torch.cuda.is_available())


def start_policy(settings: PolicySettings, logger: Logger, runner_factory=PolicyRunner,
                 cuda_available: Callable[[], bool] = _torch_cuda_available,
                 executor_factory=ThreadExecutor) -> PolicyController:
    """
    Load the checkpoint and build the controller; log what runs through ``logger``.

    Raise ConfigError (CUDA asked for but absent) or CheckpointError (missing or unusable
    checkpoint or VLM folder) before anything starts.
    """
    if settings.device.startswith('cuda') and not cuda_available():
        raise ConfigError(f'parameter device is {settings.device} but CUDA is not available '
                          'here; use device:=cpu')
    runner = runner_factory(settings.checkpoint, device=settings.device,
                            vlm_path=settings.vlm_path or None,
                            deterministic=settings.deterministic)
    n_action_steps = min(settings.n_action_steps or runner.n_action_steps, runner.chunk_size)
    run = settings.log_run.strip() or run_name_from_checkpoint(runner.checkpoint)
    try:
        folder = new_session_folder(settings.log_root, run)
    except (OSError, ValueError) as error:
        raise ConfigError(f'parameter log_root/log_run: cannot create the inference log '
                          f'folder: {error}') from None
    log = InferenceLog(state_names(), folder, console=logger.info,
                       console_every=settings.log_every_n_inferences)
    log.start_episode(None, None, settings.task)
    logger.info(f'loaded {runner.checkpoint}; task {settings.task!r}; executing '
                f'{n_action_steps} of {runner.chunk_size} actions per chunk at {settings.fps} Hz; '
                f'inference log {log.folder}')
    runner.reset()
    return PolicyController(runner.predict_chunk, settings.task, n_action_steps,
                            settings.period_s, blend_steps=settings.blend_steps,
                            stale_after_s=settings.stale_after_s, log=log,
                            executor_factory=executor_factory, logger=logger)
