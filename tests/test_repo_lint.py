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

"""The ament linters over the Python outside the ROS packages (benchmarks, tests, conftest)."""

from pathlib import Path

from ament_copyright.main import main as copyright_main
from ament_flake8.main import main_with_errors as flake8_main_with_errors
from ament_pep257.main import main as pep257_main
import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = [str(p) for p in (ROOT / 'benchmarks', ROOT / 'tests', ROOT / 'conftest.py')
         if p.exists()]


@pytest.mark.copyright
@pytest.mark.linter
def test_copyright():
    assert copyright_main(argv=PATHS) == 0, 'Found errors'


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    rc, errors = flake8_main_with_errors(argv=PATHS)
    assert rc == 0, 'Found %d code style errors / warnings:\n' % len(errors) + '\n'.join(errors)


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    assert pep257_main(argv=PATHS) == 0, 'Found code style errors / warnings'
