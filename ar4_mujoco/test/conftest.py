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

"""Shared fixtures of the twin tests: one compiled model and one rendering twin per session."""

import os

import pytest

os.environ.setdefault('MUJOCO_GL', 'egl')


@pytest.fixture(scope='session')
def twin_model():
    """Return the twin model built from the xacro and the SDF world (compiled once)."""
    from ar4_mujoco.model import build_twin
    return build_twin()


@pytest.fixture(scope='session')
def world():
    """Return the parsed SDF world."""
    from ar4_gazebo.world import load_world
    return load_world()


@pytest.fixture(scope='session')
def headless_twin(twin_model):
    """Return a twin without rendering (physics and the expert only)."""
    from ar4_mujoco.env import AR4Twin
    env = AR4Twin(render=False, twin=twin_model)
    yield env
    env.close()


@pytest.fixture(scope='session')
def camera_twin(twin_model):
    """Return a twin that renders the wrist camera."""
    from ar4_mujoco.env import AR4Twin
    env = AR4Twin(render=True, twin=twin_model)
    yield env
    env.close()
