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
Read an input device on a background thread, neutral whenever it is not being read.

``DeviceReader`` is the thread the gamepad and the SpaceMouse readers share: it finds a device,
reads it, and when anything goes wrong resets the state to neutral (so the arm stops), says why,
and retries with backoff until the device answers again. A decoder folds the device's events
into a state (``apply``, ``reset``, ``state``); each device module supplies its decoder, its
search and its words.

Why the reader catches every exception: the node streams whatever ``snapshot()`` returns. A
reading thread that died on an exception nobody expected would leave the last state in place, a
stick held forward for ever. So each pass of the loop (search included) is guarded, and
``snapshot()`` is neutral whenever no device is being read, including after the thread has
ended.
"""

import threading
from typing import Callable, Optional

Log = Callable[[str], None]


class DeviceUnavailable(Exception):
    """No device of this kind can ever be read in this process (a library is missing)."""


class DeviceReader:
    """
    Read a device on a daemon thread and expose a thread-safe state snapshot.

    ``find_device`` returns an object whose ``read()`` blocks and returns a list of events (and
    may have ``close()``), or None when no device is plugged in. Whatever ``find_device`` or
    ``read()`` raises ends that connection: the state resets to neutral at once, the error is
    logged, and the thread searches again after a backoff that doubles up to ``max_backoff`` and
    starts over once a read succeeds (so a device that fails on every read is retried, and
    logged, at most every ``max_backoff`` seconds).

    Subclasses name the device (``label``), say what to plug in (``missing_message``) and give
    the neutral state (``neutral_state``).
    """

    label = 'device'
    missing_message = 'no input device found; searching again in the background'

    @staticmethod
    def neutral_state():
        """Return the state reported while no device is read."""
        raise NotImplementedError

    def __init__(self, decoder, find_device: Callable[[], object], log: Log = print,
                 initial_backoff: float = 0.5, max_backoff: float = 5.0,
                 sleep: Optional[Callable[[float], object]] = None):
        """Prepare the reader; call start() to begin."""
        self._decoder = decoder
        self._find_device = find_device
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
        """Return True while a device is being read."""
        with self._lock:
            return self._connected

    @property
    def generation(self) -> int:
        """Return how many times a device has been connected (replugs included)."""
        with self._lock:
            return self._generation

    def snapshot(self):
        """Return the latest state: neutral unless a device is being read right now."""
        thread = self._thread
        if thread is not None and not thread.is_alive():
            return self.neutral_state()
        with self._lock:
            return self._decoder.state() if self._connected else self.neutral_state()

    def start(self):
        """Start the reading thread (daemon: a blocking read never holds up shutdown)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name=self.label, daemon=True)
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

    def connected_message(self, device) -> str:
        """Return the line logged when ``device`` is connected."""
        return f'{self.label} connected: {getattr(device, "name", device)}'

    def run(self):
        """Find, read, and re-find the device until stop() (the thread body)."""
        backoff = self._initial_backoff
        announced_missing = False
        try:
            while not self._stop.is_set():
                try:
                    device = self._find_device()
                except DeviceUnavailable as error:
                    self._log(str(error))
                    return
                except PermissionError as error:
                    # A device found but not openable (the SpaceMouse opens while searching).
                    device = None
                    self._log(self._permission_message(error))
                    backoff = self._max_backoff
                except Exception as error:  # noqa: B902 - see the module docstring
                    device = None
                    self._log(f'could not search for a {self.label} ({describe(error)}); '
                              f'retrying in {backoff:g} s')
                if device is None:
                    if not announced_missing:
                        self._log(self.missing_message)
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
        succeeded = False
        try:
            self._log(self.connected_message(device))
            while not self._stop.is_set():
                events = device.read()
                with self._lock:
                    for event in events:
                        self._decoder.apply(event)
                succeeded = True
        except PermissionError as error:
            self._set_neutral()
            self._log(self._permission_message(error))
            return self._max_backoff
        except Exception as error:  # noqa: B902 - see the module docstring
            self._set_neutral()
            self._log(f'{self.label} read failed ({describe(error)}); the arm stops, retrying '
                      f'until the {self.label} answers again')
        else:
            self._set_neutral()
        finally:
            _close(device)
        return self._initial_backoff if succeeded else backoff

    def _permission_message(self, error: PermissionError) -> str:
        return (f'cannot read the {self.label} ({error}); add your user to the "input" group '
                'and log in again')


def apply_key_state(pressed: set, button: str, value) -> bool:
    """
    Apply an evdev key event to the set of pressed buttons; return True when it changed.

    evdev key states: 0 released, 1 pressed, 2 auto-repeat (still pressed).
    """
    was_pressed = button in pressed
    if value:
        pressed.add(button)
    else:
        pressed.discard(button)
    return was_pressed != bool(value)


def _close(device):
    # A device that keeps a file open (the SpaceMouse's) closes it here, so that each replug
    # does not leak a descriptor; a close that fails changes nothing (the device is gone).
    close = getattr(device, 'close', None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: B902 - see the comment above
            pass


def describe(error: BaseException) -> str:
    """Return 'Type: message' (or the type alone) for a log line."""
    return f'{type(error).__name__}: {error}' if str(error) else type(error).__name__
