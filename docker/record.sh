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

# --ros-args values are YAML: single-quote the strings so a task such as "stack: red on blue" or
# a user name such as 1234 stays a string.
yaml_string() { local value="${1//\'/\'\'}"; printf "'%s'" "$value"; }

ros2 launch ar4_teleop record.launch.py with_recorder:=false \
  "joint_jog:=${JOINT_JOG:-false}" "use_sim_time:=${use_sim_time}" &
launch_pid=$!
# On exit (Q, Ctrl-C, an error) stop the launch like Ctrl-C would, harder if it hangs.
stop_launch() {
  local signal
  for signal in INT TERM KILL; do
    kill "-$signal" "$launch_pid" 2>/dev/null || break
    for _ in $(seq 50); do
      kill -0 "$launch_pid" 2>/dev/null || break 2
      sleep 0.2
    done
  done
  wait "$launch_pid" 2>/dev/null || true
}
trap stop_launch EXIT

ros2 run ar4_teleop recorder_node --ros-args \
  -p "task:=$(yaml_string "$task")" \
  -p "hf_username:=$(yaml_string "$hf_username")" \
  -p "max_episode_duration:=${max_duration}" \
  -p keyboard:=true \
  -p "use_sim_time:=${use_sim_time}"
