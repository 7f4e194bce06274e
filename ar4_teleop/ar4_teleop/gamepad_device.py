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
Read an Xbox controller (``inputs`` library) and the terminal keyboard on background threads.

``GamepadEventDecoder`` is pure: it folds ``inputs`` events (objects with ``ev_type``, ``code``
and ``state``) into a ``GamepadState`` using the mapping's device tables. ``GamepadReader`` owns
the device thread: it finds a controller, reads it, and when anything goes wrong resets the state
to neutral (so the arm stops), says why, and retries with backoff until the controller answers
again. ``inputs`` is imported only when a device is searched for, so the decoder is usable
anywhere.

Why the reader catches every exception: the node streams whatever ``snapshot()`` returns. A
reading thread that died on an exception nobody expected would leave the last state in place, a
stick held forward for ever. ``inputs`` 0.5 raises more than OSError: ``read()`` raises
UnknownEventType / UnknownEventCode (IndexError subclasses) for codes missing from its tables and
UnpluggedError (a RuntimeError), and ``import inputs`` scans the devices at import time. So each
pass of the loop (search included) is guarded, and ``snapshot()`` is neutral whenever no
controller is being read, including after the thread has ended.
"""

import os
import select
import sys
import threading
from typing import Callable, Dict, List, Optional

from ar4_teleop.gamepad import AxisCodec, DeviceConfig, GamepadState, TRIGGERS

# 'auto' trigger ranges: the common 8-bit range first, widened to the xpad's 10-bit range.
AUTO_TRIGGER_RANGES = (255.0, 1023.0)

Log = Callable[[str], None]


def normalise(raw: float, codec: AxisCodec, maximum: float) -> float:
    """
    Map a raw axis value onto [-1, 1] (sticks, D-pad) or [0, 1] (triggers).

    Centred axes scale each side separately, so raw 0 is exactly 0 even for -32768..32767.
    """
    if codec.control in TRIGGERS:
        value = (raw - codec.minimum) / (maximum - codec.minimum)
        value = min(1.0, max(0.0, value))
        return 1.0 - value if codec.invert else value
    value = raw / maximum if raw >= 0 else raw / -codec.minimum
    value = min(1.0, max(-1.0, value))
    return -value if codec.invert else value


class GamepadEventDecoder:
    """Fold ``inputs`` events into a GamepadState (pure; not thread-safe by itself)."""

    def __init__(self, config: DeviceConfig):
        """Start neutral with the mapping's device tables."""
        self.config = config
        self._maxima: Dict[str, float] = {}
        self.ignored_codes = set()
        self.reset()

    def reset(self):
        """Return to the neutral state: nothing deflected, nothing pressed."""
        self._axes: Dict[str, float] = {}
        self._pressed = set()

    def _maximum(self, code: str, codec: AxisCodec, raw: float) -> float:
        if codec.maximum is not None:
            return codec.maximum
        maximum = self._maxima.get(code, AUTO_TRIGGER_RANGES[0])
        if raw > maximum:
            maximum = next((m for m in AUTO_TRIGGER_RANGES if raw <= m), float(raw))
            self._maxima[code] = maximum
        return maximum

    def apply(self, event) -> bool:
        """Apply one event; return True when it changed the state."""
        ev_type, code, raw = getattr(event, 'ev_type', None), event.code, event.state
        if ev_type == 'Absolute' and code in self.config.axes:
            codec = self.config.axes[code]
            value = normalise(float(raw), codec, self._maximum(code, codec, float(raw)))
            changed = self._axes.get(codec.control, 0.0) != value
            self._axes[codec.control] = value
            return changed
        if ev_type == 'Key' and code in self.config.buttons:
            button = self.config.buttons[code]
            was_pressed = button in self._pressed
            # evdev key states: 0 released, 1 pressed, 2 auto-repeat (still pressed).
            if raw:
                self._pressed.add(button)
            else:
                self._pressed.discard(button)
            return was_pressed != bool(raw)
        if ev_type not in ('Sync', 'Misc'):
            self.ignored_codes.add(code)
        return False

    def state(self) -> GamepadState:
        """Return the current state as an immutable GamepadState."""
        return GamepadState(pressed=frozenset(self._pressed), **self._axes)


class GamepadUnavailable(Exception):
    """No gamepad can ever be read in this process (the ``inputs`` library is missing)."""


def find_gamepad():
    """
    Return the first gamepad ``inputs`` sees (rescanning /dev/input), or None.

    Raise GamepadUnavailable without the library; other errors (a device scan that fails)
    propagate to the reader's loop, which logs them and searches again.
    """
    try:
        import inputs
    except ImportError:
        raise GamepadUnavailable('the inputs library is not installed (pip install '
                                 'inputs==0.5); gamepad disabled, the keyboard keys still work'
                                 ) from None
    manager = inputs.DeviceManager()
    return manager.gamepads[0] if manager.gamepads else None


class GamepadReader:
    """
    Read a controller on a daemon thread and expose a thread-safe state snapshot.

    ``find_device`` returns an object whose ``read()`` blocks and returns a list of events (an
    ``inputs`` GamePad), or None when no controller is plugged in. Whatever ``find_device`` or
    ``read()`` raises ends that connection: the state resets to neutral at once, the error is
    logged, and the thread searches again after a backoff that doubles up to ``max_backoff`` and
    starts over once a read succeeds (so a device that fails on every read is retried, and
    logged, at most every ``max_backoff`` seconds).
    """

    def __init__(self, decoder: GamepadEventDecoder,
                 find_device: Optional[Callable[[], object]] = None,
                 log: Log = print, initial_backoff: float = 0.5, max_backoff: float = 5.0,
                 sleep: Optional[Callable[[float], object]] = None):
        """Prepare the reader; call start() to begin."""
        self._decoder = decoder
        self._find_device = find_device or find_gamepad
        self._log = log
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Waiting on the stop event lets stop() cut a backoff short.
        self._sleep = sleep or self._stop.wait
        self._connected = False
        self._generation = 0
        self._thread: Optional[threading.Thread] = None

    @property
    def connected(self) -> bool:
        """Return True while a controller is being read."""
        with self._lock:
            return self._connected

    @property
    def generation(self) -> int:
        """Return how many times a controller has been connected (replugs included)."""
        with self._lock:
            return self._generation

    def snapshot(self) -> GamepadState:
        """Return the latest state: neutral unless a controller is being read right now."""
        thread = self._thread
        if thread is not None and not thread.is_alive():
            return GamepadState()
        with self._lock:
            return self._decoder.state() if self._connected else GamepadState()

    def start(self):
        """Start the reading thread (daemon: a blocking read never holds up shutdown)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name='gamepad', daemon=True)
            self._thread.start()

    def request_stop(self):
        """Ask the reading loop to end after its current read (callable from any thread)."""
        self._stop.set()

    def stop(self, timeout: float = 0.5):
        """Ask the thread to stop and wait briefly; a blocked read ends with the process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _set_neutral(self, connected: bool = False):
        with self._lock:
            self._decoder.reset()
            self._connected = connected

    def run(self):
        """Find, read, and re-find the controller until stop() (the thread body)."""
        backoff = self._initial_backoff
        announced_missing = False
        try:
            while not self._stop.is_set():
                try:
                    device = self._find_device()
                except GamepadUnavailable as error:
                    self._log(str(error))
                    return
                except Exception as error:  # noqa: B902 - see the module docstring
                    device = None
                    self._log(f'could not search for a gamepad ({_describe(error)}); '
                              f'retrying in {backoff:g} s')
                if device is None:
                    if not announced_missing:
                        self._log('no gamepad found: plug in an Xbox controller (the keyboard '
                                  'keys keep working); searching again in the background')
                        announced_missing = True
                else:
                    announced_missing = False
                    backoff = self._read(device, backoff)
                    if self._stop.is_set():
                        break
                self._sleep(backoff)
                backoff = min(backoff * 2.0, self._max_backoff)
        finally:
            self._set_neutral()

    def _read(self, device, backoff: float) -> float:
        """Read ``device`` until it fails or stop(); return the backoff before searching again."""
        with self._lock:
            self._decoder.reset()
            self._connected = True
            self._generation += 1
        self._log(f'gamepad connected: {getattr(device, "name", device)}')
        succeeded = False
        try:
            while not self._stop.is_set():
                events = device.read()
                with self._lock:
                    for event in events:
                        self._decoder.apply(event)
                succeeded = True
        except PermissionError as error:
            self._set_neutral()
            self._log(f'cannot read the gamepad ({error}); add your user to the "input" group '
                      'and log in again')
            return self._max_backoff
        except Exception as error:  # noqa: B902 - see the module docstring
            self._set_neutral()
            self._log(f'gamepad read failed ({_describe(error)}); the arm stops, retrying until '
                      'the controller answers again')
        else:
            self._set_neutral()
        return self._initial_backoff if succeeded else backoff


def _describe(error: BaseException) -> str:
    return f'{type(error).__name__}: {error}' if str(error) else type(error).__name__


class KeyboardReader:
    """
    Read single key presses from the terminal (stdin) on a daemon thread.

    Works only when stdin is a terminal (``ros2 run``, not ``ros2 launch``); the terminal is put
    in cbreak mode while reading and restored by stop().
    """

    def __init__(self, stream=None, log: Log = print):
        """Prepare the reader for ``stream`` (default sys.stdin)."""
        self._stream = stream if stream is not None else sys.stdin
        self._log = log
        self._keys: List[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._saved_terminal = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> bool:
        """Start reading; return False (and say why) when stdin is not a terminal."""
        try:
            is_terminal = self._stream.isatty()
            descriptor = self._stream.fileno()
        except (AttributeError, ValueError, OSError):
            is_terminal = False
        if not is_terminal:
            self._log('keyboard keys disabled: stdin is not a terminal (run teleop_node with '
                      '"ros2 run" in a terminal to use them)')
            return False
        import termios
        import tty
        self._saved_terminal = termios.tcgetattr(descriptor)
        tty.setcbreak(descriptor)
        self._thread = threading.Thread(target=self._run, args=(descriptor,), name='keyboard',
                                        daemon=True)
        self._thread.start()
        return True

    def _run(self, descriptor: int):
        while not self._stop.is_set():
            ready, _, _ = select.select([descriptor], [], [], 0.1)
            if not ready:
                continue
            data = os.read(descriptor, 32)
            if not data:
                return
            with self._lock:
                self._keys.extend(data.decode(errors='ignore'))

    def push(self, keys: str):
        """Queue keys as if typed (used by tests and by callers with their own input)."""
        with self._lock:
            self._keys.extend(keys)

    def drain(self) -> List[str]:
        """Return and clear the keys typed since the last call."""
        with self._lock:
            keys, self._keys = self._keys, []
        return keys

    def stop(self):
        """Stop reading and restore the terminal."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(0.5)
        if self._saved_terminal is not None:
            import termios
            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved_terminal)
            self._saved_terminal = None
