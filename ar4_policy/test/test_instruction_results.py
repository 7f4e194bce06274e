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
Which cube moved: the accounting on its own, and through ar4-eval's rollout in the real twin.

In the twin the "policy" replays the scripted expert's plan for one cube, chunk by chunk through
the same scheduler and safety filter a checkpoint goes through, and is told the instruction of
that cube or of another: the first must succeed with that cube moved, the second must fail with
a wrong cube moved. A policy that does nothing must move no cube.
"""

from ar4_policy.evaluate import rollout
from ar4_policy.instruction_results import (
    confusion_table, cube_displacements, cube_start_offsets, episode_fields,
    instruction_summary, MOVED_THRESHOLD_M, moved_cubes)
import numpy as np
import pytest

COLOURS = ('teal', 'magenta', 'yellow')
CHUNK = 30


def instruction(colour: str) -> str:
    return f'place the {colour} cube on the top shelf'


def episode(task: str, seed: int, success: bool, moved: dict) -> dict:
    colour = task.split()[2]
    return {'task': task, 'seed': seed, 'success': success,
            **episode_fields(colour, {c: moved.get(c, 0.0) for c in COLOURS})}


def test_the_cube_that_moved_most_beyond_the_threshold_is_the_moved_cube():
    start = {'teal': [0, 0, 0], 'magenta': [1, 0, 0], 'yellow': [2, 0, 0]}
    end = {'teal': [0, 0, 0.3], 'magenta': [1, 0.005, 0], 'yellow': [2, 0.05, 0]}
    displacements = cube_displacements(start, end)
    assert displacements == pytest.approx({'teal': 0.3, 'magenta': 0.005, 'yellow': 0.05})
    assert moved_cubes(displacements) == ['teal', 'yellow']
    fields = episode_fields('teal', displacements)
    assert fields['moved_cube'] == 'teal' and fields['wrong_cube_moved']  # yellow was knocked
    quiet = episode_fields('teal', {c: MOVED_THRESHOLD_M for c in COLOURS})
    assert quiet['moved_cube'] is None and quiet['moved_cubes'] == []
    assert not quiet['wrong_cube_moved']


def test_each_cube_start_is_recorded_as_its_offset_from_the_world_file():
    start = {'teal': [0.31, -0.02, 0.01], 'magenta': [0.2, -0.185, 0.01]}
    world = {'teal': [0.3, -0.01, 0.0], 'magenta': [0.21, -0.2, 0.0], 'yellow': [0.09, -0.25, 0]}
    offsets = cube_start_offsets(start, world)
    assert offsets == {'teal': pytest.approx([0.01, -0.01]),
                       'magenta': pytest.approx([-0.01, 0.015])}
    fields = episode_fields('teal', {'teal': 0.3, 'magenta': 0.0}, start_offsets=offsets)
    assert fields['cube_start_offset_m'] == {'teal': [0.01, -0.01], 'magenta': [-0.01, 0.015]}
    # An environment without a scene gives no offsets, and the field is left out.
    assert 'cube_start_offset_m' not in episode_fields('teal', {'teal': 0.3}, start_offsets={})


def test_per_instruction_rows_confusion_and_the_swap_control():
    episodes = [
        episode(instruction('teal'), 0, True, {'teal': 0.4}),
        episode(instruction('teal'), 1, False, {}),
        episode(instruction('magenta'), 0, True, {'magenta': 0.4}),
        episode(instruction('magenta'), 1, False, {'teal': 0.3}),
    ]
    summary = instruction_summary(episodes, COLOURS)
    teal, magenta = summary['by_task'].values()
    assert (teal['n_success'], teal['success_rate'], teal['n_wrong_cube']) == (1, 0.5, 0)
    assert teal['moved'] == {'teal': 1, 'magenta': 0, 'yellow': 0, 'none': 1}
    assert magenta['moved'] == {'teal': 1, 'magenta': 1, 'yellow': 0, 'none': 0}
    assert magenta['wrong_cube_rate'] == 0.5 and summary['n_wrong_cube'] == 1
    # Seed 0: both instructions moved their own cube; seed 1: neither did.
    assert summary['instruction_swap'] == {
        'n_seeds': 2, 'n_seeds_every_instruction_followed': 1,
        'n_seeds_every_instruction_succeeded': 1}
    table = confusion_table(summary, COLOURS)
    assert '| place the magenta cube on the top shelf | 1 / 2 (50%) | 1 | 1 | 0 | 0 | 1 / 2 |' \
        in table
    assert 'every instruction moved its own cube in 1' in table
    assert 'instruction_swap' not in instruction_summary(episodes[:2], COLOURS)


@pytest.fixture(scope='module')
def twin():
    from ar4_mujoco.env import AR4Twin

    with AR4Twin(render=False) as env:
        yield env


def expert_replay(env, colour: str):
    """Return (model, reset_model) replaying the expert's plan for ``colour``, a chunk a call."""
    from ar4_mujoco.expert import ScriptedExpert

    expert = ScriptedExpert(env)
    progress = {}

    def reset_model():
        progress['plan'] = expert.plan(env.parse_task(instruction(colour))).targets
        progress['next'] = 0

    def model(image, state, task):
        plan, start = progress['plan'], progress['next']
        progress['next'] = start + CHUNK
        rows = np.minimum(np.arange(start, start + CHUNK), len(plan) - 1)
        return plan[rows]
    return model, reset_model


@pytest.mark.parametrize('told', ['magenta', 'yellow'])
def test_rollout_in_the_twin_names_the_cube_the_policy_moved(twin, told):
    model, reset_model = expert_replay(twin, 'magenta')
    result = rollout(twin, model, instruction(told), seed=7, max_steps=400,
                     n_action_steps=CHUNK, reset_model=reset_model, instructed_cube=told)
    summary = result.summary()
    assert summary['task'] == instruction(told)
    assert summary['moved_cube'] == 'magenta' and summary['moved_cubes'] == ['magenta']
    assert summary['cube_displacement_m']['magenta'] > 0.1
    assert summary['success'] == (told == 'magenta')
    assert summary['wrong_cube_moved'] == (told != 'magenta')


def test_a_policy_that_holds_still_moves_no_cube(twin):
    def hold(image, state, task):
        return np.tile(state, (CHUNK, 1))

    result = rollout(twin, hold, instruction('teal'), seed=3, max_steps=60,
                     n_action_steps=CHUNK, instructed_cube='teal')
    summary = result.summary()
    assert summary['moved_cube'] is None and not summary['success']
    assert max(summary['cube_displacement_m'].values()) < 0.001  # settling, far below 2 cm
