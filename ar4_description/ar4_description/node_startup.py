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
One way to run every node of the project (pure Python: rclpy is passed in).

A node that cannot start because of its configuration (a bad parameter, a missing checkpoint, a
dataset it cannot open) raises ConfigError with one line that says what to do. run_node
prints that line to stderr as <node>: error: <line> and returns exit status 2, the same in
every node, so docker compose run --rm infer never looks successful when nothing ran. A node
that started spins until Ctrl-C or an external shutdown (SIGINT and SIGTERM through rclpy's
signal handlers), then runs its close() (zero commands, pending saves, terminal) before it is
destroyed: the Jazzy try/finally shape of ros2/demos, written once.
"""

import sys
from typing import Callable, Optional, Sequence, TextIO, Tuple, Type

EXIT_OK = 0
EXIT_CONFIG = 2


class ConfigError(Exception):
    """A configuration a node cannot start with; the message says what to do (one line)."""


def config_error_line(node_name: str, error: BaseException) -> str:
    """Return the one line printed for a start-up error: '<node>: error: <message>'."""
    message = ' '.join(str(error).split()) or type(error).__name__
    return f'{node_name}: error: {message}'


def run_node(node_name: str, make_node: Callable[[], object], rclpy,
             shutdown_errors: Tuple[Type[BaseException], ...] = (),
             args: Optional[Sequence[str]] = None,
             config_errors: Tuple[Type[BaseException], ...] = (ConfigError,),
             stderr: Optional[TextIO] = None) -> int:
    """
    Init rclpy, build the node, spin it; return the exit status (0, or 2 for a config error).

    ``rclpy`` is the module (a stand-in in tests); ``shutdown_errors`` the exceptions that end a
    spin normally besides KeyboardInterrupt (``rclpy.executors.ExternalShutdownException``).
    ``config_errors`` are the exception types that mean "bad configuration" for this node,
    raised by ``make_node`` or while spinning (e.g. a dataset that fails on first use); anything
    else propagates with its traceback, because it is a bug. The node's ``close()``, when it has
    one, runs before ``destroy_node()`` whatever ended the spin.
    """
    def spin(node) -> int:
        rclpy.spin(node)
        return EXIT_OK
    return _run(node_name, make_node, rclpy, spin, EXIT_OK, shutdown_errors, args,
                config_errors, stderr, close=True)


def check_choice(name: str, value, choices: Sequence) -> None:
    """Raise ConfigError unless ``value`` is one of ``choices`` (for string parameters)."""
    if value not in choices:
        raise ConfigError(f'parameter {name} must be one of {", ".join(map(str, choices))}, '
                          f'got {value!r}')


def run_one_shot_node(node_name: str, make_node: Callable[[], object], rclpy,
                      shutdown_errors: Tuple[Type[BaseException], ...] = (),
                      args: Optional[Sequence[str]] = None,
                      config_errors: Tuple[Type[BaseException], ...] = (ConfigError,),
                      stderr: Optional[TextIO] = None) -> int:
    """
    Run a node that does one job and reports its exit status through ``node.finished``.

    The node's ``finished`` future (rclpy.task.Future) gets the status; spinning stops when it
    is done. Ctrl-C or an external shutdown before that gives 1, a configuration error 2 with
    its one line on stderr, as in :func:`run_node`.
    """
    def spin(node) -> int:
        rclpy.spin_until_future_complete(node, node.finished)
        return node.finished.result() if node.finished.done() else 1
    return _run(node_name, make_node, rclpy, spin, 1, shutdown_errors, args, config_errors,
                stderr, close=False)


def _run(node_name: str, make_node, rclpy, spin, interrupted_status: int, shutdown_errors,
         args, config_errors, stderr, close: bool) -> int:
    """Init, build, ``spin`` (returns the status), then close (if asked), destroy, shut down."""
    stream = stderr if stderr is not None else sys.stderr
    rclpy.init(args=args)
    node = None
    status = interrupted_status
    try:
        node = make_node()
        status = spin(node)
    except (KeyboardInterrupt,) + tuple(shutdown_errors):
        pass
    except config_errors as error:
        print(config_error_line(node_name, error), file=stream, flush=True)
        status = EXIT_CONFIG
    finally:
        if node is not None:
            close_node = getattr(node, 'close', None) if close else None
            try:
                if close_node is not None:
                    close_node()
            finally:
                node.destroy_node()
        rclpy.try_shutdown()
    return status
