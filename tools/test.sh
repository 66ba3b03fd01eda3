#!/bin/sh
# The README's second command (and CI's): install what is needed, build with
# warnings as errors, run every test suite.
set -eu
cd "$(dirname "$0")/.."
./tools/install-deps.sh
[ -d build-test ] || meson setup build-test -Dwerror=true
ninja -C build-test
meson test -C build-test --print-errorlogs
