#!/usr/bin/env python3
"""turnstile against the kernel's vivid driver, booted under qemu.

Builds an initramfs from what the host already has -- Debian's kernel and its
vivid modules, a busybox, turnstile and vivid_ctl with the libraries ldd
lists -- boots it with qemu (TCG; KVM only where the CPU shows vmx/svm), and
checks what the guest (guest.sh) prints on the serial console:
  * --list-cameras lists /dev/video0 and /dev/video1;
  * two cameras stream at once; after vivid's "disconnect" control pulls
    video1, turnstile reports it lost and reconnecting, then streaming again,
    while video0's frame count grows in every status line (it never stopped);
  * the --json summary counts the reconnect on that camera only.

Exit 0 on success, 1 on failure, 77 (meson's skip) only where qemu cannot run
at all: no qemu-system-x86_64, no kernel with vivid, an unreadable kernel
image, no busybox, or a host that is not x86-64; and in a ThreadSanitizer
build, which inside TCG emulation runs far below a camera's frame rate (the
plain and ASan+UBSan builds run it; test_v4l2 covers the threads under TSan).
"""
import argparse
import gzip
import json
import lzma
import os
import platform
import re
import shutil
import subprocess
import sys
import time

SKIP = 77
VIVID_PARAMS = "n_devs=2 node_types=0x1,0x1 num_inputs=1,1 input_types=0x0,0x0 vid_cap_nr=0,1"
ENV = {
    # 640x360 offers 40 fps at most in vivid; 15 leaves TCG and the
    # sanitizer builds room (vivid itself skips frames at 40-60 fps under TCG).
    "SIZE": "640x360",
    "FPS": "15",
    "RUN_A": "10",
    "DISCONNECT_A": "4",
    "RUN_B": "5",
    "DISCONNECT_B": "2",
    "VIVID_PARAMS": VIVID_PARAMS,
}


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(SKIP)


def version_key(s):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s)]


def find_kernel():
    """The newest /boot/vmlinuz-KVER whose modules include vivid."""
    found = []
    for name in os.listdir("/boot") if os.path.isdir("/boot") else []:
        if not name.startswith("vmlinuz-"):
            continue
        kver = name[len("vmlinuz-"):]
        dep = f"/lib/modules/{kver}/modules.dep"
        if os.path.exists(dep):
            with open(dep) as f:
                if re.search(r"/vivid\.ko(\.\w+)?:", f.read()):
                    found.append(kver)
    return max(found, key=version_key) if found else None


def vivid_modules(kver):
    """vivid and its dependencies in load order (modules.dep lists the
    dependencies of a module so that loading them in reverse works)."""
    with open(f"/lib/modules/{kver}/modules.dep") as f:
        for line in f:
            mod, _, deps = line.partition(":")
            if re.search(r"/vivid\.ko(\.\w+)?$", mod):
                return [f"/lib/modules/{kver}/{p}" for p in reversed(deps.split())] + [
                    f"/lib/modules/{kver}/{mod}"]
    raise RuntimeError("vivid not in modules.dep")


def read_module(path):
    """Busybox insmod wants a plain .ko."""
    if path.endswith(".xz"):
        return lzma.decompress(open(path, "rb").read())
    if path.endswith(".gz"):
        return gzip.decompress(open(path, "rb").read())
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    return open(path, "rb").read()


def ldd(binary):
    """Libraries and loader a dynamic binary needs, as absolute paths."""
    p = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if "not a dynamic executable" in p.stdout or "statically linked" in p.stdout:
        return []
    if p.returncode != 0:
        raise RuntimeError(f"ldd {binary}: {p.stdout}")
    paths = []
    for line in p.stdout.splitlines():
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            paths.append(m.group(1))
        elif "=> not found" in line:
            raise RuntimeError(f"ldd {binary}: {line.strip()}")
    return paths


class Cpio:
    """A newc archive, the format the kernel unpacks as an initramfs. Device
    nodes need no privileges here: the kernel creates them."""

    def __init__(self):
        self.out = bytearray()
        self.dirs = set()
        self.files = set()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        self.ino += 1
        self.out += b"070701" + b"".join(b"%08x" % f for f in fields)
        self.out += name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def mkdir(self, path):
        path = path.rstrip("/")
        if not path or path in self.dirs:
            return
        self.mkdir(os.path.dirname(path))
        self.dirs.add(path)
        self._entry(path, 0o040755)

    def file(self, path, data, mode=0o755):
        self.mkdir(os.path.dirname(path))
        self._entry(path, 0o100000 | mode, data)

    def chardev(self, path, major, minor):
        self.mkdir(os.path.dirname(path))
        self._entry(path, 0o020600, rdev=(major, minor))

    def add_binary(self, src, dest):
        """The binary at dest, its libraries at the paths ldd gives."""
        self.file(dest, open(src, "rb").read())
        for lib in ldd(src):
            if lib not in self.files:
                self.files.add(lib)
                self.file(lib, open(lib, "rb").read())

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.out)


def kvm_usable():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return bool(re.search(r"\b(vmx|svm)\b", flags)) and os.access("/dev/kvm", os.R_OK | os.W_OK)


def boot(qemu, kernel, initrd, accel, timeout):
    cmd = [qemu, "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
           "-no-reboot", "-m", "1024M", "-smp", "2", "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyS0 panic=-1 quiet"]
    cmd += ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg"]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + f"\n(qemu timed out after {timeout} s)"
    return out.replace("\r", ""), time.monotonic() - start


def section(lines, begin, end):
    """Lines between the @@begin marker and the line starting with @@end."""
    try:
        i = lines.index(begin)
    except ValueError:
        return None, None
    for j in range(i + 1, len(lines)):
        if lines[j].startswith(end):
            return lines[i + 1:j], lines[j][len(end):].strip()
    return lines[i + 1:], None


STATUS = re.compile(r"(\S+) (\d+) fr in \d+ out \d+( \(reconnecting\))?")


def check(ok, what, failures):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def evaluate(console, failures):
    lines = console.splitlines()
    marks = {m.group(1): float(m.group(2)) for m in
             (re.match(r"@@t (\S+) ([\d.]+)", x) for x in lines) if m}
    for x in lines:
        if x.startswith("@@fail"):
            check(False, f"guest: {x[7:]}", failures)
    result = [x for x in lines if x.startswith("@@result")]
    if not result:
        check(False, "guest finished (no @@result line: crashed or timed out)", failures)
        return
    print("guest timeline (s since kernel start): " +
          ", ".join(f"{k} {v:.1f}" for k, v in marks.items()))

    listing, rc = section(lines, "@@list-begin", "@@list-end")
    # vivid offers 83 formats: show the nodes and the formats turnstile prefers.
    shown = [x for x in listing or [] if not x.startswith("  ") or
             x.split()[0].rstrip("*") in ("MJPG", "YUYV", "YU12", "by-id", "by-path")]
    print(f"--- turnstile --list-cameras ({len(listing or [])} lines; nodes, MJPG, YUYV, YU12)\n"
          + "\n".join(shown))
    check(rc == "0", "--list-cameras exits 0", failures)
    for node in ("/dev/video0", "/dev/video1"):
        check(any(x.startswith(node + " ") and "vivid" in x for x in listing or []),
              f"--list-cameras lists {node} (vivid)", failures)
    check(any(x.strip().startswith("YUYV ") and "640x360@" in x for x in listing or []),
          "--list-cameras shows YUYV sizes with rates", failures)

    err, _ = section(lines, "@@a-stderr-begin", "@@a-stderr-end")
    out, rc = section(lines, "@@a-stdout-begin", "@@a-stdout-end")
    err = err or []
    print("--- run A: stderr\n" + "\n".join(err) + "\n--- run A: stdout\n" + "\n".join(out or []))
    check(rc == "0", "run A exits 0", failures)
    # Lines carry a syslog priority ("<4>") when stderr is not a terminal.
    log = [re.sub(r"^<\d>", "", x) for x in err]
    log = [x for x in log if x.startswith("turnstile: camera")]
    check(sum("camera 'right': '/dev/video1' lost (" in x for x in log) == 1,
          "right camera reported lost once", failures)
    check(sum("camera 'right': '/dev/video1' streaming again" in x for x in log) == 1,
          "right camera reported streaming again once", failures)
    check(sum("camera 'left'" in x for x in log) == 1,
          "left camera logged nothing but its negotiation", failures)
    status = [dict((m.group(1), (int(m.group(2)), bool(m.group(3))))
                   for m in STATUS.finditer(x)) for x in err if " fr in " in x]
    status = [s for s in status if "left" in s and "right" in s]
    left = [s["left"][0] for s in status]
    right = [s["right"] for s in status]
    check(len(status) >= int(ENV["RUN_A"]) - 2, f"{len(status)} status lines", failures)
    check(all(b > a for a, b in zip(left, left[1:])) and left and left[0] > 0,
          "left frames grew in every status line (never stopped): " +
          " ".join(map(str, left)), failures)
    reconnecting = [i for i, (_, r) in enumerate(right) if r]
    check(bool(reconnecting), "right shown (reconnecting) in a status line", failures)
    if reconnecting:
        i = reconnecting[-1]
        check(right[-1][0] > right[i][0] and not right[-1][1],
              f"right streams again after: {right[i][0]} frames while reconnecting, "
              f"{right[-1][0]} at the end", failures)

    err, _ = section(lines, "@@b-stderr-begin", "@@b-stderr-end")
    print("--- run B: stderr\n" + "\n".join(err or []))
    js = next((x[len("@@b-json "):] for x in lines if x.startswith("@@b-json ")), "")
    rc = next((x[len("@@b-rc "):] for x in lines if x.startswith("@@b-rc ")), None)
    print("--- run B: --json\n" + js)
    check(rc == "0", "run B exits 0", failures)
    try:
        cams = {c["name"]: c for c in json.loads(js)["cameras"]}
    except (ValueError, KeyError):
        check(False, "run B printed a JSON summary", failures)
        return
    check(cams["right"]["reconnects"] == 1 and cams["left"]["reconnects"] == 0,
          "JSON: reconnects right 1, left 0", failures)
    check(cams["left"]["frames"] > 0 and cams["right"]["frames"] > 0,
          f"JSON: frames left {cams['left']['frames']}, right {cams['right']['frames']}",
          failures)
    print(f"JSON: driver_drops left {cams['left']['driver_drops']}, "
          f"right {cams['right']['driver_drops']}; dropped left {cams['left']['dropped']}, "
          f"right {cams['right']['dropped']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--keep", action="store_true", help="keep the initramfs and console log")
    ap.add_argument("--sanitize", default="none", help="the build's b_sanitize")
    args = ap.parse_args()

    if "thread" in args.sanitize:
        skip("ThreadSanitizer build: under TCG emulation TSan runs turnstile at about 1 frame "
             "a second, far below the cameras' 15 fps, so nothing here would be measured "
             "(the plain and address,undefined builds run this suite)")

    if platform.machine() != "x86_64":
        skip(f"host is {platform.machine()}: the guest runs this host's x86-64 binaries")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 not installed (package qemu-system-x86; tools/install-deps.sh)")
    kver = find_kernel()
    if not kver:
        skip("no /boot/vmlinuz-* with the vivid module (package linux-image-amd64)")
    kernel = f"/boot/vmlinuz-{kver}"
    if not os.access(kernel, os.R_OK):
        skip(f"cannot read {kernel} (run as root)")
    busybox = shutil.which("busybox") or ("/bin/busybox" if os.path.exists("/bin/busybox") else None)
    if not busybox:
        skip("busybox not installed (package busybox-static)")

    t0 = time.monotonic()
    cpio = Cpio()
    for d in ("/proc", "/sys", "/dev", "/tmp"):
        cpio.mkdir(d)
    cpio.chardev("/dev/console", 5, 1)  # init's stdio, before devtmpfs is mounted
    cpio.file("/init", open(args.guest, "rb").read())
    cpio.add_binary(busybox, "/bin/busybox")
    cpio.add_binary(args.turnstile, "/bin/turnstile")
    cpio.add_binary(args.ctl, "/bin/vivid_ctl")
    order = []
    for i, mod in enumerate(vivid_modules(kver)):
        name = re.sub(r"\.ko(\.\w+)?$", ".ko", os.path.basename(mod))
        dest = f"/modules/{i:02d}-{name}"
        cpio.file(dest, read_module(mod), 0o644)
        order.append(dest)
    cpio.file("/modules.order", ("\n".join(order) + "\n").encode(), 0o644)
    env = dict(ENV)
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    cpio.file("/test.env", "".join(f"export {k}='{v}'\n" for k, v in env.items()).encode(),
              0o644)
    os.makedirs(args.workdir, exist_ok=True)
    img = os.path.join(args.workdir, "vivid-initramfs.cpio")
    with open(img, "wb") as f:
        f.write(cpio.finish())
    print(f"kernel {kernel}, initramfs {os.path.getsize(img) >> 10} KiB "
          f"({len(order)} modules) built in {time.monotonic() - t0:.1f} s")

    accel = "kvm" if kvm_usable() else "tcg"
    console, took = boot(qemu, kernel, img, accel, args.timeout)
    if accel == "kvm" and "@@t boot" not in console:
        print("KVM did not boot the guest; trying TCG")
        accel = "tcg"
        console, took = boot(qemu, kernel, img, accel, args.timeout)
    print(f"qemu ({accel}) ran {took:.1f} s")
    log = os.path.join(args.workdir, "vivid-console.log")
    with open(log, "w") as f:
        f.write(console)

    failures = []
    evaluate(console, failures)
    if failures:
        print("\n--- console tail\n" + "\n".join(console.splitlines()[-60:]))
        print(f"{len(failures)} check(s) failed; console in {log}")
    if not args.keep:
        os.unlink(img)
        if not failures:
            os.unlink(log)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
