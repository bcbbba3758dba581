#!/usr/bin/python3
"""Scan at a pty -> the row on the counter page in a real browser (issue 14).

usage: console_latency_bench.py --ravaod PATH --ravaoctl PATH --ravao-web PATH
                                [--scans 200] [--warmup 10] [--interval-ms 250] [--out DIR]

Starts the browser test's site (tests/web/console_site.py: ravaod with pty
scanners, ravao-web, headless Chromium), logs in as a staff user and opens
the counter page of quay-1. The bench then installs, through Selenium's
execute_script (the page itself is not changed), a MutationObserver on the
visits table that records Date.now() when a row id first appears, and the
Date.now() of the next animation frame (the frame that paints it).

Then `scans` CCCD scans (each a new visitor) are written to the pty, one
every `interval-ms`, each after the previous one committed. Per scan, on the
host's one wall clock (time.time() in Python, Date.now() in Chromium, both
CLOCK_REALTIME, millisecond resolution in the page):
  write   the scan written to the pty;
  commit  ravaod's scan.accepted line arriving on its piped stderr (logged
          right after the COMMIT, before the records are read back for
          subscribers: the commit as seen from outside, independent of how
          many subscribers there are; the same point as scan_latency_bench);
  stream  the record event arriving on a direct `subscribe` connection to
          ravaod's control socket (what ravao-web also receives);
  sse     the same event relayed by ravao-web on a second session's
          GET /api/events, read by this bench (ravao-web's part alone);
  row     the row in the page's DOM; frame: the next animation frame.
Writes every scan's times to DIR/console_latency.csv and prints p50/p90/p99/max of commit-write, stream-commit, row-commit and
frame-commit. Goal (issue 14): row - commit p99 <= 100 ms.
"""

import json
import os
import socket
import sys
import threading
import time

import console_bench as cb
from console_bench import console_site as cs

OBSERVER = """
var body = document.getElementById('visits-body');
var b = window.__bench = {seen: {}, frame: {}};
function look() {
  var now = Date.now(), rows = body.getElementsByTagName('tr'), fresh = [];
  for (var i = 0; i < rows.length; i++) {
    var id = rows[i].id;
    if (id && !(id in b.seen)) { b.seen[id] = now; fresh.push(id); }
  }
  if (fresh.length) window.requestAnimationFrame(function () {
    var t = Date.now();
    for (var j = 0; j < fresh.length; j++) b.frame[fresh[j]] = t;
  });
}
look();
new MutationObserver(look).observe(body, {childList: true, subtree: true});
"""


def subscribe(path, counter, arrivals):
    """A direct `subscribe` connection: arrival time per record's visit."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall((json.dumps({"cmd": "subscribe", "counter": counter}) + "\n").encode())
    f = s.makefile("rb")
    first = json.loads(f.readline())
    if not first.get("ok"):
        raise RuntimeError("subscribe refused: %s" % first)

    def read():
        for line in f:
            at = time.time()
            ev = json.loads(line)
            r = ev.get("record") or {}
            if ev.get("event") == "record" and r.get("type") == "visit_opened":
                arrivals.setdefault(r.get("visit"), at)
    threading.Thread(target=read, daemon=True).start()
    return s


def main():
    args = cb.parse_args(__doc__, [
        ("--scans", {"type": int, "default": 200}), ("--warmup", {"type": int, "default": 10}),
        ("--interval-ms", {"dest": "interval_ms", "type": int, "default": 250})])
    missing = cs.missing_browser()
    if missing:
        print("needs " + missing, file=sys.stderr)
        return 77
    commits = cb.Commits()
    site = cb.site(args, commits)
    try:
        site.start_daemon()
        site.start_web()
        site.start_browser()
        d = site.driver
        d.get(site.base + "/login.html")
        cs.eventually(lambda: d.find_elements("id", "login-user"), cs.WAIT, "the login form")
        d.find_element("id", "login-user").send_keys("ana")
        d.find_element("id", "login-password").send_keys(cs.PASSWORDS["ana"] + "\n")
        cs.eventually(lambda: "/counter.html" in d.current_url, cs.WAIT, "the counter page")
        d.get(site.base + "/counter.html?c=quay-1")
        cs.eventually(lambda: "trực tiếp" in d.find_element("id", "live-state").text, cs.WAIT, "the live stream")
        d.execute_script(OBSERVER)
        streamed = {}
        sub = subscribe(site.socket, "quay-1", streamed)
        relayed = {}   # a second session's /api/events, read here
        relay_socks = []
        cookie = cs.api_login(site, "thu")[0]

        def record(at, r):
            if r.get("type") == "visit_opened":
                relayed.setdefault(r.get("visit"), at)
        threading.Thread(target=cb.read_events, args=(site.port, cookie, "quay-1", relay_socks.append, record),
                         daemon=True).start()
        cs.eventually(lambda: relay_socks, cs.WAIT, "the second session's stream")

        total = args.warmup + args.scans
        writes = []
        start = time.monotonic()
        for i in range(total):
            due = start + i * args.interval_ms / 1000.0
            time.sleep(max(0.0, due - time.monotonic()))
            payload = cs.cccd("0010900%05d" % i, "Nguyễn Văn Thử %d" % i)
            writes.append(time.time())
            site.scanners["quay-1"].scan(payload)
            commits.wait_count(i + 1)
        visits = commits.order[:total]
        cs.eventually(lambda: d.execute_script(
            "var b = window.__bench, n = 0; for (var i = 0; i < arguments[0].length; i++)"
            " if (('visit-' + arguments[0][i]) in b.frame) n++; return n;", visits) == total,
            cs.WAIT, "every row on the page")
        page = d.execute_script("return window.__bench;")
        sub.close()

        rows = {"commit - write (scan committed)": [], "stream - commit (subscribe event)": [],
                "sse - commit (/api/events, Python client)": [],
                "row - commit (row in the DOM)": [], "frame - commit (row painted)": []}
        for i in range(args.warmup, total):
            v = visits[i]
            commit = commits.by_visit[v][0] * 1000
            rows["commit - write (scan committed)"].append(commit - writes[i] * 1000)
            if v in streamed:
                rows["stream - commit (subscribe event)"].append(streamed[v] * 1000 - commit)
            if v in relayed:
                rows["sse - commit (/api/events, Python client)"].append(relayed[v] * 1000 - commit)
            rows["row - commit (row in the DOM)"].append(page["seen"]["visit-%d" % v] - commit)
            rows["frame - commit (row painted)"].append(page["frame"]["visit-%d" % v] - commit)
        with open(os.path.join(args.out, "console_latency.csv"), "w") as f:
            f.write("visit,write,commit,stream,sse,row,frame\n")   # ms since the epoch
            for i in range(total):
                v = visits[i]
                f.write("%d,%.1f,%.1f,%.1f,%.1f,%d,%d\n" % (v, writes[i] * 1000, commits.by_visit[v][0] * 1000,
                                                           streamed.get(v, 0) * 1000, relayed.get(v, 0) * 1000,
                                                           page["seen"]["visit-%d" % v],
                                                      page["frame"]["visit-%d" % v]))
        print("console_latency_bench: %d scans (+%d warm-up), one every %d ms, at quay-1; %s"
              % (args.scans, args.warmup, args.interval_ms, cb.uptime()))
        for label, values in rows.items():
            print(cb.row(label, values))
        p99 = cb.percentile(rows["frame - commit (row painted)"], 99)
        print("  goal: row painted within 100 ms of the commit at p99: %s (%.1f ms)"
              % ("met" if p99 <= 100 else "NOT met", p99))
        print("command: " + cb.command_line())
        return 0
    except Exception:
        print(site.tail_logs(), file=sys.stderr)
        raise
    finally:
        site.stop()


if __name__ == "__main__":
    sys.exit(main())
