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
The AR4 twin as a small environment: reset, step, observe, check success.

``AR4Twin.step(targets7)`` advances one control period (1/30 s of sim time). The seven absolute
targets (joint_1..joint_6 in rad, then the jaw opening in metres) are clipped to the robot
constants' limits and approached no faster than their velocity limits, the way the joint
trajectory controller interpolates a one-point trajectory sent every frame; position actuators
then track that moving setpoint. The wrist image is rendered once per step, i.e. every 1/30 s of
sim time. Runs are deterministic given the seed passed to ``reset``.

``sample_joints`` asks for the joint states between frames, as the joint_state_broadcaster
publishes them at the controller rate (``ar4-generate --bag-out`` writes them to a rosbag2).

Rendering needs an OpenGL backend: set ``MUJOCO_GL=egl`` (default used by ``ar4-generate``;
Mesa llvmpipe on a CPU, the GPU when there is one) or ``osmesa`` before importing MuJoCo.
"""

from dataclasses import dataclass
import time
from typing import Callable, Dict, Optional, Tuple

from ar4_description.robot_constants import robot_constants
import mujoco
import numpy as np

from .model import CAMERA_NAME, PAD_SITE_NAME, TwinModel, build_twin
from .tasks import parse_task, Task

#: Small randomisation at reset: cube offsets in x and y (m), yaw (rad), arm joints (rad).
CUBE_OFFSET_M = 0.02
CUBE_YAW_RAD = 0.3
ARM_NOISE_RAD = 0.05
#: Sim time the cubes get to settle on the table after a reset, before time 0.
SETTLE_S = 0.2
#: Success: cube bottom within this distance of the tier surface (m), inside its edges, slow,
#: and not touching the robot.
SUCCESS_HEIGHT_TOL_M = 0.01
SUCCESS_MAX_SPEED = 0.05


@dataclass
class Observation:
    """What the robot would publish: wrist image, joint positions, gripper opening, sim time."""

    image: Optional[np.ndarray]
    joint_positions: np.ndarray
    gripper: float
    time: float

    @property
    def state7(self) -> np.ndarray:
        """Return joint_1..joint_6 then the gripper, the dataset's observation.state order."""
        return np.append(self.joint_positions, self.gripper)


@dataclass
class JointSample:
    """
    The joints the joint_state_broadcaster publishes, at one physics step.

    ``positions`` and ``velocities`` follow ``AR4Twin.joint_state_names``: joint_1..joint_6, the
    driven jaw, then the mimic jaw. ``offset_s`` is the sim time since the step began, i.e. since
    the frame's observation; ``time`` the sim time since the reset.
    """

    time: float
    offset_s: float
    positions: np.ndarray
    velocities: np.ndarray


class AR4Twin:
    """
    The headless AR4 twin: a MuJoCo model built from the xacro and the SDF world.

    ``render=False`` skips the camera (observations then carry ``image=None``), which is what
    success-rate sweeps use.
    """

    def __init__(self, render: bool = True, twin: Optional[TwinModel] = None,
                 constants=None):
        self.constants = constants or robot_constants()
        self.twin = twin or build_twin(constants=self.constants)
        self.model = self.twin.model
        self.data = mujoco.MjData(self.model)
        self.scene = self.twin.scene
        self._lower7 = self.constants.lower7
        self._upper7 = self.constants.upper7
        self._velocity7 = self.constants.velocity7
        self._setpoint = self.constants.home7.copy()
        self._pad_site = self.model.site(PAD_SITE_NAME).id
        #: Joint names of a JointSample, in the joint_state_broadcaster's order.
        self.joint_state_names = (tuple(self.twin.arm_joints)
                                  + (self.twin.gripper_joint, self.twin.mimic_joint))
        jaws = [self.model.joint(name).id for name in (self.twin.gripper_joint,
                                                       self.twin.mimic_joint)]
        self._state_qpos = np.concatenate([self.twin.arm_qpos, self.model.jnt_qposadr[jaws]])
        self._state_dof = np.concatenate([self.twin.arm_dof, self.model.jnt_dofadr[jaws]])
        self._sampler: Optional[Callable[[JointSample], None]] = None
        self._sample_substeps: Tuple[int, ...] = ()
        #: Wall-clock seconds spent in physics and in rendering since creation (benchmarks).
        self.timings = {'physics_s': 0.0, 'render_s': 0.0}
        self._renderer = None
        if render:
            self._renderer = mujoco.Renderer(self.model, self.twin.camera.height,
                                             self.twin.camera.width)
        self._rng = np.random.default_rng()
        self.reset(seed=0, randomize=False)

    # ----------------------------------------------------------------------------- control
    @property
    def frame_period(self) -> float:
        """Return the control period (s): one step, one frame."""
        return self.model.opt.timestep * self.twin.substeps

    def reset(self, seed: Optional[int] = None, randomize: bool = True) -> Observation:
        """Put the arm at home (jaws closed) and the cubes at their start poses, then observe."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        mujoco.mj_resetData(self.model, self.data)
        home = self.constants.home7.copy()
        if randomize:
            home[:6] += self._rng.uniform(-ARM_NOISE_RAD, ARM_NOISE_RAD, 6)
            home = np.clip(home, self._lower7, self._upper7)
        self.data.qpos[self.twin.arm_qpos] = home[:6]
        self.data.qpos[self.twin.gripper_qpos] = home[6]
        self.data.qpos[self.twin.mimic_qpos] = home[6]
        for cube in self.scene.cubes:
            address = self.twin.cube_qpos[cube.colour]
            position = np.array(cube.position, dtype=float)
            quat = np.array(cube.quat, dtype=float)
            if randomize:
                position[:2] += self._rng.uniform(-CUBE_OFFSET_M, CUBE_OFFSET_M, 2)
                yaw = np.zeros(4)
                mujoco.mju_axisAngle2Quat(
                    yaw, np.array([0.0, 0.0, 1.0]),
                    self._rng.uniform(-CUBE_YAW_RAD, CUBE_YAW_RAD))
                mujoco.mju_mulQuat(quat, yaw, quat.copy())
            self.data.qpos[address:address + 3] = position
            self.data.qpos[address + 3:address + 7] = quat
        self._setpoint = home
        self.data.ctrl[self.twin.actuators] = home
        started = time.perf_counter()
        for _ in range(int(round(SETTLE_S / self.model.opt.timestep))):
            mujoco.mj_step(self.model, self.data)
        self.timings['physics_s'] += time.perf_counter() - started
        self.data.time = 0.0
        return self.observation()

    def sample_joints(self, per_frame: int = 1,
                      callback: Optional[Callable[[JointSample], None]] = None) -> None:
        """
        Report ``per_frame`` joint samples of every later step to ``callback`` (None: stop).

        The first sample of a step is the state it starts from, i.e. exactly the observation it
        follows; sample j (1 <= j < per_frame) is taken at the physics step nearest to
        j / per_frame of the frame period. They are reported in order once the step's physics
        is done, so they do not count as physics time.
        """
        if isinstance(per_frame, bool) or not isinstance(per_frame, int) or per_frame < 1:
            raise ValueError(f'per_frame must be an integer >= 1, got {per_frame!r}')
        substeps = self.twin.substeps
        marks = {int(round(j * substeps / per_frame)) for j in range(1, per_frame)}
        # A frame of fewer physics steps than samples cannot give more distinct states.
        self._sample_substeps = tuple(sorted(m for m in marks if 0 < m < substeps))
        self._sampler = callback

    def joint_sample(self, offset_s: float = 0.0) -> JointSample:
        """Return the current positions and velocities of ``joint_state_names``."""
        return JointSample(time=float(self.data.time), offset_s=float(offset_s),
                           positions=self.data.qpos[self._state_qpos].copy(),
                           velocities=self.data.qvel[self._state_dof].copy())

    def step(self, targets7) -> Observation:
        """Track the seven absolute targets for one control period and observe."""
        try:
            targets = np.asarray(targets7, dtype=np.float64)
        except (TypeError, ValueError):
            targets = np.full(1, np.nan)
        if targets.shape != (7,) or not np.all(np.isfinite(targets)):
            raise ValueError(
                f'targets7: expected 7 finite numbers ({", ".join(self.constants.names7)}), '
                f'got {targets7!r}')
        targets = np.clip(targets, self._lower7, self._upper7)
        timestep = self.model.opt.timestep
        max_change = self._velocity7 * timestep
        sampler = self._sampler
        samples = [self.joint_sample()] if sampler is not None else None
        started = time.perf_counter()
        for substep in range(1, self.twin.substeps + 1):
            self._setpoint += np.clip(targets - self._setpoint, -max_change, max_change)
            self.data.ctrl[self.twin.actuators] = self._setpoint
            mujoco.mj_step(self.model, self.data)
            if samples is not None and substep in self._sample_substeps:
                samples.append(self.joint_sample(substep * timestep))
        self.timings['physics_s'] += time.perf_counter() - started
        if samples is not None:
            for sample in samples:
                sampler(sample)
        return self.observation()

    # ------------------------------------------------------------------------- observation
    def render(self) -> np.ndarray:
        """Render the wrist camera now: (height, width, 3) uint8 RGB."""
        if self._renderer is None:
            raise RuntimeError('this twin was created with render=False')
        started = time.perf_counter()
        self._renderer.update_scene(self.data, camera=CAMERA_NAME)
        image = self._renderer.render()
        self.timings['render_s'] += time.perf_counter() - started
        return image

    def joint_positions(self) -> np.ndarray:
        """Return the measured joint_1..joint_6 positions (rad)."""
        return self.data.qpos[self.twin.arm_qpos].copy()

    def gripper(self) -> float:
        """Return the measured opening of the driven jaw (m, 0 = closed)."""
        return float(self.data.qpos[self.twin.gripper_qpos])

    def observation(self) -> Observation:
        """Return the current observation; it carries an image only when rendering is on."""
        return Observation(
            image=self.render() if self._renderer is not None else None,
            joint_positions=self.joint_positions(), gripper=self.gripper(),
            time=float(self.data.time))

    def pad_pose(self) -> Tuple[np.ndarray, np.ndarray]:
        """Return the world position and rotation matrix of the point between the pads."""
        return (self.data.site_xpos[self._pad_site].copy(),
                self.data.site_xmat[self._pad_site].reshape(3, 3).copy())

    def cube_poses(self) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
        """Return {colour: (position xyz, quaternion wxyz)} of every cube in the world frame."""
        poses = {}
        for colour, address in self.twin.cube_qpos.items():
            poses[colour] = (self.data.qpos[address:address + 3].copy(),
                             self.data.qpos[address + 3:address + 7].copy())
        return poses

    # ----------------------------------------------------------------------------- tasks
    def parse_task(self, text: str) -> Task:
        """Parse "place the <colour> cube on the <tier> shelf"; TaskError otherwise."""
        return parse_task(text, self.scene.colours, self.scene.tier_names)

    def _touches_robot(self, body: int) -> bool:
        robot = set(self.twin.robot_geoms.tolist())
        for index in range(self.data.ncon):
            contact = self.data.contact[index]
            bodies = (self.model.geom_bodyid[contact.geom1], self.model.geom_bodyid[contact.geom2])
            if body in bodies and (contact.geom1 in robot or contact.geom2 in robot):
                return True
        return False

    def is_success(self, task) -> bool:
        """Return whether the task's cube rests on its tier, released by the gripper."""
        task = task if isinstance(task, Task) else self.parse_task(task)
        cube = self.scene.cube(task.colour)
        tier = self.scene.tier(task.tier)
        position, _ = self.cube_poses()[task.colour]
        body = self.twin.cube_body[task.colour]
        bottom = position[2] - cube.edge / 2.0
        speed = np.linalg.norm(self.data.cvel[body][3:])
        return bool(abs(bottom - tier.z) <= SUCCESS_HEIGHT_TOL_M
                    and tier.contains(position[0], position[1])
                    and speed <= SUCCESS_MAX_SPEED
                    and not self._touches_robot(body))

    def warnings(self) -> Dict[str, int]:
        """Return MuJoCo's warning counters that are non-zero (empty when all is well)."""
        names = [name for name in dir(mujoco.mjtWarning) if name.startswith('mjWARN_')]
        counts = {}
        for name in names:
            value = int(getattr(mujoco.mjtWarning, name))
            if value < len(self.data.warning) and self.data.warning[value].number:
                counts[name] = int(self.data.warning[value].number)
        return counts

    def close(self) -> None:
        """Release the renderer's OpenGL context."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __enter__(self):
        """Return self for ``with AR4Twin() as twin``."""
        return self

    def __exit__(self, *exc):
        """Close on leaving the ``with`` block."""
        self.close()
