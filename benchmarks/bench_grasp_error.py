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
Where does a policy close its jaws? The cube's offset from the pads at a policy's first grasp.

Runs a checkpoint closed-loop in the twin (as ar4-eval does) and, when the measured jaws first
start to close, records where the task cube is relative to the point between the pads, in
world x and y (mm). It then fits that error against the cube's randomised start offset: a slope
of 0 means the policy follows the cube along that axis; a slope of +1 means it closes at the same
place whatever the cube's offset, i.e. it does not see where the cube is along that axis.

Prints figures; not a test. Run from the repository root:
  python benchmarks/bench_grasp_error.py --policy OUT/train [--episodes 20] [--seed 1000]
"""

import argparse
import os
from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[1]
for _package in ('ar4_description', 'ar4_gazebo', 'ar4_mujoco', 'ar4_teleop', 'ar4_policy'):
    sys.path.insert(0, str(ROOT / _package))
os.environ.setdefault('MUJOCO_GL', 'egl')

import numpy as np  # noqa: E402

TASK = 'place the teal cube on the top shelf'
#: The jaws count as closing once the measured opening is this far below its maximum so far.
CLOSING_M = 0.002


def grasp_errors(policy: str, task_text: str, episodes: int, seed: int, max_steps: int,
                 deterministic: bool, n_action_steps):
    """Return rows (seed, success, start offset xy mm, error xy mm or None) per episode."""
    from ar4_mujoco.env import AR4Twin
    from ar4_policy.evaluate import rollout
    from ar4_policy.runner import PolicyRunner

    runner = PolicyRunner(policy, deterministic=deterministic)
    steps = n_action_steps or runner.n_action_steps

    class ProbedTwin(AR4Twin):
        """The twin, noting the cube's start offset and its place relative to the closing pads."""

        colour = None

        def reset(self, seed=None, randomize=True):
            observation = super().reset(seed=seed, randomize=randomize)
            self.widest = self.gripper()
            self.error = None
            if self.colour is not None:
                self.start = self.cube_poses()[self.colour][0][:2] - nominal
            return observation

        def step(self, targets7):
            observation = super().step(targets7)
            self.widest = max(self.widest, self.gripper())
            if self.error is None and self.gripper() < self.widest - CLOSING_M:
                pads, _ = self.pad_pose()
                self.error = self.cube_poses()[self.colour][0][:2] - pads[:2]
            return observation

    rows = []
    with ProbedTwin(render=True) as env:
        env.colour = env.parse_task(task_text).colour
        nominal = np.array(env.scene.cube(env.colour).position[:2])
        for index in range(episodes):
            result = rollout(env, runner.predict_chunk, task_text, seed + index, max_steps,
                             n_action_steps=steps, reset_model=runner.reset, keep_frames=False)
            error = None if env.error is None else env.error * 1000.0
            start = env.start * 1000.0
            rows.append((seed + index, result.success, start, error))
            print(f'  seed {seed + index}: {"success" if result.success else "failure"}, cube '
                  f'start offset {_mm(start)}, cube minus pads at first close '
                  f'{"never closed" if error is None else _mm(error)}', flush=True)
    return rows


def _mm(xy) -> str:
    return f'x {xy[0]:+6.1f} y {xy[1]:+6.1f} mm'


def fit(rows):
    """Return (slopes 2x2, residual std per axis): error = slopes @ start offset + bias."""
    closed = [(start, error) for _, _, start, error in rows if error is not None]
    if len(closed) < 4:
        return None, None
    starts = np.array([start for start, _ in closed])
    errors = np.array([error for _, error in closed])
    design = np.c_[starts, np.ones(len(closed))]
    coefficients, *_ = np.linalg.lstsq(design, errors, rcond=None)
    residual = errors - design @ coefficients
    return coefficients[:2].T, residual.std(axis=0)


def main(argv=None) -> int:
    """Print each episode's grasp error and the fit against the cube's start offset."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--policy', required=True, help='checkpoint (as ar4-eval --policy)')
    parser.add_argument('--task', default=TASK)
    parser.add_argument('--episodes', type=int, default=20)
    parser.add_argument('--seed', type=int, default=1000, help='seed of the first episode')
    parser.add_argument('--max-steps', type=int, default=400)
    parser.add_argument('--n-action-steps', type=int, default=None,
                        help="default: the checkpoint's own")
    parser.add_argument('--deterministic', action='store_true',
                        help='zero initial noise (as ar4-eval --deterministic)')
    args = parser.parse_args(argv)

    print(f'{args.policy}: "{args.task}", seeds {args.seed}..{args.seed + args.episodes - 1}')
    rows = grasp_errors(args.policy, args.task, args.episodes, args.seed, args.max_steps,
                        args.deterministic, args.n_action_steps)
    successes = sum(success for _, success, _, _ in rows)
    print(f'success {successes} / {len(rows)}')
    slopes, residual = fit(rows)
    if slopes is None:
        print('too few grasps to fit')
        return 0
    for axis, name in enumerate('xy'):
        print(f'error {name} = {slopes[axis, 0]:+.2f} * start x {slopes[axis, 1]:+.2f} * start y'
              f' (+ bias), residual std {residual[axis]:.1f} mm  '
              f'(slope 0: follows the cube; +1: ignores it)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
