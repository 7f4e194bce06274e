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
Action chunking for a fixed-rate control loop.

The policy predicts a chunk of future targets from one observation. :class:`ChunkScheduler`
turns chunks into one target per control step:

- Every chunk is aligned by the control step of its observation: action ``k`` of a chunk
  observed at step ``s`` is the target for step ``s + k``. A chunk that arrives late loses the
  actions for steps already past, so a late chunk never replays a stale target.
- A new chunk is requested every ``n_action_steps`` steps, ``lead`` steps early so that it
  arrives before the current one runs out (``lead`` follows the measured latency).
- Inference runs in an executor. :class:`ThreadExecutor` runs the model in a background thread
  so ``step()`` never waits on it; :class:`InlineExecutor` runs it synchronously (simulation,
  where the world waits for the model); :class:`SimulatedLatencyExecutor` delivers results after
  a latency measured on an injected clock (tests and benchmarks).
- Overlapping chunks are blended: over ``blend_steps`` steps the target crossfades linearly from
  the plan in force to the new chunk (0 = switch at once).
- When the model is late, the loop keeps executing the rest of the current chunk; when that is
  exhausted it holds the last commanded target (counted in ``stats.held_steps``). It never jumps
  back to an older action.
"""

from dataclasses import dataclass, field
import math
import threading
import time
from typing import Callable, Dict, Optional

import numpy as np

# The policy callable: observation -> chunk of shape (chunk_len, action_dim).
PredictFn = Callable[[object], np.ndarray]


@dataclass
class ChunkRequest:
    """An inference request: the observation and the control step/time it was taken at."""

    observation: object
    step: int
    time_s: float


@dataclass
class ChunkResult:
    """A finished inference: the chunk, its request and how long the model took."""

    chunk: np.ndarray
    request: ChunkRequest
    latency_s: float
    error: Optional[BaseException] = None


class InlineExecutor:
    """Run the model synchronously inside ``submit``: the result is ready at once."""

    #: The result arrives in the step that asked for it, so asking early gains nothing (and in
    #: a simulator, whose time waits for the model, it would tie the schedule to host load).
    answers_at_once = True

    def __init__(self, predict: PredictFn, clock: Callable[[], float] = time.perf_counter):
        """Wrap ``predict``; ``clock`` measures the latency reported with each result."""
        self.predict = predict
        self.clock = clock
        self._result: Optional[ChunkResult] = None

    @property
    def busy(self) -> bool:
        """Return False: an inline model is never still running between steps."""
        return False

    def submit(self, request: ChunkRequest) -> None:
        """Run the model now and keep the result for the next ``poll``."""
        start = self.clock()
        try:
            chunk = self.predict(request.observation)
            self._result = ChunkResult(np.asarray(chunk), request, self.clock() - start)
        except Exception as error:  # noqa: B902 - reported through the result, not raised here
            self._result = ChunkResult(np.empty((0, 0)), request, self.clock() - start, error)

    def poll(self) -> Optional[ChunkResult]:
        """Return the finished result once, then None."""
        result, self._result = self._result, None
        return result

    def close(self) -> None:
        """Nothing to release."""


class SimulatedLatencyExecutor:
    """
    Deliver results ``latency_s`` after submission, measured on an injected clock.

    The model itself runs at once; only the delivery waits for the clock. With the simulated
    clock of a test this behaves like a model that takes ``latency_s`` of sim time.
    """

    def __init__(self, predict: PredictFn, clock: Callable[[], float], latency_s: float):
        """Wrap ``predict``; results appear once ``clock()`` reaches submit time + latency."""
        self.predict = predict
        self.clock = clock
        self.latency_s = float(latency_s)
        self._pending: Optional[ChunkResult] = None
        self._ready_at = math.inf

    @property
    def busy(self) -> bool:
        """Return True while a submitted request has not been delivered."""
        return self._pending is not None

    def submit(self, request: ChunkRequest) -> None:
        """Start a request; only one may be in flight."""
        if self._pending is not None:
            raise RuntimeError('an inference is already in flight')
        chunk = np.asarray(self.predict(request.observation))
        self._pending = ChunkResult(chunk, request, self.latency_s)
        self._ready_at = self.clock() + self.latency_s

    def poll(self) -> Optional[ChunkResult]:
        """Return the result when the clock has reached its delivery time, else None."""
        if self._pending is None or self.clock() + 1e-12 < self._ready_at:
            return None
        result, self._pending = self._pending, None
        return result

    def close(self) -> None:
        """Drop anything in flight."""
        self._pending = None


class ThreadExecutor:
    """Run the model in one background thread; ``submit`` and ``poll`` never block."""

    def __init__(self, predict: PredictFn, clock: Callable[[], float] = time.perf_counter):
        """Start the worker thread for ``predict``."""
        self.predict = predict
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._request: Optional[ChunkRequest] = None
        self._result: Optional[ChunkResult] = None
        self._running = False
        self._closed = False
        self._thread = threading.Thread(target=self._work, name='policy-inference', daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """Return True while a request is queued or running."""
        with self._lock:
            return self._request is not None or self._running

    def submit(self, request: ChunkRequest) -> None:
        """Queue a request for the worker; only one may be in flight."""
        with self._lock:
            if self._request is not None or self._running:
                raise RuntimeError('an inference is already in flight')
            self._request = request
            self._wake.notify()

    def poll(self) -> Optional[ChunkResult]:
        """Return the finished result once, else None."""
        with self._lock:
            result, self._result = self._result, None
            return result

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the worker (waits up to ``timeout_s`` for a running inference)."""
        with self._lock:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout_s)

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._request is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                request, self._request = self._request, None
                self._running = True
            start = self.clock()
            try:
                result = ChunkResult(np.asarray(self.predict(request.observation)), request,
                                     self.clock() - start)
            except Exception as error:  # noqa: B902 - handed to the control loop via poll()
                result = ChunkResult(np.empty((0, 0)), request, self.clock() - start, error)
            with self._lock:
                self._result = result
                self._running = False


@dataclass
class ChunkStats:
    """What happened in the scheduler since the last reset."""

    requests: int = 0
    chunks: int = 0
    failed: int = 0
    dropped_actions: int = 0
    held_steps: int = 0
    waiting_steps: int = 0
    latencies_s: list = field(default_factory=list)

    def as_dict(self) -> Dict[str, object]:
        """Return the counters (and median latency in ms) as plain values."""
        median = float(np.median(self.latencies_s)) * 1e3 if self.latencies_s else None
        return {'requests': self.requests, 'chunks': self.chunks, 'failed': self.failed,
                'dropped_actions': self.dropped_actions, 'held_steps': self.held_steps,
                'waiting_steps': self.waiting_steps, 'median_latency_ms': median}


class ChunkScheduler:
    """
    Turn asynchronously predicted action chunks into one target per control step.

    Call ``step(step_index, now_s, observation)`` once per control period with increasing step
    indices. It returns the target for that step, or None while no chunk has arrived yet (the
    caller holds position). The observation is only handed to the executor, never inspected.
    """

    def __init__(self, executor, n_action_steps: int, period_s: float, blend_steps: int = 0,
                 on_result: Optional[Callable[[ChunkResult], None]] = None):
        """Configure the schedule; ``on_result`` sees every finished inference (logging)."""
        if int(n_action_steps) < 1:
            raise ValueError(f'n_action_steps must be at least 1, got {n_action_steps!r}')
        if not period_s > 0:
            raise ValueError(f'period_s must be positive, got {period_s!r}')
        if int(blend_steps) < 0:
            raise ValueError(f'blend_steps must be >= 0, got {blend_steps!r}')
        self.executor = executor
        self.n_action_steps = int(n_action_steps)
        self.period_s = float(period_s)
        self.blend_steps = int(blend_steps)
        self.on_result = on_result
        self.reset()

    def reset(self) -> None:
        """Forget the plan and the statistics (episode start). A request in flight is ignored."""
        self.stats = ChunkStats()
        self._plan: Optional[np.ndarray] = None  # targets for steps plan_start ...
        self._plan_start = 0
        self._last_target: Optional[np.ndarray] = None
        self._last_request_step: Optional[int] = None
        self._latency_s = 0.0
        self._generation = getattr(self, '_generation', 0) + 1
        self._request_generation: Dict[int, int] = {}

    @property
    def lead_steps(self) -> int:
        """Return how many steps early the next chunk is requested (from measured latency)."""
        if getattr(self.executor, 'answers_at_once', False):
            return 0
        lead = int(math.ceil(self._latency_s / self.period_s - 1e-9))
        return max(0, min(lead, self.n_action_steps - 1))

    def remaining(self, step_index: int) -> int:
        """Return how many planned targets are left from ``step_index`` on."""
        if self._plan is None:
            return 0
        return max(0, self._plan_start + len(self._plan) - step_index)

    def step(self, step_index: int, now_s: float, observation) -> Optional[np.ndarray]:
        """Return this control step's target (None before the first chunk arrives)."""
        self._merge_finished(step_index)
        if self._should_request(step_index):
            request = ChunkRequest(observation, int(step_index), float(now_s))
            self._request_generation[request.step] = self._generation
            self.executor.submit(request)
            self._last_request_step = step_index
            self.stats.requests += 1
            self._merge_finished(step_index)  # an inline executor has already answered
        target = self._planned(step_index)
        if target is None:
            if self._last_target is None:
                self.stats.waiting_steps += 1
                return None
            self.stats.held_steps += 1
            return self._last_target.copy()
        self._last_target = target
        return target.copy()

    def _should_request(self, step_index: int) -> bool:
        if self.executor.busy:
            return False
        if self._last_request_step is None or self._plan is None:
            return True
        due = self._last_request_step + self.n_action_steps - self.lead_steps
        return step_index >= due or self.remaining(step_index) == 0

    def _planned(self, step_index: int) -> Optional[np.ndarray]:
        if self._plan is None:
            return None
        offset = step_index - self._plan_start
        if 0 <= offset < len(self._plan):
            return self._plan[offset]
        return None

    def _merge_finished(self, step_index: int) -> None:
        result = self.executor.poll()
        if result is None:
            return
        generation = self._request_generation.pop(result.request.step, None)
        if generation != self._generation:
            return  # requested before the last reset: belongs to another episode
        if self.on_result is not None:
            self.on_result(result)
        if result.error is not None:
            self.stats.failed += 1
            return
        chunk = np.asarray(result.chunk, dtype=np.float64)
        if chunk.ndim != 2 or chunk.shape[0] == 0:
            self.stats.failed += 1
            return
        self.stats.chunks += 1
        self.stats.latencies_s.append(result.latency_s)
        self._latency_s = result.latency_s
        skip = step_index - result.request.step
        self.stats.dropped_actions += max(0, min(skip, len(chunk)))
        fresh = chunk[max(0, skip):]
        if len(fresh) == 0:
            return  # the whole chunk is in the past: keep the current plan or hold
        self._plan = self._blend(step_index, fresh)
        self._plan_start = step_index

    def _blend(self, step_index: int, fresh: np.ndarray) -> np.ndarray:
        """Crossfade from the plan in force (or the held target) into ``fresh``."""
        if self.blend_steps == 0:
            return fresh.copy()
        blended = fresh.copy()
        for k in range(min(self.blend_steps, len(fresh))):
            old = self._planned(step_index + k)
            if old is None:
                old = self._last_target
            if old is None:
                break
            weight = (k + 1) / (self.blend_steps + 1)
            blended[k] = (1.0 - weight) * old + weight * fresh[k]
        return blended
