#!/bin/sh
# The README's first command: install what is needed, build, and count the
# bundled samples as several cameras at once.
set -eu
cd "$(dirname "$0")/.."
./tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
./build/turnstile --no-tui -c samples/samples.ini --events build/samples-events.jsonl
echo "events: build/samples-events.jsonl"
