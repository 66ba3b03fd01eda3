#!/bin/busybox sh
# /init of the vivid test's initramfs (run_vivid.py builds it). Loads vivid
# as two webcam-like capture nodes (/dev/video0, /dev/video1), then:
#   1. turnstile --list-cameras
#   2. turnstile on both for RUN_A seconds, status line every second; vivid's
#      "disconnect" control pulls video1 away DISCONNECT_A seconds in
#   3. the same with --json for RUN_B seconds, disconnect at DISCONNECT_B
# Everything goes to the console between @@ markers; the host parses it.
# The console is the only channel back, so the last line is the result.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

. /test.env

t() { echo "@@t $1 $(cut -d' ' -f1 /proc/uptime)"; }
fail() { echo "@@fail $*"; echo "@@result 1"; poweroff -f; }

t boot
while read -r mod; do
	case "$mod" in
	*-vivid.ko) insmod "$mod" $VIVID_PARAMS || fail "insmod $mod" ;;
	*) insmod "$mod" || fail "insmod $mod" ;;
	esac
done </modules.order
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -c /dev/video0 ] && [ -c /dev/video1 ] && break
	sleep 1
done
[ -c /dev/video1 ] || fail "no /dev/video0 and /dev/video1 after loading vivid"
t modules

cat >/tmp/cams.ini <<EOF
[camera left]
source=/dev/video0
size=$SIZE
fps=$FPS

[camera right]
source=/dev/video1
size=$SIZE
fps=$FPS
EOF

echo "@@list-begin"
turnstile --list-cameras
echo "@@list-end $?"
t listed

# Run A: status lines on stderr, the table on stdout.
turnstile -c /tmp/cams.ini --status-interval 1 -d "$RUN_A" >/tmp/a.out 2>/tmp/a.err &
pid=$!
sleep "$DISCONNECT_A"
t disconnect-a
vivid_ctl /dev/video1 0x00f0f041 1 || echo "@@fail vivid_ctl"
wait $pid
rc=$?
t run-a
echo "@@a-stderr-begin"
cat /tmp/a.err
echo "@@a-stderr-end"
echo "@@a-stdout-begin"
cat /tmp/a.out
echo "@@a-stdout-end $rc"

# Run B: the JSON summary.
turnstile -c /tmp/cams.ini --json -d "$RUN_B" >/tmp/b.out 2>/tmp/b.err &
pid=$!
sleep "$DISCONNECT_B"
t disconnect-b
vivid_ctl /dev/video1 0x00f0f041 1 || echo "@@fail vivid_ctl"
wait $pid
rc=$?
t run-b
echo "@@b-stderr-begin"
cat /tmp/b.err
echo "@@b-stderr-end"
echo "@@b-json $(cat /tmp/b.out)"
echo "@@b-rc $rc"
echo "@@result 0"
poweroff -f
