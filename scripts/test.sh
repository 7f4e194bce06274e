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

mkdir -p log
run_logged() {  # run quietly; on failure show what it printed
  local name="$1"; shift
  if ! "$@" >"log/$name.txt" 2>&1; then
    tail -n 60 "log/$name.txt"; echo "[test] $name failed (full output: log/$name.txt)"; exit 1
  fi
}
COLCON=(colcon --log-base log)
PATHS=(--base-paths ar4_description ar4_gazebo ar4_teleop ar4_policy ar4_mujoco
       --build-base build --install-base install)
echo '[test] colcon build'
run_logged colcon-build "${COLCON[@]}" build "${PATHS[@]}"
echo '[test] colcon test (ament linters of every package)'
run_logged colcon-test "${COLCON[@]}" test "${PATHS[@]}" --pytest-args -m linter
run_logged colcon-test-result "${COLCON[@]}" test-result --test-result-base build --verbose
echo '[test] pytest (the whole suite: unit, integration and linter tests)'
exec python -m pytest "$@"
