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
The episode state machine, the keyboard decoder and the status line (pure).

States: idle -> recording (arm) -> idle after save or discard; recording -> paused when the
maximum episode duration is reached, waiting for save or discard; any state -> finished on quit
(the take in progress is discarded). While a take is open (recording or paused) it may be marked
a success or a failure (the mark is saved with it), and re-record discards it and arms a new
one at once (the left arrow of ``lerobot-record``). Homing is allowed only when idle, and no
take is armed while the arm is being homed. Each transition names the actions the caller must
perform, in order.
"""

from dataclasses import dataclass
import enum
from typing import Optional, Tuple


class State(enum.Enum):
    """Where the recorder is."""

    IDLE = 'idle'
    RECORDING = 'recording'
    PAUSED = 'paused'
    FINISHED = 'finished'


class Event(enum.Enum):
    """What can happen to the recorder."""

    ARM = 'arm'
    SAVE = 'save'
    DISCARD = 'discard'
    HOME = 'home'
    LIMIT = 'limit'
    QUIT = 'quit'
    RERECORD = 'rerecord'
    SUCCESS = 'success'
    FAILURE = 'failure'


class Action(enum.Enum):
    """What the caller must do for a transition."""

    START = 'start'
    SAVE = 'save'
    DISCARD = 'discard'
    HOME = 'home'
    PAUSE = 'pause'
    FINALIZE = 'finalize'
    MARK_SUCCESS = 'mark_success'
    MARK_FAILURE = 'mark_failure'


@dataclass(frozen=True)
class Transition:
    """The outcome of one event: new state, actions to run, and a message for the user."""

    source: State
    event: Event
    target: State
    actions: Tuple[Action, ...]
    message: str
    accepted: bool


_S, _E, _A = State, Event, Action
# (state, event) -> (target, actions, message); anything absent is refused.
_TABLE = {
    (_S.IDLE, _E.ARM): (_S.RECORDING, (_A.START,), 'recording'),
    (_S.IDLE, _E.HOME): (_S.IDLE, (_A.HOME,), 'homing the arm'),
    (_S.IDLE, _E.QUIT): (_S.FINISHED, (_A.FINALIZE,), 'finalizing and exiting'),
    (_S.RECORDING, _E.SAVE): (_S.IDLE, (_A.SAVE,), 'saving the episode'),
    (_S.RECORDING, _E.DISCARD): (_S.IDLE, (_A.DISCARD,), 'episode discarded'),
    (_S.RECORDING, _E.LIMIT): (
        _S.PAUSED, (_A.PAUSE,), 'maximum episode duration reached: Y saves, B or N discards'),
    (_S.RECORDING, _E.QUIT): (
        _S.FINISHED, (_A.DISCARD, _A.FINALIZE), 'take in progress discarded; finalizing'),
    (_S.PAUSED, _E.SAVE): (_S.IDLE, (_A.SAVE,), 'saving the episode'),
    (_S.PAUSED, _E.DISCARD): (_S.IDLE, (_A.DISCARD,), 'episode discarded'),
    (_S.PAUSED, _E.QUIT): (
        _S.FINISHED, (_A.DISCARD, _A.FINALIZE), 'take in progress discarded; finalizing'),
}
for _open in (_S.RECORDING, _S.PAUSED):
    _TABLE[(_open, _E.RERECORD)] = (_S.RECORDING, (_A.DISCARD, _A.START),
                                    're-recording: take discarded, a new one is recording')
    _TABLE[(_open, _E.SUCCESS)] = (_open, (_A.MARK_SUCCESS,), 'take marked as a success')
    _TABLE[(_open, _E.FAILURE)] = (_open, (_A.MARK_FAILURE,), 'take marked as a failure')

_REFUSALS = {
    (_S.IDLE, _E.SAVE): 'nothing to save: press R to start an episode',
    (_S.IDLE, _E.DISCARD): 'nothing to discard',
    (_S.IDLE, _E.LIMIT): 'not recording',
    (_S.IDLE, _E.RERECORD): 'nothing to re-record: press R to start an episode',
    (_S.IDLE, _E.SUCCESS): 'no take open: mark it (S/F) while recording or paused, before saving',
    (_S.IDLE, _E.FAILURE): 'no take open: mark it (S/F) while recording or paused, before saving',
    (_S.RECORDING, _E.ARM): 'already recording',
    (_S.RECORDING, _E.HOME): 'not while recording: save (Y) or discard (B/N) first',
    (_S.PAUSED, _E.ARM): 'paused at the duration limit: save (Y) or discard (B/N) first',
    (_S.PAUSED, _E.HOME): 'not while an episode is open: save (Y) or discard (B/N) first',
    (_S.PAUSED, _E.LIMIT): 'already paused',
}


class EpisodeStateMachine:
    """The recorder's episode states and their transitions."""

    def __init__(self, max_duration_s: float = 60.0):
        if max_duration_s < 0:
            raise ValueError('maximum episode duration must be >= 0 (0 disables the limit)')
        self.state = State.IDLE
        self.max_duration_s = float(max_duration_s)
        #: True while the teleop node homes the arm: a take armed then would record the homing
        #: trajectory, which is no demonstration.
        self.homing = False

    def handle(self, event: Event) -> Transition:
        """Apply an event and return the transition (refused events leave the state as is)."""
        source = self.state
        if source is State.FINISHED:
            return Transition(source, event, source, (), 'recorder finished', False)
        if event is Event.ARM and source is State.IDLE and self.homing:
            return Transition(source, event, source, (), 'the arm is being homed: arm the take '
                              'when homing is done', False)
        entry = _TABLE.get((source, event))
        if entry is None:
            message = _REFUSALS.get((source, event), f'{event.value} ignored while {source.value}')
            return Transition(source, event, source, (), message, False)
        target, actions, message = entry
        self.state = target
        return Transition(source, event, target, actions, message, True)

    def limit_reached(self, seconds: float) -> bool:
        """Return True when a recording of ``seconds`` hits the limit (0 disables it)."""
        return (self.state is State.RECORDING and self.max_duration_s > 0
                and seconds >= self.max_duration_s - 1e-9)

    @property
    def recording(self) -> bool:
        """Return True when frames should be recorded."""
        return self.state is State.RECORDING

    @property
    def homing_allowed(self) -> bool:
        """Return True when the arm may be sent home."""
        return self.state is State.IDLE


KEY_EVENTS = {
    'r': Event.ARM,
    'y': Event.SAVE,
    'b': Event.DISCARD,
    'n': Event.DISCARD,
    'h': Event.HOME,
    'q': Event.QUIT,
    'a': Event.RERECORD,
    's': Event.SUCCESS,
    'f': Event.FAILURE,
    '\x03': Event.QUIT,  # Ctrl-C when the terminal is in raw mode
    '\x04': Event.QUIT,  # Ctrl-D
}

CONTROL_EVENTS = {'save': Event.SAVE, 'discard': Event.DISCARD, 'home': Event.HOME,
                  'arm': Event.ARM, 'record': Event.ARM, 'rerecord': Event.RERECORD,
                  'success': Event.SUCCESS, 'failure': Event.FAILURE}
#: The escape sequence of the left arrow key: re-record, as in lerobot-record.
LEFT_ARROW = '\x1b[D'

CONTROL_MAP = '\n'.join([
    'Recorder controls (this terminal):',
    '  R        arm: start recording an episode',
    '  Y        save the episode',
    '  B or N   discard the episode',
    '  H        move the arm home (only when not recording)',
    '  S / F    mark the open take a success / a failure (saved with it)',
    '  A or <-  re-record: discard the take in progress and record a new one at once',
    '  Q/Ctrl-C discard the take in progress, finalize the dataset and exit',
    'Gamepad: X arms, Y saves, B discards, Start homes, left / right stick click marks a '
    'success / a failure (through the teleop node).',
])


def key_event(key: str) -> Optional[Event]:
    """Return the event for one key press (case-insensitive), or None for other keys."""
    return KEY_EVENTS.get(key.lower()) if len(key) == 1 else None


def decode_keys(data: bytes) -> Tuple[Event, ...]:
    """Decode bytes read from a raw terminal into events, skipping escape sequences."""
    events = []
    text = data.decode('utf-8', errors='ignore')
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith(LEFT_ARROW, i):
            events.append(Event.RERECORD)
            i += len(LEFT_ARROW)
            continue
        if char == '\x1b':  # arrow keys and the like: ESC [ ... letter
            i += 1
            if i < len(text) and text[i] in '[O':
                i += 1
                while i < len(text) and not text[i].isalpha() and text[i] != '~':
                    i += 1
            i += 1
            continue
        event = key_event(char)
        if event is not None:
            events.append(event)
        i += 1
    return tuple(events)


def control_event(text: str) -> Optional[Event]:
    """Return the event for an /episode_control request (save, discard, home), or None."""
    return CONTROL_EVENTS.get(text.strip().lower())


def status_line(state: State, episode_index: int, frames: int, fps: int,
                pending_saves: int = 0, mark: str = '') -> str:
    """Return the one-line status, e.g. ``Recording episode 3 | 45 frames | 1.5s``."""
    seconds = frames / fps
    if state is State.RECORDING:
        text = f'Recording episode {episode_index} | {frames} frames | {seconds:.1f}s'
    elif state is State.PAUSED:
        text = (f'Paused episode {episode_index} at the limit | {frames} frames | '
                f'{seconds:.1f}s | Y save, B/N discard')
    elif state is State.FINISHED:
        text = 'Finished'
    else:
        text = f'Idle | next episode {episode_index} | R to record, H to home'
    if mark and state in (State.RECORDING, State.PAUSED):
        text += f' | marked {mark}'
    if pending_saves:
        text += f' | saving {pending_saves} in background'
    return text


def episode_summary(verb: str, episode_index: int, frames: int, fps: int,
                    quality_summary: str) -> str:
    """Return the short per-episode summary printed after save or discard."""
    return (f'Episode {episode_index} {verb}: {frames} frames, {frames / fps:.1f}s, '
            f'{quality_summary}')
