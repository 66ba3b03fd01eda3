#!/usr/bin/env python3
"""MQTT benchmark: events per second from nodes through mosquitto to the
aggregator on loopback, and the delay from an event being counted to its
arrival at a subscriber, p50/p99. A program to run by hand, never a test.

Usage: tools/mqtt_bench.py [--build build] [--nodes 4] [--events 5000] [--rate 0]
  --rate R: each node posts R events a second (0: as fast as it can, which
  measures throughput; a rate well below it measures the delay at that load).
Starts mosquitto on a free loopback port (persistence on), the real
`turnstile aggregate --state`, one listener (mqtt_feed --listen) and N
mqtt_feed nodes (a journal with fdatasync per batch, and the MQTT publisher,
as turnstile wires them). Prints the figures; docs/mqtt.md has the method.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from mqtt_test import Broker, sub_one, wait_for  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--events", type=int, default=5000, help="per node")
    ap.add_argument("--rate", type=float, default=0, help="per node, events/s (0: flat out)")
    a = ap.parse_args()
    os.environ["PATH"] += ":/usr/sbin"
    turnstile = os.path.join(a.build, "turnstile")
    feed = os.path.join(a.build, "tools", "mqtt_feed")
    total = a.nodes * a.events
    with tempfile.TemporaryDirectory(prefix="turnstile-mqtt-bench-") as tmp:
        broker = Broker(tmp)
        broker.start()
        url = f"mqtt://127.0.0.1:{broker.port}"
        procs = []
        try:
            agg = subprocess.Popen([turnstile, "aggregate", "--mqtt", url, "--state",
                                    os.path.join(tmp, "agg"), "--json"],
                                   stdout=subprocess.PIPE, text=True)
            procs.append(agg)
            wait_for(lambda: sub_one(broker.port, "turnstile/site/status") == "online", 10)
            lis = subprocess.Popen([feed, "--mqtt", url, "--listen", str(total)],
                                   stdout=subprocess.PIPE, text=True)
            procs.append(lis)
            lis.stdout.readline()  # "listening"
            t0 = time.monotonic()
            nodes = [subprocess.Popen([feed, "--mqtt", url, "--node", f"b{i}", "--state",
                                       os.path.join(tmp, f"b{i}"), "--events", str(a.events),
                                       "--rate", str(a.rate), "--wait", "300"],
                                      stdout=subprocess.PIPE, text=True)
                     for i in range(a.nodes)]
            procs += nodes
            def counted_now():
                p = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                                    "-t", "turnstile/site/in", "-t", "turnstile/site/out",
                                    "-C", "2", "-W", "2"], capture_output=True, text=True)
                return sum(int(x) for x in p.stdout.split())
            wait_for(lambda: counted_now() >= total, 120, 0.05)
            t1 = time.monotonic()
            for n in nodes:
                n.communicate(timeout=300)
            out, _ = lis.communicate(timeout=300)
            agg.terminate()
            summary = json.loads(agg.communicate(timeout=30)[0])
            counted = summary["site"]["in"] + summary["site"]["out"]
            print(f"nodes {a.nodes}  events {total}  rate/node {a.rate or 'max'}")
            print(f"aggregator counted {counted} of {total} "
                  f"(repeats dropped {sum(n['repeats'] for n in summary['nodes'])})")
            print(f"throughput nodes->mosquitto->aggregator: {total / (t1 - t0):.0f} events/s "
                  f"({t1 - t0:.2f} s from the first node's start to the aggregator's retained totals)")
            print(f"subscriber delay: {out.strip()}")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            broker.stop()


if __name__ == "__main__":
    main()
