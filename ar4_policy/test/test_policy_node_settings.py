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
policy_node's start-up without rclpy: parameter checks, the missing checkpoint, exit status 2.

run_node gets a stand-in for rclpy (the ROS graph cannot exist here); everything it starts is
the node's own start-up code (control_loop.policy_settings and start_policy).
"""

import io

from ar4_description.node_startup import ConfigError, EXIT_CONFIG, run_node
from ar4_description.testing import RclpyStandIn
from ar4_policy.control_loop import (
    CONFIG_ERRORS, POLICY_PARAMETERS, policy_settings, PolicySettings, start_policy)
from ar4_policy.runner import CheckpointError
import pytest

TASK = 'place the teal cube on the top shelf'


class Logger:
    def __init__(self):
        self.lines = []

    def info(self, message):
        self.lines.append(message)

    debug = warning = info


def start(values, **kwargs):
    """Do what PolicyNode.__init__ does after declaring its parameters, rclpy aside."""
    return start_policy(policy_settings(values), Logger(), **kwargs)


def run(values, **kwargs):
    # A node that cannot start must never spin.
    rclpy, err = RclpyStandIn(AssertionError('spun')), io.StringIO()
    status = run_node('policy_node', lambda: start(values, **kwargs), rclpy,
                      config_errors=CONFIG_ERRORS, stderr=err)
    assert rclpy.calls == ['init', 'try_shutdown']
    return status, err.getvalue()


def test_defaults_with_a_checkpoint_and_a_task():
    settings = policy_settings({'checkpoint': 'data/checkpoints/x', 'task': TASK})
    assert settings == PolicySettings(
        checkpoint='data/checkpoints/x', task=TASK, device='cpu', vlm_path='', n_action_steps=0,
        fps=30, blend_steps=5, deterministic=False, stale_after_s=0.5,
        log_root='data/inference_logs', log_run='', log_every_n_inferences=0)
    assert settings.period_s == pytest.approx(1 / 30)


def test_a_missing_checkpoint_folder_is_one_line_on_stderr_and_exit_2(tmp_path):
    missing = tmp_path / 'no_such_checkpoint'
    status, err = run({'checkpoint': str(missing), 'task': TASK})
    assert status == EXIT_CONFIG
    assert err == f'policy_node: error: checkpoint folder {missing} does not exist\n'


@pytest.mark.parametrize('values, message', [
    ({'task': TASK}, 'parameter checkpoint is empty: pass checkpoint:=DIR to infer.launch.py '
                     'or set $CHECKPOINT'),
    ({'checkpoint': 'ckpt', 'task': '  '},
     'parameter task is empty: pass task:="..." to infer.launch.py or set $TASK'),
    ({'checkpoint': 'ckpt', 'task': TASK, 'device': 'gpu'},
     "parameter device must be cpu, cuda, cuda:N or mps, got 'gpu'"),
    ({'checkpoint': 'ckpt', 'task': TASK, 'fps': 0}, 'parameter fps must be in 1..200, got 0'),
    ({'checkpoint': 'ckpt', 'task': TASK, 'stale_after_s': 0.0},
     'parameter stale_after_s must be in 0.01..10.0, got 0.0'),
    ({'checkpoint': 'ckpt', 'task': TASK, 'deterministic': 1},
     'parameter deterministic must be a bool, got 1'),
    ({'checkpoint': 'ckpt', 'task': {'stack': 'red on blue'}},
     "parameter task must be a str, got {'stack': 'red on blue'}"),
    ({'checkpoint': 'ckpt', 'task': TASK, 'fsp': 10}, 'unknown policy_node parameters: fsp'),
])
def test_bad_parameters_are_one_line_on_stderr_and_exit_2(values, message):
    with pytest.raises(ConfigError) as raised:
        policy_settings(values)
    assert str(raised.value) == message
    status, err = run(values)
    assert (status, err) == (EXIT_CONFIG, f'policy_node: error: {message}\n')


def test_cuda_asked_for_but_absent_fails_before_loading(tmp_path):
    def never(*args, **kwargs):
        raise AssertionError('the checkpoint must not be loaded')
    status, err = run({'checkpoint': str(tmp_path), 'task': TASK, 'device': 'cuda:1'},
                      runner_factory=never, cuda_available=lambda: False)
    assert (status, err) == (EXIT_CONFIG, 'policy_node: error: parameter device is cuda:1 but '
                                          'CUDA is not available here; use device:=cpu\n')


def test_float_parameters_take_integers_and_every_parameter_has_a_description():
    settings = policy_settings({'checkpoint': 'c', 'task': TASK, 'stale_after_s': 1})
    assert settings.stale_after_s == 1
    names = [spec.name for spec in POLICY_PARAMETERS]
    assert len(names) == len(set(names))
    assert all(spec.description for spec in POLICY_PARAMETERS)
    assert CheckpointError in CONFIG_ERRORS and ConfigError in CONFIG_ERRORS


def test_a_loaded_checkpoint_is_announced_and_drives_the_controller(tmp_path):
    class Runner:
        checkpoint, n_action_steps, chunk_size = tmp_path / 'ckpt', 50, 10

        def __init__(self, checkpoint, device, vlm_path, deterministic):
            self.arguments = (checkpoint, device, vlm_path, deterministic)

        def reset(self):
            pass

        def predict_chunk(self, image, state, task):
            raise AssertionError('not called in this test')

    logger = Logger()
    settings = policy_settings({'checkpoint': 'ckpt', 'task': TASK, 'fps': 15,
                                'log_root': str(tmp_path / 'logs')})
    controller = start_policy(settings, logger, runner_factory=Runner)
    try:
        assert controller.period_s == pytest.approx(1 / 15)
        assert controller.scheduler.n_action_steps == 10  # at most the chunk size
        assert controller.safety.logger is logger
        assert logger.lines[0].startswith(f'loaded {tmp_path / "ckpt"}; task {TASK!r}; '
                                          'executing 10 of 10 actions per chunk at 15 Hz; '
                                          f'inference log {tmp_path / "logs"}')
    finally:
        controller.close()
