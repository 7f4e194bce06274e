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
Did the policy follow the instruction? Which cube moved, per episode and per instruction.

A success rate alone cannot tell a policy that reads the instruction from one that always
fetches the same cube: with three cubes in every scene, "place the magenta cube on the top
shelf" failing tells nothing about what the policy did instead. So ar4-eval also records how far
every cube moved during each episode (from its pose right after the reset to its pose at the
end) and names the cube that moved most, when any moved more than :data:`MOVED_THRESHOLD_M`.
From those it builds, per instruction, the success rate and a row of the confusion table
(instructed cube against moved cube), the episodes in which a cube other than the instructed one
moved ("wrong cube"), and, when several instructions ran on the same seeds, the
instruction-swap control: for how many scenes every instruction moved its own cube.

Each episode also records where every cube started relative to the world file's pose (its
randomised x and y offset after the reset settled it): failures that cluster at large offsets
show a policy that learned the mean grasp rather than where the cube is.

2 cm is far above how the cubes settle after a reset (below a millimetre in the twin, as a
test checks) and far below any deliberate move: a grasp lifts the cube several centimetres and a
placement carries it tens of centimetres. A cube knocked 2 cm by the arm counts as moved: the
policy disturbed it.
"""

from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

MOVED_THRESHOLD_M = 0.02
NONE = 'none'


def cube_displacements(start: Mapping[str, Sequence[float]],
                       end: Mapping[str, Sequence[float]]) -> Dict[str, float]:
    """Return {colour: metres between its start and end position} for cubes in both."""
    return {colour: float(np.linalg.norm(np.asarray(end[colour], dtype=np.float64)
                                         - np.asarray(position, dtype=np.float64)))
            for colour, position in start.items() if colour in end}


def cube_start_offsets(start: Mapping[str, Sequence[float]],
                       nominal: Mapping[str, Sequence[float]]) -> Dict[str, List[float]]:
    """Return {colour: [dx, dy] in metres from its world-file position} for cubes in both."""
    return {colour: [float(position[axis]) - float(nominal[colour][axis]) for axis in (0, 1)]
            for colour, position in start.items() if colour in nominal}


def moved_cubes(displacements: Mapping[str, float],
                threshold_m: float = MOVED_THRESHOLD_M) -> List[str]:
    """Return the cubes that moved more than the threshold, the farthest moved first."""
    moved = [(distance, colour) for colour, distance in displacements.items()
             if distance > threshold_m]
    return [colour for _, colour in sorted(moved, key=lambda item: (-item[0], item[1]))]


def episode_fields(instructed: Optional[str], displacements: Mapping[str, float],
                   threshold_m: float = MOVED_THRESHOLD_M,
                   start_offsets: Optional[Mapping[str, Sequence[float]]] = None) -> dict:
    """Return the per-episode results.json fields of the moved-cube accounting."""
    moved = moved_cubes(displacements, threshold_m)
    fields = {
        'instructed_cube': instructed,
        'cube_displacement_m': {colour: round(distance, 4)
                                for colour, distance in displacements.items()},
        'moved_cubes': moved,
        'moved_cube': moved[0] if moved else None,
        'wrong_cube_moved': any(colour != instructed for colour in moved),
    }
    if start_offsets:
        fields['cube_start_offset_m'] = {colour: [round(float(value), 4) for value in offset]
                                         for colour, offset in start_offsets.items()}
    return fields


def instruction_summary(episodes: Iterable[Mapping], colours: Sequence[str]) -> dict:
    """
    Return per-instruction results and the instruction-swap control.

    ``episodes`` are results.json episode summaries carrying ``task``, ``seed``, ``success``
    and the :func:`episode_fields`. ``by_task`` keeps the instructions in their first-seen
    order; its ``moved`` counts are a confusion-table row over ``colours`` and ``none``.
    """
    episodes = list(episodes)
    by_task: Dict[str, dict] = {}
    for episode in episodes:
        row = by_task.setdefault(episode['task'], {
            'instructed_cube': episode.get('instructed_cube'), 'n_episodes': 0,
            'n_success': 0, 'n_wrong_cube': 0,
            'moved': {colour: 0 for colour in (*colours, NONE)}})
        row['n_episodes'] += 1
        row['n_success'] += bool(episode['success'])
        row['n_wrong_cube'] += bool(episode.get('wrong_cube_moved'))
        moved = episode.get('moved_cube') or NONE
        row['moved'][moved] = row['moved'].get(moved, 0) + 1
    for row in by_task.values():
        row['success_rate'] = row['n_success'] / row['n_episodes']
        row['wrong_cube_rate'] = row['n_wrong_cube'] / row['n_episodes']
    n_wrong = sum(bool(e.get('wrong_cube_moved')) for e in episodes)
    summary = {'by_task': by_task, 'n_wrong_cube': n_wrong,
               'wrong_cube_rate': n_wrong / len(episodes) if episodes else 0.0,
               'moved_cube_threshold_m': MOVED_THRESHOLD_M}
    if len(by_task) > 1:
        summary['instruction_swap'] = swap_control(episodes, list(by_task))
    return summary


def swap_control(episodes: Sequence[Mapping], tasks: Sequence[str]) -> dict:
    """
    Return the instruction-swap control over the seeds every instruction was evaluated on.

    For each such scene: did every instruction move its own cube (and only it), and did every
    instruction succeed? A policy that ignores the instruction moves the same cube whatever it
    is told, so it follows at most one instruction per scene.
    """
    outcome = {(e['task'], e['seed']): e for e in episodes}
    seeds = sorted(set.intersection(*({e['seed'] for e in episodes if e['task'] == task}
                                      for task in tasks)))
    followed = succeeded = 0
    for seed in seeds:
        runs = [outcome[(task, seed)] for task in tasks]
        followed += all(run.get('moved_cube') == run.get('instructed_cube')
                        and not run.get('wrong_cube_moved') for run in runs)
        succeeded += all(run['success'] for run in runs)
    return {'n_seeds': len(seeds), 'n_seeds_every_instruction_followed': followed,
            'n_seeds_every_instruction_succeeded': succeeded}


def table_rows(summary: Mapping, colours: Sequence[str]) -> Tuple[List[str], List[List[str]]]:
    """Return the header and cell texts of the per-instruction table (Markdown and HTML)."""
    columns = [*colours, NONE]
    header = ['instruction', 'success', *(f'moved {c}' for c in columns), 'wrong cube moved']
    rows = []
    for task, row in summary['by_task'].items():
        n = row['n_episodes']
        rows.append([task, f'{row["n_success"]} / {n} ({row["success_rate"]:.0%})',
                     *(str(row['moved'].get(c, 0)) for c in columns),
                     f'{row["n_wrong_cube"]} / {n}'])
    return header, rows


def swap_sentence(swap: Mapping) -> str:
    """Return the instruction-swap control as one sentence."""
    return (f'instruction swap, {swap["n_seeds"]} scenes each under every instruction: '
            f'every instruction moved its own cube in '
            f'{swap["n_seeds_every_instruction_followed"]}, every instruction '
            f'succeeded in {swap["n_seeds_every_instruction_succeeded"]}')


def confusion_table(summary: Mapping, colours: Sequence[str]) -> str:
    """Return the per-instruction success and confusion table as Markdown (console, docs)."""
    header, rows = table_rows(summary, colours)
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    swap = summary.get('instruction_swap')
    if swap:
        lines += ['', swap_sentence(swap)]
    return '\n'.join(lines)
