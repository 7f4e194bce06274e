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
The SpaceMouse reader: synthetic evdev events, device identification, no device, unplug, replug.

The device itself cannot exist here. Its two interfaces are stood in for by what Linux gives:
/sys/class/input is a folder tree written by the test (name and capability bitmaps as the kernel
prints them), and /dev/input/eventN is a FIFO carrying real ``struct input_event`` bytes, whose
writer closing is an unplug.
"""

import errno
import os
import threading
import time

from ar4_description.robot_constants import robot_constants
from ar4_teleop import spacemouse_device
from ar4_teleop.spacemouse import load_mapping, SpaceMouseMapper, SpaceMouseState
from ar4_teleop.spacemouse_device import (
    capability_bits, EV_ABS, EV_KEY, EV_MSC, EV_REL, EV_SYN, EvdevDevice, EvdevEvent, EVIOCGRAB,
    find_spacemouse, grabbed_by_another_program, INPUT_EVENT, InputDeviceInfo, is_spacemouse,
    SpaceMouseEventDecoder, SpaceMouseReader, SYN_DROPPED, SYN_REPORT)
import pytest

FULL = 350


@pytest.fixture(scope='module')
def mapping():
    return load_mapping()


@pytest.fixture(scope='module')
def config(mapping):
    return mapping.device


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def decoder_with_clock(config):
    clock = Clock()
    return SpaceMouseEventDecoder(config, clock=clock), clock


def sync():
    return EvdevEvent(EV_SYN, SYN_REPORT, 0)


def feed(decoder, *events):
    for event in events:
        decoder.apply(event)


# -- decoding each axis ----------------------------------------------------------------------

# (code, raw) -> (control, value): the HID frame (+X right, +Y toward you, +Z down) turned into
# the operator's (right, forward, up, and rotations about them).
AXIS_CASES = [
    (0, FULL, 'right', 1.0),
    (0, -FULL, 'right', -1.0),
    (1, -FULL, 'forward', 1.0),     # pushed away from you: -Y
    (1, FULL / 2, 'forward', -0.5),
    (2, -FULL, 'up', 1.0),          # pulled up: -Z
    (2, FULL, 'up', -1.0),          # pressed down
    (3, FULL, 'pitch', 1.0),        # about +X: front edge up
    (4, -FULL, 'roll', 1.0),        # about -Y (forward): right edge down
    (5, -FULL, 'yaw', 1.0),         # about -Z (up): counterclockwise from above
    (5, 2 * FULL, 'yaw', -1.0),     # beyond full scale: clipped
]


@pytest.mark.parametrize('kind', [EV_REL, EV_ABS])
@pytest.mark.parametrize('code, raw, control, value', AXIS_CASES)
def test_each_axis_relative_and_absolute(config, kind, code, raw, control, value):
    decoder, _ = decoder_with_clock(config)
    assert decoder.apply(EvdevEvent(kind, code, raw))
    decoder.apply(sync())
    state = decoder.state()
    assert getattr(state, control) == pytest.approx(value)
    assert sum(1 for name in ('right', 'forward', 'up', 'pitch', 'roll', 'yaw')
               if getattr(state, name)) == 1


def test_events_drive_the_mapper(mapping, config):
    decoder, _ = decoder_with_clock(config)
    feed(decoder, EvdevEvent(EV_REL, 1, -FULL), EvdevEvent(EV_KEY, 0x101, 1), sync())
    tick = SpaceMouseMapper(mapping).update(decoder.state())
    assert tick.command.linear[1] < 0.0  # pushed forward: -y of base_link
    assert tick.gripper_target == robot_constants().gripper.open  # right button: open


@pytest.mark.parametrize('code, button', [(0x100, 'left'), (0x101, 'right')])
def test_buttons_press_repeat_release(config, code, button):
    decoder, _ = decoder_with_clock(config)
    assert decoder.apply(EvdevEvent(EV_KEY, code, 1))
    assert decoder.state().pressed == {button}
    assert not decoder.apply(EvdevEvent(EV_KEY, code, 2))  # auto-repeat: still pressed
    assert decoder.apply(EvdevEvent(EV_KEY, code, 0))
    assert decoder.state() == SpaceMouseState()


def test_unmapped_codes_are_ignored_and_remembered(config):
    decoder, _ = decoder_with_clock(config)
    for event in (EvdevEvent(EV_KEY, 0x10c, 1),    # a SpaceMouse Pro button nobody mapped
                  EvdevEvent(EV_REL, 8, 1),        # REL_WHEEL
                  EvdevEvent(EV_MSC, 4, 90001),    # MSC_SCAN: says nothing, not remembered
                  EvdevEvent(17, 8, 1)):           # EV_LED
        assert not decoder.apply(event)
    assert decoder.state() == SpaceMouseState()
    assert decoder.ignored_codes == {(EV_KEY, 0x10c), (EV_REL, 8), (17, 8)}


# -- relative axes: the kernel drops their zeros -----------------------------------------------

def test_a_relative_axis_without_news_returns_to_zero_after_the_hold(config):
    decoder, clock = decoder_with_clock(config)
    feed(decoder, EvdevEvent(EV_REL, 0, FULL), sync())
    clock.now += config.relative_hold * 0.9
    assert decoder.state().right == 1.0
    feed(decoder, EvdevEvent(EV_REL, 0, FULL // 2), sync())  # the device keeps reporting
    clock.now += config.relative_hold * 0.9
    assert decoder.state().right == pytest.approx(0.5, abs=0.01)
    clock.now += config.relative_hold * 0.2  # the last report is now older than the hold
    assert decoder.state() == SpaceMouseState()


def test_an_absolute_axis_holds_its_value(config):
    decoder, clock = decoder_with_clock(config)
    feed(decoder, EvdevEvent(EV_ABS, 2, -FULL), sync())  # held up, perfectly still
    clock.now += 60.0
    assert decoder.state().up == 1.0
    feed(decoder, EvdevEvent(EV_ABS, 2, 0), sync())  # the kernel passes the return to 0 on
    assert decoder.state() == SpaceMouseState()


def test_a_report_of_a_group_zeroes_its_relative_axes_left_out(config):
    decoder, _ = decoder_with_clock(config)
    feed(decoder, EvdevEvent(EV_REL, 0, FULL), EvdevEvent(EV_REL, 1, -FULL),
         EvdevEvent(EV_REL, 5, -FULL), sync())
    assert decoder.state() == SpaceMouseState(right=1.0, forward=1.0, yaw=1.0)
    # Next translation report: X went back to 0, so only Y came through.
    feed(decoder, EvdevEvent(EV_REL, 1, -FULL), sync())
    assert decoder.state() == SpaceMouseState(forward=1.0, yaw=1.0)
    # A rotation report says nothing about translation, and the other way round.
    feed(decoder, EvdevEvent(EV_REL, 3, FULL), sync())
    assert decoder.state() == SpaceMouseState(forward=1.0, pitch=1.0)


def test_syn_dropped_is_neutral_until_the_next_report(config):
    decoder, _ = decoder_with_clock(config)
    feed(decoder, EvdevEvent(EV_ABS, 0, FULL), EvdevEvent(EV_KEY, 0x100, 1), sync())
    assert decoder.apply(EvdevEvent(EV_SYN, SYN_DROPPED, 0))
    assert decoder.state() == SpaceMouseState()
    # Events up to and including the next SYN_REPORT belong to the lost packet.
    feed(decoder, EvdevEvent(EV_ABS, 1, FULL), sync())
    assert decoder.state() == SpaceMouseState()
    feed(decoder, EvdevEvent(EV_ABS, 1, -FULL), sync())
    assert decoder.state() == SpaceMouseState(forward=1.0)


# -- finding the device ----------------------------------------------------------------------

def add_input(sysfs, number, name, rel='0', abs_='0'):
    device = sysfs / f'event{number}' / 'device'
    (device / 'capabilities').mkdir(parents=True)
    (device / 'name').write_text(name + '\n')
    (device / 'capabilities' / 'rel').write_text(rel + '\n')
    (device / 'capabilities' / 'abs').write_text(abs_ + '\n')


def test_capability_bitmaps_as_the_kernel_prints_them():
    assert capability_bits('3f\n') == 0x3f
    assert capability_bits('0') == 0
    # Several C longs, most significant first (a gamepad's ABS_HAT0X / ABS_HAT0Y and six axes).
    assert capability_bits('3 0', word_bits=64) == 3 << 64
    assert capability_bits('30000 3f', word_bits=32) == (0x30000 << 32) | 0x3f


@pytest.mark.parametrize('info, found', [
    (InputDeviceInfo('event1', '3Dconnexion SpaceNavigator', 0x3f, 0), True),
    (InputDeviceInfo('event1', '3Dconnexion SpaceMouse Compact', 0, 0x3f), True),
    (InputDeviceInfo('event1', 'SpaceMouse Pro Wireless', 0x1c3f, 0), True),
    (InputDeviceInfo('event1', '3Dconnexion CadMouse', 0x143, 0), False),  # a mouse
    (InputDeviceInfo('event1', '3Dconnexion Universal Receiver Keyboard', 0, 0), False),
    (InputDeviceInfo('event1', 'Microsoft X-Box 360 pad', 0, 0x3003f), False),  # six axes too
    (InputDeviceInfo('event1', '3Dconnexion SpaceNavigator', 0x07, 0x38), False),
])
def test_identified_by_name_and_six_axes(config, info, found):
    assert is_spacemouse(info, config) is found


def test_find_takes_the_first_spacemouse_by_event_number(config, tmp_path):
    sysfs = tmp_path / 'sys'
    add_input(sysfs, 0, 'AT Translated Set 2 keyboard')
    add_input(sysfs, 3, 'Microsoft X-Box 360 pad', abs_='3003f')
    add_input(sysfs, 4, '3Dconnexion CadMouse', rel='143')
    add_input(sysfs, 12, '3Dconnexion SpaceMouse Compact', abs_='3f')
    add_input(sysfs, 7, '3Dconnexion SpaceNavigator', rel='3f')
    (sysfs / 'event9').mkdir()  # vanished while looked at: skipped
    opened = []

    def open_device(path, name):
        opened.append((path, name))
        return 'device'

    assert find_spacemouse(config, sysfs, tmp_path / 'dev', open_device) == 'device'
    assert opened == [(tmp_path / 'dev' / 'event7', '3Dconnexion SpaceNavigator')]


def test_find_without_a_spacemouse_or_without_sysfs(config, tmp_path):
    sysfs = tmp_path / 'sys'
    add_input(sysfs, 3, 'Microsoft X-Box 360 pad', abs_='3003f')
    assert find_spacemouse(config, sysfs, tmp_path, lambda *_: pytest.fail('opened')) is None
    assert find_spacemouse(config, tmp_path / 'nowhere', tmp_path) is None


def test_grab_check():
    calls = []

    def free(descriptor, request, value):
        calls.append((descriptor, request, value))

    def busy(descriptor, request, value):
        raise OSError(errno.EBUSY, 'Device or resource busy')

    def not_evdev(descriptor, request, value):
        raise OSError(errno.ENOTTY, 'Inappropriate ioctl for device')

    # Our own grab succeeds: nobody else holds one, and ours is released at once.
    assert grabbed_by_another_program(5, free) is False
    assert calls == [(5, EVIOCGRAB, 1), (5, EVIOCGRAB, 0)]
    assert grabbed_by_another_program(5, busy) is True
    assert grabbed_by_another_program(5, not_evdev) is None


def test_the_connection_line_warns_about_a_grab(mapping):
    reader = SpaceMouseReader.for_mapping(mapping)

    class Device:
        name, path, grabbed_elsewhere = '3Dconnexion SpaceNavigator', '/dev/input/event7', True

    line = reader.connected_message(Device())
    assert line.startswith('SpaceMouse connected: 3Dconnexion SpaceNavigator (/dev/input/event7)')
    assert 'spacenavd' in line
    Device.grabbed_elsewhere = None
    assert 'spacenavd' not in reader.connected_message(Device())


# -- reading real bytes ----------------------------------------------------------------------

def packed(*events):
    return b''.join(INPUT_EVENT.pack(1_700_000_000, 5, *event) for event in events)


@pytest.fixture
def fifo(tmp_path):
    """Yield a FIFO standing in for /dev/input/eventN, and the writing end (this test)."""
    path = tmp_path / 'event7'
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)  # O_RDWR: opening does not wait for a reader
    yield path, writer
    try:
        os.close(writer)
    except OSError:
        pass


def test_evdev_device_reads_whole_events(fifo):
    path, writer = fifo
    # The real ioctl on a FIFO: not an event device, so whether it is grabbed is unknown.
    device = EvdevDevice.open(path, 'name')
    assert device.grabbed_elsewhere is None
    assert device.read(timeout=0.01) == []
    os.write(writer, packed((EV_REL, 1, -120), (EV_SYN, SYN_REPORT, 0)))
    assert device.read(timeout=1.0) == [EvdevEvent(EV_REL, 1, -120), sync()]
    half = packed((EV_KEY, 0x100, 1))
    os.write(writer, half[:10])
    assert device.read(timeout=1.0) == []
    os.write(writer, half[10:])
    assert device.read(timeout=1.0) == [EvdevEvent(EV_KEY, 0x100, 1)]
    os.close(writer)
    with pytest.raises(EOFError):
        device.read(timeout=1.0)
    device.close()
    device.close()
    with pytest.raises(OSError):
        device.read()


# -- the reader: no device, unplug, replug ----------------------------------------------------

def wait_for(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.005)
    return False


class Rig:
    """A SpaceMouseReader on a fake sysfs and a FIFO device node."""

    def __init__(self, config, tmp_path):
        self.sysfs, self.dev = tmp_path / 'sys', tmp_path / 'dev'
        self.sysfs.mkdir()
        self.dev.mkdir()
        self.logs = []
        self.writer = None
        # A clock that stands still: relative axes never go stale here (tested above).
        decoder = SpaceMouseEventDecoder(config, clock=lambda: 0.0)
        self.reader = SpaceMouseReader(
            decoder, find_device=lambda: find_spacemouse(config, self.sysfs, self.dev),
            log=self.logs.append, initial_backoff=0.01, max_backoff=0.05)

    def plug(self, number=7):
        node = self.dev / f'event{number}'
        os.mkfifo(node)
        self.writer = os.open(node, os.O_RDWR)
        add_input(self.sysfs, number, '3Dconnexion SpaceNavigator', rel='3f')

    def unplug(self, number=7):
        # sysfs first, as the kernel removes the device before the reader sees the end.
        for path in sorted((self.sysfs / f'event{number}').rglob('*'), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        (self.sysfs / f'event{number}').rmdir()
        os.close(self.writer)
        (self.dev / f'event{number}').unlink()

    def send(self, *events):
        os.write(self.writer, packed(*events, (EV_SYN, SYN_REPORT, 0)))

    def text(self):
        return '\n'.join(self.logs)


def test_no_device_then_plug_unplug_replug(config, tmp_path):
    rig = Rig(config, tmp_path)
    reader = rig.reader
    reader.start()
    try:
        assert wait_for(lambda: rig.logs)
        assert 'no SpaceMouse found' in rig.text() and 'keyboard' in rig.text()
        assert reader.snapshot() == SpaceMouseState() and not reader.connected

        rig.plug()
        assert wait_for(lambda: reader.connected)
        rig.send((EV_REL, 1, -FULL), (EV_KEY, 0x100, 1))
        assert wait_for(lambda: reader.snapshot() == SpaceMouseState(forward=1.0,
                                                                     pressed={'left'}))
        assert 'SpaceMouse connected: 3Dconnexion SpaceNavigator' in rig.text()

        # Unplugged while pushed forward with a button held: neutral at once, and it says so.
        rig.unplug()
        assert wait_for(lambda: not reader.connected)
        assert reader.snapshot() == SpaceMouseState()
        assert 'SpaceMouse read failed (EOFError' in rig.text() and 'the arm stops' in rig.text()
        assert wait_for(lambda: rig.text().count('no SpaceMouse found') == 2)

        rig.plug(8)
        assert wait_for(lambda: reader.generation == 2 and reader.connected)
        assert reader.snapshot() == SpaceMouseState()  # nothing carried over from before
        rig.send((EV_REL, 5, FULL))
        assert wait_for(lambda: reader.snapshot() == SpaceMouseState(yaw=-1.0))
    finally:
        reader.stop(timeout=2.0)
    assert not reader.connected and reader.snapshot() == SpaceMouseState()


def test_a_device_that_cannot_be_opened_is_retried_slowly(config, tmp_path):
    logs, waits, attempts = [], [], []

    def find_device():
        attempts.append(1)
        if len(attempts) == 3:
            reader.request_stop()
        raise PermissionError(errno.EACCES, 'Permission denied', '/dev/input/event7')

    reader = SpaceMouseReader(SpaceMouseEventDecoder(config), find_device=find_device,
                              log=logs.append, initial_backoff=0.5, max_backoff=5.0,
                              sleep=waits.append)
    reader.run()
    assert '"input" group' in logs[0] and 'cannot read the SpaceMouse' in logs[0]
    assert waits == [5.0, 5.0, 5.0]
    assert reader.snapshot() == SpaceMouseState()


@pytest.mark.parametrize('error', [OSError(errno.ENODEV, 'No such device'),
                                   RuntimeError('anything else')])
def test_any_read_error_resets_and_retries(config, error):
    logs, waits = [], []
    seen = []

    class Held:
        name, path = '3Dconnexion SpaceNavigator', '/dev/input/event7'

        def __init__(self):
            self.reads = 0
            self.closed = False

        def read(self):
            self.reads += 1
            if self.reads == 1:
                return [EvdevEvent(EV_ABS, 0, FULL), sync()]
            seen.append(reader.snapshot())
            raise error

        def close(self):
            self.closed = True

    devices = [Held(), Held()]
    found = list(devices)

    def find_device():
        if not found:
            reader.request_stop()
            return None
        return found.pop(0)

    reader = SpaceMouseReader(SpaceMouseEventDecoder(config), find_device=find_device,
                              log=logs.append, sleep=waits.append)
    reader.run()
    assert seen == [SpaceMouseState(right=1.0)] * 2  # read while connected
    assert reader.snapshot() == SpaceMouseState() and reader.generation == 2
    assert all(device.closed for device in devices)  # no descriptor left behind per replug
    assert f'SpaceMouse read failed ({type(error).__name__}' in '\n'.join(logs)
    assert waits[0] == 0.5  # a connection that read starts the backoff over


class ReaderKilled(BaseException):
    """Something no ``except Exception`` catches (as if the thread were torn down)."""


@pytest.mark.filterwarnings('ignore::pytest.PytestUnhandledThreadExceptionWarning')
def test_a_dead_reader_thread_reads_neutral(config):
    decoder = SpaceMouseEventDecoder(config, clock=lambda: 0.0)

    class Dies:
        name, path = 'SpaceMouse', '/dev/input/event7'

        def read(self):
            with_forward.set()
            raise ReaderKilled()

    with_forward = threading.Event()
    reader = SpaceMouseReader(decoder, find_device=Dies, log=lambda _: None)
    reader.start()
    assert with_forward.wait(2.0)
    reader.stop(timeout=2.0)
    # Even a decoder left holding the cap forward (as after a kill mid-update) is not streamed.
    decoder.apply(EvdevEvent(EV_ABS, 1, -FULL))
    assert decoder.state().forward == 1.0
    assert reader.snapshot() == SpaceMouseState()


def test_the_default_search_looks_in_sysfs(mapping, tmp_path, monkeypatch):
    monkeypatch.setattr(spacemouse_device, 'SYSFS_INPUT', tmp_path / 'sys')
    monkeypatch.setattr(spacemouse_device, 'DEV_INPUT', tmp_path / 'dev')
    logs = []
    reader = SpaceMouseReader.for_mapping(mapping, log=logs.append)
    reader._sleep = lambda _: reader.request_stop()
    reader.run()  # no /sys/class/input at all: no device, said once
    assert logs == [SpaceMouseReader.missing_message]
    add_input(tmp_path / 'sys', 3, '3Dconnexion SpaceNavigator', rel='3f')
    opened = []
    assert find_spacemouse(mapping.device,
                           open_device=lambda path, name: opened.append(path)) is None
    assert opened == [tmp_path / 'dev' / 'event3']
