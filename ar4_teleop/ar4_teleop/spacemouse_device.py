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
Read a 3Dconnexion SpaceMouse from its Linux input (evdev) device on a background thread.

Why evdev, read here, rather than the alternatives the issue names:

- The Jazzy ``spacenav`` package needs the spacenavd daemon running next to it (in the
  ``record`` container, with the same /dev/input access this reader needs), a second ROS node
  whose ``/spacenav/joy`` only says "no news" when the device goes quiet (so the teleop would
  have to judge staleness of a stream as well as of the device), and two more things to start,
  supervise and stop in docker/record.sh.
- A HID reader (hidapi, pyspacemouse) needs new pip and apt packages and access to
  /dev/hidraw*, whose device major number the kernel assigns at boot, so a compose cgroup rule
  cannot name it in advance.
- The kernel's HID drivers already turn every 3Dconnexion device into an input device: six
  axes as EV_REL (older devices, e.g. the SpaceNavigator) or EV_ABS (newer ones), buttons as
  EV_KEY (BTN_0, BTN_1, ...). The ``record`` service already mounts /dev/input and allows input
  devices (major 13) for the gamepad, and reading evdev needs nothing but the standard library.

The device is read directly (``EvdevDevice``: ``struct input_event`` from linux/input.h, two C
longs of time, u16 type, u16 code, s32 value), not through ``inputs``: ``inputs`` finds devices
only through udev's /dev/input/by-id and by-path links (which a device may lack) and raises on
the unnamed button codes of larger models (a SpaceMouse Pro's buttons go past BTN_9), where a
raw read just ignores a code nobody mapped.

How the device is identified (``find_spacemouse``): for each /sys/class/input/event*, the
device's ``name`` must contain one of the mapping's ``device.names`` (case-insensitive) and its
``capabilities/rel`` or ``capabilities/abs`` bitmap must have all six axis codes 0 .. 5 (X, Y,
Z, RX, RY, RZ), so a 3Dconnexion CadMouse or keyboard is not taken for one, nor is a gamepad
with six absolute axes.

How the axes are read (``SpaceMouseEventDecoder``): codes 0 .. 5 are X .. RZ for both event
types; the mapping's device table turns them into the operator-frame controls of
``ar4_teleop.spacemouse`` and divides by ``full_scale``. Absolute axes hold their value: the
kernel passes every change on, the return to 0 included. Relative axes do not: the kernel drops
a relative event whose value is 0 (drivers/input/input.c, input_get_disposition), and a device
at rest sends nothing. So a relative axis reads 0 when a report (closed by SYN_REPORT) carried
other axes of its group (translation X/Y/Z or rotation RX/RY/RZ: the device reports each group
together, so an absent axis was a dropped 0), and in any case once ``relative_hold`` seconds
pass without an event for it (the ROS spacenav node zeroes its output the same way after about
30 ms without motion events, ``zero_when_static``). After SYN_DROPPED (the kernel's buffer
overflowed and events were lost) the state is neutral until the next SYN_REPORT.

Robustness follows the gamepad reader (``ar4_teleop.device_reader``): no device found is
neutral and searched for again in the background; a read error (unplugged: ENODEV) resets to
neutral at once, is logged, and the search starts again, so replugging reconnects. If another
program has grabbed the device (spacenavd does, EVIOCGRAB), no event reaches this reader: the
connection line says so.
"""

import errno
import os
from pathlib import Path
import re
import select
import struct
import time
from typing import Callable, Dict, List, NamedTuple, Optional

from ar4_teleop.device_reader import apply_key_state, DeviceReader, Log
from ar4_teleop.spacemouse import (
    AXES, DEVICE_AXES, SpaceMouseDeviceConfig, SpaceMouseMapping, SpaceMouseState)

# linux/input-event-codes.h
EV_SYN, EV_KEY, EV_REL, EV_ABS, EV_MSC = 0, 1, 2, 3, 4
SYN_REPORT, SYN_DROPPED = 0, 3
# struct input_event (linux/input.h) as the running kernel's C longs lay it out.
INPUT_EVENT = struct.Struct('@llHHi')
# EVIOCGRAB = _IOW('E', 0x90, int) (linux/input.h): exclusive access to an event device.
EVIOCGRAB = 0x40044590
# The device axes' groups, as the device sends them: translation X, Y, Z and rotation RX .. RZ.
AXIS_GROUPS = ((0, 1, 2), (3, 4, 5))
SYSFS_INPUT = Path('/sys/class/input')
DEV_INPUT = Path('/dev/input')
# How long one read() waits for events, so that stop() ends the thread promptly.
READ_POLL_S = 0.25


class EvdevEvent(NamedTuple):
    """One evdev event: type (EV_*), code and value."""

    type: int
    code: int
    value: int


class SpaceMouseEventDecoder:
    """Fold evdev events into a SpaceMouseState (pure; not thread-safe by itself)."""

    def __init__(self, config: SpaceMouseDeviceConfig,
                 clock: Callable[[], float] = time.monotonic):
        """Start neutral with the mapping's device table; ``clock`` times relative axes."""
        self.config = config
        self._clock = clock
        self._axes = {DEVICE_AXES.index(name): axis for name, axis in config.axes.items()}
        self.ignored_codes = set()
        self.reset()

    def reset(self):
        """Return to the neutral state: nothing deflected, nothing pressed."""
        self._values: Dict[int, float] = {}
        self._relative_at: Dict[int, float] = {}
        self._packet = set()
        self._pressed = set()
        self._dropping = False

    def apply(self, event) -> bool:
        """Apply one event; return True when it changed the state."""
        kind, code, raw = event.type, event.code, event.value
        if kind == EV_SYN:
            return self._sync(code)
        if self._dropping:
            return False
        if kind in (EV_REL, EV_ABS) and code in self._axes:
            axis = self._axes[code]
            value = max(-1.0, min(1.0, raw / self.config.full_scale))
            value = -value if axis.invert else value
            changed = self._values.get(code, 0.0) != value
            self._values[code] = value
            if kind == EV_REL:
                self._relative_at[code] = self._clock()
                self._packet.add(code)
            else:
                self._relative_at.pop(code, None)
            return changed
        if kind == EV_KEY and code in self.config.buttons:
            return apply_key_state(self._pressed, self.config.buttons[code], raw)
        if kind != EV_MSC:
            self.ignored_codes.add((kind, code))
        return False

    def _sync(self, code: int) -> bool:
        if code == SYN_DROPPED:
            # Events were lost: nothing known is trusted until the next complete report.
            changed = bool(self._values or self._pressed)
            self.reset()
            self._dropping = True
            return changed
        if code != SYN_REPORT:
            return False
        if self._dropping:
            self._dropping = False
            return False
        changed = False
        for group in AXIS_GROUPS:
            if not self._packet.intersection(group):
                continue
            # The report carried this group: its relative axes not in it were dropped zeros.
            for code_in_group in group:
                if code_in_group in self._relative_at and code_in_group not in self._packet:
                    changed |= self._values.pop(code_in_group, 0.0) != 0.0
                    del self._relative_at[code_in_group]
        self._packet.clear()
        return changed

    def state(self) -> SpaceMouseState:
        """Return the current state; relative axes older than relative_hold read 0."""
        now = self._clock()
        values = {name: 0.0 for name in AXES}
        for code, value in self._values.items():
            at = self._relative_at.get(code)
            if at is not None and now - at > self.config.relative_hold:
                continue
            values[self._axes[code].control] = value
        return SpaceMouseState(pressed=frozenset(self._pressed), **values)


# ---------------------------------------------------------------------------------------------
# Finding and reading the device

class InputDeviceInfo(NamedTuple):
    """What sysfs says about one event device."""

    event: str                # 'event7'
    name: str
    relative_axes: int        # bitmap of REL_* codes
    absolute_axes: int        # bitmap of ABS_* codes


def capability_bits(text: str, word_bits: int = 8 * struct.calcsize('l')) -> int:
    """
    Return a sysfs capability bitmap (hex words, most significant first) as one integer.

    The kernel prints the bitmap as C longs in hex, without leading zeros, separated by spaces.
    """
    bits = 0
    for word in text.split():
        bits = (bits << word_bits) | int(word, 16)
    return bits


def read_device_info(entry: Path) -> InputDeviceInfo:
    """Read name and axis capabilities of /sys/class/input/eventN (OSError if it vanished)."""
    device = entry / 'device'
    return InputDeviceInfo(
        event=entry.name, name=(device / 'name').read_text().strip(),
        relative_axes=capability_bits((device / 'capabilities' / 'rel').read_text()),
        absolute_axes=capability_bits((device / 'capabilities' / 'abs').read_text()))


def is_spacemouse(info: InputDeviceInfo, config: SpaceMouseDeviceConfig) -> bool:
    """Return True for a device named like a SpaceMouse with six relative or absolute axes."""
    name = info.name.lower()
    if not any(part.lower() in name for part in config.names):
        return False
    six_axes = (1 << len(DEVICE_AXES)) - 1
    return (info.relative_axes & six_axes == six_axes
            or info.absolute_axes & six_axes == six_axes)


def _event_number(entry: Path) -> int:
    match = re.fullmatch(r'event(\d+)', entry.name)
    return int(match.group(1)) if match else -1


class EvdevDevice:
    """An open event device: ``read()`` returns the events that arrived, ``close()`` ends it."""

    def __init__(self, path: Path, name: str, descriptor: int,
                 grabbed_elsewhere: Optional[bool] = None):
        """Wrap an open descriptor (use open())."""
        self.path = path
        self.name = name
        self.grabbed_elsewhere = grabbed_elsewhere
        self._descriptor: Optional[int] = descriptor
        self._pending = b''

    @classmethod
    def open(cls, path: Path, name: str, ioctl=None) -> 'EvdevDevice':
        """Open ``path`` for reading and check whether another program holds a grab on it."""
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            grabbed = grabbed_by_another_program(descriptor, ioctl)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(Path(path), name, descriptor, grabbed)

    def read(self, timeout: float = READ_POLL_S) -> List[EvdevEvent]:
        """Return the events that arrived within ``timeout`` (maybe none); raise when gone."""
        if self._descriptor is None:
            raise OSError(errno.EBADF, 'the device was closed')
        ready, _, _ = select.select([self._descriptor], [], [], timeout)
        if not ready:
            return []
        data = os.read(self._descriptor, INPUT_EVENT.size * 64)
        if not data:
            # An event device never ends; end of file means the other side is gone.
            raise EOFError(f'{self.path} ended')
        data = self._pending + data
        whole = len(data) - len(data) % INPUT_EVENT.size
        self._pending = data[whole:]
        return [EvdevEvent(kind, code, value)
                for _, _, kind, code, value in INPUT_EVENT.iter_unpack(data[:whole])]

    def close(self):
        """Close the descriptor (idempotent)."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)


def grabbed_by_another_program(descriptor: int, ioctl=None) -> Optional[bool]:
    """
    Return True if another program holds EVIOCGRAB on the device, False if not, None if unknown.

    A grab of our own tells: it fails with EBUSY while someone else holds one (spacenavd grabs
    its devices), and is released at once when it succeeds, so that reading stays shared.
    """
    if ioctl is None:
        import fcntl
        ioctl = fcntl.ioctl
    try:
        ioctl(descriptor, EVIOCGRAB, 1)
    except OSError as error:
        return True if error.errno == errno.EBUSY else None
    try:
        ioctl(descriptor, EVIOCGRAB, 0)
    except OSError:
        pass
    return False


def find_spacemouse(config: SpaceMouseDeviceConfig, sysfs: Optional[Path] = None,
                    dev: Optional[Path] = None,
                    open_device=EvdevDevice.open) -> Optional[EvdevDevice]:
    """
    Return the first SpaceMouse (lowest event number), opened, or None when there is none.

    ``sysfs`` and ``dev`` default to /sys/class/input and /dev/input. A device that vanishes
    while it is looked at is skipped; opening the one found may raise (PermissionError, or
    ENOENT / ENODEV when it is unplugged that moment): the reader logs it and searches again.
    """
    sysfs = SYSFS_INPUT if sysfs is None else sysfs
    dev = DEV_INPUT if dev is None else dev
    if not sysfs.is_dir():
        return None
    for entry in sorted(sysfs.glob('event*'), key=_event_number):
        try:
            info = read_device_info(entry)
        except (OSError, ValueError):
            continue
        if is_spacemouse(info, config):
            return open_device(dev / info.event, info.name)
    return None


class SpaceMouseReader(DeviceReader):
    """Read a SpaceMouse on a daemon thread (the shared DeviceReader with find_spacemouse)."""

    label = 'SpaceMouse'
    missing_message = ('no SpaceMouse found: plug in a 3Dconnexion SpaceMouse (the keyboard '
                       'keys keep working); searching again in the background')
    neutral_state = staticmethod(SpaceMouseState)

    def __init__(self, decoder: SpaceMouseEventDecoder, find_device=None, log: Log = print,
                 initial_backoff: float = 0.5, max_backoff: float = 5.0, sleep=None):
        """Prepare the reader (default search: find_spacemouse); call start() to begin."""
        super().__init__(decoder, find_device or (lambda: find_spacemouse(decoder.config)),
                         log=log, initial_backoff=initial_backoff, max_backoff=max_backoff,
                         sleep=sleep)

    @classmethod
    def for_mapping(cls, mapping: SpaceMouseMapping, log: Log = print) -> 'SpaceMouseReader':
        """Return a reader decoding with the mapping's device table."""
        return cls(SpaceMouseEventDecoder(mapping.device), log=log)

    def connected_message(self, device) -> str:
        """Name the device and its file, and warn when another program has grabbed it."""
        line = f'{self.label} connected: {device.name} ({device.path})'
        if getattr(device, 'grabbed_elsewhere', None):
            line += ('; another program has grabbed it (spacenavd does), so no motion reaches '
                     'the teleop: stop it on the host (sudo systemctl stop spacenavd)')
        return line
