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
The recorder's session options (recording.session_options), without ROS.

The display target check, the scene reset (home first, then the cube reset command with a new
seed, on a thread), the live view that fails without stopping the recording, and what
build_options makes: nothing for an option that is off.
"""

import sys
import threading

from ar4_description.node_startup import ConfigError
from ar4_teleop.recording import session_options as options
from ar4_teleop.recording.episode import Event
import pytest

OFF = {'play_sounds': False, 'display_data': False,
       'display_target': options.DEFAULT_DISPLAY_TARGET, 'reset_between_episodes': False,
       'reset_time_s': 0.0}


@pytest.mark.parametrize('target', ['serve', 'rerun+http://localhost:9876/proxy',
                                    'rerun+http://10.0.0.5:9876', 'rerun+https://viewer:1/proxy',
                                    'live.rrd', 'data/sessions/today.rrd'])
def test_display_targets_accepted(target):
    options.check_display_target(target, display_data=False)


@pytest.mark.parametrize('target', ['', 'screen', 'http://localhost:9876', 'rerun+http://',
                                    '.rrd', 'data/live.mp4', 'rerun+grpc://localhost'])
def test_display_targets_refused_with_what_is_accepted(target):
    with pytest.raises(ConfigError, match="display_target must be 'serve', a rerun"):
        options.check_display_target(target, display_data=False)


def test_an_rrd_file_needs_its_folder_when_the_view_is_on(tmp_path):
    missing = str(tmp_path / 'nowhere' / 'live.rrd')
    options.check_display_target(missing, display_data=False)  # off: only the form counts
    with pytest.raises(ConfigError, match='does not exist'):
        options.check_display_target(missing, display_data=True)
    options.check_display_target(str(tmp_path / 'live.rrd'), display_data=True)
    options.check_options({**OFF, 'display_target': str(tmp_path / 'live.rrd')})
    with pytest.raises(ConfigError, match='display_target'):
        options.check_options({**OFF, 'display_target': 'window'})


class Homing:
    """The teleop's homing flag as the recorder sees it: true for some polls after home()."""

    def __init__(self, polls_homing=3, starts=True):
        self.polls_homing, self.starts = polls_homing, starts
        self.calls, self.asked = [], 0

    def home(self):
        self.calls.append('home')

    def __call__(self):
        self.asked += 1
        return self.starts and 'home' in self.calls and self.asked <= self.polls_homing


class Clock:
    """A clock that advances only when slept on."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _reset(homing, clock=None, results=(None,), seeds=(11, 12, 13)):
    clock = clock or Clock()
    done, logged = [], []
    answers, seed_values = iter(results), iter(seeds)

    def reset_cubes(seed):
        homing.calls.append(('cubes', seed, clock.now))
        done.append(seed)
        return next(answers)

    reset = options.SceneReset(homing.home, homing, logged.append, reset_cubes,
                               seeds=lambda: next(seed_values), clock=clock, sleep=clock.sleep)
    return reset, logged, clock


def test_the_reset_homes_first_and_resets_the_cubes_once_home_with_a_new_seed_each_time():
    homing = Homing(polls_homing=4)
    reset, logged, clock = _reset(homing, results=(None, None))
    reset()
    reset.join(5)
    assert homing.calls[0] == 'home' and homing.calls[1][:2] == ('cubes', 11)
    assert homing.asked > 4  # it waited for the homing flag to go true and back to false
    homing.asked = 0
    reset()
    reset.join(5)
    assert [call[1] for call in homing.calls if call != 'home'] == [11, 12]
    assert reset.seeds_used == [11, 12]
    done = '[recorder] scene reset: the arm is home and the cubes are back'
    assert logged == ['[recorder] resetting the cubes with seed 11', done,
                      '[recorder] resetting the cubes with seed 12', done]


def test_without_a_homing_teleop_the_cubes_are_reset_after_a_short_wait():
    homing = Homing(starts=False)
    reset, logged, clock = _reset(homing)
    reset()
    reset.join(5)
    cubes = homing.calls[1]
    assert cubes[0] == 'cubes' and cubes[2] == pytest.approx(options.HOMING_START_S, abs=0.1)


def test_a_homing_that_never_ends_still_resets_the_cubes_and_says_so():
    homing = Homing(polls_homing=10 ** 9)
    reset, logged, clock = _reset(homing)
    reset()
    reset.join(5)
    assert homing.calls[1][0] == 'cubes'
    assert any('still homing' in line for line in logged)


def test_a_failed_cube_reset_is_logged_and_nothing_more():
    homing = Homing(starts=False)
    reset, logged, _ = _reset(homing, results=('exit status 1: no gz',))
    reset()
    reset.join(5)
    assert logged[-1].startswith('[recorder] resetting the cubes failed (exit status 1: no gz)')


def test_a_reset_asked_for_while_one_runs_is_skipped():
    release = threading.Event()
    logged, seeds = [], []
    reset = options.SceneReset(None, lambda: False, logged.append,
                               lambda seed: (seeds.append(seed), release.wait(5))[0] and None)
    reset()
    assert reset.busy
    built = options.SessionOptions(reset_scene=reset)
    assert 'being reset' in built.refusal(Event.ARM)
    assert built.refusal(Event.SAVE) is None and built.refusal(Event.QUIT) is None
    reset()
    release.set()
    reset.join(5)
    assert len(seeds) == 1 and any('still running' in line for line in logged)
    assert not reset.busy and built.refusal(Event.ARM) is None
    assert options.SessionOptions().refusal(Event.ARM) is None


def test_the_reset_command_gets_the_seed_and_its_failure_reason(tmp_path):
    script = tmp_path / 'reset_cubes'
    script.write_text('#!/bin/sh\necho "$@" > "$0.args"\n'
                      '[ "$2" = 7 ] || { echo "first line" >&2; echo "no sim" >&2; exit 1; }\n')
    script.chmod(0o755)
    assert options.run_reset_command(7, command=[str(script)]) is None
    assert (tmp_path / 'reset_cubes.args').read_text() == '--seed 7\n'
    assert options.run_reset_command(8, command=[str(script)]) == 'exit status 1: no sim'
    assert 'No such file' in options.run_reset_command(1, command=[str(tmp_path / 'absent')])
    assert options.RESET_COMMAND == ('ros2', 'run', 'ar4_gazebo', 'reset_cubes')


class BrokenView:
    """A live view whose connection broke after a frame."""

    def __init__(self):
        self.frames, self.closed = 0, 0

    def __call__(self, frame, episode_index, frames_in_episode):
        self.frames += 1
        if self.frames == 2:
            raise ConnectionError('viewer gone')

    def close(self):
        self.closed += 1


def test_a_failing_live_view_is_logged_once_and_closed_and_recording_goes_on():
    view, logged = BrokenView(), []
    safe = options.SafeLiveView(view, logged.append)
    for index in range(4):
        safe({}, 0, index + 1)
    assert view.frames == 2 and view.closed == 1
    assert logged == ['[recorder] live view stopped: viewer gone']
    safe.close()
    assert view.closed == 1


def test_everything_off_builds_nothing_and_imports_nothing(monkeypatch):
    for name in ('ar4_teleop.recording.announce', 'ar4_teleop.recording.live_view'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    threads = threading.active_count()
    built = options.build_options(OFF, print, home=None, homing=lambda: False)
    assert built.session_arguments() == {'announce': None, 'live_view': None,
                                         'reset_scene': None, 'reset_time_s': 0.0}
    assert 'ar4_teleop.recording.announce' not in sys.modules
    assert 'ar4_teleop.recording.live_view' not in sys.modules
    assert threading.active_count() == threads
    built.close()


def test_everything_on_builds_each_piece_and_closes_them():
    made, logged, closed = {}, [], []

    class Announcer:
        def __init__(self, log):
            made['announcer'] = self

        def say(self, text):
            pass

        def close(self):
            closed.append('announcer')

    class View(BrokenView):
        where = 'http://localhost:9090'

        def __init__(self, target):
            super().__init__()
            made['target'] = target

        def close(self):
            closed.append('view')

    values = {**OFF, 'play_sounds': True, 'display_data': True, 'display_target': ' serve ',
              'reset_between_episodes': True, 'reset_time_s': 4.0}
    built = options.build_options(values, logged.append, home=lambda: None,
                                  homing=lambda: False, make_announcer=Announcer,
                                  make_live_view=View, reset_cubes=lambda seed: None)
    arguments = built.session_arguments()
    assert arguments['announce'] == made['announcer'].say
    assert arguments['live_view'].view.__class__ is View and made['target'] == 'serve'
    assert isinstance(arguments['reset_scene'], options.SceneReset)
    assert arguments['reset_time_s'] == 4.0
    assert logged == ['[recorder] live view: http://localhost:9090']
    built.close()
    assert closed == ['view', 'announcer']


def test_a_live_view_that_cannot_start_is_a_config_error():
    def refuse(target):
        raise RuntimeError('port 9876 is taken')

    with pytest.raises(ConfigError, match=r'live view could not start \(port 9876 is taken\)'):
        options.build_options({**OFF, 'display_data': True}, print, None, lambda: False,
                              make_live_view=refuse)
