#!/bin/sh
# A short libFuzzer run for the test suite (meson test --suite fuzz).
# Usage: smoke.sh FUZZER WORKDIR SECONDS SEEDDIR...
# New inputs go to WORKDIR/corpus (emptied first), never to the seed
# directories in the source tree; a crashing input is saved in WORKDIR and
# named in the failure message, ready to go to tests/fuzz/regressions/.
set -eu
exe=$1
work=$2
seconds=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus"
# -max_len: seeds are a few kB; 16 kB holds a dozen small frames and
# crosses the fuzz build's 4 kB stream buffer several times.
if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$@" >"$work/log" 2>&1; then
	tail -n 60 "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
		[ -e "$f" ] && echo "FAILED: input saved as $f"
	done
	exit 1
fi
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
	"$work/log" || true
