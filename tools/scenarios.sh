#!/bin/sh
# Generates every scenegen scenario (scenegen --list-scenarios) into DIR, as
# NAME.avi + NAME.truth.json, ready for tools/report.py. Deterministic: the
# same scenegen and seed give the same files.
#
# Usage: tools/scenarios.sh [--set exact|hard|all] DIR [PATH/TO/scenegen] [SEED]
#        (default set exact, ./build/tools/scenegen, seed 1)
#
# exact is the suite tests/replay.py counts exactly (scenegen
# --list-scenarios); hard is the real-looking set of footage turnstile has
# failed on (--list-scenarios=hard), kept out of that test until the vision
# core counts it; all is both.
#
# For instance, the accuracy table of the README:
#   tools/scenarios.sh /tmp/scenarios
#   tools/report.py --turnstile build/turnstile --markdown samples /tmp/scenarios ../shared/data/real
set -eu

set_name=exact
if [ "${1:-}" = --set ]; then
	[ $# -ge 2 ] || { echo "scenarios.sh: --set needs exact, hard or all" >&2; exit 2; }
	set_name=$2
	shift 2
fi
[ $# -ge 1 ] || { echo "usage: tools/scenarios.sh [--set exact|hard|all] DIR [PATH/TO/scenegen] [SEED]" >&2; exit 2; }
out=$1
gen=${2:-./build/tools/scenegen}
seed=${3:-1}
[ -x "$gen" ] || { echo "scenarios.sh: no scenegen at $gen (build it first)" >&2; exit 1; }
mkdir -p "$out"

"$gen" --list-scenarios="$set_name" | while read -r name what; do
	"$gen" --scenario "$name" --seed "$seed" --out "$out/$name" >/dev/null
	printf '%-16s %s\n' "$name" "$what"
done
