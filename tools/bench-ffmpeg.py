#!/usr/bin/env python3
"""bench-ffmpeg: H.264 720p30 through turnstile's FFmpeg source, next to the
pipe it replaces and to FFmpeg decoding alone, in one run.

  (a) turnstile X.mp4                                   (the FFmpeg source)
  (b) ffmpeg -i X.mp4 -f yuv4mpegpipe - | turnstile -   (the old way)
  (c) ffmpeg -i X.mp4 -f null -                         (bare decode, all threads)
  (d) ffmpeg -threads 1 -i X.mp4 -f null -              (bare decode, one thread)
each --runs times, interleaved, median: frames per second (wall) and CPU
milliseconds per frame (rusage of the children: the whole pipe for (b)).
Then N cameras of (a) with --realtime, N doubled then bisected, for the
largest N where every camera keeps up with 30 fps (frames counted within
3 % of what the clip's rate allows in the run and no corrupt frame).

The clip is rendered once by scenegen (moving objects, 1280x720 at 30 fps)
and encoded by the ffmpeg CLI with libx264 (preset medium, the CLI's
defaults: High profile, B-frames), kept in --clips DIR.

Prints Markdown on stdout, progress on stderr. The machine is shared: the
load average is printed before and after; compare ratios within one run.
Never run by the test suite.

Usage: tools/bench-ffmpeg.py [--build DIR] [--clips DIR] [--seconds S] [--runs N]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, shell=False):
    """Runs cmd; returns (wall seconds, CPU seconds of it and its children, stdout)."""
    c0, t0 = children_cpu(), time.monotonic()
    p = subprocess.run(cmd, shell=shell, capture_output=True, text=True)
    t1, c1 = time.monotonic(), children_cpu()
    if p.returncode != 0:
        sys.exit(f"bench-ffmpeg: {cmd} failed: {p.stderr.strip()[-400:]}")
    return t1 - t0, c1 - c0, p.stdout


def make_clip(o):
    os.makedirs(o.clips, exist_ok=True)
    base = os.path.join(o.clips, f"h264-720p30-{o.seconds}s")
    mp4 = base + ".mp4"
    if not os.path.exists(mp4):
        log(f"rendering {mp4}")
        subprocess.run([os.path.join(o.build, "tools", "scenegen"), "--out", base, "--width",
                        "1280", "--height", "720", "--fps", "30", "--seconds", str(o.seconds),
                        "--crossings", str(max(2, o.seconds // 3)), "--formats", "avi"],
                       check=True, capture_output=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", base + ".avi",
                        "-c:v", "libx264", "-preset", "medium", "-pix_fmt", "yuv420p", mp4],
                       check=True)
    with open(base + ".truth.json") as f:
        return mp4, json.load(f)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def realtime_ok(o, ts, mp4, truth, n, secs):
    """n cameras of the clip in --realtime for secs: does every one keep up?"""
    cmd = [ts, "--json", "--realtime", "-d", str(secs)] + [mp4] * n
    _, _, out = timed(cmd)
    cams = json.loads(out)["cameras"]
    want = secs * truth["fps"]
    ok = all(c["frames"] >= 0.97 * min(want, truth["frames"]) and c["corrupt"] == 0
             for c in cams)
    worst = min(c["frames"] for c in cams)
    log(f"  {n} cameras in real time: slowest {worst} of {want:.0f} frames: "
        f"{'keeps up' if ok else 'falls behind'}")
    return ok


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--clips", default="/tmp/turnstile-bench-clips")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rt-seconds", type=int, default=8)
    o = ap.parse_args()
    ts = os.path.join(o.build, "turnstile")
    mp4, truth = make_clip(o)
    frames = truth["frames"]
    line = ",".join(str(v) for v in truth["line"])
    load0 = loadavg()

    ways = {
        "turnstile X.mp4 (FFmpeg source)": [ts, "--json", "--line", line, mp4],
        "ffmpeg -f yuv4mpegpipe - | turnstile -":
            f"ffmpeg -nostdin -loglevel error -i {mp4} -f yuv4mpegpipe - | "
            f"{ts} --json --line {line} -",
        "ffmpeg -f null - (decode only)":
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", mp4, "-f", "null", "-"],
        "ffmpeg -threads 1 -f null - (decode only, 1 thread)":
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-threads", "1", "-i", mp4, "-f",
             "null", "-"],
    }
    res = {k: [] for k in ways}
    counts = {}
    for r in range(o.runs):
        for name, cmd in ways.items():
            wall, cpu, out = timed(cmd, shell=isinstance(cmd, str))
            res[name].append((wall, cpu))
            if out.startswith("{"):
                cam = json.loads(out)["cameras"][0]
                counts[name] = (cam["in"], cam["out"], cam["frames"])
            log(f"run {r + 1}: {name}: {frames / wall:.0f} fps, {1000 * cpu / frames:.2f} CPU ms/frame")

    print(f"## FFmpeg source: H.264 1280x720 at 30 fps, {frames} frames\n")
    print(f"Machine: {os.cpu_count()} CPUs, load average {load0} before, {loadavg()} after "
          f"(shared: compare ratios). Median of {o.runs} interleaved runs.\n")
    print("| way | frames/s (wall) | CPU ms/frame | x realtime (30 fps) | counts (in, out, frames) |")
    print("|---|---|---|---|---|")
    base = None
    for name in ways:
        wall = statistics.median(w for w, _ in res[name])
        cpu = statistics.median(c for _, c in res[name])
        fps = frames / wall
        if base is None:
            base = (fps, cpu)
        print(f"| {name} | {fps:.0f} | {1000 * cpu / frames:.2f} | {fps / 30:.1f} | "
              f"{counts.get(name, '')} |")
    print(f"\nTruth: in {truth['in']}, out {truth['out']}.\n")

    # Cameras in real time: double, then bisect.
    log("cameras in real time")
    lo, hi, n = 0, None, 1
    while hi is None:
        if realtime_ok(o, ts, mp4, truth, n, o.rt_seconds):
            lo, n = n, n * 2
        else:
            hi = n
        if n > 256:
            hi = n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if realtime_ok(o, ts, mp4, truth, mid, o.rt_seconds):
            lo = mid
        else:
            hi = mid
    print(f"Cameras of this clip in real time (--realtime, {o.rt_seconds} s, every camera within "
          f"3 % of 30 fps): **{lo}** (load average after: {loadavg()}).")


if __name__ == "__main__":
    main()
