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
and ``state``) into a ``GamepadState`` using the mapping's device tables. ``GamepadReader`` is
the shared device thread (``ar4_teleop.device_reader``: any error resets to neutral, is logged
and retried with backoff) searching for a controller with ``inputs``. ``inputs`` is imported
only when a device is searched for, so the decoder is usable anywhere.

``inputs`` 0.5 raises more than OSError, which is why the reader guards every pass: ``read()``
raises UnknownEventType / UnknownEventCode (IndexError subclasses) for codes missing from its
tables and UnpluggedError (a RuntimeError), and ``import inputs`` scans the devices at import
time.
"""

import os
import select
import sys
import threading
from typing import Dict, List, Optional, Sequence

from ar4_teleop.device_reader import (
    apply_key_state, DeviceReader, DeviceUnavailable, Log)
from ar4_teleop.gamepad import AxisCodec, DeviceConfig, GamepadMapping, GamepadState, TRIGGERS

# 'auto' trigger ranges: the common 8-bit range first, widened to the xpad's 10-bit range.
AUTO_TRIGGER_RANGES = (255.0, 1023.0)
# Name parts of 6-DoF mice, never taken for a gamepad (lower case).
SIX_DOF_NAMES = ('3dconnexion', 'spacemouse', 'spacenavigator', 'spaceexplorer', 'spacepilot')


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
            return apply_key_state(self._pressed, self.config.buttons[code], raw)
        if ev_type not in ('Sync', 'Misc'):
            self.ignored_codes.add(code)
        return False

    def state(self) -> GamepadState:
        """Return the current state as an immutable GamepadState."""
        return GamepadState(pressed=frozenset(self._pressed), **self._axes)


class GamepadUnavailable(DeviceUnavailable):
    """No gamepad can ever be read in this process (the ``inputs`` library is missing)."""


def first_gamepad(gamepads: Sequence) -> Optional[object]:
    """
    Return the first of ``inputs``' gamepads that is not a 3Dconnexion device, or None.

    udev files a SpaceMouse with six absolute axes (the newer models) under joysticks, so
    ``inputs`` lists it with the gamepads; read as a gamepad, its cap would drive the sticks and
    triggers.
    """
    for pad in gamepads:
        if not any(part in str(getattr(pad, 'name', '')).lower() for part in SIX_DOF_NAMES):
            return pad
    return None


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
    return first_gamepad(inputs.DeviceManager().gamepads)


class GamepadReader(DeviceReader):
    """Read an Xbox controller on a daemon thread (the shared DeviceReader with find_gamepad)."""

    label = 'gamepad'
    missing_message = ('no gamepad found: plug in an Xbox controller (the keyboard keys keep '
                       'working); searching again in the background')
    neutral_state = staticmethod(GamepadState)

    def __init__(self, decoder: GamepadEventDecoder, find_device=None, log: Log = print,
                 initial_backoff: float = 0.5, max_backoff: float = 5.0, sleep=None):
        """Prepare the reader (default search: find_gamepad); call start() to begin."""
        super().__init__(decoder, find_device or find_gamepad, log=log,
                         initial_backoff=initial_backoff, max_backoff=max_backoff, sleep=sleep)

    @classmethod
    def for_mapping(cls, mapping: GamepadMapping, log: Log = print) -> 'GamepadReader':
        """Return a reader decoding with the mapping's device tables."""
        return cls(GamepadEventDecoder(mapping.device), log=log)


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
