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

"""The live control loop on a simulated clock: slow model, stale inputs, gripper goals."""

from ar4_description.robot_constants import robot_constants
from ar4_policy.chunking import SimulatedLatencyExecutor
from ar4_policy.control_loop import PolicyController
from ar4_policy.safety import NO_TARGET, STALE_OBSERVATION, VELOCITY_LIMITED
import numpy as np

PERIOD = 1.0 / 30
TASK = 'place the red cube on the top shelf'


class SimClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make_controller(clock, latency_periods, chunk):
    calls = []

    def predict(image, state, task):
        calls.append((image.shape, state.copy(), task))
        return chunk

    controller = PolicyController(
        predict, TASK, n_action_steps=5, period_s=PERIOD,
        executor_factory=lambda model: SimulatedLatencyExecutor(
            model, clock, latency_periods * PERIOD))
    return controller, calls


def test_holds_while_the_model_is_late_then_moves_within_velocity_limits():
    constants = robot_constants()
    clock = SimClock()
    goal = constants.home7.copy()
    goal[0] += 0.3
    goal[6] = constants.gripper.open
    controller, calls = make_controller(clock, 4, np.tile(goal, (10, 1)))
    assert controller.tick(0.0) is None  # no joint state yet: nothing to hold
    image = np.zeros((480, 640, 3), np.uint8)
    commands = []
    for i in range(30):
        clock.now = i * PERIOD
        controller.on_image(image, clock.now)
        controller.on_joint_state(constants.home7, clock.now)
        commands.append(controller.tick(clock.now))
    assert all(c is not None for c in commands)
    assert calls[0][2] == TASK and calls[0][0] == (480, 640, 3)
    # While the first chunk is in flight the arm holds its start position.
    assert commands[0].interventions == [NO_TARGET]
    np.testing.assert_allclose(commands[0].arm, constants.home7[:6])
    # Then it moves towards the goal, never faster than the velocity limit.
    arm = np.array([c.arm for c in commands])
    assert np.all(np.abs(np.diff(arm, axis=0)) <= constants.velocity7[:6] * PERIOD + 1e-12)
    assert arm[-1, 0] > arm[0, 0]
    assert any(VELOCITY_LIMITED in c.interventions for c in commands)
    # The gripper goal is sent once at start and then only when the target moved enough.
    sends = [c.send_gripper_goal for c in commands]
    assert sends[0] and 1 < sum(sends) < len(sends)


def test_stale_inputs_hold_the_arm_and_are_counted():
    constants = robot_constants()
    clock = SimClock()
    controller, calls = make_controller(clock, 0, np.tile(constants.home7 + 0.01, (10, 1)))
    controller.on_image(np.zeros((480, 640, 3), np.uint8), 0.0)
    controller.on_joint_state(constants.home7, 0.0)
    first = controller.tick(0.0)
    stale = controller.tick(1.0)  # nothing new for a second
    assert stale.interventions == [STALE_OBSERVATION]
    np.testing.assert_allclose(stale.arm, first.arm)
    assert controller.safety.counts_dict()[STALE_OBSERVATION] == 1
    assert len(calls) == 1  # stale observations never reach the model
