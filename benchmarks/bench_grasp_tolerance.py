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
How precisely must a policy locate the cube? The expert's success when it plans for a wrong pose.

For each error size, every seed resets the twin (randomised as in ar4-generate), and the scripted
expert plans the whole pick and place for the task cube displaced by the error (a random
direction in the table plane, and/or a yaw error of either sign) and executes it against the true
scene. Prints the success rate per error. A learned policy that misses the grasp is, at best,
this far off in its estimate of the cube.

Prints figures; not a test. Run from the repository root:
  python benchmarks/bench_grasp_tolerance.py [--seeds 16]
"""

import argparse
import math
import os
from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[1]
for _package in ('ar4_description', 'ar4_gazebo', 'ar4_mujoco'):
    sys.path.insert(0, str(ROOT / _package))
os.environ.setdefault('MUJOCO_GL', 'egl')

import numpy as np  # noqa: E402

TASK = 'place the teal cube on the top shelf'
#: (position error in mm, yaw error in rad)
ERRORS = ((0, 0.0), (4, 0.0), (8, 0.0), (12, 0.0), (16, 0.0), (0, 0.15), (0, 0.3), (8, 0.2))


def yawed(quat, angle: float) -> np.ndarray:
    """Return a (w, x, y, z) quaternion rotated by ``angle`` about world z."""
    import mujoco

    turn = np.array([math.cos(angle / 2), 0.0, 0.0, math.sin(angle / 2)])
    result = np.zeros(4)
    mujoco.mju_mulQuat(result, turn, np.asarray(quat, dtype=float))
    return result


def success_rate(env, expert, task, error_mm: float, yaw_error: float, seeds: int) -> str:
    """Return 'k / n' successes of plans made for the cube displaced by the given error."""
    from ar4_mujoco.expert import PlanError

    rng = np.random.default_rng(0)
    successes = 0
    for seed in range(seeds):
        env.reset(seed=500 + seed)
        position, quat = env.cube_poses()[task.colour]
        direction = rng.uniform(0.0, 2.0 * math.pi)
        offset = np.array([math.cos(direction), math.sin(direction), 0.0]) * error_mm / 1000.0
        estimate = (position + offset, yawed(quat, yaw_error * rng.choice((-1.0, 1.0))))
        try:
            plan = expert.plan(task, cube_pose=estimate)
        except PlanError:
            continue  # the displaced pose is out of reach: counts as a failure
        for targets in plan.targets:
            env.step(targets)
        successes += env.is_success(task)
    return f'{successes} / {seeds}'


def main(argv=None) -> int:
    """Print the expert's success per cube-pose error."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seeds', type=int, default=16, help='randomised scenes per error')
    parser.add_argument('--task', default=TASK)
    args = parser.parse_args(argv)

    from ar4_mujoco.env import AR4Twin
    from ar4_mujoco.expert import ScriptedExpert

    with AR4Twin(render=False) as env:
        expert = ScriptedExpert(env)
        task = env.parse_task(args.task)
        print(f'"{args.task}": expert success when planning for a displaced cube '
              f'({args.seeds} seeds each)')
        for error_mm, yaw_error in ERRORS:
            rate = success_rate(env, expert, task, error_mm, yaw_error, args.seeds)
            print(f'  position error {error_mm:2d} mm, yaw error {yaw_error:.2f} rad: {rate}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
