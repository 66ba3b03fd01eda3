#!/bin/sh
# The README's second command (and CI's): install what is needed, then build
# and run every test suite three times: plain with warnings as errors, under
# ASan+UBSan, and under TSan; then a short run of each fuzz target (clang).
# Any sanitizer report fails the run.
set -eu
cd "$(dirname "$0")/.."
./tools/install-deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# Many tests mostly wait (real-time replays, servers started and stopped,
# signals and their deadlines: a few CPU seconds in 10-30 s), so twice as
# many tests at once as there are cores keeps the cores busy. Tests that
# must run alone say so in meson (is_parallel: false).
jobs=$(( $(nproc) * 2 ))

run_suite() {
	dir=$1
	shift
	[ -d "$dir" ] || meson setup "$dir" -Dwerror=true "$@"
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes "$jobs"
}

run_suite build-test
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
run_suite build-tsan -Db_sanitize=thread -Db_lundef=false

# Fuzz smoke runs (tests/fuzz/): each target for 20 s under libFuzzer with
# ASan+UBSan, in a clang build of its own (also warning-free under clang).
# The suites above already replay the seed corpus and every saved crash input.
fuzz=""
if command -v clang >/dev/null 2>&1; then
	[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dwerror=true -Dfuzz=enabled
	ninja -C build-fuzz
	meson test -C build-fuzz --suite fuzz --print-errorlogs
	fuzz=", fuzz smoke"
else
	echo "fuzz smoke runs skipped: clang is not installed (tools/install-deps.sh installs it)"
fi
echo "all suites passed: plain, address+undefined, thread$fuzz"
