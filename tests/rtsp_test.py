"""The live case of ffmpeg_test.py: turnstile against a real RTSP server
(rtsp_server.py, GStreamer's gst-rtsp-server) on a free loopback port.

A generated clip with known crossings is served looping as H.264 behind
basic authentication; turnstile reads it over TCP, with the credentials
from a file, next to a file camera replayed in real time. Once the live
camera has counted, the server is killed for 5 s and started again. The
test requires: the live camera reported lost and reconnecting (log line and
status line), came back (log line, 1 reconnect) and counted again; the file
camera's frames grew every second through the outage and it counted its
truth exactly; the password appears nowhere in what turnstile wrote.
"""
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import time

import replay

check = replay.check
PASSWORD = "s3cret-Pw"
SERVER_PY = "/usr/bin/python3"   # Debian's, which has python3-gi


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_can_run():
    p = subprocess.run([SERVER_PY, "-c",
                        "import gi; gi.require_version('GstRtspServer', '1.0');"
                        "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
                        "assert Gst.ElementFactory.find('x264enc');"
                        "assert Gst.ElementFactory.find('rawvideoparse')"],
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip().splitlines()[-1:] or [""]


def start_server(port, yuv, truth):
    cmd = [SERVER_PY, os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtsp_server.py"),
           str(port), yuv, str(truth["width"]), str(truth["height"]), str(int(truth["fps"])),
           "alice", PASSWORD]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if line != "ready":
        p.kill()
        p.wait()
        return None
    return p


def stop_server(p):
    if p and p.poll() is None:
        p.kill()
        p.wait()


def read_events(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    ev = json.loads(line)
                    t = datetime.datetime.strptime(ev["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
                    ev["t"] = t.replace(tzinfo=datetime.timezone.utc).timestamp()
                    out.append(ev)
    return out


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def case_rtsp(args, tmp):
    ok, why = server_can_run()
    if not ok:
        print(f"skipped: GStreamer's RTSP server cannot run here ({why[0]}); Debian packages "
              "gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-ugly")
        return 77
    # The live clip: 6 crossings in 10 s, the first at 3.3 s, looped; the
    # file clip: 12 s in real time, which spans the outage.
    live = os.path.join(args.workdir, "live")
    filecam = os.path.join(args.workdir, "filecam")
    for out, opts in ((live, ["--seconds", "10", "--crossings", "6", "--transit", "1,2",
                              "--seed", "7", "--formats", "y4m"]),
                      (filecam, ["--seconds", "12", "--crossings", "5", "--seed", "8"])):
        p = replay.run([args.scenegen, "--out", out, *opts])
        if not check(p.returncode == 0, f"scenegen {os.path.basename(out)}"):
            return
    yuv = live + ".yuv"
    p = replay.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", live + ".y4m",
                    "-f", "rawvideo", "-pix_fmt", "yuv420p", yuv])
    if not check(p.returncode == 0, "ffmpeg made the raw clip the server loops"):
        return
    truth = replay.load_truth(live + ".truth.json")
    ftruth = replay.load_truth(filecam + ".truth.json")

    port = free_port()
    server = start_server(port, yuv, truth)
    if not check(server is not None, f"RTSP server listening on 127.0.0.1:{port}"):
        return
    cred = os.path.join(tmp, "cred")
    with open(cred, "w") as f:
        f.write(f"alice:{PASSWORD}\n")
    ini = os.path.join(tmp, "live.ini")
    with open(ini, "w") as f:
        f.write(f"[camera live]\nsource=rtsp://127.0.0.1:{port}/live\ncredentials={cred}\n"
                f"line={replay.line_arg(truth)}\n\n"
                f"[camera file]\nsource={filecam}.avi\nline={replay.line_arg(ftruth)}\n")
    events = os.path.join(tmp, "events.jsonl")
    ts = subprocess.Popen([args.turnstile, "-c", ini, "--realtime", "--no-tui", "--status-interval", "1",
                           "-e", events],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t_kill = t_restart = None
    try:
        def live_events(after=0):
            return [e for e in read_events(events) if e["camera"] == "live" and e["t"] > after]
        check(wait_for(lambda: live_events(), 15), "live camera counted before the outage")
        t_kill = time.time()
        stop_server(server)
        time.sleep(5)
        t_restart = time.time()
        server = start_server(port, yuv, truth)
        check(server is not None, "RTSP server started again after 5 s")
        check(wait_for(lambda: live_events(t_restart), 15),
              "live camera counted again after the restart")
    finally:
        ts.send_signal(signal.SIGINT)
        try:
            out, err = ts.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            ts.kill()
            out, err = ts.communicate()
        stop_server(server)
    if replay.SANITIZER_REPORT.search(err):
        print(err)
        check(False, "no sanitizer report")
    check(ts.returncode == 0, f"turnstile exited 0 on SIGINT ({ts.returncode})")
    # Lines carry a syslog priority ("<6>turnstile: ") when stderr is not a terminal.
    log = [re.sub(r"^<[0-7]>(turnstile: )?", "", ln) for ln in err.splitlines()]
    lost = [ln for ln in log if "camera 'live'" in ln and "lost (" in ln and "reconnecting" in ln]
    back = [ln for ln in log if "camera 'live'" in ln and "streaming again" in ln]
    check(len(lost) >= 1 and len(back) >= 1,
          f"log says lost, reconnecting, streaming again: {lost[:1]} {back[:1]}")
    status = [ln for ln in log if ln.startswith("live ") and "| file " in ln]
    check(any("(reconnecting)" in ln.split("|")[0] for ln in status),
          "a status line shows the live camera reconnecting")
    # The file camera through the outage: its frame count grows on every
    # status line while the live camera is reconnecting, until it finishes.
    def file_frames(ln):
        return int(ln.split("| file ")[1].split()[0])
    down = [file_frames(ln) for ln in status if "(reconnecting)" in ln.split("|")[0]]
    grew = all(b > a or b >= ftruth["frames"] for a, b in zip(down, down[1:]))
    check(len(down) >= 3 and grew, f"file camera's frames grew through the outage: {down}")
    evs = read_events(events)
    fin = sum(1 for e in evs if e["camera"] == "file" and e["direction"] == "in")
    fout = sum(1 for e in evs if e["camera"] == "file" and e["direction"] == "out")
    check((fin, fout) == (ftruth["in"], ftruth["out"]),
          f"file camera counted its truth exactly: in {fin}/{ftruth['in']} "
          f"out {fout}/{ftruth['out']}")
    during = [e for e in evs if e["camera"] == "file" and t_kill and t_kill < e["t"] < t_restart]
    check(len(during) >= 1 or ftruth["in"] + ftruth["out"] == 0,
          f"file camera counted during the outage ({len(during)} events)")
    with open(events) as f:
        written = out + err + f.read()
    check(PASSWORD not in written and "alice:" not in written,
          "the credentials appear nowhere in turnstile's output, log or events")
