#!/usr/bin/env bash
# Set up CareCircle on Debian/Ubuntu with Python 3.11: system packages (CJK fonts, Qt's libraries, Xvfb,
# poppler) when run as root, then a virtual environment in .venv with the app installed (editable).
#   bash tools/setup.sh          # the app
#   bash tools/setup.sh --test   # the app, the test tools and PyInstaller
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--test" ] && extras="[test,build]"  # build: PyInstaller, for the frozen-app smoke test

packages="fonts-noto-cjk fonts-dejavu-core libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 xvfb poppler-utils"
# the tests also open the exported HTML map in headless Chromium (with networking disabled)
# and trace the frozen app's system calls (no connect()) with strace
if [ -n "$extras" ]; then packages="$packages chromium strace"; fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  need=""
  for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
  done
  if [ -n "$need" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $need >/dev/null
  fi
fi

py=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
# the app's own modules compiled now (pip does this for the packages it installs, not for an editable
# project): a first start, and every start where PYTHONDONTWRITEBYTECODE is set, skips compiling them (~0.06 s)
.venv/bin/python -m compileall -q gui spatial layers projects >/dev/null
