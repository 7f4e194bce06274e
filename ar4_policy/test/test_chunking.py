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
Tests of action chunking on a simulated clock.

The fake model encodes in every action the control step it is meant for (action k of a chunk
observed at step s has value s + k), so a stale or replayed target is visible as a value
below the current step.
"""

import time

from ar4_policy.chunking import (ChunkScheduler, InlineExecutor, SimulatedLatencyExecutor,
                                 ThreadExecutor)
import numpy as np
import pytest

PERIOD = 1.0 / 30
CHUNK = 20


class SimClock:
    """A clock advanced by the test loop, never by the wall."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def step_indexed_model(observation):
    """Return a chunk whose action k is the step it targets (observation = its step)."""
    return np.repeat((observation + np.arange(CHUNK, dtype=np.float64))[:, None], 7, axis=1)


def run_loop(scheduler, clock, steps):
    commands = []
    for i in range(steps):
        clock.now = i * PERIOD
        target = scheduler.step(i, clock.now, observation=i)
        commands.append(None if target is None else float(target[0]))
    return commands


def test_inline_model_with_one_action_step_replans_every_step():
    clock = SimClock()
    scheduler = ChunkScheduler(InlineExecutor(step_indexed_model, clock), n_action_steps=1,
                               period_s=PERIOD)
    commands = run_loop(scheduler, clock, 10)
    assert commands == [float(i) for i in range(10)]
    assert scheduler.stats.requests == 10 and scheduler.stats.held_steps == 0


def test_inline_model_executes_n_action_steps_per_chunk():
    clock = SimClock()
    scheduler = ChunkScheduler(InlineExecutor(step_indexed_model, clock), n_action_steps=5,
                               period_s=PERIOD)
    commands = run_loop(scheduler, clock, 20)
    assert commands == [float(i) for i in range(20)]
    assert scheduler.stats.requests == 4


def test_slow_inline_model_still_executes_whole_chunks():
    # An inline model answers in the step that asked (a simulator's time waits for it), so its
    # measured latency must not make the schedule ask early: evaluation would depend on load.
    clock = SimClock()

    def slow_model(observation):
        clock.now += 4 * PERIOD
        return step_indexed_model(observation)

    scheduler = ChunkScheduler(InlineExecutor(slow_model, clock), n_action_steps=5,
                               period_s=PERIOD)
    assert run_loop(scheduler, clock, 20) == [float(i) for i in range(20)]
    assert scheduler.stats.requests == 4 and scheduler.lead_steps == 0
    # The latency is still measured and reported.
    assert scheduler.stats.as_dict()['median_latency_ms'] == pytest.approx(4 * PERIOD * 1e3)


@pytest.mark.parametrize('latency_periods', [3, 7])
def test_slow_model_keeps_rate_and_never_sends_stale_targets(latency_periods):
    clock = SimClock()
    executor = SimulatedLatencyExecutor(step_indexed_model, clock, latency_periods * PERIOD)
    scheduler = ChunkScheduler(executor, n_action_steps=10, period_s=PERIOD)
    commands = run_loop(scheduler, clock, 120)
    # One command per control period: the loop never waited on the model.
    assert len(commands) == 120
    # Before the first chunk arrives the loop holds (None = hold the measured position).
    assert commands[:latency_periods] == [None] * latency_periods
    sent = commands[latency_periods:]
    # Every target is the one planned for its own step: no stale, no replayed action.
    assert sent == [float(i) for i in range(latency_periods, 120)]
    # The request lead follows the latency, so chunks arrive before the plan runs out.
    assert scheduler.stats.held_steps == 0
    assert scheduler.stats.dropped_actions == latency_periods * scheduler.stats.chunks


def test_model_slower_than_a_whole_chunk_holds_then_resumes_without_jumping_back():
    clock = SimClock()
    latency_periods = 15  # the plan from a chunk lasts 5 steps, the next arrives 15 later
    executor = SimulatedLatencyExecutor(step_indexed_model, clock, latency_periods * PERIOD)
    scheduler = ChunkScheduler(executor, n_action_steps=CHUNK, period_s=PERIOD, blend_steps=4)
    commands = run_loop(scheduler, clock, 150)
    sent = [c for c in commands if c is not None]
    assert len(commands) == 150
    # Targets never go back in time: no stale chunk is replayed.
    assert all(b >= a for a, b in zip(sent, sent[1:]))
    # While the model is late the last target is held (not repeated from an old chunk).
    held = [i for i in range(1, 150)
            if commands[i] is not None and commands[i] == commands[i - 1]]
    assert scheduler.stats.held_steps > 0 and len(held) == scheduler.stats.held_steps
    # Each arrival after a hold is blended in: the step from the held target is spread over
    # blend_steps + 1 steps instead of one jump of ~latency_periods.
    jumps = np.diff(sent)
    assert jumps.max() < latency_periods / 2
    assert scheduler.stats.chunks >= 3


def test_blend_crossfades_overlapping_chunks_linearly():
    clock = SimClock()
    offsets = iter([0.0, 100.0])

    def model(observation):
        return np.full((CHUNK, 7), next(offsets)) + np.arange(CHUNK)[:, None] * 0.0

    scheduler = ChunkScheduler(InlineExecutor(model, clock), n_action_steps=5, period_s=PERIOD,
                               blend_steps=3)
    commands = run_loop(scheduler, clock, 10)
    assert commands[:5] == [0.0] * 5
    assert commands[5:9] == pytest.approx([25.0, 50.0, 75.0, 100.0])


def test_failed_inference_is_counted_and_the_loop_holds():
    clock = SimClock()
    calls = []

    def flaky(observation):
        calls.append(observation)
        if len(calls) > 1:
            raise RuntimeError('model crashed')
        return step_indexed_model(observation)[:3]

    scheduler = ChunkScheduler(InlineExecutor(flaky, clock), n_action_steps=3, period_s=PERIOD)
    commands = run_loop(scheduler, clock, 8)
    assert commands[:3] == [0.0, 1.0, 2.0]
    assert commands[3:] == [2.0] * 5
    assert scheduler.stats.failed >= 1


def test_reset_discards_a_chunk_from_the_previous_episode():
    clock = SimClock()
    executor = SimulatedLatencyExecutor(step_indexed_model, clock, 3 * PERIOD)
    scheduler = ChunkScheduler(executor, n_action_steps=5, period_s=PERIOD)
    scheduler.step(0, 0.0, observation=0)
    scheduler.reset()
    clock.now = 5 * PERIOD
    assert scheduler.step(0, clock.now, observation=1000) is None
    assert scheduler.stats.chunks == 0


def test_thread_executor_does_not_block_the_control_loop():
    def slow_model(observation):
        time.sleep(0.15)
        return step_indexed_model(observation)

    executor = ThreadExecutor(slow_model)
    scheduler = ChunkScheduler(executor, n_action_steps=5, period_s=0.01)
    try:
        worst = 0.0
        commands = []
        for i in range(40):
            start = time.perf_counter()
            commands.append(scheduler.step(i, i * 0.01, observation=i))
            worst = max(worst, time.perf_counter() - start)
            time.sleep(0.01)
        assert worst < 0.05  # a blocking call would take 150 ms
        sent = [c[0] for c in commands if c is not None]
        assert sent, 'the background inference never delivered'
        assert all(b >= a for a, b in zip(sent, sent[1:]))
    finally:
        executor.close()
