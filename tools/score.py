#!/usr/bin/env python3
"""Scores turnstile's counts against a clip's truth file (from scenegen).

Usage: score.py TRUTH.json RESULT [--camera NAME] [--tolerance SECONDS] [--fps FPS]

RESULT is either an events file (JSON lines, one object per counted crossing
with at least "camera", "direction" and "frame") or turnstile's --json
summary. With events, each truth event is matched to a counted event of the
same direction within the tolerance (default 1 s, in frames at the truth's
fps), earliest first; with a summary only the totals can be compared.

The camera is --camera if given, else the only camera in RESULT, else the one
named like the truth's clip.

Exit status: 0 when nothing was missed and nothing extra was counted,
1 otherwise, 2 on bad input.
"""
import argparse
import json
import sys

DIRECTIONS = ("in", "out")


class BadInput(Exception):
    pass


def load_truth(path, fps_override=None):
    try:
        with open(path) as f:
            t = json.load(f)
    except (OSError, ValueError) as e:
        raise BadInput(f"{path}: {e}")
    try:
        # Hand-made truth files may leave the rate out: --fps gives it.
        fps = float(fps_override if fps_override else t["fps"])
        events = [(int(e["frame"]), e["direction"]) for e in t["events"]]
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput(f"{path}: not a truth file ({e!r})")
    if fps <= 0 or any(d not in DIRECTIONS for _, d in events):
        raise BadInput(f"{path}: bad fps or direction")
    return t, fps, events


def load_result(path):
    """Returns ("summary", dict) or ("events", [dict, ...])."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise BadInput(f"{path}: {e}")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and "cameras" in whole:
        return "summary", whole
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
            if not isinstance(e, dict):
                raise ValueError("not an object")
            e["frame"] = int(e["frame"])
            if e["direction"] not in DIRECTIONS or "camera" not in e:
                raise ValueError("needs camera, direction in/out and frame")
        except (ValueError, KeyError, TypeError) as err:
            raise BadInput(f"{path}:{n}: bad event: {err}")
        events.append(e)
    return "events", events


def pick_camera(names, wanted, clip, path):
    """The camera to score among names (a list, possibly with repeats)."""
    unique = sorted(set(names))
    if wanted is not None:
        if wanted not in unique and unique:
            raise BadInput(f"{path}: no camera '{wanted}' (have: {', '.join(unique)})")
        return wanted
    if len(unique) <= 1:
        return unique[0] if unique else None
    if clip in unique:
        return clip
    raise BadInput(f"{path}: several cameras ({', '.join(unique)}); use --camera")


def match(truth_frames, counted_frames, tol):
    """Greedy in time order: each truth event takes the earliest unmatched
    counted event within tol frames. Returns (pairs, missed, extra)."""
    counted = sorted(counted_frames)
    used = [False] * len(counted)
    pairs, missed = [], []
    for tf in sorted(truth_frames):
        for i, cf in enumerate(counted):
            if not used[i] and abs(cf - tf) <= tol:
                used[i] = True
                pairs.append((tf, cf))
                break
        else:
            missed.append(tf)
    extra = [cf for i, cf in enumerate(counted) if not used[i]]
    return pairs, missed, extra


def compare(truth_events, events, tol):
    """Matches counted events (dicts with "direction" and "frame") to the
    truth's (frame, direction) pairs, per direction. Returns {direction:
    {"truth", "counted", "pairs", "missed", "extra"}}, the last three as from
    match(); the library entry point (tools/report.py uses it)."""
    out = {}
    for d in DIRECTIONS:
        tf = [f for f, dd in truth_events if dd == d]
        cf = [e["frame"] for e in events if e["direction"] == d]
        pairs, missed, extra = match(tf, cf, tol)
        out[d] = {"truth": len(tf), "counted": len(cf), "pairs": pairs, "missed": missed,
                  "extra": extra}
    return out


def mean_error(pairs):
    """Mean |counted - truth| frame of matched pairs, None without any."""
    return (sum(abs(c - t) for t, c in pairs) / len(pairs)) if pairs else None


def score_events(truth_events, events, tol):
    print(f"{'direction':<9} {'truth':>5} {'counted':>7} {'matched':>7} {'misses':>6} "
          f"{'extras':>6}  mean |frame error|")
    bad = 0
    details = []
    for d, r in compare(truth_events, events, tol).items():
        err = mean_error(r["pairs"])
        print(f"{d:<9} {r['truth']:>5} {r['counted']:>7} {len(r['pairs']):>7} "
              f"{len(r['missed']):>6} {len(r['extra']):>6}  {'-' if err is None else f'{err:.2f}'}")
        details += [f"miss  {d:<3} truth frame {f}" for f in r["missed"]]
        details += [f"extra {d:<3} counted frame {f}" for f in r["extra"]]
        bad += len(r["missed"]) + len(r["extra"])
    for line in details:
        print(line)
    return bad


def score_summary(truth, summary, cam_name, path):
    cams = summary.get("cameras") or []
    cam = next((c for c in cams if c.get("name") == cam_name), None)
    if cam is None:
        raise BadInput(f"{path}: no camera in the summary")
    print("summary only: totals compared, timing not checked")
    print(f"{'direction':<9} {'truth':>5} {'counted':>7} {'misses':>6} {'extras':>6}")
    bad = 0
    try:
        for d in DIRECTIONS:
            t, c = int(truth[d]), int(cam[d])
            print(f"{d:<9} {t:>5} {c:>7} {max(0, t - c):>6} {max(0, c - t):>6}")
            bad += abs(t - c)
        if int(cam.get("frames", truth["frames"])) != int(truth["frames"]):
            print(f"note: {cam['frames']} frames processed, the clip has {truth['frames']}")
        if cam.get("dropped") or cam.get("corrupt"):
            print(f"note: {cam.get('dropped', 0)} dropped, {cam.get('corrupt', 0)} corrupt frames")
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput(f"{path}: bad summary ({e!r})")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("truth")
    ap.add_argument("result")
    ap.add_argument("--camera")
    ap.add_argument("--tolerance", type=float, default=1.0, metavar="SECONDS")
    ap.add_argument("--fps", type=float, help="frame rate when the truth file has none")
    args = ap.parse_args()
    if args.tolerance < 0:
        ap.error("--tolerance must not be negative")

    try:
        truth, fps, truth_events = load_truth(args.truth, args.fps)
        clip = truth.get("clip")
        kind, result = load_result(args.result)
        if kind == "summary":
            names = [c.get("name") for c in result["cameras"] if isinstance(c, dict)]
        else:
            names = [e["camera"] for e in result]
        cam = pick_camera(names, args.camera, clip, args.result)
        tol = args.tolerance * fps
        print(f"clip {clip}, camera {cam or '(none)'}: tolerance {tol:.1f} frames ({args.tolerance:g} s)")
        if kind == "summary":
            bad = score_summary(truth, result, cam, args.result)
        else:
            bad = score_events(truth_events, [e for e in result if e["camera"] == cam], tol)
    except BadInput as e:
        print(f"score.py: {e}", file=sys.stderr)
        return 2
    print("result: " + ("PASS" if bad == 0 else "FAIL"))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
