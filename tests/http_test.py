#!/usr/bin/env python3
"""The HTTP server and the snapshots, end to end: the real binary replaying
the bundled samples with --http on a free loopback port.

Usage: http_test.py CASE --turnstile BIN --samples DIR [--artefacts DIR]
CASE is one of:
  endpoints  status equals the final --json summary; events (all, and after
             a sequence number) equal the event log's; /metrics parses, its
             crossing counters equal the summary (promtool check metrics too,
             where installed); a snapshot is a 640x480 JPEG with the line's
             pixels where the line is and the in-arrow on the in side, and
             none of them with ?raw=1; the MJPEG stream yields two frames;
             unknown paths are 404; a camera named a"b<c&d comes out escaped
             in HTML, JSON and labels; --snapshot DIR writes NAME.jpg for
             --frames 1, with a camera's roi= outlined blue and mask=
             outlined and hatched red where their edges are, and
             replaces it about once a second while it runs; http= in
             [turnstile] listens on 127.0.0.1 alone; bad --http values are one clear error.
  browser    headless chromium through chromedriver (WebDriver, spoken
             here over HTTP): the index shows every sample camera with a
             picture and counts equal to the truth files' when the replays
             end; on a camera page, dragging a line's ends gives the expected
             line= config line and puts the arrow on the right-hand side.
             Screenshots of both pages go to --artefacts. Skips (77) only
             when chromium or chromedriver cannot run, saying why.
Prints one line per check and 'N passed, N failed'; exits 1 on any failure.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

RESULTS = {"passed": 0, "failed": 0}
SKIP = 77


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok     " if ok else "FAILED ") + what, flush=True)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=10):
    """(status, content type, body bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


class Server:
    """turnstile with --http on a free port; stops with SIGTERM."""

    def __init__(self, binary, args, cwd):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([binary, "--http", "127.0.0.1:%d" % self.port, "-j"] + args,
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("turnstile did not listen: " + self.proc.stderr.read().decode())

    def url(self, path):
        return self.base + path

    def wait_finished(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = json.loads(get(self.url("/api/v1/status"))[2])
            if all(c["state"] in ("finished", "error") for c in st["cameras"]):
                return st
            time.sleep(0.1)
        return None

    def stop(self):
        """SIGTERM; returns the --json summary printed at exit."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        sys.stderr.write(err.decode())
        return json.loads(out) if out.strip() else None


def truth(samples, name):
    with open(os.path.join(samples, name + ".truth.json")) as f:
        return json.load(f)


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        m, seglen = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if m in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + seglen
    return None


def jpeg_rgb(data):
    """The decoded pixels (ffmpeg, an independent decoder) as bytes, rgb24."""
    p = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "jpeg_pipe", "-i", "-", "-f", "rawvideo",
                        "-pix_fmt", "rgb24", "-"], input=data, capture_output=True, check=True)
    return p.stdout


def is_yellow(px):
    return px[0] > 180 and px[1] > 150 and px[2] < 100


def is_green(px):
    return px[1] > 160 and px[0] < 100 and px[2] < 150


def is_blue(px):
    return px[2] > 180 and px[0] < 110 and px[1] < 150


def is_red(px):
    return px[0] > 180 and px[1] < 100 and px[2] < 100


# A roi= rectangle and a mask= triangle clear of door's line (y=0.5).
ROI = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.4), (0.1, 0.4)]
MASK = [(0.3, 0.6), (0.7, 0.6), (0.3, 0.9)]


def region_pixels(rgb):
    """(blue pixels on the roi's edges, red on the mask's, points tried
    each): 20 points along each edge of a 640x480 picture, away from the
    corners."""
    def along(poly, pred):
        hits = n = 0
        for i, (x0, y0) in enumerate(poly):
            x1, y1 = poly[(i + 1) % len(poly)]
            for k in range(20):
                t = 0.1 + 0.8 * k / 19
                x, y = int((x0 + (x1 - x0) * t) * 640), int((y0 + (y1 - y0) * t) * 480)
                hits += pred(rgb[(y * 640 + x) * 3:(y * 640 + x) * 3 + 3])
                n += 1
        return hits, n
    (roi, n), (mask, m) = along(ROI, is_blue), along(MASK, is_red)
    return roi, mask, n, m


def parse_metrics(text):
    """{(name, frozenset(labels)): value} from the text format; raises on a
    line that is not a comment, a sample or empty."""
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|[+-]Inf|NaN)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
    out, types = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
            continue
        if line.startswith("#"):
            continue
        m = sample.match(line)
        if not m:
            raise ValueError("bad metrics line: " + line)
        labels, rest = [], m.group(3) or ""
        while rest:
            lm = label.match(rest)
            if not lm:
                raise ValueError("bad labels: " + line)
            value = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), lm.group(2))
            labels.append((lm.group(1), value))
            rest = rest[lm.end():]
        out[(m.group(1), frozenset(labels))] = float(m.group(4))
    return out, types


def strip_live(summary):
    """The summary without per-camera stage timings (they differ between two
    reads only while frames flow)."""
    s = json.loads(json.dumps(summary))
    for c in s["cameras"]:
        c.pop("stages", None)
    return s


def case_endpoints(a):
    root = os.path.dirname(os.path.abspath(a.samples))
    tmp = tempfile.mkdtemp(prefix="http-test-")
    events = os.path.join(tmp, "events.jsonl")
    # 100 frames a camera: events on most, and short under the sanitizers
    # (the counts against the truth are the browser case's).
    srv = Server(a.turnstile, ["-n", "100", "-c", os.path.join(a.samples, "samples.ini"),
                               "-e", events], root)
    try:
        live = srv.wait_finished()
        check(live is not None, "every sample camera finished while the server stays up")
        # Events: all, and after a sequence number, exactly the log's.
        with open(events) as f:
            logged = [json.loads(x) for x in f if x.strip()]
        code, ctype, body = get(srv.url("/api/v1/events"))
        got = json.loads(body)
        check(code == 200 and ctype.startswith("application/json") and got == logged and
              len(logged) > 0, "/api/v1/events equals the event log (%d events)" % len(logged))
        mid = logged[len(logged) // 2]["seq"]
        got = json.loads(get(srv.url("/api/v1/events?after=%d" % mid))[2])
        check(got == [e for e in logged if e["seq"] > mid], "events after=%d equal the log's" % mid)
        check(get(srv.url("/api/v1/events?after=x"))[0] == 400, "after=x is a bad request")
        # Metrics: parse, and the crossing counters are the summary's.
        code, ctype, body = get(srv.url("/metrics"))
        text = body.decode()
        try:
            samples, types = parse_metrics(text)
            parsed = True
        except ValueError as e:
            print(e)
            samples, types, parsed = {}, {}, False
        check(code == 200 and ctype.startswith("text/plain; version=0.0.4") and parsed,
              "/metrics is Prometheus text format")
        crossings_ok = True
        for c in live["cameras"]:
            for ln in c["lines"]:
                for d in ("in", "out"):
                    key = ("turnstile_crossings_total",
                           frozenset({("camera", c["name"]), ("line", ln["name"]), ("direction", d)}))
                    crossings_ok = crossings_ok and samples.get(key) == ln[d]
            crossings_ok = crossings_ok and samples.get(
                ("turnstile_frames_total", frozenset({("camera", c["name"])}))) == c["frames"]
        check(crossings_ok and types.get("turnstile_crossings_total") == "counter",
              "crossing counters (and frames) equal the status")
        check(samples.get(("turnstile_occupancy", frozenset())) == live["occupancy"],
              "occupancy gauge equals the status")
        hist = [v for (n, l), v in samples.items() if n == "turnstile_capture_to_count_seconds_count"]
        check(types.get("turnstile_capture_to_count_seconds") == "histogram" and len(hist) == 4 and
              all(v > 0 for v in hist), "capture-to-count latency histogram per camera")
        if shutil.which("promtool"):
            p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
            check(p.returncode == 0, "promtool check metrics: " + p.stdout.decode() + p.stderr.decode())
        else:
            print("note   promtool not installed: the text format was checked here only")
        # Snapshots: door's line is 0,0.5 -> 1,0.5; walking right, the
        # right-hand side (in) is below it on the screen.
        code, ctype, body = get(srv.url("/cameras/door/snapshot.jpg"))
        size = jpeg_size(body)
        check(code == 200 and ctype == "image/jpeg" and size == (640, 480),
              "door snapshot is a 640x480 JPEG (the 320x240 clip at TurboJPEG's 2/1): %s" % (size,))
        rgb = jpeg_rgb(body)
        px = lambda x, y: rgb[(y * 640 + x) * 3:(y * 640 + x) * 3 + 3]
        on_line = sum(is_yellow(px(x, y)) for x in range(100, 600, 10) for y in (239, 240, 241))
        check(on_line >= 45, "line pixels along y=240 (%d of 150 yellow)" % on_line)
        off_line = sum(is_yellow(px(x, 120)) or is_yellow(px(x, 360)) for x in range(100, 600, 10))
        check(off_line == 0, "no line pixels away from it")
        below = sum(is_green(px(x, y)) for x in range(300, 340) for y in range(250, 300))
        above = sum(is_green(px(x, y)) for x in range(300, 340) for y in range(180, 230))
        check(below > 100 and above == 0, "in-arrow below the line (%d green below, %d above)"
              % (below, above))
        body = get(srv.url("/cameras/door/snapshot.jpg?raw=1"))[2]
        rgb = jpeg_rgb(body)
        on_line = sum(is_yellow(px(x, y)) for x in range(100, 600, 10) for y in (239, 240, 241))
        check(jpeg_size(body) == (640, 480) and on_line == 0, "?raw=1 has nothing drawn")
        check(jpeg_size(get(srv.url("/cameras/lobby/snapshot.jpg?mask=1"))[2]) is not None,
              "?mask=1 is a JPEG")
        # The stream: two whole JPEG parts.
        ctype, data = "", b""
        try:
            with urllib.request.urlopen(srv.url("/cameras/door/stream.mjpg"), timeout=10) as r:
                ctype = r.headers.get("Content-Type", "")
                t0 = time.time()
                while data.count(b"Content-Type: image/jpeg") < 4 and time.time() - t0 < 5:
                    data += r.read1(65536)
                took = time.time() - t0
        except OSError as e:
            print("stream: %s" % e)
            took = 0
        # At most preview_fps (5) a second: the 4th part is due 0.6 s after the first.
        check(took >= 0.55, "the stream keeps to 5 frames a second (4 parts in %.2f s)" % took)
        parts = [p for p in data.split(b"--frame\r\n") if p.startswith(b"Content-Type: image/jpeg")]
        whole = [p for p in parts[:2] if b"\r\n\r\n\xff\xd8" in p]
        check(ctype.startswith("multipart/x-mixed-replace") and len(whole) == 2,
              "stream.mjpg yields two JPEG frames (%d parts read)" % len(parts))
        # Everything else is 404; nothing from disk.
        codes = [get(srv.url(p))[0] for p in ("/nope", "/cameras/nope", "/cameras/door/x",
                                                "/cameras/door/snapshot.jpg/x", "/../README.md",
                                                "/samples/door.avi", "/api/v1", "/metrics/x")]
        check(codes == [404] * len(codes), "unknown paths are 404: %s" % codes)
        req = urllib.request.Request(srv.url("/metrics"), headers={"X-Big": "a" * 40000})
        try:
            code = urllib.request.urlopen(req, timeout=10).status
        except urllib.error.HTTPError as e:
            code = e.code
        except OSError:
            code = 0
        check(code in (0, 413, 431), "a request with 40 KB of headers is refused (%d)" % code)
        code, _, _ = get(srv.url("/api/v1/status"))
        check(code == 200, "and the server goes on answering")
        code, ctype, body = get(srv.url("/cameras/door"))
        check(code == 200 and ctype.startswith("text/html") and b'"name":"main"' in body,
              "camera page served, with its line")
        summary = srv.stop()
        check(summary is not None and summary == live,
              "/api/v1/status equals the --json summary printed at exit")
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()

    # Camera names are letters, digits, '-', '_' and '.' (config.c), but a
    # source path is anything and shows on the pages, in the status and in
    # a label: a file named a"b<c&d.avi (its camera is named a_b_c_d).
    odd = 'a"b<c&d'
    os.symlink(os.path.join(a.samples, "door.avi"), os.path.join(tmp, odd + ".avi"))
    srv = Server(a.turnstile, ["-n", "60", odd + ".avi"], tmp)
    try:
        srv.wait_finished()
        html = get(srv.url("/"))[2].decode()
        check("a&quot;b&lt;c&amp;d.avi" in html and odd not in html,
              "the source is escaped in the index")
        code, _, body = get(srv.url("/cameras/a_b_c_d"))
        page = body.decode()
        check(code == 200 and "a&quot;b&lt;c&amp;d.avi" in page and odd not in page,
              "the source is escaped on the camera page")
        st = json.loads(get(srv.url("/api/v1/status"))[2])
        check(st["cameras"][0]["source"] == odd + ".avi",
              "the source round-trips through the status JSON")
        text = get(srv.url("/metrics"))[2].decode()
        try:
            samples, _ = parse_metrics(text)
        except ValueError as e:
            print(e)
            samples = {}
        check('source="a\\"b<c&d.avi"' in text and
              samples.get(("turnstile_camera_info",
                           frozenset({("camera", "a_b_c_d"), ("source", odd + ".avi")}))) == 1,
              "the source is escaped in a metric label")
        srv.stop()
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()

    # --snapshot for a one-frame run.
    snapdir = os.path.join(tmp, "snaps")
    os.mkdir(snapdir)
    p = subprocess.run([a.turnstile, "--frames", "1", "--snapshot", snapdir,
                        os.path.join(a.samples, "door.avi")], capture_output=True)
    files = sorted(os.listdir(snapdir))
    data = open(os.path.join(snapdir, "door.jpg"), "rb").read() if "door.jpg" in files else b""
    check(p.returncode == 0 and files == ["door.jpg"] and jpeg_size(data) == (640, 480),
          "--frames 1 --snapshot DIR writes DIR/door.jpg and nothing else: %s" % files)
    if data:
        rgb = jpeg_rgb(data)
        on_line = sum(is_yellow(px(x, 240)) for x in range(100, 600, 10))
        check(on_line >= 45, "the one-frame snapshot shows the line")
        roi, mask, _, _ = region_pixels(rgb)
        check(roi == 0 and mask == 0, "no roi=/mask= outline without them (%d blue, %d red)"
              % (roi, mask))
    # roi= and mask= from a config: drawn where their edges are.
    rdir = os.path.join(tmp, "regions")
    os.mkdir(rdir)
    conf = os.path.join(tmp, "regions.ini")
    with open(conf, "w") as f:
        f.write("[camera door]\nsource=%s\nline=0,0.5,1,0.5\nroi=%s\nmask=%s\n" % (
            os.path.join(os.path.abspath(a.samples), "door.avi"),
            ",".join("%g,%g" % p for p in ROI), ",".join("%g,%g" % p for p in MASK)))
    p = subprocess.run([a.turnstile, "--frames", "1", "--snapshot", rdir, "-c", conf],
                       capture_output=True)
    path = os.path.join(rdir, "door.jpg")
    data = open(path, "rb").read() if os.path.exists(path) else b""
    if check(p.returncode == 0 and jpeg_size(data) == (640, 480),
             "a camera with roi= and mask=: its snapshot %s" % p.stderr.decode().strip()):
        rgb = jpeg_rgb(data)
        roi, mask, n, m = region_pixels(rgb)
        check(roi >= n * 9 // 10 and mask >= m * 9 // 10,
              "roi= outlined blue (%d of %d edge points), mask= red (%d of %d)" % (roi, n, mask, m))
        if a.artefacts:
            os.makedirs(a.artefacts, exist_ok=True)
            shutil.copy(path, os.path.join(a.artefacts, "snapshot-regions.jpg"))
    # A luma plane (Y4M, 160x120) is scaled by a whole factor to 640 wide.
    ydir = os.path.join(tmp, "y4m")
    os.mkdir(ydir)
    p = subprocess.run([a.turnstile, "--frames", "1", "--snapshot", ydir,
                        os.path.join(a.samples, "lobby.y4m")], capture_output=True)
    path = os.path.join(ydir, "lobby.jpg")
    data = open(path, "rb").read() if os.path.exists(path) else b""
    check(p.returncode == 0 and jpeg_size(data) == (640, 480), "a Y4M camera's snapshot is 640x480")
    p = subprocess.run([a.turnstile, "--frames", "1", "--snapshot", os.path.join(tmp, "missing"),
                        os.path.join(a.samples, "door.avi")], capture_output=True)
    check(p.returncode != 0 and b"missing" in p.stderr and p.stderr.count(b"\n") == 1,
          "--snapshot to a missing directory: one error line naming it")
    check_snapshot_period(a, tmp)
    check_config_http(a, tmp)
    for bad in ("0", "70000", "x", "1.2.3:80", "127.0.0.1:", ":80"):
        p = subprocess.run([a.turnstile, "--http", bad, os.path.join(a.samples, "door.avi")],
                           capture_output=True)
        check(p.returncode == 2 and b"--http" in p.stderr, "--http %s is a usage error" % bad)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    p = subprocess.run([a.turnstile, "--http", "127.0.0.1:%d" % busy.getsockname()[1],
                        os.path.join(a.samples, "door.avi")], capture_output=True)
    busy.close()
    check(p.returncode != 0 and b"cannot listen on 127.0.0.1:" in p.stderr,
          "a port in use: one error naming the address")
    shutil.rmtree(tmp, ignore_errors=True)


def check_snapshot_period(a, tmp):
    """--snapshot DIR while it runs: DIR/NAME.jpg replaced (a new file by
    rename, so a new inode) about once a second, and no temporary file left."""
    sdir = os.path.join(tmp, "periodic")
    os.mkdir(sdir)
    path = os.path.join(sdir, "door.jpg")
    proc = subprocess.Popen([a.turnstile, "--realtime", "--duration", "4.5", "--snapshot", sdir,
                             os.path.join(a.samples, "door.avi")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start, first, inodes = time.time(), None, []
    while proc.poll() is None and time.time() - start < 30:
        try:
            ino = os.stat(path).st_ino
            first = first or time.time() - start
            if not inodes or inodes[-1] != ino:
                inodes.append(ino)
        except OSError:
            pass
        time.sleep(0.02)
    rc = proc.wait()
    data = open(path, "rb").read() if os.path.exists(path) else b""
    check(rc == 0 and first is not None and first < 3.0 and 3 <= len(inodes) <= 7,
          "--snapshot while running: the first in %s s, then replaced %d times in 4.5 s"
          % (first and round(first, 2), len(inodes) - 1))
    check(jpeg_size(data) == (640, 480) and os.listdir(sdir) == ["door.jpg"],
          "... a whole JPEG at the end, and no temporary file left: %s" % os.listdir(sdir))


def listening(port):
    """The local addresses (hex, as /proc/net/tcp{,6} write them) listening on port."""
    addrs = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.readlines()[1:]:
                    local, st = line.split()[1], line.split()[3]
                    if st == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        addrs.append(local.rsplit(":", 1)[0])
        except OSError:
            pass
    return addrs


def check_config_http(a, tmp):
    """http=PORT in [turnstile] starts the server, on 127.0.0.1 only."""
    port = free_port()
    conf = os.path.join(tmp, "http.ini")
    with open(conf, "w") as f:
        f.write("[turnstile]\nhttp=%d\n[camera door]\nsource=%s\n"
                % (port, os.path.join(os.path.abspath(a.samples), "door.avi")))
    proc = subprocess.Popen([a.turnstile, "-c", conf, "-n", "30"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        addrs, code = [], 0
        deadline = time.time() + 20
        while time.time() < deadline and proc.poll() is None:
            addrs = listening(port)
            if addrs:
                code = get("http://127.0.0.1:%d/api/v1/status" % port)[0]
                break
            time.sleep(0.05)
        check(code == 200 and addrs == ["0100007F"],
              "http=%d in [turnstile]: the server answers, listening on 127.0.0.1 alone (%s)"
              % (port, addrs))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class WebDriver:
    """Just enough of the W3C WebDriver protocol, over HTTP to chromedriver."""

    def __init__(self, driver):
        self.port = free_port()
        self.proc = subprocess.Popen([driver, "--port=%d" % self.port], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": shutil.which("chromium") or "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"]}}}}
        self.session = self.cmd("POST", "/session", caps)["sessionId"]

    def cmd(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError("webdriver %s %s: %s" % (method, path, e.read().decode()[:300]))

    def s(self, method, path, body=None):
        return self.cmd(method, "/session/%s%s" % (self.session, path), body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def element(self, css):
        v = self.s("POST", "/element", {"using": "css selector", "value": css})
        return v["element-6066-11e4-a52e-4f735466cecf"]

    def drag(self, origin_css, x0, y0, x1, y1):
        """Presses at (x0, y0) and releases at (x1, y1), in CSS pixels from
        the top left of the element origin_css, through the mouse."""
        el = self.element(origin_css)
        rect = self.s("GET", "/element/%s/rect" % el)
        cx, cy = rect["width"] / 2, rect["height"] / 2
        origin = {"element-6066-11e4-a52e-4f735466cecf": el}
        mv = lambda x, y, d: {"type": "pointerMove", "duration": d, "origin": origin,
                              "x": int(round(x - cx)), "y": int(round(y - cy))}
        self.s("POST", "/actions", {"actions": [{"type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"}, "actions": [
                mv(x0, y0, 0), {"type": "pointerDown", "button": 0},
                mv((x0 + x1) / 2, (y0 + y1) / 2, 100), mv(x1, y1, 100),
                {"type": "pointerUp", "button": 0}]}]})

    def quit(self):
        try:
            self.s("DELETE", "")
        except Exception:
            pass
        self.proc.terminate()
        self.proc.wait()


def conf_near(conf, key, want):
    """conf is key followed by four numbers each within 2 pixels (of 480) of
    want, and a line the config reads (config.c: three decimals suffice)."""
    m = re.fullmatch(re.escape(key) + r"([0-9.]+),([0-9.]+),([0-9.]+),([0-9.]+)", conf or "")
    return bool(m) and all(abs(float(g) - w) <= 0.0042 for g, w in zip(m.groups(), want))


def case_browser(a):
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(driver) or not shutil.which("chromium"):
        print("SKIP: chromium or chromedriver is not installed (Debian: chromium chromium-driver)")
        return SKIP
    try:
        wd = WebDriver(driver)
    except Exception as e:
        print("SKIP: chromium cannot run here: %s" % e)
        return SKIP
    os.makedirs(a.artefacts, exist_ok=True)
    root = os.path.dirname(os.path.abspath(a.samples))
    srv = Server(a.turnstile, ["-c", os.path.join(a.samples, "samples.ini")], root)
    try:
        names = ["door", "corridor", "gate", "lobby"]
        wd.go(srv.url("/"))
        want = {n: (truth(a.samples, n)["in"], truth(a.samples, n)["out"]) for n in names}
        deadline, shown = time.time() + 60, None
        while time.time() < deadline:
            shown = wd.js("""return [...document.querySelectorAll('.tile')].map(t=>({
                name:t.querySelector('.name').textContent, in:+t.querySelector('.in').textContent,
                out:+t.querySelector('.out').textContent, state:t.dataset.state,
                pic:t.querySelector('img').dataset.loaded==='1' &&
                    t.querySelector('img').naturalWidth>0}))""")
            if (len(shown) == len(names) and all(t["pic"] and t["state"] == "finished"
                                                 for t in shown)):
                break
            time.sleep(0.3)
        wd.screenshot(os.path.join(a.artefacts, "http-index.png"))
        check(shown is not None and sorted(t["name"] for t in shown) == sorted(names),
              "the index shows every sample camera: %s" % [t["name"] for t in shown or []])
        check(all(t["pic"] for t in shown or []), "each tile has a picture")
        got = {t["name"]: (t["in"], t["out"]) for t in shown or []}
        check(got == want, "tile counts equal the truth files' totals: %s" % got)

        wd.go(srv.url("/cameras/door"))
        deadline = time.time() + 20
        while time.time() < deadline and not wd.js(
                "return document.getElementById('pic').dataset.loaded==='1' && "
                "document.querySelectorAll('circle.handle').length==2"):
            time.sleep(0.2)
        size = wd.js("let p=document.getElementById('pic');return [p.clientWidth,p.clientHeight]")
        w, h = size
        check((w, h) == (640, 480), "the camera page shows the 640x480 picture: %s" % size)
        before = wd.js("return document.getElementById('conf').textContent")
        check(before == "line=0,0.5,1,0.5", "the page starts from the configured line: %r" % before)
        # Drag A from (0, 0.5) to (0.5, 0.1) and B from (1, 0.5) to (0.5, 0.9):
        # a line walked downwards, whose right-hand side is the screen's left.
        wd.drag("#pic", 2, 0.5 * h, 0.5 * w, 0.1 * h)
        wd.drag("#pic", w - 2, 0.5 * h, 0.5 * w, 0.9 * h)
        conf = wd.js("return document.getElementById('conf').textContent")
        check(conf_near(conf, "line=", [0.5, 0.1, 0.5, 0.9]), "dragging the ends gives %r" % conf)
        arrow = wd.js("let a=document.querySelector('polygon.arrow');"
                      "return [+a.dataset.x,+a.dataset.y]")
        check(arrow[0] < 0.48 and 0.3 < arrow[1] < 0.7,
              "the in-arrow is on the left of a line walked downwards: %s" % arrow)
        wd.screenshot(os.path.join(a.artefacts, "http-camera.png"))
        # And back the other way: B up to the top, A down: walked upwards,
        # the right-hand side is the screen's right.
        wd.drag("#pic", 0.5 * w, 0.9 * h, 0.5 * w, 0.05 * h)
        wd.drag("#pic", 0.5 * w, 0.1 * h, 0.5 * w, 0.95 * h)
        conf = wd.js("return document.getElementById('conf').textContent")
        arrow = wd.js("let a=document.querySelector('polygon.arrow');return [+a.dataset.x]")
        check(conf_near(conf, "line=", [0.5, 0.95, 0.5, 0.05]) and arrow[0] > 0.52,
              "reversed, the arrow moves to the right: %r %s" % (conf, arrow))
        print("artefacts: " + ", ".join(os.path.join(a.artefacts, f)
                                        for f in ("http-index.png", "http-camera.png")))
        srv.stop()
    finally:
        wd.quit()
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["endpoints", "browser"])
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--artefacts", default=tempfile.gettempdir())
    a = ap.parse_args()
    a.turnstile = os.path.abspath(a.turnstile)
    a.samples = os.path.abspath(a.samples)
    if not shutil.which("ffmpeg") and a.case == "endpoints":
        print("SKIP: ffmpeg (the independent JPEG decoder here) is not installed")
        return SKIP
    rc = case_endpoints(a) if a.case == "endpoints" else case_browser(a)
    if rc == SKIP:
        return SKIP
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
