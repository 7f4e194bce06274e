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

"""Decoding synthetic ``inputs`` events, and the reader's unplug / replug behaviour."""

import io

from ar4_teleop.gamepad import GamepadState, load_mapping, TeleopMapper
from ar4_teleop.gamepad_device import (
    first_gamepad, GamepadEventDecoder, GamepadReader, GamepadUnavailable, KeyboardReader)
import inputs
import pytest


def event(ev_type, code, state):
    """Build a real inputs.InputEvent, as the library yields them."""
    return inputs.InputEvent(None, {'timestamp': 0.0, 'code': code, 'state': state,
                                    'ev_type': ev_type})


def sync():
    return event('Sync', 'SYN_REPORT', 0)


@pytest.fixture(scope='module')
def mapping():
    return load_mapping()


@pytest.fixture
def decoder(mapping):
    return GamepadEventDecoder(mapping.device)


def test_starts_neutral(decoder):
    assert decoder.state() == GamepadState()


@pytest.mark.parametrize('code, raw, control, value', [
    ('ABS_X', 32767, 'left_x', 1.0),
    ('ABS_X', -32768, 'left_x', -1.0),
    ('ABS_X', 0, 'left_x', 0.0),
    ('ABS_X', 16384, 'left_x', 16384 / 32767),
    # evdev reports stick up as negative Y; the state has + = up.
    ('ABS_Y', -32768, 'left_y', 1.0),
    ('ABS_Y', 32767, 'left_y', -1.0),
    ('ABS_RX', -16384, 'right_x', -0.5),
    ('ABS_RY', -32768, 'right_y', 1.0),
    ('ABS_HAT0X', 1, 'dpad_x', 1.0),
    ('ABS_HAT0Y', -1, 'dpad_y', 1.0),
])
def test_axes_normalised(decoder, code, raw, control, value):
    assert decoder.apply(event('Absolute', code, raw)) is (value != 0.0)
    assert getattr(decoder.state(), control) == pytest.approx(value)


def test_triggers_8_bit_and_10_bit(mapping):
    eight = GamepadEventDecoder(mapping.device)
    eight.apply(event('Absolute', 'ABS_Z', 255))
    eight.apply(event('Absolute', 'ABS_RZ', 128))
    assert eight.state().left_trigger == 1.0
    assert eight.state().right_trigger == pytest.approx(128 / 255)
    ten = GamepadEventDecoder(mapping.device)
    ten.apply(event('Absolute', 'ABS_RZ', 1023))
    assert ten.state().right_trigger == 1.0
    # Once a 10-bit value has been seen, the range stays 0..1023.
    ten.apply(event('Absolute', 'ABS_RZ', 255))
    assert ten.state().right_trigger == pytest.approx(255 / 1023)


@pytest.mark.parametrize('code, button', [
    ('BTN_SOUTH', 'a'), ('BTN_EAST', 'b'), ('BTN_NORTH', 'x'), ('BTN_WEST', 'y'),
    ('BTN_TL', 'left_bumper'), ('BTN_TR', 'right_bumper'), ('BTN_START', 'start'),
    ('BTN_SELECT', 'back'), ('BTN_MODE', 'guide'),
])
def test_buttons_press_and_release(decoder, code, button):
    assert decoder.apply(event('Key', code, 1))
    assert decoder.state().pressed == {button}
    assert not decoder.apply(event('Key', code, 2))  # auto-repeat: still pressed
    assert decoder.apply(event('Key', code, 0))
    assert decoder.state().pressed == frozenset()


def test_sync_and_unknown_codes_are_ignored(decoder):
    assert not decoder.apply(sync())
    assert not decoder.apply(event('Absolute', 'ABS_THROTTLE', 100))
    assert not decoder.apply(event('Key', 'KEY_A', 1))
    assert decoder.state() == GamepadState()
    assert decoder.ignored_codes == {'ABS_THROTTLE', 'KEY_A'}


def test_events_drive_the_mapper(mapping, decoder):
    mapper = TeleopMapper(mapping)
    for item in (event('Absolute', 'ABS_Y', -32768), event('Key', 'BTN_WEST', 1), sync()):
        decoder.apply(item)
    tick = mapper.update(decoder.state())
    assert tick.events == ('save',)
    assert tick.command.linear[1] < 0.0  # forward is -y of base_link


class FakeGamepad:
    """Stands in for an inputs GamePad: yields event batches, then raises (unplugged)."""

    def __init__(self, name, batches, error=None):
        self.name = name
        self._batches = list(batches)
        self._error = error if error is not None else OSError(19, 'No such device')

    def read(self):
        if not self._batches:
            raise self._error
        return self._batches.pop(0)


HELD = (event('Absolute', 'ABS_X', 32767), event('Key', 'BTN_SOUTH', 1), sync())


def run_reader(mapping, found, snapshots=None):
    """
    Run a reader on this thread over the devices in ``found``; return (reader, logs, waits).

    ``found`` items are devices, None (nothing plugged in) or exceptions (the search raises).
    The search records (connected, snapshot) each time it runs after a first connection, and
    stops the reader when ``found`` runs out.
    """
    logs, waits = [], []
    found = list(found)
    reader = None

    def find_device():
        if snapshots is not None and reader.generation:
            snapshots.append((reader.connected, reader.snapshot()))
        if not found:
            reader.request_stop()
            return None
        item = found.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    reader = GamepadReader(GamepadEventDecoder(mapping.device), find_device=find_device,
                           log=logs.append, initial_backoff=0.5, max_backoff=1.5,
                           sleep=waits.append)
    reader.run()
    return reader, '\n'.join(logs), waits


def test_unplug_resets_to_neutral_and_replug_reconnects(mapping):
    snapshots = []
    first = FakeGamepad('pad 1', [list(HELD)])
    second = FakeGamepad('pad 2', [[event('Absolute', 'ABS_RX', -32768), sync()]])
    reader, text, waits = run_reader(mapping, [first, None, None, second], snapshots)
    # After the first unplug, the state is neutral even though A and the stick were held.
    assert snapshots[0] == (False, GamepadState())
    assert reader.generation == 2
    assert not reader.connected
    assert reader.snapshot() == GamepadState()
    # The backoff doubles up to the maximum, and starts over after a connection that read.
    assert waits == [0.5, 1.0, 1.5, 0.5, 1.0]
    assert 'gamepad connected: pad 1' in text
    assert 'gamepad read failed (OSError' in text and 'the arm stops' in text
    assert 'no gamepad found' in text and 'keyboard' in text
    assert 'gamepad connected: pad 2' in text


def inputs_error(name):
    """Build one of inputs' own read() errors (IndexError subclasses in inputs 0.5)."""
    error_class = getattr(inputs, name)
    assert issubclass(error_class, IndexError)
    return error_class("We don't know this event.", 'Key', 0x2c0)


@pytest.mark.parametrize('name', ['UnknownEventCode', 'UnknownEventType'])
def test_an_unknown_event_does_not_latch_the_stick(mapping, name):
    snapshots = []
    pad = FakeGamepad('pad', [list(HELD)], error=inputs_error(name))
    again = FakeGamepad('pad', [[sync()]])
    reader, text, waits = run_reader(mapping, [pad, again], snapshots)
    assert snapshots[0] == (False, GamepadState())  # the held stick and A were dropped
    assert reader.generation == 2  # the reader lived on and read the pad again
    assert f'gamepad read failed ({name}' in text and 'the arm stops' in text
    assert waits[0] == 0.5


@pytest.mark.parametrize('error', [
    RuntimeError('unplugged'),  # inputs.UnpluggedError is a RuntimeError
    ValueError('anything else'),
    PermissionError(13, 'Permission denied'),
])
def test_any_read_error_resets_and_retries(mapping, error):
    snapshots = []
    pad = FakeGamepad('pad', [list(HELD)], error=error)
    reader, text, waits = run_reader(mapping, [pad, FakeGamepad('pad', [])], snapshots)
    assert snapshots[0] == (False, GamepadState())
    assert reader.generation == 2
    if isinstance(error, PermissionError):
        assert '"input" group' in text and waits[0] == 1.5  # retried slowly
    else:
        assert type(error).__name__ in text and waits[0] == 0.5


def test_a_failing_search_is_logged_and_retried(mapping):
    # inputs scans /dev/input in DeviceManager() and at import; a scan can raise anything.
    reader, text, waits = run_reader(
        mapping, [OSError(5, 'Input/output error'), inputs_error('UnknownEventType'),
                  FakeGamepad('pad', [[sync()]])])
    assert reader.generation == 1
    assert 'could not search for a gamepad (OSError' in text
    assert 'UnknownEventType' in text
    assert waits[:2] == [0.5, 1.0]


def test_a_missing_library_disables_the_gamepad_once(mapping):
    logs = []

    def find_device():
        raise GamepadUnavailable('the inputs library is not installed')

    reader = GamepadReader(GamepadEventDecoder(mapping.device), find_device=find_device,
                           log=logs.append, sleep=lambda _: None)
    reader.run()  # returns instead of searching for ever
    assert logs == ['the inputs library is not installed']
    assert reader.snapshot() == GamepadState()


class ReaderKilled(BaseException):
    """Something no ``except Exception`` catches (as if the thread were torn down)."""


class HeldThenKilled:
    name = 'pad'

    def __init__(self):
        self.reads = 0

    def read(self):
        self.reads += 1
        if self.reads == 1:
            return list(HELD)
        raise ReaderKilled()


def test_a_reader_that_dies_reads_neutral(mapping):
    reader = GamepadReader(GamepadEventDecoder(mapping.device), find_device=HeldThenKilled,
                           log=lambda _: None, sleep=lambda _: None)
    with pytest.raises(ReaderKilled):
        reader.run()
    assert reader.snapshot() == GamepadState()


@pytest.mark.filterwarnings('ignore::pytest.PytestUnhandledThreadExceptionWarning')
def test_a_dead_reader_thread_reads_neutral(mapping):
    decoder = GamepadEventDecoder(mapping.device)
    reader = GamepadReader(decoder, find_device=HeldThenKilled, log=lambda _: None,
                           sleep=lambda _: None)
    reader.start()
    reader.stop(timeout=2.0)
    assert not reader.connected
    # Even a decoder left holding a stick (as after a kill mid-update) is not streamed.
    decoder.apply(event('Absolute', 'ABS_X', 32767))
    assert decoder.state().left_x == 1.0
    assert reader.snapshot() == GamepadState()


def test_reader_snapshot_while_connected(mapping):
    seen = []

    class Pad:
        name = 'pad'
        reads = 0

        def read(self):
            self.reads += 1
            if self.reads > 1:
                seen.append((reader.connected, reader.snapshot()))
                raise RuntimeError('unplugged')
            return [event('Absolute', 'ABS_Y', -32768)]

    devices = [Pad()]
    reader = GamepadReader(GamepadEventDecoder(mapping.device),
                           find_device=lambda: devices.pop() if devices else None,
                           log=lambda _: None, sleep=lambda _: reader.request_stop())
    reader.start()
    reader.stop(timeout=2.0)
    assert seen == [(True, GamepadState(left_y=1.0))]
    assert reader.generation == 1
    assert reader.snapshot() == GamepadState()


def test_a_spacemouse_listed_with_the_gamepads_is_not_taken_for_one():
    class Pad:
        def __init__(self, name):
            self.name = name

    compact, pad = Pad('3Dconnexion SpaceMouse Compact'), Pad('Microsoft X-Box 360 pad')
    assert first_gamepad([compact, pad]) is pad
    assert first_gamepad([Pad('SpaceMouse Pro Wireless')]) is None
    assert first_gamepad([]) is None


def test_keyboard_reader_without_terminal():
    logs = []
    keyboard = KeyboardReader(stream=io.StringIO(), log=logs.append)
    assert keyboard.start() is False
    assert 'not a terminal' in logs[0]
    keyboard.push('hs')
    assert keyboard.drain() == ['h', 's']
    assert keyboard.drain() == []
    keyboard.stop()
