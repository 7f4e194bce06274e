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

"""docker/image_check.py's CameraInfo round trip, run here with the rosbags serializer."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rosbags.typesys import get_typestore, Stores

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('image_check', ROOT / 'docker' / 'image_check.py')
image_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_check)

STORE = get_typestore(Stores.ROS2_JAZZY)
TYPE = 'sensor_msgs/msg/CameraInfo'
CLASSES = SimpleNamespace(
    CameraInfo=STORE.types[TYPE], Header=STORE.types['std_msgs/msg/Header'],
    Time=STORE.types['builtin_interfaces/msg/Time'],
    RegionOfInterest=STORE.types['sensor_msgs/msg/RegionOfInterest'])


def test_camera_info_round_trip_passes_with_a_faithful_serializer():
    image_check.camera_info_round_trip(
        CLASSES, lambda message: STORE.serialize_cdr(message, TYPE),
        lambda data: STORE.deserialize_cdr(data, TYPE), np)


def test_camera_info_round_trip_catches_a_misread_fixed_size_array():
    # A conversion that garbles a fixed-size array (the numpy C-API path) must fail the check.
    def garbling(data):
        message = STORE.deserialize_cdr(data, TYPE)
        message.p = message.p[::-1].copy()
        return message

    with pytest.raises(AssertionError, match='CameraInfo.p'):
        image_check.camera_info_round_trip(
            CLASSES, lambda message: STORE.serialize_cdr(message, TYPE), garbling, np)


def test_the_image_build_runs_it():
    source = (ROOT / 'docker' / 'image_check.py').read_text()
    main = source[source.index('def main():'):]
    assert 'camera_info_round_trip(' in main and 'serialize_message' in main
