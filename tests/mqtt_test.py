#!/usr/bin/env python3
"""MQTT end to end, against Debian's real mosquitto started here on a free
loopback port (persistence on, in a temp directory) and torn down after.

Usage: mqtt_test.py CASE --turnstile BIN --samples DIR [--sanitized]
CASE is one of:
  e2e     three nodes replay the samples with --realtime --state, one
          aggregator counts them; meanwhile the broker is stopped for 5 s and
          started again, one node is SIGKILLed and restarted, and the
          aggregator is SIGKILLed and restarted. At the end the aggregator's
          totals per node, camera and line equal each node's own journal
          exactly (nothing lost, nothing doubled) and the site's are their sum;
          the retained totals and Home Assistant configs read back with
          mosquitto_sub agree; the killed node's last will read "offline".
  tls     publishing over mqtts:// to mosquitto with a CA and certificate
          made here with openssl: every journal event arrives; with the wrong
          CA, one clear error line and the counts still equal the truth.
  memory  the broker is down while a node journals thousands of events
          (a fast replay of a long generated stream): its RSS stays flat, and
          every event arrives, in order, once the broker is back.
  http    the aggregator's HTTP API (--http): two fed nodes and one whose
          events are hand-written (a correction, a repeat, a gap, a message
          that is not turnstile's); /api/v1/status equals the final --json,
          which equals the journals and the hand-written truth; /metrics
          passes promtool and its counters equal the totals; anything else
          is 404; the page shows the site totals; its status lines too; a
          bad --http address is one error line.
  view    the aggregator's live view in a tmux pane: each node's, camera's
          and line's row and the site row equal the final --json (which
          equals the journals); 'q' exits 0 and prints the JSON.
  auth    mosquitto with a password file and no anonymous access: a node
          configured only from a config file (mqtt=, a relative
          mqtt_password_file= and state=, run from another directory) and
          one whose password comes from $TURNSTILE_MQTT_PASSWORD publish
          every event, which mosquitto_sub receives, each (node, seq) of
          the journal, and which equal the truth files' counts; with a
          wrong password, one error line naming the broker's URL, and the
          counts still equal the truth.
Waits are on conditions, with deadlines multiplied by SLOW under the
sanitizers (which run everything several times slower on a loaded machine).
Prints one line per check and 'N passed, N failed'; exits 1 on any failure,
77 (meson's skip) when mosquitto, openssl or the samples are missing.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

RESULTS = {"passed": 0, "failed": 0}
# Deadlines are multiplied by this (main sets it for sanitizer builds): a
# deadline is how long to wait for something that must happen, never a
# claim about speed.
SLOW = 1


def check(ok, what):
    RESULTS["passed" if ok else "failed"] += 1
    print(("ok     " if ok else "FAILED ") + what, flush=True)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Broker:
    """mosquitto on 127.0.0.1:port with persistence in tmp; restartable."""

    def __init__(self, tmp, tls=None, password_file=None):
        self.tmp, self.port = tmp, free_port()
        self.conf = os.path.join(tmp, "mosquitto.conf")
        lines = [f"listener {self.port} 127.0.0.1",
                 "allow_anonymous " + ("false" if password_file else "true"), "persistence true",
                 f"persistence_location {tmp}/", "log_dest stderr",
                 # The aggregator's session must hold what comes while it is
                 # away (mosquitto's default of 1000 drops the rest:
                 # docs/mqtt.md).
                 "max_queued_messages 0"]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto' and cannot write tmp
        if tls:
            lines += [f"cafile {tls['ca']}", f"certfile {tls['cert']}", f"keyfile {tls['key']}"]
        if password_file:
            lines.append(f"password_file {password_file}")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.log = open(os.path.join(tmp, "mosquitto.log"), "a")

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=self.log,
                                     stderr=self.log)

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False
        if not wait_for(up, 10 * SLOW):
            raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: it saves its persistence file
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def sub_retained(port, topics, extra=()):
    """Every retained message under topics: {topic: payload}."""
    cmd = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-v", "--retained-only",
           "-W", "2", *extra]
    for t in topics:
        cmd += ["-t", t]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out = {}
    for line in p.stdout.splitlines():
        topic, _, payload = line.partition(" ")
        out[topic] = payload
    return out


def sub_one(port, topic, extra=()):
    """The retained message of topic, or None."""
    p = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-C", "1", "-W", "2",
                        "-t", topic, *extra], capture_output=True, text=True, timeout=30)
    return p.stdout.strip() if p.returncode == 0 else None


def read_journal(state):
    """Every event in a node's journal files, by seq."""
    events = []
    for name in sorted(os.listdir(state)):
        if name.startswith("journal") and name.endswith(".jsonl"):
            with open(os.path.join(state, name), "rb") as f:
                for raw in f:
                    try:
                        events.append(json.loads(raw))
                    except ValueError:
                        pass
    return sorted(events, key=lambda e: e["seq"])


def zero():
    return {"in": 0, "out": 0, "occupancy": 0, "corrections": 0}


def add(t, d):
    if d == "in":
        t["in"] += 1
        t["occupancy"] += 1
    else:
        t["out"] += 1
        if t["occupancy"] > 0:
            t["occupancy"] -= 1
        else:
            t["corrections"] += 1


def journal_totals(events):
    """A node's totals as the journal has them: node, cameras, lines."""
    node, cams, lines = zero(), {}, {}
    for e in events:
        add(node, e["direction"])
        add(cams.setdefault(e["camera"], zero()), e["direction"])
        add(lines.setdefault((e["camera"], e["line"]), zero()), e["direction"])
    return node, cams, lines


def agg_node(summary, name):
    for n in summary["nodes"]:
        if n["node"] == name:
            return n
    return None


def compare_node(summary, name, events, what):
    node, cams, lines = journal_totals(events)
    n = agg_node(summary, name)
    if not check(n is not None, f"{what}: the aggregator knows node {name}"):
        return False
    ok = check({k: n[k] for k in node} == node,
               f"{what}: node {name} in/out/occupancy/corrections {node} equal its journal's "
               f"({len(events)} events; aggregator {dict((k, n[k]) for k in node)}, "
               f"{n['repeats']} repeats dropped)")
    last = events[-1]["seq"] if events else -1
    ok &= check(n["last_seq"] == last,
                f"{what}: node {name}: last seq counted {n['last_seq']} is the journal's last "
                f"({last})" + ("" if n["last_seq"] >= last else
                               f": missing ({name}, seq {n['last_seq'] + 1}..{last})"))
    got_c = {c["camera"]: {k: c[k] for k in zero()} for c in n["cameras"]}
    got_l = {(c["camera"], l["line"]): {"in": l["in"], "out": l["out"]}
             for c in n["cameras"] for l in c["lines"]}
    want_l = {k: {"in": v["in"], "out": v["out"]} for k, v in lines.items()}
    ok &= check(got_c == cams and got_l == want_l,
                f"{what}: node {name}: every camera and line equals the journal's")
    return ok


def node_ini(tmp, samples, name, clips):
    """A config with the samples' own lines for the given clips."""
    import configparser
    cp = configparser.ConfigParser()
    cp.read(os.path.join(samples, "samples.ini"))
    path = os.path.join(tmp, name + ".ini")
    with open(path, "w") as f:
        for clip in clips:
            sec = cp[f"camera {clip}"]
            # Paths in a config are relative to the config file's folder.
            src = os.path.join(os.path.abspath(samples), sec["source"])
            f.write(f"[camera {clip}]\nsource={src}\nline={sec['line']}\n\n")
    return path


class Node:
    def __init__(self, args, tmp, name, clips, url, extra=()):
        self.args, self.name, self.url = args, name, url
        self.state = os.path.join(tmp, name + ".state")
        self.ini = node_ini(tmp, args.samples, name, clips)
        self.extra = list(extra)
        self.errpath = os.path.join(tmp, name + ".stderr")
        self.proc = None

    def start(self, realtime=True):
        cmd = [self.args.turnstile, "--no-tui", "--json", "--state", self.state, "--node",
               self.name, "--mqtt", self.url, "-c", self.ini] + self.extra
        if realtime:
            cmd.append("--realtime")
        self.err = open(self.errpath, "a")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err, text=True)

    def wait(self, timeout):
        out, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()


class Aggregator:
    def __init__(self, args, tmp, url, extra=()):
        self.args, self.url = args, url
        self.state = os.path.join(tmp, "aggregate.state")
        self.errpath = os.path.join(tmp, "aggregate.stderr")
        self.extra = list(extra)

    def start(self):
        self.err = open(self.errpath, "a")
        self.proc = subprocess.Popen([self.args.turnstile, "aggregate", "--mqtt", self.url,
                                      "--state", self.state, "--json"] + self.extra,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)

    def finish(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return self.proc.returncode, out


def case_e2e(args, tmp):
    broker = Broker(tmp)
    broker.start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    agg = Aggregator(args, tmp, url)
    # Clips of 18-22 s, so every node is still running when the broker
    # comes back (one that ends while it is down keeps its events until its
    # next start, by design).
    nodes = [Node(args, tmp, "n1", ["corridor"], url),
             Node(args, tmp, "n2", ["lobby", "gate"], url),  # lobby counts within 3 s
             Node(args, tmp, "n3", ["door"], url)]
    try:
        agg.start()
        for n in nodes:
            n.start()
        t0 = time.monotonic()

        def at(t):
            time.sleep(max(0.0, t0 + t - time.monotonic()))

        wall = {}
        at(1)
        nodes[1].proc.kill()
        nodes[1].proc.wait()
        will = []
        wait_for(lambda: will.append(sub_one(broker.port, "turnstile/n2/status")) or
                 will[-1] == "offline", 5 * SLOW, 0.1)
        check(will[-1] == "offline", "SIGKILLed node n2: its last will shows 'offline' (retained)")
        nodes[1].start()  # same state directory: carries on numbering
        at(4)
        wall["broker_down"] = time.time()
        t_down = time.monotonic()
        n2_before = len(read_journal(nodes[1].state))
        broker.stop()
        check(True, "broker stopped at 4 s")
        # Killed while the broker is away, once it has journaled an event
        # since: that one is unacknowledged, and only the state directory
        # remembers it.
        # (Sanitizer builds replay slower than real time: the outage then
        # lasts until that has happened, 5 s at least.)
        wait_for(lambda: len(read_journal(nodes[1].state)) > n2_before, 15 * SLOW, 0.1)
        nodes[1].proc.kill()
        nodes[1].proc.wait()
        j = read_journal(nodes[1].state)
        try:
            with open(os.path.join(nodes[1].state, "mqtt-acked")) as f:
                acked = int(f.read().split("acked ")[1])
        except FileNotFoundError:
            acked = -1
        check(j and j[-1]["seq"] > acked,
              f"node n2 SIGKILLed during the outage with unacknowledged events (journal up to "
              f"seq {j[-1]['seq'] if j else None}, acked {acked})")
        nodes[1].start()
        time.sleep(max(0.5, t_down + 5 - time.monotonic()))
        broker.start()
        t0 = time.monotonic() - 9  # the rest of the plan is relative to now = 9 s
        wall["broker_up"] = time.time()
        check(True, f"broker started again after {time.monotonic() - t_down:.1f} s down")
        at(11)
        wall["agg_down"] = time.time()
        agg.proc.kill()
        agg.proc.wait()
        at(14)
        agg.start()
        wall["agg_up"] = time.time()
        for n in nodes:
            rc, _ = n.wait(120 * SLOW)
            check(rc == 0, f"node {n.name} exited 0 (rc {rc})")
        journals = {n.name: read_journal(n.state) for n in nodes}

        def during(a, b):
            import datetime
            n = 0
            for j in journals.values():
                for e in j:
                    t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                        tzinfo=datetime.timezone.utc).timestamp()
                    n += wall[a] <= t <= wall[b]
            return n
        check(during("broker_down", "broker_up") > 0,
              f"{during('broker_down', 'broker_up')} events counted while the broker was down")
        print(f"  ({during('agg_down', 'agg_up')} events counted while the aggregator was down)")
        want_in = sum(journal_totals(j)[0]["in"] for j in journals.values())
        want_out = sum(journal_totals(j)[0]["out"] for j in journals.values())
        # The nodes are done and every event of theirs was acknowledged by the
        # broker; the aggregator gets them from its session or a resend.
        site = {}
        check(wait_for(lambda: site.update(sub_retained(broker.port, ["turnstile/site/+"])) or
                       (site.get("turnstile/site/in") == str(want_in) and
                        site.get("turnstile/site/out") == str(want_out)), 20 * SLOW, 0.3),
              f"retained site totals reach the journals' in {want_in} out {want_out} (last "
              f"read: in {site.get('turnstile/site/in')} out {site.get('turnstile/site/out')})")
        rc, out = agg.finish()
        check(rc == 0, f"aggregator exited 0 after SIGTERM (rc {rc})")
        try:
            summary = json.loads(out)
        except ValueError:
            check(False, f"aggregator's --json is JSON: {out[:200]!r}")
            return
        for n in nodes:
            compare_node(summary, n.name, journals[n.name], "e2e")
            with open(os.path.join(n.state, "mqtt-acked")) as f:
                acked = f.read()
            check(f"acked {journals[n.name][-1]['seq']}\n" in acked,
                  f"node {n.name}: the broker acknowledged up to its last journal seq")
        s = summary["site"]
        check(s["in"] == want_in and s["out"] == want_out and s["occupancy"] >= 0,
              f"site in {s['in']} out {s['out']} = the nodes' sums ({want_in}, {want_out})")
        check(want_in + want_out >= 12, f"the run counted enough to mean something "
              f"({want_in + want_out} events)")

        ret = sub_retained(broker.port, ["turnstile/#", "homeassistant/#"])
        check(ret.get("turnstile/site/in") == str(s["in"]) and
              ret.get("turnstile/site/out") == str(s["out"]) and
              ret.get("turnstile/site/occupancy") == str(s["occupancy"]),
              "retained site totals equal the aggregator's summary")
        bad = []
        for name, events in journals.items():
            node, cams, lines = journal_totals(events)
            for k in ("in", "out", "occupancy"):
                if ret.get(f"turnstile/{name}/{k}") != str(node[k]):
                    bad.append((name, k, ret.get(f"turnstile/{name}/{k}"), node[k]))
            for (cam, line), t in lines.items():
                for k in ("in", "out"):
                    if ret.get(f"turnstile/{name}/{cam}/{line}/{k}") != str(t[k]):
                        bad.append((name, cam, line, k, ret.get(f"turnstile/{name}/{cam}/{line}/{k}"),
                                    t[k]))
            for cam, t in cams.items():
                for k in ("in", "out", "occupancy"):
                    if ret.get(f"turnstile/{name}/{cam}/{k}") != str(t[k]):
                        bad.append((name, cam, k, ret.get(f"turnstile/{name}/{cam}/{k}"), t[k]))
            if ret.get(f"turnstile/{name}/status") != "offline":
                bad.append((name, "status", ret.get(f"turnstile/{name}/status")))
        check(not bad, "retained per node, camera and line totals equal the journals; "
              "every node 'offline' after it exited" + (f" (differ: {bad[:4]})" if bad else ""))
        configs = {t: p for t, p in ret.items() if t.startswith("homeassistant/")}
        problems = []
        for t, p in configs.items():
            try:
                c = json.loads(p)
            except ValueError:
                problems.append((t, "not JSON"))
                continue
            if not (t.endswith("/config") and c.get("unique_id") and c.get("name") and
                    c.get("state_topic") in ret and c.get("device", {}).get("identifiers")):
                problems.append((t, "incomplete or its state topic has no value"))
        # one per node number, camera number and line number, and the site's four
        want = sum(3 + sum(3 + 2 * len({l for (c2, l) in journal_totals(j)[2] if c2 == c})
                           for c in {"lobby", "gate"} if n == "n2")
                   for n, j in journals.items())
        check(configs and not problems and
              len([t for t in configs if "_n2_" in t]) >= 3 + 2 * (3 + 2) and
              len([t for t in configs if "turnstile_site_" in t]) == 4,
              f"{len(configs)} Home Assistant discovery configs, each valid JSON with a "
              f"unique_id, a device and a state topic that holds a value"
              + (f" (problems: {problems[:3]})" if problems else ""))
        del want
    finally:
        for n in nodes:
            if n.proc and n.proc.poll() is None:
                n.proc.kill()
                n.proc.wait()
        if agg.proc.poll() is None:
            agg.proc.kill()
            agg.proc.wait()
        broker.stop()


def make_ca(tmp, name):
    key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", key, "-out", crt], check=True,
                   capture_output=True)
    return key, crt


def case_tls(args, tmp):
    ca_key, ca = make_ca(tmp, "testca")
    _, wrong_ca = make_ca(tmp, "otherca")
    key, csr, cert = (os.path.join(tmp, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(tmp, "san.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert],
                   check=True, capture_output=True)
    # Refused before anything starts, in one line naming what is wrong.
    door = os.path.join(args.samples, "door.avi")
    for opts, what, needle in [
            (["--mqtt", "mqtt://user:secret@127.0.0.1"], "a password in the URL", "password"),
            (["--mqtt", "http://127.0.0.1"], "not an MQTT URL", "http://127.0.0.1"),
            (["--mqtt", "mqtt://127.0.0.1:99999"], "a bad port", "port"),
            (["--mqtt", "mqtt://127.0.0.1", "--node", "a/b"], "a node name unfit for topics",
             "a/b"),
            (["--mqtt", "mqtts://127.0.0.1", "--mqtt-ca", "/nonexistent/ca.pem"],
             "a missing CA file", "/nonexistent/ca.pem")]:
        p = subprocess.run([args.turnstile, "--no-tui", *opts, door], capture_output=True,
                           text=True, timeout=60)
        lines = p.stderr.strip().splitlines()
        check(p.returncode != 0 and len(lines) == 1 and needle in lines[0] and
              "secret" not in p.stderr,
              f"{what}: refused in one line ({lines})")
    broker = Broker(tmp, tls={"ca": ca, "cert": cert, "key": key})
    broker.start()
    url = f"mqtts://127.0.0.1:{broker.port}"
    try:
        # The first 130 frames hold two crossings: enough to see them arrive.
        good = Node(args, tmp, "tls1", ["door"], url, ["--mqtt-ca", ca, "--frames", "130"])
        good.start(realtime=False)
        rc, out = good.wait(120)
        events = read_journal(good.state)
        ret = sub_retained(broker.port, ["turnstile/tls1/#"],
                           ["--cafile", ca])
        node, _, _ = journal_totals(events)
        check(rc == 0 and len(events) >= 2 and ret.get("turnstile/tls1/in") == str(node["in"]) and
              ret.get("turnstile/tls1/out") == str(node["out"]),
              f"mqtts:// with the test's CA: retained totals in {ret.get('turnstile/tls1/in')} "
              f"out {ret.get('turnstile/tls1/out')} equal the journal's ({node['in']}, "
              f"{node['out']})")
        with open(os.path.join(good.state, "mqtt-acked")) as f:
            check(f"acked {events[-1]['seq']}\n" in f.read(),
                  "mqtts://: every journal event acknowledged by the broker")

        with open(os.path.join(args.samples, "door.truth.json")) as f:
            truth = json.load(f)
        # 10 s in real time: the client retries (1, 2, 4 s apart) and the
        # error must still be one line. The truth up to frame 150 is what
        # counting must give.
        frames = 150
        bad = Node(args, tmp, "tls2", ["door"], url, ["--mqtt-ca", wrong_ca, "--frames",
                                                      str(frames)])
        bad.start(realtime=True)
        rc, out = bad.wait(120)
        truth = {d: sum(1 for e in truth["events"] if e["frame"] < frames and e["direction"] == d)
                 for d in ("in", "out")}
        err = [l for l in bad.stderr().splitlines() if "mqtt" in l]
        check(len(err) == 1 and url in err[0] and "certificate verify failed" in err[0],
              f"wrong CA: one error line naming the URL and the reason: {err}")
        try:
            cams = json.loads(out)["cameras"]
        except (ValueError, KeyError):
            cams = []
        check(rc == 0 and cams and cams[0]["in"] == truth["in"] and
              cams[0]["out"] == truth["out"],
              f"wrong CA: counting went on: in/out equal the truth of its {frames} frames "
              f"({truth['in']}, {truth['out']})")
    finally:
        broker.stop()


# ---- a broker that wants a password ----

def truth_counts(samples, clips):
    """{camera: (in, out)} from the samples' truth files."""
    out = {}
    for clip in clips:
        with open(os.path.join(samples, clip + ".truth.json")) as f:
            t = json.load(f)
        out[clip] = (t["in"], t["out"])
    return out


def auth_ini(args, confdir, node, clips, url, password_file=None):
    """A config for node with everything in it: [turnstile] mqtt=, node=, a
    relative state= and (when given) a relative mqtt_password_file=; the
    samples' own lines."""
    import configparser
    cp = configparser.ConfigParser()
    cp.read(os.path.join(args.samples, "samples.ini"))
    path = os.path.join(confdir, node + ".ini")
    with open(path, "w") as f:
        f.write(f"[turnstile]\nmqtt={url}\nnode={node}\nstate={node}.state\n")
        if password_file:
            f.write(f"mqtt_password_file={password_file}\n")
        for clip in clips:
            sec = cp[f"camera {clip}"]
            src = os.path.join(os.path.abspath(args.samples), sec["source"])
            f.write(f"\n[camera {clip}]\nsource={src}\nline={sec['line']}\n")
    return path


def case_auth(args, tmp):
    user, password = "counter", "s3cret-pw"
    passwd = os.path.join(tmp, "mosquitto.passwd")
    subprocess.run(["mosquitto_passwd", "-c", "-b", passwd, user, password], check=True,
                   capture_output=True, timeout=30)
    broker = Broker(tmp, password_file=passwd)
    broker.start()
    url = f"mqtt://{user}@127.0.0.1:{broker.port}"
    # The configs and the password file in a folder of their own; the
    # nodes run from another, so only paths resolved against the config's
    # folder find them.
    confdir, rundir = os.path.join(tmp, "conf"), os.path.join(tmp, "run")
    os.makedirs(confdir)
    os.makedirs(rundir)
    with open(os.path.join(confdir, "mqtt.pw"), "w") as f:
        f.write(password + "\n")
    plan = {  # node: (clips, password from, realtime)
        "auth1": (["door", "lobby"], "file", False),
        "auth2": (["corridor"], "env", False),
        # Then, together, in real time: long enough (8 s) for the client to
        # retry (1, 2, 4 s apart), and the error must still be one line;
        "auth3": (["lobby"], "wrong", True),
        # and a node whose broker stops answering (SIGSTOP) from before its
        # events until after it has finished: it must wait for their
        # acknowledgements, however late, while connected.
        "auth4": (["lobby"], "file", True),
    }
    sub = procs = None
    try:
        # A persistent session subscribed (-E: once the SUBACK is in)
        # before any node starts: the broker keeps every event published
        # for it, whenever its reader below connects.
        sub_cmd = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-u", user,
                   "-P", password, "-c", "-i", "turnstile-test-auth", "-q", "1",
                   "-t", "turnstile/+/events"]
        p = subprocess.run(sub_cmd + ["-E"], capture_output=True, text=True, timeout=30 * SLOW)
        if not check(p.returncode == 0, f"mosquitto_sub with the password subscribed "
                     f"({(p.stdout + p.stderr).strip()})"):
            return
        # Line-buffered, so each message can be read as it comes.
        sub = subprocess.Popen((["stdbuf", "-oL"] if shutil.which("stdbuf") else []) +
                               sub_cmd + ["-v"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        got = []
        threading.Thread(target=lambda: [got.append(l.rstrip("\n")) for l in sub.stdout],
                         daemon=True).start()
        # Without a password the broker refuses: the test's broker is
        # really closed to anonymous clients.
        p = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-C", "1",
                            "-W", "2", "-t", "x"], capture_output=True, text=True,
                           timeout=30 * SLOW)
        check(p.returncode != 0 and "not authori" in (p.stdout + p.stderr).lower(),
              f"the broker refuses a client without a password ({(p.stdout + p.stderr).strip()})")

        procs, outs, printed_at, ended = {}, {}, {}, {}

        def start(node):
            clips, how, realtime = plan[node]
            ini = auth_ini(args, confdir, node, clips, url,
                           "mqtt.pw" if how == "file" else None)
            env = dict(os.environ)
            env.pop("TURNSTILE_MQTT_PASSWORD", None)
            if how == "env":
                env["TURNSTILE_MQTT_PASSWORD"] = password
            elif how == "wrong":
                env["TURNSTILE_MQTT_PASSWORD"] = "not-" + password
            err = open(os.path.join(tmp, node + ".stderr"), "w")
            procs[node] = p = subprocess.Popen(
                [os.path.abspath(args.turnstile), "--no-tui", "--json", "-c", ini] +
                (["--realtime"] if realtime else []),
                cwd=rundir, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
            outs[node] = []

            def read():
                for chunk in p.stdout:
                    outs[node].append(chunk)
                    printed_at[node] = time.monotonic()
                ended[node] = time.monotonic()
            threading.Thread(target=read, daemon=True).start()

        def summary(node):
            """The node's --json summary once it is printed whole (before
            it waits for the broker), else None."""
            try:
                return json.loads("".join(outs[node]))
            except ValueError:
                return None

        def finish(node):
            p = procs[node]
            try:
                p.wait(120 * SLOW)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            wait_for(lambda: node in ended, 10)
            return p.returncode, summary(node)

        results = {}
        for node in ("auth1", "auth2"):
            start(node)
        for node in ("auth1", "auth2"):
            results[node] = finish(node)
        for node in ("auth3", "auth4"):
            start(node)
        # auth4 connected (its retained "online" is in) and auth3 refused
        # (its line is out: a first attempt that the stopped broker left
        # unanswered would be another test), then the broker stops
        # answering; lobby's crossings come 4 and 5.4 s in.
        check(wait_for(lambda: sub_one(broker.port, "turnstile/auth4/status",
                                       ["-u", user, "-P", password]) == "online", 10 * SLOW, 0.1),
              "auth4 is connected")

        def refused():
            with open(os.path.join(tmp, "auth3.stderr")) as f:
                return "not authori" in f.read()
        check(wait_for(refused, 10 * SLOW, 0.05), "auth3 was refused")
        broker.proc.send_signal(signal.SIGSTOP)
        try:
            printed = wait_for(lambda: summary("auth4") is not None, 60 * SLOW, 0.1)
            t_summary = time.monotonic()
            # Longer than the 3 s the publisher used to give a connected
            # broker at exit.
            while time.monotonic() < t_summary + 4.5:
                time.sleep(0.1)
            try:
                with open(os.path.join(confdir, "auth4.state", "mqtt-acked")) as f:
                    acked_then = int(f.read().split("acked ")[1])
            except (FileNotFoundError, IndexError, ValueError):
                acked_then = -1
            j4 = read_journal(os.path.join(confdir, "auth4.state"))
            check(printed and procs["auth4"].poll() is None and j4 and
                  j4[-1]["seq"] > acked_then,
                  f"auth4: its summary printed, it still waits 4.5 s on for the stopped broker's "
                  f"acknowledgements (running: {procs['auth4'].poll() is None}; journal up to "
                  f"seq {j4[-1]['seq'] if j4 else None}, acked {acked_then})")
        finally:
            broker.proc.send_signal(signal.SIGCONT)
        for node in ("auth3", "auth4"):
            results[node] = finish(node)
        # auth3's broker is out of reach (it refused it): nothing to wait
        # for, so it ends as soon as it has printed its summary, although
        # the broker was stopped then (not refusing: silent). Waiting would
        # take the 10 s a silent broker is given.
        delay = ended.get("auth3", 1e9) - printed_at.get("auth3", 0)
        check(summary("auth3") is not None and delay < 8,
              f"auth3: with its broker refusing it, it exits at once after its summary "
              f"({delay:.1f} s), not waiting for acknowledgements")
        journals = {n: read_journal(os.path.join(confdir, n + ".state")) for n in plan}
        ret = sub_retained(broker.port, ["turnstile/#"], ["-u", user, "-P", password])

        for node, (clips, how, _) in plan.items():
            rc, summary = results[node]
            truth = truth_counts(args.samples, clips)
            counts = {c["name"]: (c["in"], c["out"]) for c in (summary or {}).get("cameras", [])}
            check(rc == 0 and counts == truth,
                  f"{node} (password: {how}): exit 0 ({rc}) and counts {counts} equal the "
                  f"truth {truth}")
            with open(os.path.join(tmp, node + ".stderr")) as f:
                text = f.read()
            check(password not in text, f"{node}: the password is never printed")
            events = journals[node]
            check(len(events) == sum(a + b for a, b in truth.values()),
                  f"{node}: its journal, in the config's folder (state= resolved there), holds "
                  f"the {len(events)} events counted")
            if how == "wrong":
                # Errors and warnings (syslog priority 0-4 when stderr is not
                # a terminal), and anything that speaks of MQTT.
                lines = [l for l in text.splitlines()
                         if "mqtt" in l or not l.startswith(("<5>", "<6>", "<7>"))]
                check(len(lines) == 1 and url in lines[0] and "not authori" in lines[0].lower(),
                      f"{node}: a wrong password is one error line naming the broker's URL, and "
                      f"no other: {lines}")
                continue
            try:
                with open(os.path.join(confdir, node + ".state", "mqtt-acked")) as f:
                    acked = f.read()
            except FileNotFoundError:
                acked = ""
            check(events and f"acked {events[-1]['seq']}\n" in acked,
                  f"{node}: the broker acknowledged every journal event ({acked.split()[-1:]} "
                  f"of {events[-1]['seq'] if events else None})")
            node_in, node_out = (sum(t[i] for t in truth.values()) for i in (0, 1))
            check(ret.get(f"turnstile/{node}/in") == str(node_in) and
                  ret.get(f"turnstile/{node}/out") == str(node_out) and
                  ret.get(f"turnstile/{node}/status") == "offline",
                  f"{node}: retained in {ret.get(f'turnstile/{node}/in')} out "
                  f"{ret.get(f'turnstile/{node}/out')} equal the truth ({node_in}, {node_out}); "
                  f"status {ret.get(f'turnstile/{node}/status')}")

        def received():
            """{node: {seq: event}} of what mosquitto_sub printed."""
            out = {}
            for line in list(got):
                topic, _, payload = line.partition(" ")
                if not (topic.startswith("turnstile/") and topic.endswith("/events")):
                    continue
                try:
                    e = json.loads(payload)
                except ValueError:
                    continue
                out.setdefault(e.get("node"), {})[e.get("seq")] = e
            return out

        good = ("auth1", "auth2", "auth4")

        def missing():
            r = received()
            return [(n, e["seq"]) for n in good for e in journals[n]
                    if e["seq"] not in r.get(n, {})]
        wait_for(lambda: not missing(), 10 * SLOW, 0.1)
        r = received()
        check(not missing(), f"mosquitto_sub received every journal event of {', '.join(good)} "
              f"(missing (node, seq): {missing()[:10]})")
        check("auth3" not in r, f"nothing from auth3, which the broker refused "
              f"({len(r.get('auth3', {}))} events)")
        for node in good:
            rc, summary = results[node]
            want = {c["name"]: (c["in"], c["out"]) for c in (summary or {}).get("cameras", [])}
            have = {}
            for e in r.get(node, {}).values():
                i, o = have.get(e["camera"], (0, 0))
                have[e["camera"]] = (i + (e["direction"] == "in"), o + (e["direction"] == "out"))
            extra = sorted(set(r.get(node, {})) - {e["seq"] for e in journals[node]})
            check(have == want and not extra,
                  f"{node}: the events received, once each by (node, seq), count {have}: the "
                  f"summary's {want}" + (f" (seqs not in the journal: {extra[:10]})"
                                        if extra else ""))
    finally:
        for p in (procs or {}).values():
            if p.poll() is None:
                p.kill()
                p.wait()
        if sub and sub.poll() is None:
            sub.terminate()
            sub.wait(10)
        broker.stop()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["e2e", "tls", "memory", "http", "view", "auth"])
    ap.add_argument("--turnstile", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--scenegen")
    ap.add_argument("--mqtt-feed", dest="mqtt_feed")
    ap.add_argument("--sanitized", action="store_true")
    args = ap.parse_args()
    global SLOW
    SLOW = 3 if args.sanitized else 1
    for prog in ("mosquitto", "mosquitto_sub", "mosquitto_pub", "openssl") + \
            (("tmux",) if args.case == "view" else ()) + \
            (("mosquitto_passwd",) if args.case == "auth" else ()):
        if not shutil.which(prog) and not os.path.exists("/usr/sbin/" + prog):
            print(f"SKIP: {prog} is not installed (tools/install-deps.sh)")
            return 77
    if not os.path.exists(os.path.join(args.samples, "door.avi")):
        print("SKIP: no samples (tools/make-samples.sh)")
        return 77
    os.environ["PATH"] += ":/usr/sbin"
    with tempfile.TemporaryDirectory(prefix="turnstile-mqtt-") as tmp:
        {"e2e": case_e2e, "tls": case_tls, "memory": case_memory, "http": case_http,
         "view": case_view, "auth": case_auth}[args.case](args, tmp)
        # The processes' stderr is in files: a sanitizer report there fails
        # the test even from a process that was killed before its exit code.
        for name in sorted(os.listdir(tmp)):
            if name.endswith(".stderr"):
                with open(os.path.join(tmp, name), errors="replace") as f:
                    text = f.read()
                if "Sanitizer" in text or "runtime error:" in text:
                    check(False, f"{name}: a sanitizer report:\n{text[-3000:]}")
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


def case_memory(args, tmp):
    broker = Broker(tmp)
    broker.start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    agg = Aggregator(args, tmp, url)
    n_events = 5000
    state = os.path.join(tmp, "feed.state")
    feed = None
    try:
        agg.start()
        # Its persistent session exists before the broker goes away.
        check(wait_for(lambda: sub_one(broker.port, "turnstile/site/status") == "online",
                       10 * SLOW), "aggregator online")
        broker.stop()
        feed = subprocess.Popen([args.mqtt_feed, "--mqtt", url, "--node", "feed", "--state",
                                 state, "--events", str(n_events), "--wait", str(60 * SLOW)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rss = []
        for line in feed.stdout:
            if line.startswith("rss_kb"):
                rss.append(int(line.split()[2]))
            if line.startswith("posted"):
                break
        # Posted; the coordinator journals what is still in its queue.
        wait_for(lambda: len(read_journal(state)) >= n_events, 30 * SLOW, 0.2)
        journal = read_journal(state)
        check(len(journal) == n_events and [e["seq"] for e in journal] == list(range(n_events)),
              f"broker down: {len(journal)} events journaled, numbered 0..{n_events - 1}")
        # After the first tenth the process has all it will ever hold; the
        # rest of the outage is on disk. (ASan's quarantine needs more room.)
        slack = 4096 if args.sanitized else 1024
        check(len(rss) == 10 and max(rss) - rss[0] <= slack,
              f"RSS flat while {n_events} events wait for the broker: {rss[0]} -> {max(rss)} kB "
              f"(allowed +{slack} kB)")
        broker.start()
        out, err = feed.communicate(timeout=90 * SLOW)
        check("Sanitizer" not in err and "runtime error:" not in err,
              "mqtt_feed: no sanitizer report" + (f":\n{err[-3000:]}" if err else ""))
        check(feed.returncode == 0 and f"acked {n_events - 1} " in out,
              f"broker back: every event acknowledged ({out.strip().splitlines()[-1:]})")
        site = {}
        wait_for(lambda: site.update(sub_retained(broker.port, ["turnstile/site/+"])) or
                 site.get("turnstile/site/in") == str(n_events // 2), 30 * SLOW, 0.3)
        rc, out = agg.finish()
        check(rc == 0, f"aggregator exited 0 after SIGTERM (rc {rc})")
        summary = json.loads(out)
        compare_node(summary, "feed", journal, "memory")
    finally:
        if feed and feed.poll() is None:
            feed.kill()
            feed.wait()
        if agg.proc.poll() is None:
            agg.proc.kill()
            agg.proc.wait()
        broker.stop()


# ---- the aggregator's HTTP API and live view ----

# Node m1's events, written by hand and published with mosquitto_pub: an
# exit first (a correction), a repeat of it, an entry on another camera, an
# message that is not turnstile's JSON, and an event whose predecessor
# never came (a gap: m1 is asked to send again, and nobody answers). The gap
# comes last: once it shows, every message before it has arrived.
M1_MESSAGES = [
    {"node": "m1", "seq": 0, "prev": None, "camera": "hall", "line": "east", "direction": "out"},
    {"node": "m1", "seq": 0, "prev": None, "camera": "hall", "line": "east", "direction": "out"},
    {"node": "m1", "seq": 1, "prev": 0, "camera": "yard", "line": "gate", "direction": "in"},
    "not turnstile's",
    {"node": "m1", "seq": 3, "prev": 2, "camera": "yard", "line": "gate", "direction": "in"},
]
# What the aggregator must make of them: (node totals, repeats, gaps,
# {(camera, line): (in, out)}); and how many are events (received).
M1_TRUTH = ({"in": 1, "out": 1, "occupancy": 1, "corrections": 1}, 1, 1,
            {("hall", "east"): (0, 1), ("yard", "gate"): (1, 0)})


def publish_m1(port):
    for m in M1_MESSAGES:
        payload = m if isinstance(m, str) else json.dumps(m)
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                        "-t", "turnstile/m1/events", "-m", payload], check=True, timeout=30)


def feed(args, tmp, url, name, n):
    """mqtt_feed as node name: n events (in, out, in, ...) on door/main, all
    acknowledged by the broker; returns its journal."""
    state = os.path.join(tmp, name + ".state")
    with open(os.path.join(tmp, name + ".stderr"), "w") as err:
        p = subprocess.run([args.mqtt_feed, "--mqtt", url, "--node", name, "--state", state,
                            "--events", str(n), "--wait", str(60 * SLOW)],
                           stdout=subprocess.PIPE, stderr=err, text=True, timeout=120 * SLOW)
    check(p.returncode == 0, f"node {name}: {n} events acknowledged by the broker "
          f"({p.stdout.strip().splitlines()[-1:]})")
    return read_journal(state)


def site_truth(journals):
    """The site's totals, the nodes' events applied in the order sent."""
    site = zero()
    for events in journals:
        for e in events:
            add(site, e["direction"])
    return site


def check_m1(summary, what):
    n = agg_node(summary, "m1")
    want, repeats, gaps, lines = M1_TRUTH
    got = None if n is None else (
        {k: n[k] for k in want}, n["repeats"], n["gaps"],
        {(c["camera"], l["line"]): (l["in"], l["out"]) for c in n["cameras"] for l in c["lines"]})
    return check(got == M1_TRUTH, f"{what}: node m1 (hand-written events) is {M1_TRUTH}: {got}")


def http_get(port, path):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()
    except OSError:
        return None, "", ""


def get_status(port):
    """The aggregator's /api/v1/status as JSON, or None (not answering yet,
    or not JSON)."""
    code, _, body = http_get(port, "/api/v1/status")
    try:
        return json.loads(body) if code == 200 else None
    except ValueError:
        return None


def site_differs(status, site, nodes):
    """What the aggregator's status lacks against the expected site totals
    and nodes {name: journal}: '' when nothing; else which totals and which
    node's last seq, so a failure names what is missing."""
    if status is None:
        return "no answer from /api/v1/status"
    got = {k: status["site"][k] for k in site}
    out = [] if got == site else [f"site {got}, want {site}"]
    for name, events in nodes.items():
        n = agg_node(status, name)
        want = events[-1]["seq"] if events else -1
        if n is None or n["last_seq"] != want:
            out.append(f"node {name}: last seq counted "
                       f"{None if n is None else n['last_seq']}, its journal's {want} "
                       f"(missing seq {(n['last_seq'] + 1) if n else 0}..{want})")
    return "; ".join(out)


SAMPLE = None


def parse_metrics(text):
    """{(name, ((label, value), ...)): value} of a Prometheus text page."""
    import re
    label = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, labels = head.partition("{")
        pairs = tuple((k, v.replace('\\"', '"').replace("\\\\", "\\"))
                      for k, v in label.findall(labels))
        out[(name, pairs)] = float(value)
    return out


def browser_refresh(args, tmp, port, broker_port, site):
    """Headless chromium on the page: it shows the site's totals, and when a
    new node's event comes, the page updates itself (the new total, a row
    for the node) without a reload. Returns whether the event was sent."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from http_test import WebDriver
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(driver) or not shutil.which("chromium"):
        print("  (chromium or chromedriver not installed: the page's refresh is not checked)")
        return False
    try:
        wd = WebDriver(driver)
    except Exception as e:
        print(f"  (chromium cannot run here: {e}: the page's refresh is not checked)")
        return False
    try:
        wd.go(f"http://127.0.0.1:{port}/")
        shown = lambda: wd.js("return ['in','out','occupancy','corrections'].map("
                              "k=>+document.getElementById('s_'+k).textContent)")
        check(shown() == [site[k] for k in ("in", "out", "occupancy", "corrections")],
              f"browser: the page shows the site's totals {shown()}")
        loaded = wd.js("return document.querySelectorAll('#rows tr').length")
        time.sleep(2.5)  # a page that refreshed only once, or a few times, has stopped by now
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker_port), "-q", "1",
                        "-t", "turnstile/m2/events", "-m",
                        json.dumps({"node": "m2", "seq": 0, "prev": None, "camera": "dock",
                                    "line": "ramp", "direction": "in"})], check=True, timeout=30)
        rows = lambda: wd.js("return [...document.querySelectorAll('#rows tr')].map("
                             "r=>[...r.cells].map(c=>c.textContent).join('|'))")
        ok = wait_for(lambda: shown()[0] == site["in"] + 1 and "m2|||1|0|1|0" in rows(),
                      10 * SLOW, 0.2)
        check(ok, f"browser: a new node's event shows on the page by itself within 10 s "
              f"(site in {shown()[0]}, {len(rows())} rows, was {loaded})")
        return True
    finally:
        wd.quit()


def case_http(args, tmp):
    broker = Broker(tmp)
    broker.start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    port = free_port()
    agg = Aggregator(args, tmp, url, ["--http", str(port), "--status-interval", "0.2"])
    try:
        # A bad address or a port in use: one line naming it, nothing runs.
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            taken = busy.getsockname()[1]
            for listen, needle in [("127.0.0.1:99999", "127.0.0.1:99999"),
                                   ("nohost:80", "nohost:80"),
                                   (str(taken), f"127.0.0.1:{taken}")]:
                p = subprocess.run([args.turnstile, "aggregate", "--mqtt", url, "--http", listen],
                                   capture_output=True, text=True, timeout=30)
                lines = p.stderr.strip().splitlines()
                check(p.returncode != 0 and len(lines) == 1 and needle in lines[0],
                      f"--http {listen}: refused in one line ({lines})")

        agg.start()
        check(wait_for(lambda: get_status(port) is not None, 15 * SLOW),
              f"--http {port}: /api/v1/status answers")
        # f1 publishes and exits before anyone could ask it to send again:
        # the aggregator must be subscribed first. It publishes its
        # "online" after subscribing, on the same connection, so once the
        # broker has that, it has the subscriptions (under ASan, the HTTP
        # server answered well before: f1's 30 events were never seen).
        check(wait_for(lambda: sub_one(broker.port, "turnstile/site/status") == "online",
                       15 * SLOW, 0.1), "the aggregator is subscribed (its 'online' is in)")
        journals = {"f1": feed(args, tmp, url, "f1", 30)}
        # One node after the other: the site's occupancy is then that of the
        # events in this order. m1's exit comes with nobody inside the site:
        # a correction there too. So each step waits for the one before to
        # be counted whole (a deadline here is no claim about speed).
        site = site_truth([journals["f1"]])
        st = [None]

        def has(want, nodes):
            st[0] = get_status(port)
            return not site_differs(st[0], want, nodes)
        check(wait_for(lambda: has(site, journals), 20 * SLOW, 0.1),
              "the aggregator has counted every event of f1 before m1's come: "
              + (site_differs(st[0], site, journals) or "yes"))
        publish_m1(broker.port)
        for m in (M1_MESSAGES[0], M1_MESSAGES[2]):
            add(site, m["direction"])

        def m1_gap():
            n = agg_node(get_status(port) or {"nodes": []}, "m1")
            return n is not None and n["gaps"] == 1
        check(wait_for(m1_gap, 20 * SLOW, 0.1) and has(site, journals),
              "m1's hand-written events are all in (its gap, the last, shows) before f2 starts: "
              + (site_differs(st[0], site, journals) or "yes"))
        journals["f2"] = feed(args, tmp, url, "f2", 17)
        for e in journals["f2"]:
            add(site, e["direction"])
        check(wait_for(lambda: has(site, journals), 20 * SLOW, 0.1),
              "the aggregator has every event: " + (site_differs(st[0], site, journals) or "yes"))
        if browser_refresh(args, tmp, port, broker.port, site):
            add(site, "in")  # m2's event, counted
            check(wait_for(lambda: has(site, journals), 20 * SLOW, 0.1),
                  "the aggregator has m2's event too: "
                  + (site_differs(st[0], site, journals) or "yes"))
        # Every event is counted, but a node that came online was asked to
        # send again from the last seq counted, and its repeats may still be
        # on their way (they change the repeat counts, not the totals). The
        # snapshots below must be of the final state: wait until status and
        # the received counter have stood still for a second.
        seen = []

        def still():
            _, _, metrics_now = http_get(port, "/metrics")
            now = (get_status(port), parse_metrics(metrics_now).get(
                ("turnstile_site_events_received_total", ())))
            t = time.monotonic()
            seen.append((t, now))
            return any(t - t0 >= 1.0 for t0, v in seen if v == now) and \
                all(v == now for t0, v in seen if t - t0 < 1.0)
        check(wait_for(still, 20 * SLOW, 0.2),
              "the aggregator's status and events received stand still for 1 s (repeats in)")
        code, ctype, body = http_get(port, "/api/v1/status")
        status = json.loads(body)
        mcode, mtype, metrics = http_get(port, "/metrics")
        pcode, ptype, page = http_get(port, "/")
        missing = {path: http_get(port, path)[0] for path in
                   ("/nope", "/api/v1", "/api/v1/status/x", "/metrics/", "/api/v1/events",
                    "/cameras/door", "/index.html")}
        import re
        status_re = re.compile(r"(\d+) nodes?\s+in (\d+) out (\d+) occupancy (\d+) "
                               r"corrections (\d+)")

        def status_lines():
            with open(agg.errpath) as f:
                return [l for l in f.read().splitlines() if l.startswith("turnstile aggregate: ")]

        def last_status_final():
            ls = status_lines()
            m = status_re.search(ls[-1]) if ls else None
            return m is not None and [int(g) for g in m.groups()[1:]] == \
                [status["site"][k] for k in ("in", "out", "occupancy", "corrections")]
        # A status line after the last event (every 0.2 s while it runs).
        wait_for(last_status_final, 10 * SLOW, 0.1)
        rc, out = agg.finish()
        check(rc == 0, f"aggregator exited 0 after SIGTERM (rc {rc})")
        final = json.loads(out)

        check(code == 200 and ctype.startswith("application/json") and status == final,
              f"GET /api/v1/status ({code}, {ctype}) equals the final --json")
        for name in ("f1", "f2"):
            compare_node(final, name, journals[name], "http")
        check_m1(final, "http")
        check({k: final["site"][k] for k in site} == site,
              f"http: site {final['site']} is the sum, in the order sent: {site}")

        check(mcode == 200 and mtype.startswith("text/plain; version=0.0.4"),
              f"GET /metrics: 200, Prometheus text ({mcode}, {mtype})")
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True,
                               text=True, timeout=30)
            check(p.returncode == 0, f"promtool check metrics: clean ({(p.stdout + p.stderr).strip()})")
        else:
            print("  (promtool not installed: the format is checked by parsing only)")
        m = parse_metrics(metrics)
        want = {}
        for n in final["nodes"]:
            for c in n["cameras"]:
                for l in c["lines"]:
                    for d in ("in", "out"):
                        key = ("turnstile_site_crossings_total",
                               (("node", n["node"]), ("camera", c["camera"]), ("line", l["line"]),
                                ("direction", d)))
                        want[key] = l[d]
            want[("turnstile_site_repeats_dropped_total", (("node", n["node"]),))] = n["repeats"]
            want[("turnstile_site_gaps_total", (("node", n["node"]),))] = n["gaps"]
            want[("turnstile_site_node_occupancy", (("node", n["node"]),))] = n["occupancy"]
            want[("turnstile_site_node_corrections_total", (("node", n["node"]),))] = \
                n["corrections"]
            want[("turnstile_site_node_last_seq", (("node", n["node"]),))] = n["last_seq"]
        got = {k: m.get(k) for k in want}
        check(got == want, "/metrics: crossings per node, camera, line and direction, repeats, "
              "gaps, occupancy, corrections and last seq per node equal the --json"
              + ("" if got == want else f" (differ: {[(k, got[k], v) for k, v in want.items() if got[k] != v][:3]})"))
        crossings = sum(v for (k, _), v in m.items() if k == "turnstile_site_crossings_total")
        # Each event received is counted, dropped as a repeat (a node
        # coming online is asked to send again from the last counted, so
        # repeats happen here), or a gap.
        received = sum(n["in"] + n["out"] + n["repeats"] + n["gaps"] for n in final["nodes"])
        checks = {"turnstile_site_occupancy": final["site"]["occupancy"],
                  "turnstile_site_corrections_total": final["site"]["corrections"],
                  "turnstile_site_events_received_total": received,
                  "turnstile_site_bad_events_total": 1,
                  "turnstile_site_broker_connected": 1}
        got = {k: m.get((k, ())) for k in checks}
        check(got == checks and crossings == final["site"]["in"] + final["site"]["out"],
              f"/metrics: site occupancy, corrections, events received ({received}: counted + "
              f"repeats + gaps), bad messages, broker connected "
              f"{got} == {checks}; crossings sum to the site's in + out")
        check(all(code == 404 for code in missing.values()), f"anything else is 404: {missing}")
        shown = {k: re.search(rf'id="s_{k}">(-?\d+)<', page) for k in site}
        shown = {k: int(v.group(1)) if v else None for k, v in shown.items()}
        check(pcode == 200 and ptype.startswith("text/html") and shown == final["site"] and
              all(f"<td>{n}</td>" in page for n in ("f1", "f2", "m1", "door", "hall", "gate")) and
              "setInterval(" in page and "fetch('/api/v1/status')" in page,
              f"GET /: a page with the site totals {shown}, a row per node, camera and line, "
              f"refreshing itself from /api/v1/status")
        lines = status_lines()
        last = status_re.search(lines[-1] if lines else "")
        check(len(lines) >= 3 and last and
              [int(g) for g in last.groups()] == [len(final["nodes"]), final["site"]["in"],
                                                   final["site"]["out"],
                                                   final["site"]["occupancy"],
                                                   final["site"]["corrections"]],
              f"--status-interval 0.2: {len(lines)} status lines, the last with the final "
              f"totals: {lines[-1:]}")
    finally:
        if getattr(agg, "proc", None) and agg.proc.poll() is None:
            agg.proc.kill()
            agg.proc.wait()
        broker.stop()


def view_rows(lines):
    """The site view's table: {(node, camera, line): [numbers]} by indent
    (node at column 1, camera at 4, line at 6), and the SITE row."""
    import re
    rows, node, cam, site = {}, None, None, None
    for line in lines:
        m = re.match(r"^ SITE\s+in (\d+)\s+out (\d+)\s+occupancy (\d+)(?:\s+\((\d+) exits)?", line)
        if m:
            site = [int(g or 0) for g in m.groups()]
            continue
        m = re.match(r"^( +)(?:\S )?(?:└ )?([A-Za-z0-9._-]+)((?:\s+-?\d+)+)\s*$", line)
        if not m:
            continue
        indent = m.start(2)  # where the name starts
        nums = [int(x) for x in m.group(3).split()]
        if indent == 1:
            node, cam = m.group(2), None
            rows[(node, None, None)] = nums
        elif indent == 4:
            cam = m.group(2)
            rows[(node, cam, None)] = nums
        else:
            rows[(node, cam, m.group(2))] = nums
    return rows, site


def view_want(summary):
    want = {}
    for n in summary["nodes"]:
        want[(n["node"], None, None)] = [n["in"], n["out"], n["occupancy"], n["corrections"],
                                         n["repeats"], n["gaps"], n["last_seq"]]
        for c in n["cameras"]:
            want[(n["node"], c["camera"], None)] = [c["in"], c["out"], c["occupancy"],
                                                   c["corrections"]]
            for l in c["lines"]:
                want[(n["node"], c["camera"], l["line"])] = [l["in"], l["out"]]
    s = summary["site"]
    return want, [s["in"], s["out"], s["occupancy"], s["corrections"]]


def case_view(args, tmp):
    import shlex
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tui_test import Tmux, wait_screen, wait_exit
    broker = Broker(tmp)
    broker.start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    tmux = Tmux(tmp)
    errpath = os.path.join(tmp, "aggregate-view.stderr")
    turnstile = os.path.abspath(args.turnstile)
    try:
        cmd = (f"env LC_ALL=C.UTF-8 {shlex.quote(turnstile)} aggregate --mqtt {url} --json "
               f"--state {shlex.quote(os.path.join(tmp, 'agg.state'))} 2>{shlex.quote(errpath)}; "
               f"echo $? > {shlex.quote(tmux.status)}")
        p = tmux.start(cmd, 100, 30)
        if not check(p.returncode == 0, f"tmux started a 100x30 pane {p.stderr.strip()}"):
            return
        lines = wait_screen(tmux, lambda ls: any("no events from any node yet" in l for l in ls), 20)
        check(lines and lines[0].startswith(" turnstile aggregate ") and
              any("broker connected" in l for l in lines),
              "the view is up: title, 'broker connected', no events yet")
        # Connected is not yet subscribed: its "online" comes after that.
        check(wait_for(lambda: sub_one(broker.port, "turnstile/site/status") == "online",
                       15 * SLOW, 0.1), "the aggregator is subscribed (its 'online' is in)")
        journals = [feed(args, tmp, url, "f1", 21)]
        journals.append(feed(args, tmp, url, "f2", 8))
        publish_m1(broker.port)
        total_in = sum(1 for j in journals for e in j if e["direction"] == "in") + 1
        total_out = sum(1 for j in journals for e in j if e["direction"] == "out") + 1

        def done(ls):
            rows, site = view_rows(ls)
            return site is not None and site[:2] == [total_in, total_out] and \
                rows.get(("m1", None, None), [0] * 6)[5] == 1
        lines = wait_screen(tmux, done, 20)
        rows, site = view_rows(lines)
        tmux.keys("q")
        status = wait_exit(tmux, 30)
        check(status == "0", f"'q' quits, exit status 0 ({status!r})")
        p = tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-200")
        out = [l for l in p.stdout.splitlines() if l.startswith('{"site":')]
        try:
            final = json.loads(out[-1])
        except (IndexError, ValueError):
            check(False, f"the --json after the view: {p.stdout[-500:]!r}")
            return
        compare_node(final, "f1", journals[0], "view")
        compare_node(final, "f2", journals[1], "view")
        check_m1(final, "view")
        want, want_site = view_want(final)
        check(site == want_site, f"view: SITE row {site} == --json {want_site}")
        bad = {k: (rows.get(k), v) for k, v in want.items() if rows.get(k) != v}
        check(not bad and len(rows) == len(want),
              f"view: {len(want)} rows (node, camera, line) equal the --json"
              + (f"; differ: {list(bad.items())[:4]}" if bad else ""))
        if bad or site != want_site:
            print("  screen:\n  | " + "\n  | ".join(lines))
    finally:
        tmux.stop()
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
