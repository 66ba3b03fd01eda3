#!/usr/bin/env python3
"""The FFmpeg source end to end: the real turnstile binary on samples that
Debian's ffmpeg CLI re-encodes at test time, and on a real RTSP server.

Usage: ffmpeg_test.py CASE --turnstile BIN --score PY --samples DIR --workdir DIR
CASE: formats  every sample as H.264 MP4 and H.265 MKV, the 15 fps ones also as
               MPEG-2 TS and MPEG-1 PS, counts exactly its truth and the same
               as the MJPEG AVI; a variable-frame-rate MKV and an MKV on
               standard input too.
      rtsp     (see rtsp_test in this file)
Prints one line per check, exits 1 on any failure, 77 (meson's skip) when
ffmpeg or the RTSP server cannot run at all.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay  # noqa: E402  (check, run, turnstile_json, score...)

check = replay.check

# What the CLI makes of a sample: (name, ffmpeg output options, extension).
# H.264 at veryfast and H.265 at ultrafast both keep B-frames (reordering),
# and encode the four samples in a few seconds.
# MPEG-1 and MPEG-2 carry only a few frame rates; at any other the CLI
# drops or repeats frames to reach one (12.5 -> 12, 8 -> 10), which would be
# another clip. The 15 fps samples (door, corridor) keep every frame, 15
# being one MPEG-1 takes with -strict unofficial.
ENCODINGS = [
    ("h264", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast"], "mp4", None),
    ("h265", ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-preset", "ultrafast",
              "-x265-params", "log-level=error"], "mkv", None),
    ("mpeg2", ["-c:v", "mpeg2video", "-q:v", "3", "-f", "mpegts"], "ts", 15),
    ("mpeg1", ["-c:v", "mpeg1video", "-q:v", "3", "-strict", "unofficial", "-f", "mpeg"],
     "mpg", 15),
]


def encode(src, dst, opts):
    """Re-encodes src with opts; returns the path, or None. Kept in the build
    dir between runs, under a name that carries a hash of the options, so a
    changed recipe makes a new file."""
    tag = hashlib.sha1(" ".join(opts).encode()).hexdigest()[:8]
    root, ext = os.path.splitext(dst)
    out = f"{root}.{tag}{ext}"
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    tmp = os.path.join(os.path.dirname(out), "part-" + os.path.basename(out))
    p = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", src, *opts,
                        "-an", tmp], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"  ffmpeg failed on {src}: {p.stderr.strip()}")
        return None
    os.replace(tmp, out)
    return out


def counts(cam):
    return (cam["in"], cam["out"], cam["frames"])


def run_clip(args, clip, truth_path, tmp, label):
    """One turnstile run with its events scored: (summary or None, scored ok)."""
    truth = replay.load_truth(truth_path)
    events = os.path.join(tmp, label + ".events.jsonl")
    res = replay.turnstile_json(args, [clip], extra=["--line", replay.line_arg(truth),
                                                     "--events", events])
    return res, res is not None and replay.score(args, truth_path, events)


def check_clip(label, truth, run, ref=None):
    """Exact counts, every frame, events in time, and (given the MJPEG AVI's
    camera) the same counts as the AVI."""
    res, scored = run
    if not check(res is not None, f"{label}: turnstile ran"):
        return
    cam = res["cameras"][0]
    check(cam["in"] == truth["in"] and cam["out"] == truth["out"],
          f"{label}: in {cam['in']}/{truth['in']} out {cam['out']}/{truth['out']}")
    check(cam["frames"] == truth["frames"] and cam["corrupt"] == 0 and cam["dropped"] == 0,
          f"{label}: every frame processed ({cam['frames']}/{truth['frames']}, "
          f"corrupt {cam['corrupt']}, dropped {cam['dropped']})")
    check(scored, f"{label}: events match the truth in time")
    if ref is not None:
        check(counts(cam) == counts(ref),
              f"{label}: the same (in, out, frames) as the MJPEG AVI {counts(ref)}")


def count_clip(args, clip, truth_path, tmp, label, ref=None):
    check_clip(label, replay.load_truth(truth_path), run_clip(args, clip, truth_path, tmp, label),
               ref)


def case_formats(args, tmp):
    truths = sorted(f for f in os.listdir(args.samples) if f.endswith(".truth.json"))
    if not truths:
        return 77
    tsan = args.sanitize == "thread"
    if tsan:
        # About ten times slower: TSan is here for the threads, which one
        # sample in two codecs exercises; accuracy is the other builds' job.
        truths = [t for t in truths if t.startswith("door.")]
    # Encodes and runs are independent processes: all at once, one per CPU,
    # then checked in order.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    jobs = []
    for t in truths:
        name = t[: -len(".truth.json")]
        truth_path = os.path.join(args.samples, t)
        truth = replay.load_truth(truth_path)
        avi = os.path.join(args.samples, name + ".avi")
        ref = pool.submit(replay.turnstile_json, args, [avi],
                          extra=["--line", replay.line_arg(truth)])
        clips = []
        for kind, opts, ext, rate in ENCODINGS:
            if rate is not None and truth["fps"] != rate:
                continue
            if tsan and kind not in ("h264", "mpeg2"):
                continue
            label = f"{name}.{kind}.{ext}"

            def job(avi=avi, opts=opts, label=label, truth_path=truth_path):
                clip = encode(avi, os.path.join(args.workdir, label), opts)
                return clip, clip and run_clip(args, clip, truth_path, tmp, label)
            clips.append((label, pool.submit(job)))
        jobs.append((name, truth, ref, clips))
    for name, truth, ref, clips in jobs:
        ref = ref.result()
        if not check(ref is not None, f"{name}.avi: turnstile ran"):
            continue
        ref = ref["cameras"][0]
        for label, fut in clips:
            clip, run = fut.result()
            if check(clip is not None, f"{label}: ffmpeg made it"):
                check_clip(label, truth, run, ref)
    pool.shutdown()

    # Variable frame rate: door with every other frame held 1.5 periods and
    # the next 0.5, kept frame for frame (-fps_mode passthrough). The counts
    # stay exact; the stream's timestamps are checked in test_ffmpeg_source.
    truth_path = os.path.join(args.samples, "door.truth.json")
    if os.path.exists(truth_path) and not tsan:
        truth = replay.load_truth(truth_path)
        avi = os.path.join(args.samples, "door.avi")
        # (settb and -enc_time_base: in the default 1/15 s time base the
        # half periods would round away and the clip be constant-rate.)
        vfr = encode(avi, os.path.join(args.workdir, "door.vfr.mkv"),
                     ["-vf", "settb=1/1000,setpts='(N+0.5*mod(N,2))/15/TB'",
                      "-fps_mode", "passthrough", "-enc_time_base", "1/1000",
                      "-c:v", "libx264", "-preset", "veryfast"])
        if check(vfr is not None, "door: ffmpeg made a variable-frame-rate MKV"):
            count_clip(args, vfr, truth_path, tmp, "door.vfr.mkv")
        # Chosen by content, never by name: H.264 in Matroska named .avi
        # goes to FFmpeg (the AVI reader would refuse it), and an MJPEG AVI
        # named .mp4 still counts.
        mkv = encode(avi, os.path.join(args.workdir, "door.h264.mkv"), ENCODINGS[0][1])
        if check(mkv is not None, "door: ffmpeg made H.264 MKV"):
            for src, name in ((mkv, "door-h264-in-mkv.avi"), (avi, "door-mjpeg-avi.mp4")):
                link = os.path.join(tmp, name)
                os.symlink(os.path.abspath(src), link)
                count_clip(args, link, truth_path, tmp, name)
        # Standard input: a Matroska stream needs no seeking.
        if mkv is not None:
            with open(mkv, "rb") as f:
                res = replay.turnstile_json(args, ["-"], stdin=f,
                                            extra=["--line", replay.line_arg(truth)])
            cam = res["cameras"][0] if res else None
            check(cam is not None and counts(cam) == (truth["in"], truth["out"], truth["frames"])
                  and cam["corrupt"] == 0,
                  f"door H.264 MKV on standard input: {counts(cam) if cam else None} == truth")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--score", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--scenegen")
    ap.add_argument("--sanitize", default="none", help="the build's b_sanitize")
    args = ap.parse_args()
    if not shutil.which("ffmpeg"):
        print("skipped: Debian's ffmpeg CLI is not installed (tools/install-deps.sh)")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    cases = {"formats": case_formats}
    if "rtsp" in sys.argv[1:2]:
        import rtsp_test  # noqa: E402
        cases["rtsp"] = rtsp_test.case_rtsp
    with tempfile.TemporaryDirectory(prefix="turnstile-ffmpeg-") as tmp:
        rc = cases[args.case](args, tmp)
    if rc == 77:
        return 77
    print(f"{replay.RESULTS['passed']} passed, {replay.RESULTS['failed']} failed")
    return 1 if replay.RESULTS["failed"] or not replay.RESULTS["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
