#!/usr/bin/env python3
"""Robustness probes: every clip with truth, made harder in the ways footage
nobody has seen differs from the clips one tunes on, each with its own
truth, for tools/report.py.

Usage: variants.py [--only KIND,...] DIR OUT

Every NAME.truth.json in DIR with NAME.avi (or .mjpeg, .y4m) beside it is
a clip. For each, OUT gets NAME-KIND.avi (MJPEG, Debian's ffmpeg) and
NAME-KIND.truth.json:

  flip   mirrored left to right; the line mirrored with its ends swapped,
         so in and out stay the same
  half   every other frame at half the frame rate (a camera at 12 fps, or
         one that halves its rate in low light); event frames halved
  noise  sensor noise (strength 14 of 255, changing every frame)
  lowc   half the contrast and a little darker (dusk, a flat scene)
  sway   the camera sways +-4 px across and +-3 px up and down at 0.7 and
         0.5 Hz (a pole in the wind)
  q12    JPEG quality 12 instead of 3 (a camera saving bandwidth)
  third  every third frame at a third of the frame rate (people at 5 fps
         from a 15 fps recording; a 25 fps clip at 8 fps)
  roll   the camera rolled 12 degrees clockwise (a pole camera mounted
         askew): lanes and corridors at a slant; the line turned with the
         picture and run out to its edges, black corners
  far    the picture shrunk to 0.6 of its size in the middle of a black
         frame of the old size (the same scene from further away, or
         through a wider lens): objects 0.6 as big; the line scaled
  pump   auto-exposure hunting: the whole picture's gain swings +-20 %
         at 0.4 Hz, with a 25 % step up and back down for a second
         (a cloud, a door opened to daylight)

Then, e.g.:  tools/report.py --turnstile build/turnstile OUT

The truth is the clip's own: nothing here is tuned to what turnstile
counts. Exit status 0, 1 when ffmpeg fails, 2 on bad usage.
"""
import argparse
import json
import math
import os
import subprocess
import sys

MEDIA = (".avi", ".mjpeg", ".y4m")
SWAY = "crop=iw-8:ih-8:4+4*sin(2*PI*t*0.7):4+3*cos(2*PI*t*0.5),scale=iw+8:ih+8"
KINDS = {
    "flip": ["-vf", "hflip"],
    "half": ["-vf", "select='not(mod(n\\,2))'"],
    "noise": ["-vf", "noise=alls=14:allf=t"],
    "lowc": ["-vf", "eq=contrast=0.5:brightness=-0.1"],
    "sway": ["-vf", SWAY],
    "q12": [],
    "third": ["-vf", "select='not(mod(n\\,3))'"],
    "roll": ["-vf", "rotate=12*PI/180:fillcolor=black"],
    "far": ["-vf", "scale=trunc(iw*0.3)*2:trunc(ih*0.3)*2,pad=trunc(iw/0.6/2)*2:trunc(ih/0.6/2)*2"
            ":(ow-iw)/2:(oh-ih)/2:color=black"],
    "pump": ["-vf", "geq=lum='clip(lum(X,Y)*(1+0.2*sin(2*PI*T*0.4)+0.25*between(mod(T,8),4,5)),0,255)'"
             ":cb='cb(X,Y)':cr='cr(X,Y)'"],
}
ROLL = math.radians(12)

# Frames kept of each RATE_DIVISOR (the rest dropped), per kind.
RATE_DIVISOR = {"half": 2, "third": 3}


def rolled_line(line, w, h):
    """The line (normalised ends A, B) turned with a picture w x h rolled by
    ROLL clockwise about its centre, as ffmpeg's rotate does, and run out
    along its new slant to the picture's edges (its ends, A first)."""
    c, s = math.cos(ROLL), math.sin(ROLL)
    ends = []
    for x, y in (line[0:2], line[2:4]):
        dx, dy = x * w - w / 2, y * h - h / 2
        ends.append((w / 2 + dx * c - dy * s, h / 2 + dx * s + dy * c))
    (ax, ay), (bx, by) = ends
    ux, uy = bx - ax, by - ay
    # Where A + t u leaves the picture either way: t over [lo, hi].
    lo, hi = -math.inf, math.inf
    for p, d, size in ((ax, ux, w), (ay, uy, h)):
        if abs(d) < 1e-9:
            continue
        t0, t1 = (0 - p) / d, (size - p) / d
        lo, hi = max(lo, min(t0, t1)), min(hi, max(t0, t1))
    return [round((ax + lo * ux) / w, 4), round((ay + lo * uy) / h, 4),
            round((ax + hi * ux) / w, 4), round((ay + hi * uy) / h, 4)]


def frame_size(media):
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height", "-of", "csv=p=0", media],
                       capture_output=True, text=True)
    w, h = p.stdout.strip().split(",")[:2]
    return int(w), int(h)


def truth_for(kind, truth, name, size=None):
    t = dict(truth)
    t["clip"] = f"{name}-{kind}.avi"
    if kind == "roll":
        t["line"] = rolled_line(truth["line"], *size)
    elif kind == "far":
        t["line"] = [round(0.2 + 0.6 * v, 4) for v in truth["line"]]
    elif kind == "flip":
        ax, ay, bx, by = truth["line"]
        t["line"] = [1 - bx, by, 1 - ax, ay]  # mirrored, ends swapped: in stays in
    elif kind in RATE_DIVISOR:
        d = RATE_DIVISOR[kind]
        t["fps"] = truth["fps"] / d
        if "frames" in truth:
            t["frames"] = (truth["frames"] + d - 1) // d
        t["events"] = [dict(e, frame=e["frame"] // d) for e in truth.get("events", [])]
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated kinds (default: all)")
    ap.add_argument("dir")
    ap.add_argument("out")
    a = ap.parse_args()
    kinds = a.only.split(",") if a.only else list(KINDS)
    for k in kinds:
        if k not in KINDS:
            print(f"variants.py: --only: unknown kind '{k}' (known: {', '.join(KINDS)})",
                  file=sys.stderr)
            return 2
    if not os.path.isdir(a.dir):
        print(f"variants.py: {a.dir}: not a directory", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    made = 0
    for f in sorted(os.listdir(a.dir)):
        if not f.endswith(".truth.json"):
            continue
        name = f[: -len(".truth.json")]
        media = next((os.path.join(a.dir, name + e) for e in MEDIA
                      if os.path.exists(os.path.join(a.dir, name + e))), None)
        if media is None:
            continue
        with open(os.path.join(a.dir, f)) as fh:
            truth = json.load(fh)
        for k in kinds:
            if k in RATE_DIVISOR and "fps" not in truth:
                print(f"variants.py: {f}: no fps, no {k}-rate variant", file=sys.stderr)
                continue
            args = list(KINDS[k])
            if k in RATE_DIVISOR:
                args += ["-r", str(truth["fps"] / RATE_DIVISOR[k])]
            dst = os.path.join(a.out, f"{name}-{k}.avi")
            cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", media, *args,
                   "-c:v", "mjpeg", "-q:v", "12" if k == "q12" else "3", "-an", dst]
            if subprocess.run(cmd).returncode != 0:
                print(f"variants.py: ffmpeg failed on {media} ({k})", file=sys.stderr)
                return 1
            with open(os.path.join(a.out, f"{name}-{k}.truth.json"), "w") as fh:
                json.dump(truth_for(k, truth, name, frame_size(media) if k == "roll" else None),
                          fh)
            made += 1
    print(f"variants.py: {made} clips in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
