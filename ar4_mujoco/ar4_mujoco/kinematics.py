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
Inverse kinematics of the pad centre with MuJoCo's own kinematics.

Damped least squares on ``mj_jacSite`` for the site between the jaw pads, on a private MjData
so the simulation is never touched. Joint limits come from the robot constants; joint_5 is kept
at least ``wrist_singularity_margin`` away from 0 on the side of the seed, where the j4 and j6
axes line up.
"""

from dataclasses import dataclass
from typing import Optional

from ar4_description.robot_constants import robot_constants
import mujoco
import numpy as np

from .model import PAD_SITE_NAME, TwinModel

DAMPING = 0.02
MAX_STEP_RAD = 0.2
POSITION_TOL_M = 5e-4
ANGLE_TOL_RAD = 5e-3
STALL_ITERATIONS = 15


@dataclass(frozen=True)
class IkResult:
    """A joint solution and how far the pad centre ended from the goal."""

    q: np.ndarray
    position_error: float
    angle_error: float

    @property
    def ok(self) -> bool:
        """Return whether the goal was reached within the tolerances."""
        return self.position_error <= POSITION_TOL_M and self.angle_error <= ANGLE_TOL_RAD


def orientation_error(current: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """Return the rotation vector (world frame) that turns ``current`` into ``goal``."""
    current_quat, goal_quat = np.zeros(4), np.zeros(4)
    mujoco.mju_mat2Quat(current_quat, current.flatten())
    mujoco.mju_mat2Quat(goal_quat, goal.flatten())
    error = np.zeros(3)
    # mju_subQuat gives the rotation in the frame of the second argument; rotate it to world.
    mujoco.mju_subQuat(error, goal_quat, current_quat)
    return current @ error


class Kinematics:
    """Forward and inverse kinematics of the twin's pad centre site."""

    def __init__(self, twin: TwinModel, constants=None):
        self.constants = constants or robot_constants()
        self.model = twin.model
        self.data = mujoco.MjData(self.model)
        self.qpos = twin.arm_qpos
        self.dof = twin.arm_dof
        self.site = self.model.site(PAD_SITE_NAME).id
        self.lower = np.array(self.constants.lower)
        self.upper = np.array(self.constants.upper)
        self.wrist = self.constants.joint_names.index('joint_5')
        self.margin = self.constants.wrist_singularity_margin

    def forward(self, q6) -> tuple:
        """Return the pad centre's world position and rotation matrix for arm joints ``q6``."""
        self.data.qpos[self.qpos] = q6
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)  # mj_jacSite reads cdof and subtree_com
        return (self.data.site_xpos[self.site].copy(),
                self.data.site_xmat[self.site].reshape(3, 3).copy())

    def _bounds(self, seed: np.ndarray):
        lower, upper = self.lower.copy(), self.upper.copy()
        if seed[self.wrist] < 0:
            upper[self.wrist] = min(upper[self.wrist], -self.margin)
        else:
            lower[self.wrist] = max(lower[self.wrist], self.margin)
        return lower, upper

    def solve(self, position, rotation: Optional[np.ndarray], seed, iterations: int = 200,
              orientation_weight: float = 0.5) -> IkResult:
        """
        Solve for arm joints putting the pad centre at ``position`` with ``rotation``.

        ``rotation`` is the goal site frame (3x3, world) or None for position only. The result
        stays within the joint limits and on the seed's side of the wrist singularity.
        """
        goal = np.asarray(position, dtype=float)
        q = np.array(seed, dtype=float)
        lower, upper = self._bounds(q)
        q = np.clip(q, lower, upper)
        jacp = np.zeros((3, self.model.nv))
        jacr = np.zeros((3, self.model.nv))
        position_error, angle_error = np.inf, 0.0
        best, since_best = np.inf, 0
        for _ in range(iterations):
            current, matrix = self.forward(q)
            error_p = goal - current
            position_error = float(np.linalg.norm(error_p))
            if rotation is not None:
                error_r = orientation_error(matrix, rotation)
                angle_error = float(np.linalg.norm(error_r))
            if position_error <= POSITION_TOL_M * 0.2 and angle_error <= ANGLE_TOL_RAD * 0.2:
                break
            # Stuck against a limit or in a local minimum: give up early, the caller tries
            # another seed.
            total = position_error + 0.1 * angle_error
            if total < best - 1e-6:
                best, since_best = total, 0
            else:
                since_best += 1
                if since_best >= STALL_ITERATIONS:
                    break
            mujoco.mj_jacSite(self.model, self.data, jacp, jacr, self.site)
            if rotation is not None:
                jac = np.vstack([jacp[:, self.dof], orientation_weight * jacr[:, self.dof]])
                error = np.concatenate([error_p, orientation_weight * error_r])
            else:
                jac, error = jacp[:, self.dof], error_p
            step = jac.T @ np.linalg.solve(jac @ jac.T + DAMPING ** 2 * np.eye(len(error)),
                                           error)
            largest = np.max(np.abs(step))
            if largest > MAX_STEP_RAD:
                step *= MAX_STEP_RAD / largest
            q = np.clip(q + step, lower, upper)
        current, matrix = self.forward(q)
        position_error = float(np.linalg.norm(goal - current))
        angle_error = (float(np.linalg.norm(orientation_error(matrix, rotation)))
                       if rotation is not None else 0.0)
        return IkResult(q=q, position_error=position_error, angle_error=angle_error)
