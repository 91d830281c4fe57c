#!/usr/bin/env bash
# Build the offline app with PyInstaller from build.spec: one folder, dist/carecircle/, holding the program
# (carecircle, or carecircle.exe on Windows) and everything it reads; a bureau copies that folder whole.
# Then runs the app's own check of the bundle (carecircle --self-check) and prints the size and build time.
#   bash tools/build.sh                          # -> dist/carecircle/carecircle
#   bash tools/build.sh --dist DIR --work DIR    # elsewhere (tests/test_frozen.py builds into a temp folder)
#   bash tools/build.sh --zip                    # also dist/carecircle-<version>-<system>.zip for the USB stick
# Uses .venv (tools/setup.sh) or $PYTHON; installs the [build] extra (PyInstaller, pyinstaller-hooks-contrib)
# when missing. On Windows run the same spec from a prompt in the checkout:
#   py -3.11 -m venv .venv && .venv\Scripts\pip install -e ".[build]" && .venv\Scripts\pyinstaller --noconfirm --clean build.spec
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
dist=dist
work=build
zip=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --zip) zip=1; shift ;;
    *) echo "usage: bash tools/build.sh [--dist DIR] [--work DIR] [--zip]" >&2; exit 2 ;;
  esac
done
[ -x "$py" ] || { echo "no $py: run bash tools/setup.sh first (or set PYTHON)" >&2; exit 2; }
"$py" -c "import PyInstaller, _pyinstaller_hooks_contrib" 2>/dev/null || "$py" -m pip install -q -e ".[build]"

start=$(date +%s)
"$py" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$dist" --workpath "$work" build.spec
seconds=$(( $(date +%s) - start ))
app="$dist/carecircle/carecircle"
[ -x "$app" ] || app="$app.exe"

# the bundle checks itself: registry, profiles, sample, Leaflet, icons, font, Qt zh_CN, PROJ and GDAL data
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}; fi
"$app" --self-check >"$work/self-check.json" || { cat "$work/self-check.json"; echo "self-check failed" >&2; exit 1; }

size=$(du -sm "$dist/carecircle" | cut -f1)
echo "built $dist/carecircle in ${seconds} s: ${size} MB, $(find "$dist/carecircle" -type f | wc -l) files; self-check ok"
if [ "$zip" = 1 ]; then
  version=$("$py" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
  system=$("$py" -c "import platform; print(f'{platform.system().lower()}-{platform.machine().lower()}')")
  "$py" -c "import shutil, sys; print(shutil.make_archive(sys.argv[1], 'zip', sys.argv[2], 'carecircle'))" \
    "$dist/carecircle-$version-$system" "$dist"
fi
