#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The test command: set up this machine (scripts/setup.sh), build the workspace with colcon, run
# the ament linters through `colcon test`, then the whole suite with pytest. Extra arguments go
# to pytest (e.g. `scripts/test.sh -k recorder`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh"
# shellcheck disable=SC1091
source "${AR4_VENV:-$ROOT/.venv}/bin/activate"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MUJOCO_GL="${MUJOCO_GL:-egl}"

echo '[test] colcon build'
colcon --log-base log build --base-paths ar4_* --build-base build --install-base install \
  --event-handlers console_direct- summary- >/dev/null
echo '[test] colcon test (ament linters)'
colcon --log-base log test --base-paths ar4_* --build-base build --install-base install \
  --pytest-args -m linter --event-handlers console_direct- summary- >/dev/null
colcon --log-base log test-result --test-result-base build --all >/dev/null \
  || { colcon --log-base log test-result --test-result-base build --verbose; exit 1; }
echo '[test] pytest (unit, integration and linter tests)'
exec python -m pytest "$@"
