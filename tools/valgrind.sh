#!/bin/sh
# Leak check: turnstile under valgrind's memcheck on the bundled samples, in
# the ways a run ends: the four samples from the config to the end, with a
# state directory and an event log; one Y4M read from standard input; a
# replay stopped by SIGINT halfway; a camera whose file is missing next to
# one that counts. Not part of the test suite (valgrind makes a run 30-50
# times slower); ASan's leak checker covers the suite itself.
#
# Usage: tools/valgrind.sh
# Uses $TURNSTILE when set, else build/turnstile (built when missing). Exit
# status 0 when no run has a memory error or a definite, indirect or possible
# leak; the logs are kept in a temporary directory named at the end.
set -eu
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind.sh: needs valgrind (tools/install-deps.sh)" >&2; exit 2; }
if [ -z "${TURNSTILE:-}" ]; then
	[ -d build ] || meson setup build >/dev/null
	ninja -C build turnstile >/dev/null
fi
turnstile=${TURNSTILE:-build/turnstile}
work=$(mktemp -d "${TMPDIR:-/tmp}/turnstile-valgrind-XXXXXX")

# Still-reachable blocks are what libraries keep for the process's life
# (libv4l2's plugin list, ncurses' terminfo); anything lost is an error.
vg() {
	name=$1
	shift
	valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--track-fds=no --log-file="$work/$name.log" "$turnstile" "$@"
}

failed=0
check() {
	name=$1
	want=$2
	status=$3
	summary=$(grep -E 'ERROR SUMMARY|in use at exit|definitely lost|indirectly lost|possibly lost' "$work/$name.log" |
		sed 's/^==[0-9]*== *//' | tr '\n' ';')
	if [ "$status" -ne "$want" ]; then
		echo "valgrind.sh: $name: exit $status (wanted $want): $summary"
		failed=1
	else
		echo "valgrind.sh: $name: clean: $summary"
	fi
}

status=0
vg samples --no-tui --json --state "$work/state" --events "$work/events.jsonl" \
	-c samples/samples.ini >"$work/samples.json" 2>"$work/samples.err" || status=$?
check samples 0 "$status"

status=0
vg stdin --no-tui --json - <samples/lobby.y4m >"$work/stdin.json" 2>"$work/stdin.err" || status=$?
check stdin 0 "$status"

status=0
vg sigint --no-tui --json --realtime samples/door.avi samples/lobby.mjpeg \
	>"$work/sigint.json" 2>"$work/sigint.err" &
pid=$!
sleep 8
kill -INT "$pid"
wait "$pid" || status=$?
check sigint 0 "$status"

# A missing file is an error (exit 1) that must not leak either.
status=0
vg missing --no-tui --json "$work/no-such-file.avi" samples/lobby.avi \
	>"$work/missing.json" 2>"$work/missing.err" || status=$?
check missing 1 "$status"

echo "valgrind.sh: logs in $work"
exit "$failed"
