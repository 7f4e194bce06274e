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
The recorder's optional session features: voice prompts, the live view and the scene reset.

The recorder node's parameters ``play_sounds``, ``display_data`` (with ``display_target``),
``reset_between_episodes`` and ``reset_time_s`` are checked here (:func:`check_options`) and
turned into the arguments RecordingSession takes (:func:`build_options`). A feature that is off
imports and starts nothing: the announcer thread (recording.announce), the Rerun stream
(recording.live_view, which imports rerun) and the reset thread exist only when asked for.

The scene reset (``reset_between_episodes``) homes the arm through the teleop's go_home service
and, once the arm is home, puts the cubes back with a new seed each time, through the same
command a user runs, ``ros2 run ar4_gazebo reset_cubes --seed N`` (Gazebo's set_pose service,
through ``gz service``): homing first, so that no cube appears inside the gripper. Both run
behind the recorder's back (a thread), so a slow simulation never stalls it; no take is armed
until they are done (:meth:`SessionOptions.refusal`).
"""

from dataclasses import dataclass, field
from pathlib import Path
import random
import re
import subprocess
import threading
import time
from typing import Callable, List, Mapping, Optional, Sequence

from ar4_description.node_startup import ConfigError
from ar4_teleop.recording.episode import Event

#: ``display_target`` values: 'serve', a Rerun gRPC URL, or a file to write.
SERVE = 'serve'
#: The default: connect out to a viewer on this machine (``rerun`` on the host; the record
#: service shares the host's network). Nothing listens then, which keeps the live view on
#: localhost like foxglove_bridge: rerun 0.26's serve_grpc / serve_web_viewer have no bind
#: address and listen on every interface, so 'serve' is opt-in.
DEFAULT_DISPLAY_TARGET = 'rerun+http://127.0.0.1:9876/proxy'
RERUN_URL = re.compile(r'^rerun\+https?://[^/\s]+(/\S*)?$')
#: The command that puts the cubes back (ar4_gazebo.reset_cubes); ``--seed N`` is appended.
RESET_COMMAND = ('ros2', 'run', 'ar4_gazebo', 'reset_cubes')
RESET_TIMEOUT_S = 60.0
#: How long the reset waits for the arm to start homing (no teleop: it does not), then to end.
HOMING_START_S = 2.0
HOMING_END_S = 30.0
SEED_LIMIT = 2 ** 31


def check_display_target(target: str, display_data: bool = True) -> None:
    """Raise ConfigError unless ``target`` is 'serve', a rerun+http:// URL or a .rrd path."""
    target = str(target).strip()
    if target == SERVE or RERUN_URL.match(target):
        return
    if target.endswith('.rrd') and Path(target).name != '.rrd':
        folder = Path(target).expanduser().parent
        if display_data and not folder.is_dir():
            raise ConfigError(f'parameter display_target: folder {folder} does not exist '
                              f'(for {target!r})')
        return
    raise ConfigError(f"parameter display_target must be 'serve', a rerun+http://HOST:PORT/proxy "
                      f'URL or a path ending in .rrd, got {target!r}')


def check_options(values: Mapping[str, object]) -> None:
    """Raise ConfigError for a session option the recorder cannot start with (ranges aside)."""
    check_display_target(values['display_target'], bool(values['display_data']))


def run_reset_command(seed: int, command: Sequence[str] = RESET_COMMAND,
                      timeout: float = RESET_TIMEOUT_S) -> Optional[str]:
    """Run the cube reset with ``seed``; return None on success, else why it failed."""
    try:
        result = subprocess.run([*command, '--seed', str(seed)], capture_output=True,
                                text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    if result.returncode == 0:
        return None
    lines = (result.stderr or result.stdout).strip().splitlines()
    return f'exit status {result.returncode}' + (f': {lines[-1]}' if lines else '')


class SceneReset:
    """
    The ``reset_scene`` of a RecordingSession: home the arm, then reset the cubes (new seed).

    Calling it returns at once; the cubes are reset on a thread once the arm has homed
    (``homing()`` went true, then false) or did not start to within HOMING_START_S. A reset
    asked for while the last one still runs is skipped (logged).
    """

    def __init__(self, home: Optional[Callable[[], None]], homing: Callable[[], bool],
                 log: Callable[[str], None] = print,
                 reset_cubes: Callable[[int], Optional[str]] = run_reset_command,
                 seeds: Optional[Callable[[], int]] = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.home, self.homing, self.log = home, homing, log
        self.reset_cubes = reset_cubes
        self.seeds = seeds or (lambda: random.SystemRandom().randrange(SEED_LIMIT))
        self.clock, self.sleep = clock, sleep
        self.seeds_used: List[int] = []
        self._thread: Optional[threading.Thread] = None

    @property
    def busy(self) -> bool:
        """Return True while a reset runs (the recorder arms no take then)."""
        return self._thread is not None and self._thread.is_alive()

    def __call__(self) -> None:
        """Home the arm now and reset the cubes on a thread once it is home."""
        if self.busy:
            self.log('[recorder] the last scene reset is still running: this one is skipped')
            return
        if self.home is not None:
            self.home()
        seed = self.seeds()
        self.seeds_used.append(seed)
        self._thread = threading.Thread(target=self._run, args=(seed,), name='scene_reset',
                                        daemon=True)
        self._thread.start()

    def _wait_for(self, homing: bool, seconds: float) -> bool:
        end = self.clock() + seconds
        while bool(self.homing()) is not homing:
            if self.clock() >= end:
                return False
            self.sleep(0.05)
        return True

    def _run(self, seed: int) -> None:
        if self.home is not None and self._wait_for(True, HOMING_START_S):
            if not self._wait_for(False, HOMING_END_S):
                self.log(f'[recorder] the arm is still homing after {HOMING_END_S:.0f} s: '
                         'the cubes are reset anyway')
        self.log(f'[recorder] resetting the cubes with seed {seed}')
        error = self.reset_cubes(seed)
        if error is not None:
            self.log(f'[recorder] resetting the cubes failed ({error}); is the simulation '
                     'running? Put them back by hand')
        else:
            self.log('[recorder] scene reset: the arm is home and the cubes are back')

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait for a reset in progress (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)


class SafeLiveView:
    """Call a LiveView per frame; its first error is logged and ends the live view only."""

    def __init__(self, view, log: Callable[[str], None] = print):
        self.view, self.log = view, log

    def __call__(self, frame: dict, episode_index: int, frames_in_episode: int) -> None:
        """Send one frame; on an error, log it and send no more."""
        if self.view is None:
            return
        try:
            self.view(frame, episode_index, frames_in_episode)
        except Exception as error:  # noqa: B902 - the dataset matters more than the view
            self.log(f'[recorder] live view stopped: {error}')
            self.close()

    def close(self) -> None:
        """Close the view (once)."""
        view, self.view = self.view, None
        if view is not None:
            try:
                view.close()
            except Exception as error:  # noqa: B902 - closing must not stop finalizing
                self.log(f'[recorder] closing the live view: {error}')


@dataclass
class SessionOptions:
    """What build_options made; ``session_arguments()`` goes to RecordingSession."""

    announcer: object = None
    live_view: Optional[SafeLiveView] = None
    reset_scene: Optional[SceneReset] = None
    reset_time_s: float = 0.0
    closers: List[Callable[[], None]] = field(default_factory=list)

    def refusal(self, event: Event) -> Optional[str]:
        """Return why ``event`` must wait, or None to pass it on to the session."""
        if event is Event.ARM and self.reset_scene is not None and self.reset_scene.busy:
            return '[recorder] the scene is being reset: arm the next take once it is back'
        return None

    def session_arguments(self) -> dict:
        """Return RecordingSession's keyword arguments for these options."""
        return {'announce': self.announcer.say if self.announcer is not None else None,
                'live_view': self.live_view, 'reset_scene': self.reset_scene,
                'reset_time_s': self.reset_time_s}

    def close(self) -> None:
        """Close the live view, then speak the last prompts and stop the announcer."""
        for close in self.closers:
            close()


def build_options(values: Mapping[str, object], log: Callable[[str], None],
                  home: Optional[Callable[[], None]], homing: Callable[[], bool],
                  make_announcer=None, make_live_view=None, reset_cubes=None) -> SessionOptions:
    """
    Build what the options ask for; nothing is imported or started for an option that is off.

    ``make_announcer(log)``, ``make_live_view(target)`` and ``reset_cubes(seed)`` replace the
    real Announcer, LiveView and cube reset command (tests). A live view that cannot start
    (rerun missing, a port taken, a target refused) is a ConfigError.
    """
    options = SessionOptions(reset_time_s=float(values['reset_time_s']))
    if values['display_data']:
        target = str(values['display_target']).strip()
        if make_live_view is None:
            from ar4_teleop.recording.live_view import LiveView as make_live_view
        try:
            view = make_live_view(target)
        except Exception as error:  # noqa: B902 - ImportError, RuntimeError, ValueError...
            raise ConfigError(f'display_data: the live view could not start ({error})')
        log(f'[recorder] live view: {getattr(view, "where", target)}')
        options.live_view = SafeLiveView(view, log)
        options.closers.append(options.live_view.close)
    if values['play_sounds']:
        if make_announcer is None:
            from ar4_teleop.recording.announce import Announcer

            def make_announcer(log):
                return Announcer(log=log)
        options.announcer = make_announcer(log)
        options.closers.append(options.announcer.close)
    if values['reset_between_episodes']:
        options.reset_scene = SceneReset(home, homing, log, reset_cubes or run_reset_command)
    return options
