#!/usr/bin/env python3
"""turnstile as a service, run for real: nothing blocks start-up or shutdown.

Usage: service_test.py CASE --turnstile BIN --samples DIR [--sanitized]
CASE: startup (start-up and shutdown never wait on a source), output (machine
output: JSON Lines on stdout, pts, seq), logs (priorities, --quiet, status lines),
install (meson install --destdir, man pages, unit), notify (sd_notify).
Prints one line per check and 'N passed, N failed'; exits 1 on any failure,
77 (meson's skip) when something it needs cannot run here, saying why.
"""
import argparse
import json
import os
import pty
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

RESULTS = {"passed": 0, "failed": 0}
SANITIZER_REPORT = re.compile(r"^(==\d+==ERROR: \w+Sanitizer|WARNING: ThreadSanitizer|.*runtime error: )",
                              re.M)


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok     " if ok else "FAILED ") + what, flush=True)
    return ok


def truth(args, clip):
    with open(os.path.join(args.samples, clip + ".truth.json")) as f:
        return json.load(f)


def finish(proc, timeout=30):
    """Waits for proc; returns (stdout, stderr), killing it when it hangs."""
    try:
        so, se = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        so, se = proc.communicate()
    if SANITIZER_REPORT.search(se or ""):
        sys.exit(f"sanitizer report:\n{se}")
    return so, se


def summary(so):
    try:
        return json.loads(so)
    except ValueError:
        return None


def cam(res, name):
    if not res:
        return None
    return next((c for c in res["cameras"] if c["name"] == name), None)


def cameras_started(pid):
    """Whether the process has its camera's two threads running, which main
    starts after blocking the signals it waits for. Before main (the dynamic
    loader mapping some 150 libraries, a sanitizer's start-up: over a second
    under TSan on a busy machine) no program can handle a signal, and SIGINT
    kills it."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1]) >= 3
    except OSError:
        pass
    return False


def stop_within(proc, sig, limit):
    """Sends sig; returns (seconds until exit or None, stdout, stderr)."""
    t0 = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=limit)
        took = time.monotonic() - t0
    except subprocess.TimeoutExpired:
        took = None
    so, se = finish(proc)
    return took, so, se


def case_startup(args, tmp):
    # lobby: the smallest clip with crossings (64 frames), fast even under TSan.
    t, door = args.turnstile, os.path.join(args.samples, "lobby.avi")
    want = truth(args, "lobby")
    limit = 3.0 if args.sanitized else 1.0
    fifo = os.path.join(tmp, "nowriter")
    os.mkfifo(fifo)

    # Sanitized builds replay several times slower: room for the file to end.
    slow = 2 if args.sanitized else 1

    # A FIFO nobody writes beside a file: the file counts, SIGTERM ends it.
    evlog = os.path.join(tmp, "events.log")
    proc = subprocess.Popen([t, "--json", "--no-tui", "-e", evlog, fifo, door],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30 * slow
    while time.monotonic() < deadline and proc.poll() is None and (
            not os.path.exists(evlog) or len(open(evlog).readlines()) < want["in"] + want["out"]):
        time.sleep(0.1)
    # The frames after the last crossing: a few, but TSan on a loaded CI machine
    # once took over a second for them.
    time.sleep(3.0 if args.sanitized else 0.5)
    took, so, se = stop_within(proc, signal.SIGTERM, limit)
    c = cam(summary(so), "lobby")
    check(took is not None and proc.returncode == 0 and c is not None and
          (c["in"], c["out"], c["frames"]) == (want["in"], want["out"], want["frames"]) and
          "blocked in a read" not in se,
          f"FIFO without writer + file: file counts {want['in']}/{want['out']}, SIGTERM ends in "
          f"{took and round(took, 2)} s (limit {limit}), exit {proc.returncode}, summary "
          f"{c and (c['in'], c['out'], c['frames'])}")

    # The same ended by --duration, long enough for the file to end first: TSan alone replays
    # lobby in 2.5 s, and CI runs this beside chromium's test (4 s was not enough there).
    dur = 8 if args.sanitized else 2
    t0 = time.monotonic()
    proc = subprocess.Popen([t, "--json", "--no-tui", "--duration", str(dur), fifo, door],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    so, se = finish(proc, timeout=20)
    took = time.monotonic() - t0
    c = cam(summary(so), "lobby")
    check(proc.returncode == 0 and took < dur + limit + 0.5 and c is not None and
          "blocked in a read" not in se and
          (c["in"], c["out"]) == (want["in"], want["out"]),
          f"FIFO without writer + file, --duration {dur}: ends after {took:.2f} s, exit "
          f"{proc.returncode}, file counts {c and (c['in'], c['out'])}")

    # '-' on a pseudo-terminal nobody types into: SIGINT (Ctrl-C) ends it.
    master, slave = pty.openpty()
    proc = subprocess.Popen([t, "--json", "--no-tui", "-"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and not cameras_started(proc.pid):
        time.sleep(0.01)
    time.sleep(1.0)
    took, so, se = stop_within(proc, signal.SIGINT, limit)
    os.close(master)
    check(took is not None and proc.returncode == 0 and cam(summary(so), "stdin") is not None and
          "blocked in a read" not in se,
          f"'-' on a pseudo-terminal: SIGINT ends it in {took and round(took, 2)} s, exit "
          f"{proc.returncode} with the summary ({se.strip()[-200:]})")

    # A FIFO whose writer comes 3 s late is waited for, then counted exactly.
    late = os.path.join(tmp, "late")
    os.mkfifo(late)
    proc = subprocess.Popen([t, "--json", "--no-tui", late], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)

    def writer():
        time.sleep(3.0)
        with open(late, "wb") as w, open(door, "rb") as r:
            w.write(r.read())
    th = threading.Thread(target=writer)
    th.start()
    so, se = finish(proc, timeout=60)
    th.join()
    c = cam(summary(so), "late")
    check(proc.returncode == 0 and c is not None and
          (c["in"], c["out"], c["frames"]) == (want["in"], want["out"], want["frames"]),
          f"FIFO with a writer 3 s late: counted {c and (c['in'], c['out'], c['frames'])}, "
          f"exit {proc.returncode}")

    # A camera device missing at start is retried, said once, and does not
    # stop the run or the file beside it.
    missing = "/dev/turnstile-test-no-such-video"
    proc = subprocess.Popen([t, "--json", "--no-tui", "--duration", str(dur), missing, door],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    so, se = finish(proc, timeout=20)
    res = summary(so)
    c, m = cam(res, "lobby"), cam(res, "turnstile-test-no-such-video")
    said = [x for x in se.splitlines() if missing in x]
    check(proc.returncode == 0 and c is not None and (c["in"], c["out"]) == (want["in"], want["out"])
          and m is not None and m["state"] == "reconnecting" and len(said) == 1 and "retrying" in said[0],
          f"device missing at start: retried, said once ({said}), state "
          f"{m and m['state']}, exit {proc.returncode}")


def case_output(args, tmp):
    t, door = args.turnstile, os.path.join(args.samples, "door.avi")
    want = truth(args, "door")
    n = want["in"] + want["out"]

    # --events -: stdout is JSON Lines and nothing else; pts is media time.
    p = subprocess.run([t, "-e", "-", door], capture_output=True, text=True, timeout=60)
    try:
        events = [json.loads(x) for x in p.stdout.splitlines()]
    except ValueError as e:
        events = None
        print(f"  not JSON: {e}: {p.stdout[-300:]!r}")
    check(p.returncode == 0 and events is not None and len(events) == n and
          p.stdout.endswith("\n"),
          f"-e -: every stdout line parses as JSON ({events and len(events)} events, truth {n})")
    bad = [(e["frame"], e["pts"]) for e in events or []
           if abs(e["pts"] - e["frame"] / want["fps"]) > 1e-6]
    check(events is not None and len(events) == n and not bad,
          f"-e -: pts of each event == frame / {want['fps']} fps (off: {bad})")
    check(events is not None and all({"seq", "time", "pts"} <= set(e) for e in events) and
          "site" in p.stderr, "-e -: the table goes to stderr")

    # The rest on the smallest clip, fast under the sanitizers too.
    door = os.path.join(args.samples, "lobby.avi")
    want = truth(args, "lobby")
    n = want["in"] + want["out"]

    # --json with --events -: the summary on stderr, events alone on stdout.
    p = subprocess.run([t, "-e", "-", "--json", door], capture_output=True, text=True, timeout=60)
    lines = p.stdout.splitlines()
    summ = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    check(p.returncode == 0 and len(lines) == n and all("seq" in json.loads(x) for x in lines) and
          len(summ) == 1 and (summ[0]["in"], summ[0]["out"]) == (want["in"], want["out"]),
          f"-e - --json: {len(lines)} event lines on stdout, the summary on stderr "
          f"{summ and (summ[0]['in'], summ[0]['out'])}")

    # --json=FILE: the summary in FILE, stdout empty.
    sj = os.path.join(tmp, "summary.json")
    p = subprocess.run([t, f"--json={sj}", door], capture_output=True, text=True, timeout=60)
    res = json.load(open(sj)) if os.path.exists(sj) else None
    check(p.returncode == 0 and p.stdout == "" and res is not None and
          (res["in"], res["out"]) == (want["in"], want["out"]),
          f"--json=FILE: summary in the file {res and (res['in'], res['out'])}, stdout empty")

    # Without --state, a second run appending to the log carries on its seq.
    log = os.path.join(tmp, "events.log")
    for _ in range(2):
        subprocess.run([t, "-e", log, door], capture_output=True, timeout=60)
    seqs = [json.loads(x)["seq"] for x in open(log)]
    check(seqs == list(range(2 * n)), f"appended log: seq continues across runs ({seqs})")


def case_logs(args, tmp):
    t, lobby = args.turnstile, os.path.join(args.samples, "lobby.avi")
    missing = os.path.join(tmp, "missing.avi")
    base = [t, "--realtime", "--duration", "2.2", lobby, missing]

    # stderr a pipe, as under systemd: priorities, and no status line by default.
    p = subprocess.run(base, capture_output=True, text=True, timeout=60)
    err = p.stderr.splitlines()
    check(err and all(re.match(r"^<[3-6]>turnstile: ", x) for x in err) and
          any(x.startswith("<3>") and missing in x for x in err),
          f"stderr not a terminal: every line has a syslog priority, the error <3> ({err})")
    check(not any(" fr in " in x for x in err), "no status line by default for a service")

    p = subprocess.run(base + ["--status-interval", "0.5"], capture_output=True, text=True,
                       timeout=60)
    status = [x for x in p.stderr.splitlines() if " fr in " in x]
    check(3 <= len(status) <= 5 and all(x.startswith("<6>") for x in status),
          f"--status-interval 0.5 over 2.2 s: {len(status)} status lines at <6>")

    p = subprocess.run(base + ["--quiet", "--status-interval", "0.5"], capture_output=True,
                       text=True, timeout=60)
    err = p.stderr.splitlines()
    check(len(err) == 1 and err[0].startswith("<3>") and missing in err[0],
          f"--quiet: only the error is left ({err})")

    # On a terminal: no prefix, and a status line a second.
    master, slave = pty.openpty()
    proc = subprocess.Popen(base + ["--no-tui"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave)
    os.close(slave)
    got = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    proc.wait(timeout=30)
    os.close(master)
    err = got.decode(errors="replace").splitlines()
    check(err and all(x.startswith("turnstile: ") for x in err) and
          sum(" fr in " in x for x in err) >= 1,
          f"stderr a terminal: no prefixes, status lines ({len(err)} lines)")


def case_install(args, tmp):
    """meson install --destdir: the unit, both man pages, the example config."""
    if not args.builddir:
        sys.exit(77)
    dest = os.path.join(tmp, "dest")
    p = subprocess.run(["meson", "install", "-C", args.builddir, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True, timeout=120)
    files = sorted(os.path.relpath(os.path.join(d, f), dest)
                   for d, _, fs in os.walk(dest) for f in fs)
    def find(suffix):
        return next((os.path.join(dest, f) for f in files if f.endswith(suffix)), None)
    unit, man1, man5 = (find("systemd/system/turnstile.service"), find("man1/turnstile.1"),
                        find("man5/turnstile.ini.5"))
    example, sysusers = find("doc/turnstile/examples/turnstile.ini"), find("sysusers.d/turnstile.conf")
    binary = find("bin/turnstile")
    check(p.returncode == 0 and all([unit, man1, man5, example, sysusers, binary]),
          f"meson install --destdir: binary, unit, man pages, example config, sysusers ({files})")
    for page in (man1, man5):
        if not page:
            continue
        g = subprocess.run(["groff", "-ww", "-man", "-Tutf8", "-z", page], capture_output=True,
                           text=True)
        m = subprocess.run(["man", "--warnings=w", "-l", page], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        check(g.returncode == 0 and g.stderr == "" and m.returncode == 0 and m.stderr == "" and
              "turnstile" in m.stdout, f"{os.path.basename(page)}: groff -ww and man -l render "
              f"it without warnings ({(g.stderr + m.stderr).strip()[:200]})")
    if unit:
        text = open(unit).read()
        for key in ("Type=notify", "StateDirectory=turnstile", "ProtectSystem=strict",
                    "NoNewPrivileges=yes", "DeviceAllow=char-video4linux", "SupplementaryGroups=video",
                    "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec="):
            check(key in text, f"unit has {key}")
        # verify needs the binary where ExecStart says: point it at the installed one.
        local = os.path.join(tmp, "turnstile.service")
        with open(local, "w") as f:
            f.write(re.sub(r"^ExecStart=\S+", f"ExecStart={binary}", text, flags=re.M))
        v = subprocess.run(["systemd-analyze", "verify", "--man=no", local], capture_output=True,
                           text=True, timeout=60)
        if v.returncode != 0 and re.search(r"Failed to (connect|initialize|setup)|not been booted|"
                                           r"No such file or directory.*systemd", v.stderr):
            print(f"skip   systemd-analyze verify cannot run here: {v.stderr.strip()[:200]}")
        else:
            check(v.returncode == 0 and v.stderr.strip() == "",
                  f"systemd-analyze verify accepts the unit ({v.stderr.strip()[:300]})")


def case_notify(args, tmp):
    """Under Type=notify supervision: READY=1, WATCHDOG=1, STOPPING=1 on NOTIFY_SOCKET."""
    import socket
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    fifo = os.path.join(tmp, "waiting")
    os.mkfifo(fifo)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    env.pop("WATCHDOG_PID", None)
    # A FIFO nobody writes beside a file: ready all the same (it is waiting).
    proc = subprocess.Popen([args.turnstile, "--no-tui", "--json", fifo,
                             os.path.join(args.samples, "lobby.avi")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got, t0 = [], time.monotonic()
    ready_at = None
    while time.monotonic() - t0 < 10:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            msg = ""
        got += msg.split("\n") if msg else []
        if "READY=1" in got and ready_at is None:
            ready_at = time.monotonic() - t0
        if ready_at is not None and got.count("WATCHDOG=1") >= 2:
            break
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "STOPPING=1" not in got:
        try:
            got += sock.recv(4096).decode().split("\n")
        except socket.timeout:
            pass
    so, se = finish(proc)
    sock.close()
    check(ready_at is not None and ready_at < 5, f"READY=1 with a FIFO still waiting "
          f"({ready_at and round(ready_at, 2)} s)")
    check(got.count("WATCHDOG=1") >= 2, f"WATCHDOG=1 repeatedly at WATCHDOG_USEC/2 "
          f"({got.count('WATCHDOG=1')})")
    check("STOPPING=1" in got and proc.returncode == 0, f"STOPPING=1 on SIGTERM, exit "
          f"{proc.returncode}")


def case_config(args, tmp):
    """Config lookup, paths relative to the config, StateDirectory, one -c."""
    t = args.turnstile
    want = truth(args, "lobby")
    xdg = os.path.join(tmp, "xdg")
    os.makedirs(os.path.join(xdg, "turnstile", "clips"))
    os.symlink(os.path.join(os.path.abspath(args.samples), "lobby.avi"),
               os.path.join(xdg, "turnstile", "clips", "lobby.avi"))
    with open(os.path.join(xdg, "turnstile", "turnstile.ini"), "w") as f:
        f.write("[turnstile]\nstate=counts\n[camera lobby]\nsource=clips/lobby.avi\n"
                f"line={','.join(str(v) for v in want['line'])}\n")
    env = dict(os.environ, XDG_CONFIG_HOME=xdg)
    env.pop("STATE_DIRECTORY", None)
    # From / : no -c, no SOURCE: $XDG_CONFIG_HOME's config, its paths from its directory.
    p = subprocess.run([t, "--json"], cwd="/", env=env, capture_output=True, text=True, timeout=60)
    res = summary(p.stdout) if p.returncode == 0 else None
    c = cam(res, "lobby")
    check(c is not None and (c["in"], c["out"]) == (want["in"], want["out"]) and
          os.path.isdir(os.path.join(xdg, "turnstile", "counts")),
          f"no -c: $XDG_CONFIG_HOME/turnstile/turnstile.ini, source= and state= relative to it "
          f"({p.returncode}, {c and (c['in'], c['out'])}, {p.stderr.strip()[:200]})")

    # Under systemd: $STATE_DIRECTORY is the state directory when none is set.
    sd = os.path.join(tmp, "statedir")
    os.mkdir(sd)
    p = subprocess.run([t, "--json", os.path.join(args.samples, "lobby.avi")],
                       env=dict(env, STATE_DIRECTORY=sd), capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and os.path.exists(os.path.join(sd, "journal.jsonl")) and
          len(open(os.path.join(sd, "journal.jsonl")).readlines()) == want["in"] + want["out"],
          f"$STATE_DIRECTORY is the default state directory ({sorted(os.listdir(sd))})")

    # TERM=dumb on a terminal: no view (no escape sequences), status lines instead.
    master, slave = pty.openpty()
    proc = subprocess.Popen([t, "--realtime", "--duration", "2.2",
                             os.path.join(args.samples, "lobby.avi")], stdin=slave, stdout=slave,
                            stderr=slave, env=dict(os.environ, TERM="dumb"))
    os.close(slave)
    got = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    proc.wait(timeout=30)
    os.close(master)
    text = got.decode(errors="replace")
    check(proc.returncode == 0 and "\x1b" not in text and " fr in " in text and "site" in text,
          f"TERM=dumb: status lines and the table, no escape sequences ({text[:120]!r})")

    # Two -c: a usage error, in the one style.
    ini = os.path.join(xdg, "turnstile", "turnstile.ini")
    p = subprocess.run([t, "-c", ini, "-c", ini], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and re.match(r"^turnstile: -c: .*\(try --help\)$", p.stderr.strip()),
          f"two -c: exit 2, one 'turnstile: ...' line ({p.stderr.strip()})")
    # Every usage error in that style, never getopt's "argv[0]: ...".
    for bad in (["--bogus"], ["-x"], ["--events"], ["--json="], ["--status-interval", "-1"]):
        p = subprocess.run([t, *bad], capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and re.match(r"^turnstile: .*\(try --help\)$", p.stderr.strip()),
              f"{' '.join(bad)}: exit 2, '{p.stderr.strip()}'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--sanitized", action="store_true")
    ap.add_argument("--builddir")
    args = ap.parse_args()
    args.turnstile = os.path.abspath(args.turnstile)
    with tempfile.TemporaryDirectory() as tmp:
        {"startup": case_startup, "output": case_output, "logs": case_logs,
         "install": case_install, "notify": case_notify, "config": case_config}[args.case](args, tmp)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()
