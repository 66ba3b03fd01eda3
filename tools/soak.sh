#!/bin/sh
# Memory soak: 8 cameras replaying clips in an endless loop, the turnstile
# process's RSS (and open descriptors) sampled every few seconds, then the
# series and a verdict on whether RSS stayed flat. Not part of the test suite:
# the issue asks for an hour (the default).
#
# Usage: tools/soak.sh [-f] [SECONDS [INTERVAL]]
#   SECONDS   how long to run (default 3600)
#   INTERVAL  seconds between samples (default 5)
#   -f        replay as fast as the machine goes instead of at 25 frames/s
#             per camera (more frames per hour, but both cores stay busy)
# The loop: raw MJPEG concatenates (a Y4M or AVI file does not), so each
# camera reads a FIFO that a shell loop keeps filling with one clip. The clips
# are made by scenegen. Uses $TURNSTILE and $SCENEGEN when set, else build/
# (built when missing). Exit status 0 when RSS stayed flat, 1 when it grew,
# 2 when the run itself failed (a camera stopped, frames were corrupt).
set -eu
cd "$(dirname "$0")/.."

fast=""
if [ "${1:-}" = "-f" ]; then
	fast=1
	shift
fi
seconds=${1:-3600}
interval=${2:-5}
if [ -z "${TURNSTILE:-}" ] || [ -z "${SCENEGEN:-}" ]; then
	[ -d build ] || meson setup build >/dev/null
	ninja -C build turnstile tools/scenegen >/dev/null
fi
turnstile=${TURNSTILE:-build/turnstile}
scenegen=${SCENEGEN:-build/tools/scenegen}

work=$(mktemp -d "${TMPDIR:-/tmp}/turnstile-soak-XXXXXX")
pid=""
feeders=""
cleanup() {
	status=$?
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
	fi
	for f in $feeders; do
		kill "$f" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Four clips of different sizes and rates, two cameras each.
set -- "--width 320 --height 240 --fps 15 --seconds 30 --seed 101" \
	"--width 640 --height 360 --fps 25 --seconds 30 --seed 202" \
	"--width 352 --height 288 --fps 12.5 --seconds 40 --seed 303 --line 0.5,1,0.5,0" \
	"--width 480 --height 270 --fps 20 --seconds 30 --seed 404 --noise 6"
i=0
for opts in "$@"; do
	# shellcheck disable=SC2086
	"$scenegen" --out "$work/clip$i" --formats mjpeg $opts >/dev/null 2>&1
	i=$((i + 1))
done

ini=$work/soak.ini
: >"$ini"
for k in 0 1 2 3 4 5 6 7; do
	fifo=$work/cam$k.fifo
	mkfifo "$fifo"
	# The writer dies with SIGPIPE once turnstile is gone.
	sh -c 'while cat "$1"; do :; done >"$2"' soak-feeder "$work/clip$((k % 4)).mjpeg" "$fifo" &
	feeders="$feeders $!"
	printf '[camera cam%d]\nsource=%s\n\n' "$k" "$fifo" >>"$ini"
done

if [ -n "$fast" ]; then
	"$turnstile" --json -c "$ini" >"$work/summary.json" 2>"$work/stderr" &
else
	"$turnstile" --json --realtime -c "$ini" >"$work/summary.json" 2>"$work/stderr" &
fi
pid=$!
echo "soak: pid $pid, 8 cameras, ${seconds} s, a sample every ${interval} s" \
	"($([ -n "$fast" ] && echo "as fast as possible" || echo "25 frames/s per camera"))"
echo "    time_s     rss_kB  fds"

start=$(date +%s)
: >"$work/series"
while :; do
	now=$(date +%s)
	t=$((now - start))
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "soak: turnstile exited early:"
		cat "$work/stderr"
		exit 2
	fi
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
	fds=$(ls "/proc/$pid/fd" | wc -l)
	printf '%10d %10d %4d\n' "$t" "$rss" "$fds" | tee -a "$work/series"
	[ "$t" -ge "$seconds" ] && break
	sleep "$interval"
done

kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=""
if [ "$status" -ne 0 ]; then
	echo "soak: turnstile exited $status:"
	cat "$work/stderr"
	exit 2
fi
# Frames and corrupt counts per camera: the loop must not look like damage.
python3 - "$work/summary.json" <<'EOF' || exit 2
import json, sys
s = json.load(open(sys.argv[1]))
bad = False
for c in s["cameras"]:
    print(f"soak: {c['name']}: {c['frames']} frames, {c['corrupt']} corrupt, {c['dropped']} dropped,"
          f" in {c['in']} out {c['out']}")
    bad |= c["frames"] == 0 or c["corrupt"] != 0
sys.exit(1 if bad else 0)
EOF

# Verdict: after a warm-up (the first tenth, at least 30 s), compare the
# mean RSS of the first and last thirds, and fit a slope. Flat: grown by at
# most 1 MiB or 1 %, whichever is more. Descriptors must not grow at all.
awk -v warm=30 '
{ t[n] = $1; r[n] = $2; f[n] = $3; n++ }
END {
	w = 0
	while (w < n && (t[w] < warm || w < n / 10)) w++
	if (n - w < 6) { print "soak: too few samples after the warm-up for a verdict"; exit 1 }
	m = n - w; k = int(m / 3)
	for (i = 0; i < k; i++) { a += r[w + i]; b += r[n - k + i] }
	a /= k; b /= k
	for (i = w; i < n; i++) { st += t[i]; sr += r[i] }
	st /= m; sr /= m
	for (i = w; i < n; i++) { num += (t[i] - st) * (r[i] - sr); den += (t[i] - st) ^ 2 }
	slope = den > 0 ? num / den * 3600 : 0
	min = r[w]; max = r[w]
	for (i = w; i < n; i++) { if (r[i] < min) min = r[i]; if (r[i] > max) max = r[i] }
	fdgrow = f[n - 1] - f[w]
	limit = a / 100 > 1024 ? a / 100 : 1024
	printf "soak: RSS after warm-up %d..%d kB; first third %.0f kB, last third %.0f kB" \
		" (%+.0f kB); slope %+.0f kB/hour; descriptors %d -> %d\n",
		min, max, a, b, b - a, slope, f[w], f[n - 1]
	if (b - a <= limit && fdgrow <= 0) { print "soak: verdict: FLAT"; exit 0 }
	print "soak: verdict: GROWING"
	exit 1
}' "$work/series"
