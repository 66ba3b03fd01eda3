#!/bin/sh
# Regenerates samples/ (clips with known crossings and samples.ini) from a
# built scenegen. Deterministic: the same scenegen gives the same files.
#
# Usage: tools/make-samples.sh [PATH/TO/scenegen]   (default ./build/tools/scenegen)
#
# Sizes are kept small (a few MB in all) because the clips live in git: the
# quality is modest and only the short "lobby" clip is also stored as Y4M,
# which is uncompressed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
gen=${1:-./build/tools/scenegen}
[ -x "$gen" ] || { echo "make-samples.sh: no scenegen at $gen (build it first)" >&2; exit 1; }
gen=$(cd "$(dirname "$gen")" && pwd)/$(basename "$gen")
out=$root/samples
mkdir -p "$out"
cd "$root"

# name, line and scenegen options of each clip
clip() {
	name=$1 line=$2
	shift 2
	rm -f "$out/$name".avi "$out/$name".y4m "$out/$name".mjpeg "$out/$name".truth.json
	"$gen" --out "$out/$name" --line "$line" --quality 50 "$@"
	printf '[camera %s]\nsource=%s.avi\nline=%s\n\n' "$name" "$name" "$line" >>"$out/samples.ini.tmp"
}

: >"$out/samples.ini.tmp"
printf '; Sample clips made by tools/make-samples.sh; truth in samples/NAME.truth.json.\n' >>"$out/samples.ini.tmp"
printf '; Paths are relative to the directory of this file.\n\n' >>"$out/samples.ini.tmp"

# A doorway seen from above; moving down the image is "in".
clip door 0,0.5,1,0.5 --width 320 --height 240 --fps 15 --seconds 22 --seed 11 --crossings 6
# A corridor with a vertical line; moving right is "in".
clip corridor 0.5,1,0.5,0 --width 384 --height 216 --fps 15 --seconds 18 --seed 22 --crossings 5
# A gate: larger, faster objects at a PAL-like rate.
clip gate 0,0.55,1,0.45 --width 352 --height 288 --fps 12.5 --seconds 20 --seed 33 --crossings 6 \
	--size 0.15,0.25 --transit 1.2,2.5
# A small, short clip in every container, for the format readers.
clip lobby 0,0.4,1,0.6 --width 160 --height 120 --fps 8 --seconds 8 --seed 44 --crossings 2 \
	--size 0.14,0.2 --transit 2,3 --formats avi,y4m,mjpeg

mv "$out/samples.ini.tmp" "$out/samples.ini"
du -sh "$out"
