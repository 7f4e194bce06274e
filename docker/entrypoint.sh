#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Container entrypoint: source ROS 2 Jazzy, this workspace and the Python venv, then run the
# command (`bash` by default). No `set -u`: the ROS setup scripts read unset variables.
set -eo pipefail

# shellcheck disable=SC1090,SC1091
source "/opt/ros/${ROS_DISTRO:-jazzy}/setup.bash"
workspace_setup="${AR4_WS:-/ws}/install/setup.bash"
if [ -f "$workspace_setup" ]; then
  # shellcheck disable=SC1090
  source "$workspace_setup"
else
  echo "ar4-entrypoint: $workspace_setup is missing: rebuild the image (docker compose build)" >&2
fi
# The venv last, so its bin/ (python3, colcon, the ros2 shim) comes first on PATH.
# shellcheck disable=SC1091
source "${AR4_VENV:-/opt/ar4-venv}/bin/activate"

exec "$@"
