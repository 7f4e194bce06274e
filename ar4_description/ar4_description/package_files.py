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
Find a package's data file (config, urdf, worlds) from the source tree or an installed share.

One search for every package's loaders, so the project runs the same from a checkout (tests,
the MuJoCo twin, CLIs) and from a colcon install.
"""

import os
from pathlib import Path
from typing import Optional, Union


def find_package_file(package: str, relative: Union[str, Path], module_file: Union[str, Path],
                      env_var: Optional[str] = None) -> Path:
    """
    Return the path of ``relative`` (e.g. ``config/x.yaml``) inside ``package``'s files.

    ``module_file`` is the ``__file__`` of a module directly in the package's Python folder.
    Looked up in order: ``$env_var`` when set (returned as given, even if missing, so the
    loader's error names it), the source tree, the install prefix's ``share/<package>`` and the
    ament index. When none has the file, the source-tree path is returned for the error message.
    """
    override = os.environ.get(env_var) if env_var else None
    if override:
        return Path(override)
    here = Path(module_file).resolve()
    candidates = [here.parents[1] / relative]
    # An installed module lives in <prefix>/lib/pythonX.Y/site-packages/<package>/.
    if len(here.parents) > 4:
        candidates.append(here.parents[4] / 'share' / package / relative)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    try:
        from ament_index_python.packages import get_package_share_directory
        return Path(get_package_share_directory(package)) / relative
    except Exception:  # noqa: B902 - ament_index is optional; report the source-tree path
        return candidates[0]
