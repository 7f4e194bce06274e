#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Prepare a fresh Debian 12 / Python 3.11 machine (no ROS) to run the headless pipeline and tests.
# Idempotent: Debian packages are installed only when missing, and the virtual environment in
# .venv is rebuilt only when requirements.txt changes (pip's cache is reused either way).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${AR4_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

APT_PACKAGES=(
  ffmpeg                        # system FFmpeg libraries for torchcodec video decoding
  libosmesa6 libegl1 libgl1 libglfw3  # MuJoCo offscreen rendering (EGL / OSMesa)
  liburdfdom-tools libxml2-utils      # check_urdf, xmllint
  python3-ament-flake8 python3-ament-pep257 python3-ament-copyright python3-ament-xmllint
  python3-ament-index python3-ament-package python3-catkin-pkg python3-rosdistro
)

log() { printf '[setup] %s\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

pins="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
marker="$VENV/.requirements.sha256"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$pins" ]; then
  log "reusing $VENV (requirements unchanged)"
else
  log "building $VENV from requirements.txt (first run: several minutes, ~4 GB of wheels)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  # Debian's ament linters live in the system dist-packages; append it after the venv's own
  # site-packages so the pinned wheels always win.
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo /usr/lib/python3/dist-packages > "$site/zz_debian_dist_packages.pth"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt"
  echo "$pins" > "$marker"
fi
# The workspace packages themselves, editable, so their command-line tools (ar4-generate,
# ar4-train, ar4-eval, ...) are on the venv's PATH and always run the checked-out code.
if ! "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation \
    -e "$ROOT/ar4_description" -e "$ROOT/ar4_gazebo" -e "$ROOT/ar4_teleop" \
    -e "$ROOT/ar4_policy" -e "$ROOT/ar4_mujoco" > "$VENV/.workspace-install.log" 2>&1; then
  cat "$VENV/.workspace-install.log"
  log "installing the workspace packages failed"
  exit 1
fi
# Plain path entries as well: pip's editable finder runs after the path search, so from the
# repository root the package folders (ar4_x/ holding ar4_x/ar4_x/) would otherwise shadow the
# packages as empty namespace packages, e.g. for `python -m ar4_policy.train`.
site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$ROOT"/ar4_description "$ROOT"/ar4_gazebo "$ROOT"/ar4_teleop "$ROOT"/ar4_policy \
  "$ROOT"/ar4_mujoco > "$site/ar4_workspace.pth"
log "environment ready: $VENV"
