# syntax=docker/dockerfile:1
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The AR4 LeRobot workspace on ROS 2 Jazzy (Ubuntu 24.04, Python 3.12): Gazebo Harmonic, MoveIt,
# RViz and rqt_image_view from the desktop image, lerobot 0.4.4 (SmolVLA) from the same pinned
# requirements.txt the test command installs.
#
# Layers, slowest-changing first, so that editing our code only rebuilds the last one:
#   1. base image
#   2. system dependencies: rosdep reads the five package.xml files (nothing else is copied yet)
#   3. Python dependencies: a venv built from requirements.txt (nothing else is copied yet)
#   4. the workspace source and `colcon build`
#
#   docker compose build            # or: docker build -t ar4-lerobot:jazzy .

FROM osrf/ros:jazzy-desktop

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AR4_WS=/ws \
    AR4_VENV=/opt/ar4-venv \
    MUJOCO_GL=egl

WORKDIR /ws

# --- 2. System dependencies ----------------------------------------------------------------
# package.xml is the single source of truth for ROS and system packages: only the manifests are
# copied here, so this layer is reused until a dependency changes.
COPY ar4_description/package.xml ar4_description/package.xml
COPY ar4_gazebo/package.xml ar4_gazebo/package.xml
COPY ar4_teleop/package.xml ar4_teleop/package.xml
COPY ar4_policy/package.xml ar4_policy/package.xml
COPY ar4_mujoco/package.xml ar4_mujoco/package.xml

# The explicit apt packages are the few that no package.xml can name:
#   ffmpeg                      system FFmpeg libraries torchcodec decodes LeRobot videos with
#   libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6-dev mesa-utils
#                               MuJoCo offscreen rendering (EGL, or OSMesa as a fallback) and
#                               eglinfo/glxinfo for the software-rendering troubleshooting
#   python3-venv python3-pip python3-dev
#                               the venv below (with headers for any sdist pip has to build)
#   python3-evdev               pynput's evdev (a lerobot dependency) without compiling it
#   espeak-ng                   the recorder's spoken prompts (play_sounds) where
#                               speech-dispatcher's spd-say is absent
#   ros-jazzy-rmw-cyclonedds-cpp
#                               alternative DDS (RMW_IMPLEMENTATION=rmw_cyclonedds_cpp) when
#                               Fast DDS misbehaves between containers
RUN apt-get update \
    && rosdep update --rosdistro "${ROS_DISTRO}" \
    && rosdep install --from-paths ar4_description ar4_gazebo ar4_teleop ar4_policy ar4_mujoco \
        --ignore-src --rosdistro "${ROS_DISTRO}" -y \
    && apt-get install -y --no-install-recommends \
        ffmpeg \
        libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6-dev mesa-utils \
        python3-venv python3-pip python3-dev \
        python3-evdev \
        espeak-ng \
        ros-jazzy-rmw-cyclonedds-cpp \
    && rm -rf /var/lib/apt/lists/*

# --- 3. Python dependencies ----------------------------------------------------------------
# A venv on Jazzy's Python 3.12 that still sees the ROS and Ubuntu packages
# (--system-site-packages), so rclpy, launch and the message packages keep working while the
# pinned wheels (lerobot 0.4.4 with torch, mujoco, rosbags, pytest, colcon...) win inside it.
# numpy: lerobot 0.4.4 needs numpy 2 (through rerun-sdk), which shadows Ubuntu's 1.26 in the
# venv. The ROS message extensions use no numpy C-API table (only array fields and the buffer
# protocol), so they keep working; cv_bridge and Ubuntu's cv2 would not, and nothing here uses
# them (opencv comes from pip). docker/image_check.py proves it before the image is tagged.
COPY requirements.txt /tmp/ar4-pip/requirements.txt
COPY docker/image_check.py /usr/local/lib/ar4/image_check.py
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv --system-site-packages "${AR4_VENV}" \
    && "${AR4_VENV}/bin/python" -m pip install --upgrade pip \
    && "${AR4_VENV}/bin/python" -m pip install -r /tmp/ar4-pip/requirements.txt \
    && source "/opt/ros/${ROS_DISTRO}/setup.bash" \
    && "${AR4_VENV}/bin/python" /usr/local/lib/ar4/image_check.py

# The entrypoint sources ROS, the workspace and the venv; the ros2 shim runs the ROS CLI (and so
# every launch file) with the venv's interpreter, the one the nodes' console scripts use.
COPY docker/entrypoint.sh /usr/local/bin/ar4-entrypoint
COPY docker/ros2 ${AR4_VENV}/bin/ros2
RUN chmod 0755 /usr/local/bin/ar4-entrypoint "${AR4_VENV}/bin/ros2"

# --- 4. Workspace source and build ---------------------------------------------------------
COPY . /ws
# Built with the venv active so the console scripts' shebang is the venv's Python; copies, not
# symlinks (no --symlink-install): the image must not depend on a source tree mounted later.
RUN source "/opt/ros/${ROS_DISTRO}/setup.bash" \
    && source "${AR4_VENV}/bin/activate" \
    && colcon build --base-paths ar4_* --event-handlers console_direct- summary+ \
    && mkdir -p /ws/data

# data/ (datasets, checkpoints, logs) is the host's ./data, bind-mounted by docker-compose.yml;
# the code's default data root is data/ relative to this working directory.
WORKDIR /ws
ENTRYPOINT ["/usr/local/bin/ar4-entrypoint"]
CMD ["bash"]
