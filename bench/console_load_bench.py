#!/usr/bin/python3
"""50 console sessions with live updates vs scan-to-commit (issue 14).

usage: console_load_bench.py --ravaod PATH --ravaoctl PATH --ravao-web PATH
                             [--sessions 50] [--pairs 3] [--scans 300] [--rate 20] [--out DIR]

Starts the browser test's site (tests/web/console_site.py; no browser) and
logs in `sessions` times over HTTPS (half as a staff user of quay-1, half as
one of quay-2). Then `pairs` times: a run with no live stream open, and a run
with every session's GET /api/events open (so `sessions` control connections
subscribed at ravaod through ravao-web). In each run `scans` CCCD scans are
written at a steady `rate` per second, alternating between the two
counters' ptys (open loop: a scan does not wait for the previous commit).

The streams are read in a separate process (one thread per stream), so the
Python that reads ravaod's log (the commit times) does not share its
interpreter lock with them. Scan-to-commit per scan:
  pipe    the pty write -> ravaod's scan.accepted line arriving on its piped
          stderr (as scan_latency_bench);
  daemon  ravaod's own latency_us in that line (the scan's bytes read on the
          loop -> committed), free of this bench's scheduling.
Prints p50/p90/p99/max per run, the ratio of p99 with/without streams (goal:
<= 1.10), ravao-web's RSS and CPU with the streams open, and whether every
session received the record event of every visit opened at its counter.
"""

import multiprocessing
import socket
import sys
import threading
import time

import console_bench as cb
from console_bench import console_site as cs

COUNTERS = ("quay-1", "quay-2")
USERS = {"quay-1": "ana", "quay-2": "binh"}


def stream(port, cookie, counter, ready, got, socks):
    """One session's live stream: visit ids of the visit_opened records."""
    def opened(sock):
        socks.append(sock)
        ready.release()

    def record(at, rec):
        if rec.get("type") == "visit_opened":
            got.append(rec.get("visit"))
    cb.read_events(port, cookie, counter, opened, record)


def clients(port, sessions, pipe):
    """The child process: opens the streams, says "ready", and at "stop"
    closes them and sends back what each received."""
    ready = threading.Semaphore(0)
    got = [[] for _ in sessions]
    conns = []   # the streams' sockets
    for i, (cookie, counter) in enumerate(sessions):
        threading.Thread(target=stream, args=(port, cookie, counter, ready, got[i], conns), daemon=True).start()
    for _ in sessions:
        if not ready.acquire(timeout=60):
            pipe.send("not ready")
            return
    pipe.send("ready")
    pipe.recv()
    time.sleep(1.0)   # the last events still on their way
    for c in list(conns):
        try:
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    pipe.send(got)


def run(site, commits, args, sessions):
    child = None
    if sessions:
        parent_end, child_end = multiprocessing.Pipe()
        child = multiprocessing.Process(target=clients, args=(site.port, sessions, child_end), daemon=True)
        child.start()
        if parent_end.recv() != "ready":
            raise RuntimeError("the streams did not open")
        time.sleep(1.0)
    web, daemon = site.web.pid, site.daemon.pid
    base = {c: len(commits.by_counter.get(c, [])) for c in COUNTERS}
    seen = len(commits.order)
    cpu0, t0 = (cb.cpu_seconds(web), cb.cpu_seconds(daemon)), time.monotonic()
    writes = {c: [] for c in COUNTERS}
    for i in range(args.scans):
        due = t0 + i / args.rate
        time.sleep(max(0.0, due - time.monotonic()))
        c = COUNTERS[i % 2]
        run.serial += 1
        payload = cs.cccd("0010900%05d" % (run.serial % 100000), "Trần Văn Tải %d" % run.serial)
        writes[c].append(time.time())
        site.scanners[c].scan(payload)
    commits.wait_count(seen + args.scans)
    wall = time.monotonic() - t0
    cpu = ((cb.cpu_seconds(web) - cpu0[0]) / wall, (cb.cpu_seconds(daemon) - cpu0[1]) / wall)
    mem = cb.memory(web)
    pipe_ms, daemon_ms, opened = [], [], {c: [] for c in COUNTERS}
    for c in COUNTERS:
        visits = commits.by_counter[c][base[c]:base[c] + len(writes[c])]
        opened[c] = visits
        for w, v in zip(writes[c], visits):
            at, latency_us = commits.by_visit[v]
            pipe_ms.append((at - w) * 1000)
            daemon_ms.append(latency_us / 1000)
    complete = None
    if child:
        parent_end.send("stop")
        got = parent_end.recv()
        child.join(30)
        complete = sum(1 for (cookie, c), g in zip(sessions, got) if set(opened[c]) <= set(g))
    return {"pipe": pipe_ms, "daemon": daemon_ms, "cpu": cpu, "mem": mem, "complete": complete}


run.serial = 0


def main():
    args = cb.parse_args(__doc__, [
        ("--sessions", {"type": int, "default": 50}), ("--pairs", {"type": int, "default": 3}),
        ("--scans", {"type": int, "default": 300}), ("--rate", {"type": float, "default": 20.0})])
    commits = cb.Commits()
    site = cb.site(args, commits)
    results = []
    try:
        site.start_daemon()
        site.start_web()
        t = time.monotonic()
        sessions = []
        for i in range(args.sessions):
            c = COUNTERS[i % 2]
            sessions.append((cs.api_login(site, USERS[c])[0], c))
        login_s = time.monotonic() - t
        idle_mem = cb.memory(site.web.pid)
        for _ in range(args.pairs):
            results.append((0, run(site, commits, args, [])))
            results.append((args.sessions, run(site, commits, args, sessions)))
    except Exception:
        print(site.tail_logs(), file=sys.stderr)
        raise
    finally:
        site.stop()

    print("console_load_bench: %d scans per run at %.0f/s over 2 counters; %d sessions (logged in in %.1f s); %s"
          % (args.scans, args.rate, args.sessions, login_s, cb.uptime()))
    for n, r in results:
        print(cb.row("%2d streams: pipe write -> commit line" % n, r["pipe"]))
        print(cb.row("%2d streams: ravaod read -> commit" % n, r["daemon"]))
        if n:
            m = r["mem"]
            print("      ravao-web CPU %.1f%%, ravaod CPU %.1f%%; ravao-web VmRSS %.2f MiB, Pss %.2f, USS %.2f;"
                  " sessions that received every record of their counter: %d/%d"
                  % (r["cpu"][0] * 100, r["cpu"][1] * 100, m["VmRSS"] / 1024, m["Pss"] / 1024, m["USS"] / 1024,
                     r["complete"], n))
        else:
            print("      ravao-web CPU %.1f%%, ravaod CPU %.1f%%" % (r["cpu"][0] * 100, r["cpu"][1] * 100))
    print("  ravao-web with %d sessions logged in, no stream: VmRSS %.2f MiB" % (args.sessions, idle_mem["VmRSS"] / 1024))
    for key, label in (("pipe", "pipe write -> commit line"), ("daemon", "ravaod read -> commit")):
        without = [cb.percentile(r[key], 99) for n, r in results if n == 0]
        with_ = [cb.percentile(r[key], 99) for n, r in results if n]
        pooled0 = cb.percentile([x for n, r in results if n == 0 for x in r[key]], 99)
        pooled1 = cb.percentile([x for n, r in results if n for x in r[key]], 99)
        print("  p99 %-26s without streams %s ms, with %s ms; pooled %.1f -> %.1f ms: ratio %.2f (goal <= 1.10: %s)"
              % (label, "/".join("%.1f" % x for x in without), "/".join("%.1f" % x for x in with_),
                 pooled0, pooled1, pooled1 / pooled0, "met" if pooled1 <= 1.10 * pooled0 else "NOT met"))
    print("command: " + cb.command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
