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
from ar4_teleop.gamepad_device import GamepadEventDecoder, GamepadReader, KeyboardReader
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
    """Stands in for an inputs GamePad: yields event batches, then is unplugged."""

    def __init__(self, name, batches):
        self.name = name
        self._batches = list(batches)

    def read(self):
        if not self._batches:
            raise OSError(19, 'No such device')
        return self._batches.pop(0)


def test_unplug_resets_to_neutral_and_replug_reconnects(mapping):
    logs = []
    snapshots = []
    held = [event('Absolute', 'ABS_X', 32767), event('Key', 'BTN_SOUTH', 1), sync()]
    first = FakeGamepad('pad 1', [held])
    second = FakeGamepad('pad 2', [[event('Absolute', 'ABS_RX', -32768), sync()]])
    found = [first, None, None, second]
    reader = None

    def find_device():
        if reader.generation:
            snapshots.append((reader.connected, reader.snapshot()))
        if not found:
            reader.request_stop()
            return None
        return found.pop(0)

    waits = []
    reader = GamepadReader(GamepadEventDecoder(mapping.device), find_device=find_device,
                           log=logs.append, initial_backoff=0.5, max_backoff=1.5,
                           sleep=waits.append)
    reader.run()
    # After the first unplug, the state is neutral even though A and the stick were held.
    assert snapshots[0] == (False, GamepadState())
    assert reader.generation == 2
    assert not reader.connected
    assert reader.snapshot() == GamepadState()
    assert waits == [0.5, 1.0, 0.5]  # backoff doubles, then restarts after a reconnect
    text = '\n'.join(logs)
    assert 'gamepad connected: pad 1' in text
    assert 'gamepad disconnected' in text and 'the arm stops' in text
    assert 'no gamepad found' in text and 'keyboard' in text
    assert 'gamepad connected: pad 2' in text


def test_reader_snapshot_while_connected(mapping):
    gate = []

    class Pad:
        name = 'pad'

        def read(self):
            if gate:
                raise RuntimeError('unplugged')
            gate.append(1)
            return [event('Absolute', 'ABS_Y', -32768)]

    devices = [Pad()]
    reader = GamepadReader(GamepadEventDecoder(mapping.device),
                           find_device=lambda: devices.pop() if devices else None,
                           log=lambda _: None, sleep=lambda _: reader.request_stop())
    reader.start()
    reader.stop(timeout=2.0)
    assert reader.generation == 1
    assert reader.snapshot() == GamepadState()


def test_keyboard_reader_without_terminal():
    logs = []
    keyboard = KeyboardReader(stream=io.StringIO(), log=logs.append)
    assert keyboard.start() is False
    assert 'not a terminal' in logs[0]
    keyboard.push('hs')
    assert keyboard.drain() == ['h', 's']
    assert keyboard.drain() == []
    keyboard.stop()
