#!/usr/bin/env python3
"""compare-ffmpeg: counts each clip of a folder (NAME.avi + NAME.truth.json,
e.g. /work/shared/data/real) through the MJPEG AVI reader and, re-encoded
by the ffmpeg CLI, through the FFmpeg source as H.264 MP4 and MPEG-1 PS.
MPEG-1 carries only a few frame rates: where the CLI had to change the
clip's rate (dropping or repeating frames) it is another clip, and is
marked so. Prints a Markdown table. A report, never a test.

Usage: tools/compare-ffmpeg.py DIR [--build DIR] [--work DIR]
"""
import argparse
import json
import os
import subprocess


def count(ts, clip, line):
    p = subprocess.run([ts, "--json", "--line", line, clip], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    c = json.loads(p.stdout)["cameras"][0]
    return c["in"], c["out"], c["frames"], c["corrupt"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--work", default="/tmp/turnstile-compare-ffmpeg")
    o = ap.parse_args()
    ts = os.path.join(o.build, "turnstile")
    os.makedirs(o.work, exist_ok=True)
    print("| clip | truth in/out | AVI in/out (frames) | H.264 MP4 in/out (frames) | "
          "MPEG-1 in/out (frames) |")
    print("|---|---|---|---|---|")
    for t in sorted(f for f in os.listdir(o.dir) if f.endswith(".truth.json")):
        name = t[: -len(".truth.json")]
        with open(os.path.join(o.dir, t)) as f:
            truth = json.load(f)
        line = ",".join(str(v) for v in truth["line"])
        avi = os.path.join(o.dir, name + ".avi")
        cells = []
        for ext, opts in (("avi", None),
                          ("mp4", ["-c:v", "libx264", "-preset", "medium", "-pix_fmt", "yuv420p"]),
                          ("mpg", ["-c:v", "mpeg1video", "-q:v", "3", "-strict", "unofficial",
                                   "-f", "mpeg"])):
            clip = avi
            if opts:
                clip = os.path.join(o.work, f"{name}.{ext}")
                if not os.path.exists(clip):
                    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", avi,
                                    *opts, clip], check=True)
            r = count(ts, clip, line)
            if r is None:
                cells.append("error")
                continue
            note = "" if r[2] == truth["frames"] else " (rate changed by the CLI)"
            bad = f", {r[3]} corrupt" if r[3] else ""
            cells.append(f"{r[0]}/{r[1]} ({r[2]}{bad}){note}")
        print(f"| {name} | {truth['in']}/{truth['out']} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
