#!/usr/bin/env python3
"""The live view in a real terminal: turnstile on the four sample cameras in a
tmux pane of a fixed size, read back with capture-pane.

Checks that the screen shows each camera's and the site's totals from the
samples' truth files once the replays end, that it redraws at a smaller
(80x24) and a larger size, that '?' shows the help, that colour comes only
from a terminal that has it, and that 'q' exits 0 and prints the summary.
Why the counts are what they are: each camera's and each line's tracks
seen, turned back and object size (SEEN BACK SIZE; at 80 columns the
selected camera's on the events rule) equal the same run's --json=FILE
summary. The samples run with one more line on door, in a corner nothing
crosses, so the per-line rows show.

Usage: tui_test.py --turnstile BIN --samples DIR
Prints one line per check and 'N passed, N failed'; exits 1 on any failure,
77 (meson's skip) without tmux or the samples.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

RESULTS = {"passed": 0, "failed": 0}
TIMEOUT = 120  # seconds for the replays to end (sanitizer builds are slow)


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok     " if ok else "FAILED ") + what, flush=True)
    return ok


class Tmux:
    """A private tmux server on its own socket, one session "t"."""

    def __init__(self, tmp):
        self.status = os.path.join(tmp, "status")
        self.sock = os.path.join(tmp, "tmux.sock")
        self.conf = os.path.join(tmp, "tmux.conf")
        with open(self.conf, "w") as f:
            # No status line: the pane is the whole window. Keep the pane
            # after the program exits, to read its exit status and output.
            f.write("set -g status off\nset -g remain-on-exit on\n"
                    "set -g default-terminal screen\n")

    def __call__(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, "-f", self.conf, *args],
                              capture_output=True, text=True, timeout=30)

    def start(self, cmd, width, height):
        return self("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), cmd)

    def screen(self, escapes=False):
        p = self("capture-pane", "-p", "-t", "t", *(["-e"] if escapes else []))
        return p.stdout.split("\n")[:-1] if p.returncode == 0 else []

    def pane(self, fmt):
        return self("display-message", "-p", "-t", "t", fmt).stdout.strip()

    def keys(self, *keys):
        self("send-keys", "-t", "t", *keys)

    def stop(self):
        self("kill-server")


def wait_screen(tmux, cond, timeout):
    """Polls the screen until cond(lines) holds or the program has exited;
    returns the last screen (printed when cond does not hold)."""
    end = time.monotonic() + timeout
    lines = tmux.screen()
    while not cond(lines) and time.monotonic() < end and tmux.pane("#{pane_dead}") != "1":
        time.sleep(0.1)
        lines = tmux.screen()
    if not cond(lines):
        print("  screen:\n  | " + "\n  | ".join(lines))
    return lines


def wait_exit(tmux, timeout=30):
    """The exit status of turnstile ("" if it did not exit), as the shell in
    the pane saw it. (Not tmux's pane_dead_status: here tmux now and then
    misses a child's exit and never reaps it.)"""
    end = time.monotonic() + timeout
    while not os.path.exists(tmux.status) and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.05)
    return open(tmux.status).read().strip() if os.path.exists(tmux.status) else ""


ROW = re.compile(r"^ (\S+)\s+(streaming|reconnecting|finished|error)\s+(\d+)\s+(\d+)\s")
# A camera's whole row, to the SEEN BACK SIZE columns; a line's row.
WHY_ROW = re.compile(r"^ (\S+)\s+(?:streaming|reconnecting|finished|error)\s+\d+\s+\d+\s+"
                     r"[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\d+/\d+\s+\S+\s+(\d+)\s+(\d+)\s+(\S+)")
LINE_ROW = re.compile(r"^  \S (\S+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s+(\S+)\s*$")
WHY_RULE = re.compile(r" (\S+): seen (\d+) back (\d+) size (\S+) ")
EXTRA_LINE = "line.corner=0.02,0.05,0.2,0.05"  # on door: nothing crosses it
PART = "-n 100"  # the runs after the first: a part of each clip, with some crossings
SITE = re.compile(r"SITE\s+in (\d+)\s+out (\d+)\s+occupancy (\d+)(?:\s+\((\d+) exits)?")


def parse(lines):
    cams = {}
    site = None
    for line in lines:
        m = ROW.match(line)
        if m:
            cams[m.group(1)] = (m.group(2), int(m.group(3)), int(m.group(4)))
        m = SITE.search(line)
        if m:
            site = tuple(int(g or 0) for g in m.groups())
    return cams, site


def truths(samples):
    """camera -> (in, out) from samples.ini and the truth files."""
    want = {}
    name = None
    with open(os.path.join(samples, "samples.ini")) as f:
        for line in f:
            m = re.match(r"\[camera (\S+)\]", line.strip())
            if m:
                name = m.group(1)
            m = re.match(r"source=(?:samples/)?(\S+)\.\w+", line.strip())
            if m and name:
                with open(os.path.join(samples, m.group(1) + ".truth.json")) as t:
                    truth = json.load(t)
                want[name] = (truth["in"], truth["out"])
    return want


def why_of(obj):
    """(seen, back, size) as the view shows them, from a summary object."""
    size = obj["object_size"]
    return (obj["tracks_seen"], obj["turned_back"], "%.3f" % size if size > 0 else "-")


def why_rows(lines):
    """camera -> (seen, back, size), and (camera, line) -> the same."""
    cams, per_line, cam = {}, {}, None
    for line in lines:
        m = WHY_ROW.match(line)
        if m:
            cam = m.group(1)
            cams[cam] = (int(m.group(2)), int(m.group(3)), m.group(4))
            continue
        m = LINE_ROW.match(line)
        if m and cam:
            per_line[(cam, m.group(1))] = (int(m.group(2)), int(m.group(3)), m.group(4))
    return cams, per_line


def check_why(lines, summary, what, columns):
    """The screen's SEEN BACK SIZE for every camera and line equal the
    summary's (columns: 100 wide and more); at 80 columns, the selected
    camera's on the events rule."""
    if summary is None:
        return check(False, f"{what}: no --json summary to compare with")
    cams, per_line = why_rows(lines)
    want_cams = {c["name"]: why_of(c) for c in summary["cameras"]}
    want_lines = {(c["name"], l["name"]): why_of(l) for c in summary["cameras"]
                  for l in c["lines"] if len(c["lines"]) > 1}
    if not columns:
        check(not cams, f"{what}: no SEEN BACK SIZE columns where they do not fit")
        rule = [m for m in (WHY_RULE.search(line) for line in lines if "EVENTS" in line) if m]
        got = (rule[0].group(1), (int(rule[0].group(2)), int(rule[0].group(3)), rule[0].group(4))) \
            if rule else None
        first = summary["cameras"][0]["name"]
        return check(got == (first, want_cams[first]),
                     f"{what}: the selected camera's seen/back/size {got} on the events rule == "
                     f"the summary's {(first, want_cams[first])}")
    ok = check(cams == want_cams, f"{what}: SEEN BACK SIZE per camera {cams} == the summary's "
               f"{want_cams}")
    ok &= check(want_lines and per_line == want_lines,
                f"{what}: ... per line {per_line} == the summary's {want_lines}")
    return ok


def settled(want):
    """Every camera finished and showing its truth: a camera is "finished"
    once its inference thread ends, a moment before the coordinator has
    counted the last events it posted, so the counts may lag the state by
    a redraw or two."""
    def cond(lines):
        cams, site = parse(lines)
        return (all_finished(want)(lines) and
                all(cams[n][1:] == w for n, w in want.items()) and
                site is not None and site[:2] == (sum(w[0] for w in want.values()),
                                                  sum(w[1] for w in want.values())))
    return cond


def all_finished(want):
    def cond(lines):
        cams, _ = parse(lines)
        return len(cams) == len(want) and all(c[0] == "finished" for c in cams.values())
    return cond


def check_screen(lines, want, width, height, what):
    cams, site = parse(lines)
    ok = check(len(lines) == height and all(len(line) <= width for line in lines),
               f"{what}: screen is {width}x{height} ({len(lines)} lines)")
    ok &= check(lines and lines[0].startswith(" turnstile ") and lines[-1].startswith("q Quit"),
                f"{what}: title on the first row, keys on the last (row {height})")
    for name, (tin, tout) in sorted(want.items()):
        got = cams.get(name)
        ok &= check(got == ("finished", tin, tout),
                    f"{what}: {name} {got} == ('finished', {tin}, {tout})")
    sin, sout = sum(w[0] for w in want.values()), sum(w[1] for w in want.values())
    ok &= check(site is not None and site[:2] == (sin, sout) and site[2] - site[3] == sin - sout,
                f"{what}: site in/out/occupancy/corrections {site}, truth in {sin} out {sout}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--samples", required=True)
    args = ap.parse_args()
    # meson runs the tests from the build directory; the view runs elsewhere.
    args.turnstile = os.path.abspath(args.turnstile)
    if not shutil.which("tmux"):
        print("skipped: no tmux")
        return 77
    if not os.path.exists(os.path.join(args.samples, "samples.ini")):
        print("skipped: no samples")
        return 77
    root = os.path.dirname(os.path.abspath(args.samples))
    want = truths(args.samples)
    with tempfile.TemporaryDirectory(prefix="turnstile-tui-") as tmp:
        tmux = Tmux(tmp)
        try:
            run(args, tmp, tmux, root, want)
            run_monochrome(args, tmp, root, want)
            run_hangup(args, tmp, root, want)
        finally:
            tmux.stop()
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] or not RESULTS["passed"] else 0


def command(tmux, args, root, extra="", env="LC_ALL=C.UTF-8", conf="samples/samples.ini"):
    """turnstile on the samples in the pane; the shell notes its exit status."""
    return (f"cd {shlex.quote(root)} && env {env} {shlex.quote(args.turnstile)} "
            f"-c {shlex.quote(conf)} {extra}; echo $? > {shlex.quote(tmux.status)}")


def conf_with_extra_line(args, tmp):
    """samples.ini with absolute sources and EXTRA_LINE on door."""
    path = os.path.join(tmp, "cameras.ini")
    samples = os.path.abspath(args.samples)
    with open(os.path.join(samples, "samples.ini")) as f, open(path, "w") as out:
        cam = None
        for line in f:
            m = re.match(r"\[camera (\S+)\]", line.strip())
            cam = m.group(1) if m else cam
            if line.startswith("source=") and not line.startswith("source=/"):
                line = "source=" + os.path.join(samples, line[7:])
            out.write(line)
            if cam == "door" and line.startswith("line="):
                out.write(EXTRA_LINE + "\n")
    return path


def run(args, tmp, tmux, root, want):
    state = os.path.join(tmp, "state")
    summary_path = os.path.join(tmp, "summary.json")
    conf = conf_with_extra_line(args, tmp)
    p = tmux.start(command(tmux, args, root, f"--state {shlex.quote(state)} "
                           f"--json={shlex.quote(summary_path)}", conf=conf), 100, 32)
    if not check(p.returncode == 0, f"tmux started a 100x32 pane {p.stderr.strip()}"):
        return
    lines = wait_screen(tmux, settled(want), TIMEOUT)
    check_screen(lines, want, 100, 32, "100x32")
    screens = {"100x32": lines}
    events = [line for line in lines if re.match(r"^ \d\d:\d\d:\d\d  \S+\s+main\s+(in|out) ", line)]
    check(len(events) == sum(a + b for a, b in want.values()),
          f"100x32: the events pane lists every crossing ({len(events)})")
    check(any("all replays finished" in line for line in lines[:1]),
          "100x32: the title says the replays finished")
    coloured = "\n".join(tmux.screen(escapes=True))
    check(re.search(r"\x1b\[[0-9;]*3[1-6]m", coloured) is not None,
          "colour on a terminal that has it")

    for width, height in ((80, 24), (120, 40)):
        tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))
        # tmux may be read between two writes of a redraw: wait for a whole one.
        lines = wait_screen(tmux, lambda ls: len(ls) == height and ls[-1].startswith("q Quit")
                            and ls[0].startswith(" turnstile ") and all_finished(want)(ls), 10)
        check_screen(lines, want, width, height, f"resized to {width}x{height}")
        screens[f"{width}x{height}"] = lines

    tmux.keys("?")
    lines = wait_screen(tmux, lambda ls: any("any key closes it" in line for line in ls), 10)
    check(any("any key closes it" in line for line in lines), "'?' shows the help")
    tmux.keys("x")
    lines = wait_screen(tmux, lambda ls: not any("any key closes it" in line for line in ls), 10)
    check(not any("any key closes it" in line for line in lines), "any key closes the help")

    tmux.keys("q")
    status = wait_exit(tmux)
    check(status == "0", f"'q' exits with status 0 ({status!r})")
    summary = None
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    for what, lines in screens.items():
        check_why(lines, summary, what, columns=not what.startswith("80x"))
    sin, sout = sum(w[0] for w in want.values()), sum(w[1] for w in want.values())
    check(summary is not None and (summary["in"], summary["out"]) == (sin, sout),
          "--json=FILE with the view: the summary in FILE has the truth's totals")
    snap = open(os.path.join(state, "snapshot")).read()
    check(f"\nsite {sin} {sout} " in snap, "the state directory holds the same totals")


def run_monochrome(args, tmp, root, want):
    """A terminal without colour (vt100) gets none, and neither does NO_COLOR."""
    # No whole replays: 100 frames a camera (the truth is checked in run();
    # sanitizer builds on a loaded machine are slow).
    for env, what in (("TERM=vt100", "vt100"), ("NO_COLOR=1", "NO_COLOR=1")):
        sub = os.path.join(tmp, what.replace("=", ""))
        os.mkdir(sub)
        tmux = Tmux(sub)
        try:
            tmux.start(command(tmux, args, root, PART, env=f"LC_ALL=C.UTF-8 {env}"), 100, 30)
            lines = wait_screen(tmux, all_finished(want), TIMEOUT)
            check(all_finished(want)(lines), f"{what}: the view came up and the replays ended")
            # The coordinator counts a camera's last events a moment after
            # it shows "finished" (no --state here: microseconds); a few
            # redraws later the view's totals are the final ones.
            time.sleep(0.5)
            lines = tmux.screen()
            coloured = "\n".join(tmux.screen(escapes=True))
            check(re.search(r"\x1b\[[0-9;]*3[0-7]m", coloured) is None, f"{what}: no colour")
            tmux.keys("q")
            status = wait_exit(tmux)
            check(status == "0", f"{what}: 'q' exits 0 ({status!r})")
            _, site = parse(lines)
            text = "\n".join(tmux.screen())
            check(site is not None and
                  re.search(rf"^site\s+in\s+{site[0]}\s+out\s+{site[1]}\s", text, re.M) is not None,
                  f"{what}: the summary follows on the normal screen, with the view's totals {site}")
        finally:
            tmux.stop()


def children(ppid):
    """Processes whose parent is ppid (turnstile, under the pane's shell)."""
    kids = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                    kids.append(int(d))
        except (OSError, ValueError):
            pass
    return kids


def exited(pid):
    """Gone, or a zombie nobody reaps (its parent, tmux, is gone too)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def run_hangup(args, tmp, root, want):
    """The terminal goes away (tmux killed): SIGHUP then means finish, not
    "reopen the event log"; the process must not live on without a screen."""
    sub = os.path.join(tmp, "hangup")
    os.mkdir(sub)
    state = os.path.join(sub, "state")
    tmux = Tmux(sub)
    try:
        tmux.start(command(tmux, args, root, f"{PART} --state {shlex.quote(state)} --events "
                           f"{shlex.quote(os.path.join(sub, 'events.jsonl'))}"), 100, 30)
        lines = wait_screen(tmux, all_finished(want), TIMEOUT)
        kids = children(int(tmux.pane("#{pane_pid}") or 0))
        pid = kids[0] if kids else 0
        check(all_finished(want)(lines) and pid > 0, "hangup: the view came up")
    finally:
        tmux.stop()
    end = time.monotonic() + 10
    while pid and not exited(pid) and time.monotonic() < end:
        time.sleep(0.05)
    gone = not pid or exited(pid)
    if not gone:
        os.kill(pid, 9)
    check(gone, "hangup: the terminal closed, turnstile finished")
    snap = os.path.join(state, "snapshot")
    log = os.path.join(sub, "events.jsonl")
    n = len(open(log).read().splitlines()) if os.path.exists(log) else 0
    check(n > 0 and os.path.exists(snap) and f"\nnext_seq {n}\n" in open(snap).read(),
          f"hangup: it finished cleanly (final snapshot of all {n} events logged)")


if __name__ == "__main__":
    sys.exit(main())
