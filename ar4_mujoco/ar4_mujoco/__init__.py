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

"""Headless MuJoCo twin of the AR4 and its shelf world, with a scripted expert."""

import os

# The twin renders offscreen. MuJoCo picks its OpenGL backend when it is first imported, so the
# default must be set before any module of this package imports mujoco: EGL uses the GPU when
# there is one and Mesa on a CPU. A user's MUJOCO_GL (e.g. osmesa) wins.
os.environ.setdefault('MUJOCO_GL', 'egl')
