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
The ar4-eval HTML report: one self-contained page that opens from disk.

A summary, per instruction its success rate and which cube moved (the confusion table of
:mod:`ar4_policy.instruction_results`), a success table, each episode's video (``<video>`` with
a relative path, so the page works from the output folder without a server) and its joint
trajectories as inline SVG: measured state (solid) and commanded target (dashed) per joint over
sim time. No plotting library and no external asset is used.
"""

import html
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np

from .instruction_results import swap_sentence, table_rows

PLOT_WIDTH = 300
PLOT_HEIGHT = 110
MARGIN = 26

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th { background: #f3f3f3; }
td.ok { color: #176b1d; font-weight: bold; } td.bad { color: #a11; font-weight: bold; }
.plots { display: flex; flex-wrap: wrap; gap: 6px; }
.episode { border-top: 1px solid #ddd; margin-top: 1.5em; padding-top: 0.5em; }
svg text { font-size: 10px; fill: #444; }
"""


def _points(times: np.ndarray, values: np.ndarray, bounds: Tuple[float, float, float, float]):
    t0, t1, v0, v1 = bounds
    width = PLOT_WIDTH - 2 * MARGIN
    height = PLOT_HEIGHT - 2 * MARGIN
    xs = MARGIN + (times - t0) / max(t1 - t0, 1e-9) * width
    ys = PLOT_HEIGHT - MARGIN - (values - v0) / max(v1 - v0, 1e-9) * height
    return ' '.join(f'{x:.1f},{y:.1f}' for x, y in zip(xs, ys))


def joint_plot_svg(name: str, times, measured, commanded) -> str:
    """Return an inline SVG plotting one joint's measured (solid) and commanded (dashed) path."""
    times = np.asarray(times, dtype=np.float64)
    measured = np.asarray(measured, dtype=np.float64)
    commanded = np.asarray(commanded, dtype=np.float64)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{PLOT_WIDTH}" '
             f'height="{PLOT_HEIGHT}" role="img" aria-label="{html.escape(name)}">',
             f'<rect x="0" y="0" width="{PLOT_WIDTH}" height="{PLOT_HEIGHT}" fill="#fff" '
             'stroke="#ddd"/>',
             f'<text x="{MARGIN}" y="14">{html.escape(name)}</text>']
    if len(times):
        finite = np.concatenate([measured[np.isfinite(measured)],
                                 commanded[np.isfinite(commanded)]])
        low = float(finite.min()) if finite.size else 0.0
        high = float(finite.max()) if finite.size else 1.0
        if high - low < 1e-6:
            low, high = low - 0.5e-3, high + 0.5e-3
        bounds = (float(times[0]), float(times[-1]), low, high)
        parts.append(f'<polyline fill="none" stroke="#1f6fb4" stroke-width="1.5" '
                     f'points="{_points(times, measured, bounds)}"/>')
        parts.append(f'<polyline fill="none" stroke="#d9731a" stroke-width="1.2" '
                     f'stroke-dasharray="4 3" points="{_points(times, commanded, bounds)}"/>')
        parts.append(f'<text x="2" y="{MARGIN + 4}">{high:.3g}</text>')
        parts.append(f'<text x="2" y="{PLOT_HEIGHT - MARGIN}">{low:.3g}</text>')
        parts.append(f'<text x="{MARGIN}" y="{PLOT_HEIGHT - 6}">{times[0]:.1f} s</text>')
        parts.append(f'<text x="{PLOT_WIDTH - MARGIN - 30}" y="{PLOT_HEIGHT - 6}">'
                     f'{times[-1]:.1f} s</text>')
    parts.append('</svg>')
    return ''.join(parts)


def _instruction_table(document: dict) -> str:
    """Return per instruction its success and the instructed-against-moved-cube counts."""
    if not document.get('by_task'):
        return ''
    esc = html.escape
    header, rows = table_rows(document, document.get('cube_colours', ()))
    head = ''.join(f'<th>{esc(name)}</th>' for name in header)
    body = ''.join('<tr><td style="text-align:left">' + esc(row[0]) + '</td>'
                   + ''.join(f'<td>{esc(cell)}</td>' for cell in row[1:]) + '</tr>'
                   for row in rows)
    swap = document.get('instruction_swap')
    note = f'<p>{esc(swap_sentence(swap))}.</p>' if swap else ''
    return ('<h2>Per instruction: success and the cube that moved</h2>'
            f'<p>A cube counts as moved when it ends more than '
            f'{document.get("moved_cube_threshold_m", 0.02) * 100:.0f} cm from where the episode '
            'started it; the moved cube is the one that moved most.</p>'
            f'<table><tr>{head}</tr>{body}</table>{note}')


def render_report(document: dict, episodes: Sequence, joint_names: Sequence[str]) -> str:
    """Return the report page for a results document and the episodes' trajectories."""
    esc = html.escape
    rows = []
    for summary in document['episodes']:
        ok = summary['success']
        interventions = ', '.join(f'{k} {v}' for k, v in
                                  summary['safety_interventions'].items() if v) or 'none'
        latency = summary['chunks'].get('median_latency_ms')
        rows.append(
            f'<tr><td>{summary["episode"]}</td>'
            f'<td style="text-align:left">{esc(summary.get("task", ""))}</td>'
            f'<td>{summary["seed"]}</td>'
            f'<td class="{"ok" if ok else "bad"}">{"success" if ok else "failure"}</td>'
            f'<td>{esc(summary.get("moved_cube") or "none")}</td>'
            f'<td>{summary["steps"]}</td><td>{summary["sim_time_s"]:.2f}</td>'
            f'<td>{summary["safety_interventions_total"]}</td>'
            f'<td style="text-align:left">{esc(interventions)}</td>'
            f'<td>{"" if latency is None else f"{latency:.1f}"}</td></tr>')
    sections = []
    for summary, episode in zip(document['episodes'], episodes):
        video = ''
        if summary.get('video'):
            video = (f'<video controls muted preload="metadata" width="480" '
                     f'src="{esc(summary["video"])}"></video>'
                     f'<p><a href="{esc(summary["video"])}">{esc(summary["video"])}</a></p>')
        plots = []
        states = np.asarray(episode.states)
        commands = np.asarray(episode.commands)
        if states.ndim == 2 and len(states):
            for j, name in enumerate(joint_names):
                plots.append(joint_plot_svg(name, episode.times, states[:, j], commands[:, j]))
        outcome = 'success' if summary['success'] else 'failure'
        sections.append(
            f'<div class="episode"><h2>Episode {summary["episode"]} (seed {summary["seed"]}):'
            f' {outcome}, {summary["steps"]} steps</h2>'
            f'<p>{esc(summary.get("task", ""))}; moved cube: '
            f'{esc(summary.get("moved_cube") or "none")}</p>{video}'
            '<p>Joint trajectories: measured (solid blue), commanded after the safety filter '
            '(dashed orange).</p>'
            f'<div class="plots">{"".join(plots)}</div></div>')
    combined = ''
    if document.get('combined_video'):
        name = esc(document['combined_video'])
        combined = (f'<h2>All episodes</h2><video controls muted preload="metadata" '
                    f'width="480" src="{name}"></video><p><a href="{name}">{name}</a></p>')

    def setting(value) -> str:
        return '; '.join(map(str, value)) if isinstance(value, list) else str(value)

    tasks = document.get('tasks') or [document.get('task', '')]
    settings = ''.join(
        f'<tr><th style="text-align:left">{esc(key)}</th>'
        f'<td style="text-align:left">{esc(setting(document[key]))}</td></tr>'
        for key in ('policy', 'tasks', 'episodes_per_task', 'seed', 'max_steps', 'fps',
                    'device', 'n_action_steps', 'blend_steps', 'inference_log')
        if key in document)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>ar4-eval: {esc("; ".join(tasks))}</title>'
        f'<style>{STYLE}</style></head><body>'
        f'<h1>Closed-loop evaluation in the MuJoCo twin</h1>'
        f'<p><strong>Success rate: {document["success_rate"]:.0%}</strong> '
        f'({document["n_success"]} of {document["n_episodes"]} episodes); safety '
        f'interventions in total: {document["safety_interventions_total"]}.</p>'
        f'<table>{settings}</table>'
        f'{_instruction_table(document)}'
        '<table><tr><th>episode</th><th>instruction</th><th>seed</th><th>outcome</th>'
        '<th>moved cube</th><th>steps</th>'
        '<th>sim time (s)</th><th>interventions</th><th>by kind</th>'
        '<th>median inference (ms)</th></tr>'
        f'{"".join(rows)}</table>{combined}{"".join(sections)}</body></html>\n')


def write_report(path: Union[str, Path], document: dict, episodes: List,
                 joint_names: Sequence[str]) -> Path:
    """Write the report page to ``path`` and return it."""
    path = Path(path)
    path.write_text(render_report(document, episodes, joint_names), encoding='utf-8')
    return path
