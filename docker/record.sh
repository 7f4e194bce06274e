#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The `record` service: teleop from record.launch.py (which homes the arm) in the background, the
# recorder reading its keys (R/Y/B/N/H/Q) from this terminal, because `ros2 launch` does not pass
# stdin on. The gamepad or SpaceMouse (TELEOP_DEVICE) works either way.
# Settings come from the environment: TASK, HF_USERNAME, DATASET_NAME, MAX_EPISODE_DURATION,
# JOINT_JOG, TELEOP_DEVICE, USE_SIM_TIME, PLAY_SOUNDS, DISPLAY_DATA, DISPLAY_TARGET,
# RESET_BETWEEN_EPISODES, RESET_TIME_S (docker-compose.yml gives the defaults). The dataset is
# data/datasets/$HF_USERNAME/$DATASET_NAME, the folder the train service reads.
#
# Q, Ctrl-C, SIGTERM (docker compose stop) and SIGHUP (a closed terminal) all end the same way:
# the recorder finishes its pending saves and finalizes the dataset, then the launch stops the
# teleop; nothing is left running. The exit status is the recorder's (2: a bad setting).
set -eo pipefail

task="${TASK:-place the teal cube on the top shelf}"
hf_username="${HF_USERNAME:-local}"
dataset_name="${DATASET_NAME:-ar4_pick_place}"
use_sim_time="${USE_SIM_TIME:-true}"
# The recorder declares max_episode_duration as a float: "60" must reach it as 60.0.
if ! max_duration="$(python3 -c 'import sys; print(float(sys.argv[1]))' \
    "${MAX_EPISODE_DURATION:-60}" 2>/dev/null)"; then
  echo "record: MAX_EPISODE_DURATION must be a number of seconds (0 disables), got" \
    "'${MAX_EPISODE_DURATION}'" >&2
  exit 2
fi
teleop_device="${TELEOP_DEVICE:-gamepad}"
case "$teleop_device" in
  gamepad|spacemouse) ;;
  *) echo "record: TELEOP_DEVICE must be gamepad or spacemouse, got '${TELEOP_DEVICE}'" >&2
     exit 2 ;;
esac
# The recorder's session options (off by default): booleans are true or false.
play_sounds="${PLAY_SOUNDS:-false}"
display_data="${DISPLAY_DATA:-false}"
display_target="${DISPLAY_TARGET:-rerun+http://127.0.0.1:9876/proxy}"
reset_between_episodes="${RESET_BETWEEN_EPISODES:-false}"
for setting in PLAY_SOUNDS:"$play_sounds" DISPLAY_DATA:"$display_data" \
    RESET_BETWEEN_EPISODES:"$reset_between_episodes"; do
  case "${setting#*:}" in
    true|false) ;;
    *) echo "record: ${setting%%:*} must be true or false, got '${setting#*:}'" >&2
       exit 2 ;;
  esac
done
# reset_time_s is a float as well: "5" must reach it as 5.0.
if ! reset_time_s="$(python3 -c 'import sys; print(float(sys.argv[1]))' \
    "${RESET_TIME_S:-0}" 2>/dev/null)"; then
  echo "record: RESET_TIME_S must be a number of seconds (0: no timed reset phase), got" \
    "'${RESET_TIME_S}'" >&2
  exit 2
fi
# Seconds (whole) ros2 launch gets to stop its nodes after SIGINT before what is left is killed;
# launch itself sends SIGTERM after 5 s and SIGKILL 5 s later (launch/actions/execute_local.py,
# sigterm_timeout and sigkill_timeout).
launch_stop_timeout="${AR4_LAUNCH_STOP_TIMEOUT:-15}"

# --ros-args values are YAML: single-quote the strings so a task such as "stack: red on blue" or
# a user name such as 1234 stays a string.
yaml_string() { local value="${1//\'/\'\'}"; printf "'%s'" "$value"; }

# The file `ros2 run ar4_teleop recorder_node` would start, started here directly: ros2 run
# forwards no signal to the node (it only waits, counting on a terminal's Ctrl-C to reach the
# node too), and a SIGTERM kills ros2 run alone and leaves the node running (ros2cli
# ros2run/api/__init__.py, run_executable).
recorder_node="$(ros2 pkg prefix ar4_teleop)/lib/ar4_teleop/recorder_node"

launch_pid=''
recorder_pid=''

# INT, TERM, HUP: the recorder gets SIGTERM. rclpy ends the spin on it as on SIGINT and the node
# finalizes, but it raises no KeyboardInterrupt (rclpy passes a signal on only to a handler the
# process had: Python's for SIGINT, none for SIGTERM; src/rclpy/signal_handler.cpp), so a repeat
# (Ctrl-C reaches the recorder from the terminal too) cannot break off the saves.
on_signal() {
  if [ -z "$recorder_pid" ]; then
    exit $((128 + $(kill -l "$1")))
  fi
  kill -TERM "$recorder_pid" 2>/dev/null || true
}
for signal in INT TERM HUP; do
  # shellcheck disable=SC2064
  trap "on_signal $signal" "$signal"
done

# SIGINT is the signal ros2 launch handles: it stops its nodes, then exits. SIGTERM would kill it
# at once and orphan them (ros2/launch#666).
stop_launch() {
  local polls=0
  [ -n "$launch_pid" ] || return 0
  kill -INT "$launch_pid" 2>/dev/null || true
  while kill -0 "$launch_pid" 2>/dev/null && [ "$polls" -lt "$((launch_stop_timeout * 5))" ]; do
    sleep 0.2
    polls=$((polls + 1))
  done
  # The launch's session: whatever outlived it (or all of it, if it hung) goes too.
  kill -KILL -- "-$launch_pid" 2>/dev/null || true
  wait "$launch_pid" 2>/dev/null || true
  launch_pid=''
}

finish() {
  local status=$?
  if [ -n "$recorder_pid" ] && kill -0 "$recorder_pid" 2>/dev/null; then
    kill -TERM "$recorder_pid" 2>/dev/null || true
    while kill -0 "$recorder_pid" 2>/dev/null; do wait "$recorder_pid" || true; done
  fi
  stop_launch
  exit "$status"
}
trap finish EXIT

# The launch in a session of its own (setsid, without forking: this subshell leads no process
# group), so that no terminal signal reaches it and this script stops it after the recorder.
# `trap - INT`: bash starts a background command with SIGINT ignored, and a process that starts
# so never sees SIGINT, since Python then installs no handler, and launch's signal manager only
# hears signals that have one (launch/utilities/signal_management.py, set_wakeup_fd).
(
  trap - INT
  exec setsid ros2 launch ar4_teleop record.launch.py with_recorder:=false \
    "device:=${teleop_device}" "joint_jog:=${JOINT_JOG:-false}" "use_sim_time:=${use_sim_time}"
) </dev/null &
launch_pid=$!

# The recorder in the background too, since bash runs a trap only once the foreground command
# has ended; with this terminal as its stdin, and with SIGHUP ignored, so that a closed terminal
# does not kill it with saves pending (the HUP trap stops it properly instead).
trap '' HUP
"$recorder_node" --ros-args \
  -p "task:=$(yaml_string "$task")" \
  -p "hf_username:=$(yaml_string "$hf_username")" \
  -p "dataset_name:=$(yaml_string "$dataset_name")" \
  -p "max_episode_duration:=${max_duration}" \
  -p "play_sounds:=${play_sounds}" \
  -p "display_data:=${display_data}" \
  -p "display_target:=$(yaml_string "$display_target")" \
  -p "reset_between_episodes:=${reset_between_episodes}" \
  -p "reset_time_s:=${reset_time_s}" \
  -p keyboard:=true \
  -p "use_sim_time:=${use_sim_time}" <&0 &
recorder_pid=$!
trap 'on_signal HUP' HUP

# `wait` returns early whenever a trap has run: wait again until the recorder has exited.
while kill -0 "$recorder_pid" 2>/dev/null; do
  wait "$recorder_pid" || true
done
status=0
wait "$recorder_pid" || status=$?
exit "$status"
