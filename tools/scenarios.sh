#!/bin/sh
# Generates every scenegen scenario (scenegen --list-scenarios) into DIR, as
# NAME.avi + NAME.truth.json, ready for tools/report.py. Deterministic: the
# same scenegen and seed give the same files.
#
# Usage: tools/scenarios.sh DIR [PATH/TO/scenegen] [SEED]
#        (default ./build/tools/scenegen, seed 1)
#
# For instance, the accuracy table of the README:
#   tools/scenarios.sh /tmp/scenarios
#   tools/report.py --turnstile build/turnstile --markdown samples /tmp/scenarios ../shared/data/real
set -eu

[ $# -ge 1 ] || { echo "usage: tools/scenarios.sh DIR [PATH/TO/scenegen] [SEED]" >&2; exit 2; }
out=$1
gen=${2:-./build/tools/scenegen}
seed=${3:-1}
[ -x "$gen" ] || { echo "scenarios.sh: no scenegen at $gen (build it first)" >&2; exit 1; }
mkdir -p "$out"

"$gen" --list-scenarios | while read -r name what; do
	"$gen" --scenario "$name" --seed "$seed" --out "$out/$name" >/dev/null
	printf '%-16s %s\n' "$name" "$what"
done
