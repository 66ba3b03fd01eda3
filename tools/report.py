#!/usr/bin/env python3
"""Runs turnstile over directories of clips with known truth and prints a table.

Usage: report.py --turnstile BIN [options] DIR [DIR...]

Every NAME.truth.json in a DIR (as scenegen writes, or made by hand) is a
clip: NAME.avi, else NAME.mjpeg, else NAME.y4m beside it. Each is counted on
its own with the truth's line, and its events are matched to the truth's by
score.py (per direction, within --tolerance). One row per clip: truth and
counted in/out, misses, extras and the mean |frame error| of matched events;
then the totals.

The frame rate that turns the tolerance into frames is the truth's "fps";
hand-made truth files may have none, and then it is the camera's "fps" in
turnstile's --json summary if it reports one, else the AVI header's, else 25.

Options:
  --markdown           print the table as Markdown (for the README)
  --tolerance SECONDS  how far a counted event may be from the truth's (default 1)
  --jobs N             clips counted at once (default: the number of CPUs)
  --arg=ARG            one more argument for turnstile (repeat for several),
                       e.g. --arg=--detect-width --arg=320

Exit status: 0 when every clip counted exactly (totals and events), 1 when
one did not, or turnstile failed on it, or its truth file is unreadable (the
row says "error"), 2 on bad usage or when no clip was found.
"""
import argparse
import concurrent.futures
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import score  # noqa: E402  (tools/score.py: truth loading and event matching)

MEDIA = (".avi", ".mjpeg", ".y4m")
DEFAULT_FPS = 25.0


def find_clips(dirs):
    """[(label, clip path, truth path)] for every truth file with media."""
    clips = []
    for d in dirs:
        if not os.path.isdir(d):
            raise score.BadInput(f"{d}: not a directory")
        for f in sorted(os.listdir(d)):
            if not f.endswith(".truth.json"):
                continue
            name = f[: -len(".truth.json")]
            media = next((os.path.join(d, name + e) for e in MEDIA
                          if os.path.exists(os.path.join(d, name + e))), None)
            if media is None:
                print(f"report.py: {os.path.join(d, f)}: no {name}.avi/.mjpeg/.y4m beside it; "
                      "skipped", file=sys.stderr)
                continue
            label = name if len(dirs) == 1 else f"{os.path.basename(os.path.normpath(d))}/{name}"
            clips.append((label, media, os.path.join(d, f)))
    return clips


def avi_fps(path):
    """Frame rate from an AVI's first video stream header (strh rate/scale),
    else its main header (avih microseconds per frame); None if neither."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError:
        return None
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"AVI ":
        return None
    avih = None

    def walk(pos, end):
        nonlocal avih
        while pos + 8 <= end:
            fourcc, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
            body = pos + 8
            if fourcc == b"LIST" and body + 4 <= end:
                if data[body:body + 4] in (b"hdrl", b"strl"):
                    r = walk(body + 4, min(end, body + size))
                    if r:
                        return r
                elif data[body:body + 4] == b"movi":
                    return None
            elif fourcc == b"avih" and body + 4 <= end:
                avih = struct.unpack_from("<I", data, body)[0]
            elif fourcc == b"strh" and body + 32 <= end and data[body:body + 4] == b"vids":
                scale, rate = struct.unpack_from("<II", data, body + 20)
                if scale and rate:
                    return rate / scale
            pos = body + size + (size & 1)
        return None

    fps = walk(12, len(data))
    if fps:
        return fps
    return 1e6 / avih if avih else None


def count_clip(args, clip, truth_path, tmp, idx):
    """Runs turnstile on one clip. Returns (summary, events) or raises
    RuntimeError with turnstile's complaint."""
    with open(truth_path) as f:
        truth = json.load(f)
    events = os.path.join(tmp, f"{idx}.events.jsonl")
    cmd = [args.turnstile, "--json", "--events", events]
    if "line" in truth:
        cmd += ["--line", ",".join(repr(float(v)) for v in truth["line"])]
    cmd += [*args.arg, clip]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"turnstile exited {p.returncode}: {p.stderr.strip()}")
    try:
        summary = json.loads(p.stdout)
        cam = summary["cameras"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise RuntimeError("turnstile printed no JSON summary")
    if os.path.exists(events):
        _, evs = score.load_result(events)
    else:
        evs = []
    return cam, evs


def score_clip(args, label, clip, truth_path, cam, events):
    """One table row as a dict."""
    with open(truth_path) as f:
        raw = json.load(f)
    fps, fps_from = raw.get("fps"), "truth"
    if not fps:
        fps, fps_from = cam.get("fps"), "turnstile"
    if not fps and clip.endswith(".avi"):
        fps, fps_from = avi_fps(clip), "AVI header"
    if not fps:
        fps, fps_from = DEFAULT_FPS, "default"
    truth, fps, truth_events = score.load_truth(truth_path, fps)
    res = score.compare(truth_events, events, args.tolerance * fps)
    pairs = [p for d in score.DIRECTIONS for p in res[d]["pairs"]]
    row = {
        "clip": label, "fps": fps, "fps_from": fps_from,
        "truth": (int(truth["in"]), int(truth["out"])),
        "counted": (int(cam["in"]), int(cam["out"])),
        "missed": {d: len(res[d]["missed"]) for d in score.DIRECTIONS},
        "extra": {d: len(res[d]["extra"]) for d in score.DIRECTIONS},
        "pairs": pairs, "error": None,
    }
    row["exact"] = (row["truth"] == row["counted"] and not any(row["missed"].values())
                    and not any(row["extra"].values()))
    return row


def per_direction(n):
    """{"in": 2, "out": 1} -> "2 in, 1 out"; nothing -> "0"."""
    parts = [f"{n[d]} {d}" for d in score.DIRECTIONS if n[d]]
    return ", ".join(parts) if parts else "0"


def cells(row):
    if row["error"]:
        return [row["clip"], "%d / %d" % row["truth"], "error", "-", "-", "-"]
    err = score.mean_error(row["pairs"])
    return [row["clip"], "%d / %d" % row["truth"], "%d / %d" % row["counted"],
            per_direction(row["missed"]), per_direction(row["extra"]),
            "-" if err is None else f"{err:.1f}"]


def totals(rows):
    ok = [r for r in rows if not r["error"]]
    t = {"clip": f"total ({sum(r['exact'] for r in ok)} of {len(rows)} exact)",
         "truth": tuple(sum(r["truth"][i] for r in rows) for i in (0, 1)),
         "counted": tuple(sum(r["counted"][i] for r in ok) for i in (0, 1)),
         "missed": {d: sum(r["missed"][d] for r in ok) for d in score.DIRECTIONS},
         "extra": {d: sum(r["extra"][d] for r in ok) for d in score.DIRECTIONS},
         "pairs": [p for r in ok for p in r["pairs"]], "error": None}
    return t


HEAD = ["clip", "truth in/out", "counted in/out", "misses", "extras", "timing error (frames)"]


def print_table(rows, markdown):
    body = [cells(r) for r in rows]
    total = cells(totals(rows))
    if markdown:
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "|".join("---" for _ in HEAD) + "|")
        for c in body:
            print("| " + " | ".join(c) + " |")
        print("| " + " | ".join(f"**{x}**" for x in total) + " |")
        return
    width = [max(len(c[i]) for c in body + [total, HEAD]) for i in range(len(HEAD))]

    def line(c):
        return "  ".join(x.ljust(width[i]) if i == 0 else x.rjust(width[i])
                         for i, x in enumerate(c)).rstrip()
    print(line(HEAD))
    for c in body:
        print(line(c))
    print("-" * len(line(HEAD)))
    print(line(total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 usage="report.py --turnstile BIN [options] DIR [DIR...]")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    ap.add_argument("--turnstile", required=True, metavar="BIN")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--tolerance", type=float, default=1.0, metavar="SECONDS")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, metavar="N")
    ap.add_argument("--arg", action="append", default=[], metavar="ARG")
    args = ap.parse_args()
    if args.tolerance < 0 or args.jobs < 1:
        ap.error("--tolerance must not be negative and --jobs must be at least 1")
    if not os.access(args.turnstile, os.X_OK):
        ap.error(f"--turnstile: {args.turnstile} is not an executable")

    try:
        clips = find_clips(args.dirs)
    except score.BadInput as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    if not clips:
        print("report.py: no clips with truth files in " + ", ".join(args.dirs), file=sys.stderr)
        return 2

    rows = []
    with tempfile.TemporaryDirectory(prefix="turnstile-report-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = [pool.submit(count_clip, args, clip, truth, tmp, i)
                for i, (_, clip, truth) in enumerate(clips)]
        for (label, clip, truth), run in zip(clips, runs):
            try:
                cam, events = run.result()
                rows.append(score_clip(args, label, clip, truth, cam, events))
            except (RuntimeError, score.BadInput, OSError, ValueError, KeyError) as e:
                print(f"report.py: {clip}: {e}", file=sys.stderr)
                try:
                    with open(truth) as f:
                        t = json.load(f)
                    want = (int(t["in"]), int(t["out"]))
                except (OSError, ValueError, KeyError, TypeError):
                    want = (0, 0)
                rows.append({"clip": label, "truth": want, "error": str(e), "exact": False})

    print_table(rows, args.markdown)
    for r in rows:
        if not r["error"] and r["fps_from"] != "truth":
            print(f"note: {r['clip']}: no fps in the truth; {r['fps']:g} fps from the "
                  f"{r['fps_from']}", file=sys.stderr)
    return 0 if all(r["exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
