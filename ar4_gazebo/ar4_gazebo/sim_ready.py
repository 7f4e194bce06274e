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
Pure core of the sim's ready step: which controllers must be active, where the arm is, done.

The node ar4_gazebo.go_home_and_report_ready wires this to ROS. The move home itself is the
robot-wide quintic plan of ar4_description.homing, the same one the teleop node sends.
"""

from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

# Printed once, on its own line, when the simulation is usable. The README quotes it verbatim.
READY_LINE = ('AR4 SIM READY: controllers active, arm at home. '
              'Next: docker compose run --rm record')
REQUIRED_CONTROLLERS = ('joint_state_broadcaster', 'joint_trajectory_controller',
                        'gripper_controller')
TRAJECTORY_TOPIC = '/joint_trajectory_controller/joint_trajectory'
# The sim's move home never takes less than this, even from next to home (a gentle first move).
MIN_HOMING_S = 2.0
# The move home is sent again (planned from where the arm is then) when, this many seconds after
# a send, the arm has not come MOVED_RAD closer to home, or is still away this long after the
# plan should have ended. A topic message can be lost (the controller's subscription not yet
# matched) or aborted (a tolerance violation), and nothing else would say so.
RESEND_AFTER_S = 5.0
MOVED_RAD = 0.01


def missing_controllers(states: Iterable[Tuple[str, str]],
                        required: Iterable[str] = REQUIRED_CONTROLLERS) -> List[str]:
    """Return the required controllers that are not 'active', given (name, state) pairs."""
    active = {name for name, state in states if state == 'active'}
    return [name for name in required if name not in active]


def arm_positions(positions: Dict[str, float], constants) -> Optional[np.ndarray]:
    """Return the arm joints' positions in the constants' order, or None if one is missing."""
    try:
        return np.array([positions[name] for name in constants.joint_names], dtype=np.float64)
    except KeyError:
        return None


def home_error(positions: Dict[str, float], constants) -> Optional[float]:
    """Return the largest |q - home| over the arm joints (rad), or None if a joint is missing."""
    current = arm_positions(positions, constants)
    if current is None:
        return None
    return float(np.max(np.abs(current - np.asarray(constants.home, dtype=np.float64))))


def should_resend(elapsed_s: float, error_at_send: Optional[float], error_now: Optional[float],
                  plan_duration_s: float, tolerance: float) -> bool:
    """
    Return whether to send the move home again, ``elapsed_s`` steady seconds after sending it.

    ``error_at_send`` and ``error_now`` are home_error() then and now (None: a joint missing).
    """
    if error_now is None or error_now <= tolerance or elapsed_s < RESEND_AFTER_S:
        return False
    if error_at_send is None or error_at_send - error_now < MOVED_RAD:
        return True  # it has not moved: the trajectory never arrived or was refused
    return elapsed_s >= plan_duration_s + RESEND_AFTER_S
