#!/usr/bin/env python3
"""http_load: what the HTTP server costs the counting, by hand (never a test).

  tools/http_load.py --turnstile build/turnstile --scenegen build/tools/scenegen

1. Load: 4 cameras replay in real time (one 1280x720 clip rendered by
   scenegen, --seconds long, as 4 cameras) with --http, while clients on
   loopback hammer /metrics and /api/v1/status (--pollers threads, each as
   fast as it gets answers), 2 clients read annotated MJPEG streams, 4 open
   a stream and never read a byte, and 4 send half a request and stop. The
   same replay without --http first: the counts must be exactly equal, and
   no camera may drop or fall behind. Peak RSS (VmHWM) of each run.
   With wrk (Debian's package) on the PATH, two wrk processes do the
   hammering of /metrics and /api/v1/status instead of the pollers (4
   connections each, for the replay's length); without it, the pollers
   measure the same thing: requests answered a second while counting.
2. Cost: 4 cameras on a 60 s clip as fast as they go (no --realtime), with
   no server, with the server and no client, and with one client watching a
   stream: CPU seconds (wait4) per frame counted, median of --runs.
3. Preview: with the cameras finished and the server up, the CPU the
   process spends per frame shown on a stream (annotated, with the mask,
   raw), from /proc/PID/stat.
Prints Markdown tables.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ini(path, clip, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write("[camera cam%d]\nsource=%s\nline=0,0.5,1,0.5\n" % (i, clip))


def run(binary, args, during=None):
    """Runs turnstile; during(port) runs alongside once it listens. Returns
    (summary, wall s, cpu s, peak RSS MiB, during's result)."""
    port = None
    if "--http" in args:
        port = free_port()
        args = [a if a != "PORT" else "127.0.0.1:%d" % port for a in args]
    t0 = time.time()
    p = subprocess.Popen([binary, "-j", "--no-tui"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    result, hwm = None, 0

    def watch_rss():
        nonlocal hwm
        while p.poll() is None:
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            hwm = max(hwm, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.2)

    w = threading.Thread(target=watch_rss, daemon=True)
    w.start()
    if port and during:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        result = during(port, p)
    elif port:
        # The server stays up after the replay: stop it when the cameras end.
        wait_finished(port, p)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    wall = time.time() - t0
    return json.loads(out), wall, ru.ru_utime + ru.ru_stime, max(hwm, ru.ru_maxrss) / 1024, result


def wait_finished(port, p):
    while True:
        try:
            st = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/status" % port,
                                                   timeout=5).read())
            if all(c["state"] in ("finished", "error") for c in st["cameras"]):
                break
        except OSError:
            pass
        time.sleep(0.1)
    p.terminate()


def counts(summary):
    return [(c["name"], c["in"], c["out"], c["frames"], c["dropped"]) for c in summary["cameras"]]


def load_clients(pollers, streams, stalled, slow):
    def during(port, proc):
        stop = threading.Event()
        stats = {"requests": 0, "errors": 0, "frames": 0}
        lock = threading.Lock()
        base = "http://127.0.0.1:%d" % port

        def poller(path):
            while not stop.is_set():
                try:
                    urllib.request.urlopen(base + path, timeout=5).read()
                    with lock:
                        stats["requests"] += 1
                except OSError:
                    with lock:
                        stats["errors"] += 1

        def streamer():
            try:
                with urllib.request.urlopen(base + "/cameras/cam0/stream.mjpg", timeout=10) as r:
                    while not stop.is_set():
                        chunk = r.read1(65536)
                        if not chunk:
                            break
                        with lock:
                            stats["frames"] += chunk.count(b"Content-Type: image/jpeg")
            except Exception:  # the server ends the stream at exit
                pass

        socks = []
        for _ in range(stalled):  # a whole request, then never read
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /cameras/cam1/stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        for _ in range(slow):  # half a request line, and nothing more
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /metr")
            socks.append(s)
        wrks = []
        if shutil.which("wrk"):
            # Through the replay (wait_finished ends it); wrk's own
            # duration is only an upper bound.
            wrks = [subprocess.Popen(["wrk", "-t1", "-c4", "-d120s", "--latency", base + path],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    for path in ("/metrics", "/api/v1/status")]
            threads = []
        else:
            threads = [threading.Thread(target=poller,
                                        args=("/metrics" if i % 2 else "/api/v1/status",))
                       for i in range(pollers)]
        threads += [threading.Thread(target=streamer) for _ in range(streams)]
        t0 = time.time()
        for t in threads:
            t.start()
        wait_finished(port, proc)
        stop.set()
        dt = time.time() - t0
        for t in threads:
            t.join()
        stats["wrk"] = []
        for w in wrks:
            w.send_signal(signal.SIGINT)  # wrk prints its summary on SIGINT
            out = w.communicate(timeout=30)[0]
            m = re.search(r"^\s*(\d+) requests in ([\d.]+)s", out, re.M)
            if m:
                stats["requests"] += int(m.group(1))
            e = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
            if e:
                stats["errors"] += 1
            lat = re.search(r"^\s*99%\s+(\S+)", out, re.M)
            stats["wrk"].append(lat.group(1) if lat else "?")
        for s in socks:
            s.close()
        stats["rate"] = stats["requests"] / dt
        return stats
    return during


def watcher(port, proc):
    """One client on a stream until the cameras finish; frames shown."""
    shown = [0]
    stop = threading.Event()

    def read():
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/cameras/cam0/stream.mjpg" % port,
                                        timeout=10) as r:
                while not stop.is_set():
                    chunk = r.read1(65536)
                    if not chunk:
                        break
                    shown[0] += chunk.count(b"Content-Type: image/jpeg")
        except Exception:  # the server ends the stream at exit
            pass
    t = threading.Thread(target=read)
    t.start()
    wait_finished(port, proc)
    stop.set()
    t.join()
    return shown[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--scenegen", required=True)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pollers", type=int, default=4)
    ap.add_argument("--size", default="1280x720")
    # Each kind of bad client this many times; with the pollers and streams
    # all from 127.0.0.1, within the server's 16 connections per address.
    ap.add_argument("--stalled", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="http-load-")
    w, h = a.size.split("x")
    clip = os.path.join(tmp, "load")
    subprocess.run([a.scenegen, "--out", clip, "--width", w, "--height", h, "--fps", "15",
                    "--seconds", str(a.seconds), "--crossings", "10"], check=True,
                   stdout=subprocess.DEVNULL)
    conf = os.path.join(tmp, "four.ini")
    ini(conf, clip + ".avi", 4)

    print("## Load: 4 cameras, %s, %g s in real time\n" % (a.size, a.seconds))
    base, wall0, cpu0, rss0, _ = run(a.turnstile, ["--realtime", "-c", conf])
    loaded, wall1, cpu1, rss1, st = run(a.turnstile, ["--realtime", "--http", "PORT", "-c", conf],
                                        load_clients(a.pollers, 2, a.stalled, a.stalled))
    print("| run | counts (name, in, out, frames, dropped) | wall s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|")
    print("| no server | %s | %.1f | %.1f | %.0f |" % (counts(base), wall0, cpu0, rss0))
    print("| server under load | %s | %.1f | %.1f | %.0f |" % (counts(loaded), wall1, cpu1, rss1))
    print("\ncounts equal: %s; %.0f status+metrics requests/s answered by %s (%d errors%s), "
          "%d stream frames to 2 readers; %d clients never reading, %d with half a request\n"
          % (counts(base) == counts(loaded), st["rate"], "wrk" if st["wrk"] else "the pollers",
             st["errors"], ", p99 latency " + " / ".join(st["wrk"]) if st["wrk"] else "",
             st["frames"], a.stalled, a.stalled))

    print("## Cost: 4 cameras as fast as they go (%d runs each, median)\n" % a.runs)
    long_clip = os.path.join(tmp, "long")
    subprocess.run([a.scenegen, "--out", long_clip, "--width", w, "--height", h, "--fps", "15",
                    "--seconds", "60", "--crossings", "20"], check=True, stdout=subprocess.DEVNULL)
    ini(conf, long_clip + ".avi", 4)
    print("| run | CPU s | frames | CPU us/frame | counts equal |")
    print("|---|---|---|---|---|")
    ref = None
    for name, args, during in (("no server", ["-c", conf], None),
                               ("server, no client", ["--http", "PORT", "-c", conf], None),
                               ("server, one stream watched", ["--http", "PORT", "-c", conf],
                                watcher)):
        cpus, shown = [], []
        for _ in range(a.runs):
            s, wall, cpu, rss, n = run(a.turnstile, args, during)
            cpus.append(cpu)
            shown.append(n or 0)
            ref = ref or counts(s)
        cpus.sort()
        frames = sum(c["frames"] for c in s["cameras"])
        print("| %s | %.2f | %d | %.0f | %s |" % (name, cpus[len(cpus) // 2], frames,
                                                  1e6 * cpus[len(cpus) // 2] / frames,
                                                  counts(s) == ref))
    print("\n(wall time is not compared: with --http the process stays up until told, and is")
    print("stopped here after polling /api/v1/status for the end)\n")

    print("## Preview: CPU per shown frame\n")
    # The cameras finished, the server up: a stream at 30 frames a second
    # re-renders the last frame (decode, draw, encode) each time.
    with open(conf, "a") as f:
        f.write("[turnstile]\npreview_fps=30\n")
    port = free_port()
    p = subprocess.Popen([a.turnstile, "--no-tui", "--http", "127.0.0.1:%d" % port, "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            st = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/status" % port,
                                                   timeout=5).read())
            if all(c["state"] == "finished" for c in st["cameras"]):
                break
        except OSError:
            pass
        time.sleep(0.1)

    def cpu_of(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    for query in ("", "?mask=1", "?raw=1"):
        c0, n = cpu_of(p.pid), 0
        with urllib.request.urlopen("http://127.0.0.1:%d/cameras/cam0/stream.mjpg%s"
                                    % (port, query), timeout=10) as r:
            data = b""
            while n < 90:
                data += r.read1(65536)
                n = data.count(b"Content-Type: image/jpeg")
        c1 = cpu_of(p.pid)
        print("- %s: %.1f ms CPU per shown frame (%d frames, %s source, shown at the scale "
              "nearest 640 wide)" % ("annotated" + query if query else "annotated",
                                    1000 * (c1 - c0) / n, n, a.size))
    p.terminate()
    p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
