#!/bin/sh
# A long fuzzing run of one target (the test suite only runs each for a few
# seconds). Usage: tools/fuzz.sh TARGET [SECONDS [JOBS]]
#   TARGET   avi, mjpeg, y4m, config or jpeg (tests/fuzz/fuzz_TARGET.c)
#   SECONDS  how long (default 3600)
#   JOBS     fuzzing processes at once (default 1; the machine's other users
#            count too)
# Builds $FUZZ_BUILD_DIR (default build-fuzz: CC=clang, -Dfuzz=enabled) when
# it is missing. The working corpus, crash inputs and log stay in
# build-fuzz/fuzz-TARGET/ across runs; the run goes on after a crash and the
# end lists every input that failed. A crash is fixed in the parser and its
# input kept in tests/fuzz/regressions/TARGET/, which every build replays.
# To grow the seed corpus from a run:
#   build-fuzz/tests/fuzz/fuzz_TARGET -merge=1 tests/fuzz/corpus/TARGET build-fuzz/fuzz-TARGET/corpus
set -eu
cd "$(dirname "$0")/.."

usage() {
	sed -n '2,8s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
[ $# -ge 1 ] || usage
target=$1
seconds=${2:-3600}
jobs=${3:-1}
case $target in
avi | mjpeg | y4m | config | jpeg) ;;
*) usage ;;
esac

dir=${FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -d "$dir" ]; then
	command -v clang >/dev/null || { echo "fuzz.sh: needs clang (tools/install-deps.sh)" >&2; exit 1; }
	CC=clang meson setup "$dir" -Dfuzz=enabled -Dwerror=true
fi
ninja -C "$dir" "tests/fuzz/fuzz_$target"

work=$dir/fuzz-$target
mkdir -p "$work/corpus"
set -- "$work/corpus" "tests/fuzz/corpus/$target"
[ -d "tests/fuzz/regressions/$target" ] && set -- "$@" "tests/fuzz/regressions/$target"

# -fork: jobs run in child processes, so a crash is saved and the run goes on.
"$dir/tests/fuzz/fuzz_$target" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
	-ignore_ooms=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=16384 -artifact_prefix="$work/" "$@" 2>&1 | tee "$work/log" |
	grep --line-buffered -E '^#[0-9]+:|ERROR|invariant broken' || true

execs=$(grep -E '^#[0-9]+:' "$work/log" | tail -n 1 | sed 's/^#\([0-9]*\):.*/\1/')
echo "fuzz_$target: ${execs:-0} executions in this run"
found=0
for f in "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*; do
	[ -e "$f" ] || continue
	echo "failing input: $f"
	found=1
done
[ "$found" -eq 0 ] && echo "fuzz_$target: no failing inputs"
exit "$found"
