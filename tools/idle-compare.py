#!/usr/bin/env python3
"""Idle skipping's accuracy gate (docs/idle-skip.md): every clip must count
exactly the same with idle skipping on and off.

Usage: idle-compare.py --turnstile BIN [--markdown] [--jobs N] DIR [DIR...]

Every NAME.truth.json in a DIR with NAME.avi (or .mjpeg, .y4m) beside it is
a clip. Each is counted four times: with its truth's line, skipping off and
on; and with that line cut to its middle half (a line short of the edges,
which is what lets a camera skip), off and on. Where skipping on skipped
nothing (N = 1) the run with it off is left out: it would be the same run. A row gives the truth, the
counts off and on, the N in use (1: the line reaches an edge, so nothing
is skipped) and the share of frames skipped. Counts "on" must equal "off"
in both, in and out; the largest difference in the frame a crossing was
counted at is shown (an object first seen a frame or two later may be
counted a frame later). With the truth's line the counts must also equal
the truth (tools/report.py gives the detail).

Exit status: 0 when on equals off everywhere, 1 when a clip differs or
turnstile failed, 2 on bad usage or no clip.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

MEDIA = (".avi", ".mjpeg", ".y4m")


def find_clips(dirs):
    clips = []
    for d in dirs:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".truth.json"):
                continue
            name = f[: -len(".truth.json")]
            media = next((os.path.join(d, name + e) for e in MEDIA
                          if os.path.exists(os.path.join(d, name + e))), None)
            if media:
                clips.append((name, media, os.path.join(d, f)))
    return clips


def middle_half(line):
    """The line's middle half: from a quarter to three quarters of A->B."""
    ax, ay, bx, by = line
    return [ax + 0.25 * (bx - ax), ay + 0.25 * (by - ay),
            ax + 0.75 * (bx - ax), ay + 0.75 * (by - ay)]


def count(turnstile, media, line, skip, tmp, tag, extra=()):
    """(in, out, [(frame, dir)], frames, skipped, N) or an error string."""
    ini = os.path.join(tmp, tag + ".ini")
    events = os.path.join(tmp, tag + ".jsonl")
    with open(ini, "w") as f:
        f.write(f"[camera c]\nsource={os.path.abspath(media)}\n"
                f"line={','.join(repr(float(v)) for v in line)}\nidle_skip={1 if skip else 0}\n")
    p = subprocess.run([turnstile, "-q", "--json", "--events", events, "-c", ini, *extra],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return f"exit {p.returncode}: {p.stderr.strip()[-300:]}"
    cam = json.loads(p.stdout)["cameras"][0]
    evs = []
    with open(events) as f:
        for ln in f:
            e = json.loads(ln)
            evs.append((e["frame"], e["direction"]))
    return (cam["in"], cam["out"], sorted(evs), cam["frames"], cam["skipped"], cam["idle_skip"])


def compare(turnstile, clip, tmp, extra=()):
    """One row: {name, truth, full: (off, on), short: (off, on)}."""
    name, media, truth_path = clip
    with open(truth_path) as f:
        truth = json.load(f)
    row = {"name": name, "truth": (truth["in"], truth["out"])}
    for kind, line in (("full", truth["line"]), ("short", middle_half(truth["line"]))):
        on = count(turnstile, media, line, True, tmp, f"{name}-{kind}-on", extra)
        # Nothing skipped: every frame went through exactly as with
        # skipping off, so that run would only repeat this one.
        off = on if not isinstance(on, str) and on[4] == 0 else \
            count(turnstile, media, line, False, tmp, f"{name}-{kind}-off", extra)
        row[kind] = (off, on)
    return row


def same(pair):
    """Whether on counted what off counted: in, out and crossing by crossing."""
    off, on = pair
    return (not isinstance(off, str) and not isinstance(on, str) and off[:2] == on[:2] and
            [d for _, d in off[2]] == [d for _, d in on[2]])


def frame_shift(pair):
    """The largest |frame on - frame off| of the crossings, in order."""
    off, on = pair
    if not same(pair):
        return -1
    return max([abs(a[0] - b[0]) for a, b in zip(off[2], on[2])], default=0)


def cell(r):
    return "error" if isinstance(r, str) else f"{r[0]}/{r[1]}"


def skip_cell(r):
    if isinstance(r, str):
        return "error"
    return f"N={r[5]} {100.0 * r[4] / r[3] if r[3] else 0:.0f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    clips = find_clips(a.dirs)
    if not clips:
        print("idle-compare.py: no clip found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        rows = list(pool.map(lambda c: compare(a.turnstile, c, tmp), clips))
    head = ["clip", "truth in/out", "line: off", "on", "skipping", "middle half: off", "on",
            "skipping", "on = off", "max frame shift"]
    fmt = "| " + " | ".join(["{}"] * len(head)) + " |" if a.markdown else \
        "{:<16} {:>12} {:>9} {:>6} {:>10} {:>16} {:>6} {:>10} {:>8} {:>15}"
    print(fmt.format(*head))
    if a.markdown:
        print("|" + "---|" * len(head))
    bad = 0
    for r in rows:
        ok = same(r["full"]) and same(r["short"])
        bad += not ok
        print(fmt.format(r["name"], f"{r['truth'][0]}/{r['truth'][1]}", cell(r["full"][0]),
                         cell(r["full"][1]), skip_cell(r["full"][1]), cell(r["short"][0]),
                         cell(r["short"][1]), skip_cell(r["short"][1]), "yes" if ok else "NO",
                         shift if (shift := max(frame_shift(r["full"]),
                                                frame_shift(r["short"]))) >= 0 else "-"))
        for kind in ("full", "short"):
            for r2 in r[kind]:
                if isinstance(r2, str):
                    print(f"  {r['name']} ({kind}): {r2}", file=sys.stderr)
    print(f"{len(rows) - bad} of {len(rows)} clips count the same with idle skipping on and off")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
