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
The ``gz sim`` arguments of sim.launch.py: which render engine draws the wrist camera, and how.

Pure Python, so the choice is tested without Gazebo. Facts it rests on (Harmonic sources):
- gz-rendering 8: only ogre2 has a headless mode. Ogre2RenderEngine reads the ``headless``
  parameter (``gz sim --headless-rendering``) and opens an EGL PBuffer context, which needs no X
  display and works on a GPU through /dev/dri or on Mesa's llvmpipe; ogre (ogre1)
  OgreRenderEngine::CreateContext always opens the X display in $DISPLAY and fails without it.
- gz-sim 8 ``cmdsim.rb``: ``--headless-rendering`` reaches the server (which renders the camera)
  also when the same command starts the GUI; ``--render-engine`` names the engine of both, and
  the command line wins over the world's <render_engine> and the GUI's <engine>.
"""

from typing import List

RENDER_ENGINES = ('auto', 'ogre2', 'ogre')


class GzArgumentError(ValueError):
    """A combination of launch arguments that cannot render the camera; says what to change."""


def render_engine(choice: str, gui: bool) -> str:
    """
    Return the engine for a render_engine choice: 'auto' is ogre2 without the GUI, else ogre.

    Without a display only ogre2 can render (EGL). With the GUI there is a display, and ogre
    draws on it under any OpenGL, Mesa's software rasterizer included.
    """
    if choice not in RENDER_ENGINES:
        raise GzArgumentError(
            f'render_engine must be one of {", ".join(RENDER_ENGINES)}, got {choice!r}')
    if choice == 'auto':
        return 'ogre' if gui else 'ogre2'
    return choice


def gz_sim_arguments(world: str, gui: bool, headless_rendering: bool, engine_choice: str,
                     verbosity: int = 2) -> List[str]:
    """
    Return the arguments of ``gz sim`` that run ``world`` with the chosen rendering.

    The server gets ``--headless-rendering`` when asked for and the engine is ogre2, the only
    engine that honours it. Asking for it with ogre and no GUI raises GzArgumentError: ogre would
    need an X display the user said is not there, and the camera would publish nothing.
    """
    engine = render_engine(engine_choice, gui)
    if engine == 'ogre' and headless_rendering and not gui:
        raise GzArgumentError(
            'render_engine:=ogre cannot render without an X display (gz-rendering has no '
            'headless mode for ogre): use render_engine:=ogre2 (or auto) for headless '
            'rendering, or headless_rendering:=false with an X server in $DISPLAY (e.g. Xvfb)')
    arguments = ['-r', '-v', str(int(verbosity)), '--render-engine', engine]
    if not gui:
        arguments.append('-s')
    if headless_rendering and engine == 'ogre2':
        arguments.append('--headless-rendering')
    arguments.append(str(world))
    return arguments
