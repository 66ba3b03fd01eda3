#!/bin/sh
# Installs the Debian 12 packages turnstile builds and tests with (as root).
# Does nothing when they are all present, so it is cheap to run every time.
set -eu
PACKAGES="build-essential meson ninja-build pkg-config libturbojpeg0-dev libcmocka-dev libinih-dev python3"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
