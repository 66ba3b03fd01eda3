#!/usr/bin/env python3
"""Durable counts and signals, end to end: the real binary replaying the
samples in real time with --state, killed and signalled.

Usage: state_test.py CASE --turnstile BIN --samples DIR
CASE is one of:
  kill     SIGKILL at random moments (and right after an event reached the
           event log), restart on the same state directory: the totals it
           resumes from equal the events in the journal, and every event in
           --events before the kill is in the journal.
  signals  the options' errors; SIGINT/SIGTERM finish cleanly within a second
           with the journal, snapshot and summary in agreement; a second
           SIGINT exits at once and leaves the state consistent; a capture
           stuck on a stalled pipe does not hold up the exit; SIGHUP reopens
           the event log.
The seed of the random moments is printed; TURNSTILE_TEST_SEED repeats it.
Prints one line per check and 'N passed, N failed'; exits 1 on any failure,
77 (meson's skip) when the samples are missing.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

RESULTS = {"passed": 0, "failed": 0}
# The exit after SIGINT/SIGTERM must come within this (the issue's "within a
# second"); --sanitized (ASan, TSan builds: several times slower) allows 6 s:
# TSan beside chromium's test took 3.84 s to drain four cameras, journal and
# exit (2.3 s alone). The plain build's second is the requirement.
EXIT_WITHIN = 1.0
# How long a whole replay may take before it counts as hung: a guard, not a
# measure of speed. Under TSan four cameras take ~18 s alone and over 60 s
# beside the other tests (chromium among them).
HUNG_AFTER = 60


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok     " if ok else "FAILED ") + what, flush=True)
    return ok


def read_lines(path):
    """JSON objects of a JSON-lines file; a line that does not parse is None."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, "rb") as f:
        for raw in f:
            try:
                out.append(json.loads(raw))
            except ValueError:
                out.append(None)
    return out


def journal(state):
    return read_lines(os.path.join(state, "journal.jsonl"))


def tally(events):
    """Totals as turnstile keeps them: occupancy never below zero."""
    def add(t, e):
        if e["direction"] == "in":
            t["in"] += 1
            t["occupancy"] += 1
        else:
            t["out"] += 1
            if t["occupancy"] > 0:
                t["occupancy"] -= 1
            else:
                t["corrections"] += 1

    def zero():
        return {"in": 0, "out": 0, "occupancy": 0, "corrections": 0}

    site, cams = zero(), {}
    for e in sorted(events, key=lambda e: e["seq"]):
        add(site, e)
        add(cams.setdefault(e["camera"], zero()), e)
    return site, cams


class Run:
    def __init__(self, args, tmp, name):
        self.args, self.tmp = args, tmp
        self.ini = os.path.join(args.samples, "samples.ini")
        self.root = os.path.dirname(os.path.abspath(args.samples))
        self.state = os.path.join(tmp, name + ".state")
        self.events = os.path.join(tmp, name + ".events.jsonl")

    def start(self, *extra, stdin=subprocess.DEVNULL, sources=None, env=None):
        cmd = [self.args.turnstile, "--no-tui", "--state", self.state, "--events", self.events,
               *extra]
        cmd += sources if sources is not None else ["-c", self.ini]
        self.err = open(self.events + ".stderr", "w+")
        return subprocess.Popen(cmd, cwd=self.root, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=self.err, text=True, env=env)

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def resumed(self):
        """The totals a restart on the state directory resumes from: one frame
        per camera counts nothing, so the summary is what it read."""
        p = subprocess.run([self.args.turnstile, "--no-tui", "--json", "--frames", "1", "--state",
                            self.state, "-c", self.ini], cwd=self.root, capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            print(f"  restart exited {p.returncode}: {p.stderr.strip()}")
            return None
        return json.loads(p.stdout)


def wait_for(cond, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def check_consistent(run, what):
    """Journal well formed and numbered 0..N-1; a restart resumes exactly its
    totals; every logged event is in it, field for field."""
    jl = journal(run.state)
    ok = check(all(e is not None for e in jl) and [e["seq"] for e in jl] == list(range(len(jl))),
               f"{what}: journal has {len(jl)} whole lines numbered 0..{len(jl) - 1}")
    if not ok:
        return False
    by_seq = {e["seq"]: e for e in jl}
    logged = [e for e in read_lines(run.events) if e is not None]
    missing = [e for e in logged
               if {k: v for k, v in by_seq.get(e["seq"], {}).items() if k != "crc"} != e]
    ok &= check(not missing, f"{what}: all {len(logged)} logged events are in the journal"
                + (f" (missing {missing[:3]})" if missing else ""))
    res = run.resumed()
    if not check(res is not None, f"{what}: restart on the state directory"):
        return False
    site, cams = tally(jl)
    got_site = {k: res[k] for k in ("in", "out", "occupancy")}
    got_site["corrections"] = res["occupancy_corrections"]
    ok &= check(got_site == site, f"{what}: resumed site totals {got_site} == journal {site}")
    zero = {"in": 0, "out": 0}
    bad = [c["name"] for c in res["cameras"]
           if {"in": c["in"], "out": c["out"]} !=
           {k: cams.get(c["name"], zero)[k] for k in ("in", "out")}]
    ok &= check(not bad, f"{what}: resumed camera totals equal the journal's" +
                (f" (not {bad})" if bad else ""))
    return ok


def case_kill(args, tmp, rng):
    run = Run(args, tmp, "kill")
    rounds = 5
    for r in range(rounds):
        before = len(read_lines(run.events))
        p = run.start("--realtime")
        if r % 2 == 0:
            # A random moment: most events of the samples fall in 4..15 s.
            delay = rng.uniform(2.0, 10.0)
            wait_for(lambda: p.poll() is not None, delay)
            how = f"at {delay:.2f} s"
        else:
            # Right after an event reached the log: the journal must have it.
            wait_for(lambda: len(read_lines(run.events)) > before or p.poll() is not None, 30,
                     step=0.001)
            how = "just after an event was logged"
        alive = p.poll() is None
        p.kill()
        p.wait()
        check(alive, f"round {r}: killed {how} ({len(read_lines(run.events))} events logged so far)")
        check_consistent(run, f"round {r}")
    jl = journal(run.state)
    check(len(jl) > 0, f"the rounds counted something ({len(jl)} events)")


def finish(p, sig):
    """Sends sig, returns (seconds to exit, exit status, stdout)."""
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return time.monotonic() - t0, p.returncode, out


def cli_checks(args, tmp):
    """The options' errors: usage (2) or runtime (1), one line naming the cause."""
    t, lobby = args.turnstile, os.path.join(args.samples, "lobby.avi")

    def run(*a):
        return subprocess.run([t, "--no-tui", *a], capture_output=True, text=True,
                              timeout=HUNG_AFTER)

    p = run("--reset-at", "04:00", lobby)
    check(p.returncode == 2 and "needs --state" in p.stderr, "--reset-at without --state: exit 2")
    p = run("--state", os.path.join(tmp, "cli"), "--reset-at", "4:5", lobby)
    check(p.returncode == 2 and "'4:5'" in p.stderr, "--reset-at 4:5: exit 2 naming it")
    missing = os.path.join(tmp, "no", "such", "dir")
    p = run("--state", missing, lobby)
    check(p.returncode == 1 and missing in p.stderr, "--state in a missing directory: exit 1 naming it")
    held = os.path.join(tmp, "held")
    first = subprocess.Popen([t, "--no-tui", "--realtime", "--state", held, lobby],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists(os.path.join(held, "journal.jsonl")), 30)
    p = run("--state", held, lobby)
    check(p.returncode == 1 and "in use by another turnstile" in p.stderr,
          "a state directory in use: exit 1, says so")
    first.kill()
    first.wait()

    # The learnt object sizes: kept per camera beside the journal, read
    # back at start; a damaged file is said once, and counting goes on.
    sizes = os.path.join(tmp, "sizes")
    os.mkdir(sizes)
    clips = [os.path.join(args.samples, n + ".avi") for n in ("door", "lobby", "gate", "corridor")]
    p = run("--state", sizes, *clips)
    kept = {}
    for name in ("door", "lobby", "gate", "corridor"):
        try:
            with open(os.path.join(sizes, name + ".sizes")) as f:
                text = f.read().split("\n")
            kept[name] = int(text[1].split()[2]) if text[0] == "turnstile-sizes 1" else -1
        except (OSError, IndexError, ValueError):
            kept[name] = None
    check(p.returncode == 0 and all(n and n > 0 for n in kept.values()),
          f"every camera's learnt object sizes kept in the state directory: {kept}")
    with open(os.path.join(sizes, "door.sizes"), "w") as f:
        f.write("turnstile-sizes 1\nline main 3\n0.01 0.1\n")
    p = run("--state", sizes, *clips)
    said = [ln for ln in p.stderr.splitlines() if "learnt object sizes" in ln]
    check(p.returncode == 0 and len(said) == 1 and "door" in said[0] and "damaged" in said[0],
          f"a damaged sizes file: one line naming the camera, and the run goes on ({said})")


def case_signals(args, tmp, rng):
    cli_checks(args, tmp)
    # One signal: drain, journal, snapshot, summary, exit 0, within a second.
    for sig in (signal.SIGINT, signal.SIGTERM):
        name = signal.Signals(sig).name
        run = Run(args, tmp, name)
        p = run.start("--realtime", "--json")
        wait_for(lambda: len(read_lines(run.events)) >= 2 or p.poll() is not None, 30)
        took, rc, out = finish(p, sig)
        if not check(rc == 0 and took <= EXIT_WITHIN,
                     f"{name}: exit {rc} after {took:.2f} s (0 within {EXIT_WITHIN} s)"):
            print("  stderr: " + run.stderr().strip().replace("\n", "\n  "))
        res = json.loads(out) if rc == 0 else None
        site, _ = tally(journal(run.state))
        check(res is not None and (res["in"], res["out"]) == (site["in"], site["out"]),
              f"{name}: summary in/out {res and (res['in'], res['out'])} == journal "
              f"{(site['in'], site['out'])}")
        snap = open(os.path.join(run.state, "snapshot")).read().splitlines()
        jl = journal(run.state)
        want = [f"next_seq {len(jl)}",
                f"site {site['in']} {site['out']} {site['occupancy']} {site['corrections']}"]
        check(snap[2:4] == want, f"{name}: snapshot {snap[2:4]} covers the whole journal {want}")
        check_consistent(run, name)

    # A capture thread waiting on a stalled pipe: it sees the stop flag (the
    # wait is a poll in slices), so nothing is left behind and the run is out
    # within a second; a second SIGINT during the drain exits at once (130),
    # or finds it already gone (0).
    y4m = os.path.join(args.samples, "lobby.y4m")
    for second in (False, True):
        what = "stalled pipe" + (", second SIGINT" if second else "")
        run = Run(args, tmp, "stall2" if second else "stall")
        r, w = os.pipe()
        with open(y4m, "rb") as f:
            data = f.read()
        env = None
        if second:
            # The second signal's _exit ends the process around its threads
            # on purpose (that is what "at once" means): ThreadSanitizer would
            # report the capture thread, finished or not, as never joined
            # (exit 66). Its other checks stay on.
            env = dict(os.environ)
            env["TSAN_OPTIONS"] = ":".join(filter(None, [env.get("TSAN_OPTIONS"),
                                                         "report_thread_leaks=0"]))
        p = run.start("--json", stdin=r, sources=["-"], env=env)
        os.close(r)
        # Every frame but the last few, then nothing more: the pipe stays open.
        # The clip's two crossings (frames 32, 43) come before the stall.
        os.write(w, data[: len(data) * 9 // 10])
        wait_for(lambda: len(read_lines(run.events)) >= 2 or p.poll() is not None, 60)
        time.sleep(0.3)  # it reads on to the end of what was written, and waits there
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        if second:
            time.sleep(0.2)
            p.send_signal(signal.SIGINT)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        took = time.monotonic() - t0
        os.close(w)
        want_rc = (0, 130) if second else (0,)
        if not check(p.returncode in want_rc and took <= EXIT_WITHIN,
                     f"{what}: exit {p.returncode} after {took:.2f} s ({want_rc} within "
                     f"{EXIT_WITHIN} s)"):
            print("  stderr: " + run.stderr().strip().replace("\n", "\n  "))
        if not second:
            check("blocked in a read" not in run.stderr(),
                  f"{what}: the capture thread stopped waiting, none left behind")
            res = json.loads(out) if p.returncode == 0 else None
            site, _ = tally(journal(run.state))
            check(res is not None and res["in"] == site["in"] and res["out"] == site["out"],
                  f"{what}: summary equals the journal")
        # The restart resumes the journal's totals (the site's: the camera was
        # "stdin" and is now "lobby").
        jl = journal(run.state)
        check(len(jl) == 2 and all(e is not None for e in jl), f"{what}: journal whole ({len(jl)} events)")
        p2 = subprocess.run([args.turnstile, "--no-tui", "--json", "--frames", "1", "--state",
                             run.state, y4m], capture_output=True, text=True, timeout=60)
        res = json.loads(p2.stdout) if p2.returncode == 0 else None
        site, _ = tally(jl)
        check(res is not None and (res["in"], res["out"]) == (site["in"], site["out"]),
              f"{what}: restart resumes the journal's totals {(site['in'], site['out'])}")

    # SIGHUP: the log moved away (logrotate) continues in a new file.
    run = Run(args, tmp, "hup")
    p = run.start("--realtime")
    wait_for(lambda: len(read_lines(run.events)) >= 1 or p.poll() is not None, 30)
    os.rename(run.events, run.events + ".1")
    p.send_signal(signal.SIGHUP)
    wait_for(lambda: len(read_lines(run.events)) >= 1 or p.poll() is not None, 30)
    alive = p.poll() is None
    took, rc, _ = finish(p, signal.SIGINT)
    old, new = read_lines(run.events + ".1"), read_lines(run.events)
    if not check(alive and rc == 0, f"SIGHUP: still running afterwards, then exit {rc}"):
        print("  stderr: " + run.stderr().strip().replace("\n", "\n  "))
    jl = journal(run.state)
    both = sorted(e["seq"] for e in old + new if e)
    check(len(old) >= 1 and len(new) >= 1 and both == [e["seq"] for e in jl],
          f"SIGHUP: {len(old)} events in the old file, {len(new)} in the new one, "
          f"together the journal's {len(jl)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--sanitized", action="store_true")
    args = ap.parse_args()
    global EXIT_WITHIN, HUNG_AFTER
    if args.sanitized:
        EXIT_WITHIN = 6.0
        HUNG_AFTER = 300
    # meson runs the tests from the build directory; the view runs elsewhere.
    args.turnstile = os.path.abspath(args.turnstile)
    if not os.path.exists(os.path.join(args.samples, "samples.ini")):
        print("skipped: no samples")
        return 77
    seed = int(os.environ.get("TURNSTILE_TEST_SEED", time.time_ns() % 1000000))
    print(f"seed {seed} (TURNSTILE_TEST_SEED={seed} repeats it)")
    cases = {"kill": case_kill, "signals": case_signals}
    with tempfile.TemporaryDirectory(prefix="turnstile-state-") as tmp:
        cases[args.case](args, tmp, random.Random(seed))
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] or not RESULTS["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
