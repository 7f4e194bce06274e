#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The `test` service: the test command inside the ROS image, where the launch_testing tests can
# run too. Same steps as scripts/test.sh minus the machine setup (the image already holds the
# venv from requirements.txt and the colcon build): the ament linters through `colcon test`,
# then the whole suite with pytest. Extra arguments go to pytest (e.g. `-k launch`).
set -eo pipefail

cd "${AR4_WS:-/ws}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MUJOCO_GL="${MUJOCO_GL:-egl}"

echo '[test] colcon test (ament linters)'
colcon --log-base log test --base-paths ar4_* --pytest-args -m linter \
  --event-handlers console_direct- summary- >/dev/null
colcon --log-base log test-result --all >/dev/null \
  || { colcon --log-base log test-result --verbose; exit 1; }
echo '[test] pytest (unit, integration, linter and launch_testing tests)'
exec python -m pytest "$@"
