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

"""The gz sim command line: the camera renders with or without a display."""

from ar4_gazebo.gz_sim_command import GzArgumentError, gz_sim_arguments, render_engine
import pytest

WORLD = '/ws/share/ar4_gazebo/worlds/ar4_shelf.sdf'


def test_without_gui_the_camera_renders_headless_through_ogre2():
    # The Docker test service and GUI=false: no X display, so EGL through ogre2, the only
    # engine with a headless mode.
    assert gz_sim_arguments(WORLD, gui=False, headless_rendering=True, engine_choice='auto') == [
        '-r', '-v', '2', '--render-engine', 'ogre2', '-s', '--headless-rendering', WORLD]


def test_with_gui_auto_draws_with_ogre_on_the_display():
    arguments = gz_sim_arguments(WORLD, gui=True, headless_rendering=True, engine_choice='auto')
    assert arguments == ['-r', '-v', '2', '--render-engine', 'ogre', WORLD]
    assert render_engine('auto', gui=True) == 'ogre'
    assert render_engine('auto', gui=False) == 'ogre2'


def test_ogre2_with_gui_may_still_render_the_camera_headless():
    arguments = gz_sim_arguments(WORLD, gui=True, headless_rendering=True, engine_choice='ogre2')
    assert '--headless-rendering' in arguments and '-s' not in arguments
    arguments = gz_sim_arguments(WORLD, gui=True, headless_rendering=False, engine_choice='ogre2')
    assert '--headless-rendering' not in arguments


def test_ogre_never_gets_the_headless_flag_it_ignores():
    for gui in (True, False):
        arguments = gz_sim_arguments(WORLD, gui=gui, headless_rendering=False,
                                     engine_choice='ogre')
        assert '--headless-rendering' not in arguments
        assert arguments[arguments.index('--render-engine') + 1] == 'ogre'


def test_ogre_without_a_display_is_refused_with_the_fix():
    with pytest.raises(GzArgumentError, match='render_engine:=ogre2') as error:
        gz_sim_arguments(WORLD, gui=False, headless_rendering=True, engine_choice='ogre')
    assert 'headless_rendering:=false' in str(error.value)
    with pytest.raises(GzArgumentError, match='one of auto, ogre2, ogre'):
        render_engine('vulkan', gui=True)
