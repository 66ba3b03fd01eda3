#!/bin/sh
# Installs the Debian 12 packages turnstile builds and tests with (as root).
# Does nothing when they are all present, so it is cheap to run every time.
set -eu
PACKAGES="build-essential meson ninja-build pkg-config libturbojpeg0-dev libcmocka-dev libinih-dev python3"
# V4L2 capture (libv4l2), and the vivid test: Debian's kernel with its vivid
# module booted under qemu from a busybox initramfs (tests/vivid/).
PACKAGES="$PACKAGES libv4l-dev qemu-system-x86 linux-image-amd64 busybox-static"
# Fuzzing (tests/fuzz/): clang, and the libFuzzer and sanitizer runtimes that
# Debian 12 ships in libclang-rt-14-dev (clang only recommends them, and
# recommends are not installed here).
PACKAGES="$PACKAGES clang libclang-rt-14-dev"
# Any other video file or network camera through FFmpeg's libraries; the
# ffmpeg CLI re-encodes samples for the tests; GStreamer's RTSP server (run
# by Debian's python3 with python3-gi, x264enc from plugins-ugly) is the
# live test's camera.
PACKAGES="$PACKAGES libavformat-dev libavcodec-dev libavutil-dev ffmpeg"
PACKAGES="$PACKAGES gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base"
PACKAGES="$PACKAGES gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-rtsp"
# The live view (ncursesw), and tmux to test it in a real terminal.
PACKAGES="$PACKAGES libncurses-dev tmux"
# Running as a service: sd_notify (libsystemd), and the tests of the install
# (systemd-analyze verify from systemd, man pages checked with groff and man).
PACKAGES="$PACKAGES libsystemd-dev systemd groff man-db"
# The HTTP server (libmicrohttpd), and headless chromium with its WebDriver
# to test its pages in a real browser; ffmpeg decodes snapshots in its test.
PACKAGES="$PACKAGES libmicrohttpd-dev chromium chromium-driver ffmpeg"
# promtool (Debian's prometheus package) checks /metrics in that test; wrk
# is tools/http_load.py's load generator.
PACKAGES="$PACKAGES prometheus wrk"
# The leak check by hand (tools/valgrind.sh).
PACKAGES="$PACKAGES valgrind"
# MQTT (libmosquitto), and the real broker, its clients and openssl for the
# MQTT tests (tests/mqtt_test.py).
PACKAGES="$PACKAGES libmosquitto-dev mosquitto mosquitto-clients openssl"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The kernel package is only booted under qemu with our own initramfs:
# skip the host initrd Debian's hook would spend ~40 s building.
export INITRD=No
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
