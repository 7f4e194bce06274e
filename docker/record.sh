#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The `record` service: teleop and homing from record.launch.py in the background, the recorder
# in the foreground of this terminal, because `ros2 launch` does not pass stdin on and the
# recorder reads its keys (R/Y/B/N/H/Q) from it. The gamepad works either way.
# Settings come from the environment: TASK, HF_USERNAME, MAX_EPISODE_DURATION, JOINT_JOG,
# USE_SIM_TIME (docker-compose.yml gives the defaults).
set -eo pipefail

task="${TASK:-place the teal cube on the top shelf}"
hf_username="${HF_USERNAME:-local}"
use_sim_time="${USE_SIM_TIME:-true}"
# The recorder declares max_episode_duration as a float: "60" must reach it as 60.0.
if ! max_duration="$(python3 -c 'import sys; print(float(sys.argv[1]))' \
    "${MAX_EPISODE_DURATION:-60}" 2>/dev/null)"; then
  echo "record: MAX_EPISODE_DURATION must be a number of seconds (0 disables), got" \
    "'${MAX_EPISODE_DURATION}'" >&2
  exit 2
fi

ros2 launch ar4_teleop record.launch.py with_recorder:=false \
  "joint_jog:=${JOINT_JOG:-false}" "use_sim_time:=${use_sim_time}" &
launch_pid=$!
stop_launch() {
  kill -INT "$launch_pid" 2>/dev/null || true
  wait "$launch_pid" 2>/dev/null || true
}
trap stop_launch EXIT

ros2 run ar4_teleop recorder_node --ros-args \
  -p "task:=${task}" \
  -p "hf_username:=${hf_username}" \
  -p "max_episode_duration:=${max_duration}" \
  -p keyboard:=true \
  -p "use_sim_time:=${use_sim_time}"
