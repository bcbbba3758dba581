"""Shared by bench/console_*_bench.py (issue 14): the command line, the
site (tests/web/console_site.py), commit times from ravaod's log, /proc
figures and percentiles. Not a bench itself."""

import argparse
import json
import math
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "web"))

import console_site  # noqa: E402  (after the path)

FIELD = re.compile(r" (\w+)=(\S*)")


def parse_args(doc, extra=()):
    """--ravaod --ravaoctl --ravao-web [--out] plus (flag, kwargs) extras."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--ravaod", required=True)
    p.add_argument("--ravaoctl", required=True)
    p.add_argument("--ravao-web", dest="ravao_web", required=True)
    p.add_argument("--out", default="/tmp/ravao-console-bench", help="folder for the logs")
    for flag, kwargs in extra:
        p.add_argument(flag, **kwargs)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    return args


def command_line():
    return "/usr/bin/python3 " + " ".join(sys.argv)


class Commits:
    """ravaod's scan.accepted lines as they arrive on its piped stderr: the
    line is logged right after the COMMIT of the scan's records and before
    they are read back for subscribers (daemon/app.cpp on_committed), so its
    arrival is the commit as seen from outside, on the host clock."""

    def __init__(self):
        self.cond = threading.Condition()
        self.by_visit = {}   # visit id -> (arrival time.time(), ravaod's latency_us)
        self.order = []      # visit ids in arrival order
        self.by_counter = {}  # counter -> visit ids in arrival order

    def on_line(self, at, line):
        if " scan.accepted:" not in line:
            return
        f = dict(FIELD.findall(line))
        with self.cond:
            visit = int(f.get("visit", "-1"))
            self.by_visit[visit] = (at, int(f.get("latency_us", "-1")))
            self.order.append(visit)
            self.by_counter.setdefault(f.get("counter", ""), []).append(visit)
            self.cond.notify_all()

    def wait_count(self, n, deadline=30):
        end = time.monotonic() + deadline
        with self.cond:
            while len(self.order) < n:
                left = end - time.monotonic()
                if left <= 0:
                    raise RuntimeError("only %d of %d scans committed after %d s" % (len(self.order), n, deadline))
                self.cond.wait(left)
            return self.order[n - 1]


def site(args, commits=None):
    return console_site.Site(args, on_daemon_line=commits.on_line if commits else None)


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, math.ceil(p / 100.0 * len(v)) - 1))   # nearest rank
    return v[k]


def row(label, values_ms):
    return "  %-44s n=%4d  p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f ms" % (
        label, len(values_ms), percentile(values_ms, 50), percentile(values_ms, 90), percentile(values_ms, 99),
        max(values_ms) if values_ms else float("nan"))


def memory(pid):
    """VmRSS, VmHWM, RssAnon, RssFile (status) and Pss, USS = private clean + dirty
    (smaps_rollup), in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Pss", "Private_Clean", "Private_Dirty"):
                out[k] = int(v.split()[0])
    out["USS"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def cpu_seconds(pid):
    """user + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def uptime():
    with open("/proc/loadavg") as f:
        return "load average " + ", ".join(f.read().split()[:3])


def read_events(port, cookie, counter, on_open, on_record):
    """One session's GET /api/events, read until it closes: on_open(sock)
    once ravao-web answered (it subscribed at ravaod before its header:
    shutting the socket down ends the stream), then on_record(at, record)
    per record event, `at` = time.time() on arrival."""
    site = type("S", (), {"port": port})
    conn = console_site.https_connection(site, timeout=None)
    conn.request("GET", "/api/events?counter=" + counter, headers={"Cookie": cookie, "Accept": "text/event-stream"})
    sock = conn.sock   # the response keeps it; the connection forgets it
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError("GET /api/events: %d" % r.status)
    on_open(sock)
    event = None
    try:
        while True:
            line = r.readline()
            if not line:
                return
            at = time.time()
            line = line.decode("utf-8").rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "record":
                on_record(at, json.loads(line[5:]))
    except (OSError, ValueError):
        return
