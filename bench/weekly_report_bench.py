#!/usr/bin/env python3
"""The weekly report for a province of 2,000 gateways, timed (issue 15).

usage: weekly_report_bench.py RAVAO_RECEIVER [gateways] [visits_per_counter_per_day]

In a temp folder: `ravao-receiver sites load` of a site table of
`gateways` sites (default 2,000) in 100 communes, then a week of records
(2026-W49) written into the receiver's SQLite store exactly as `serve`
stores them (one row per record, UNIQUE(gateway, stream, seq) kept), plus
the day before (a previous week's tail the report must skip), one heartbeat
per gateway; then `report weekly` as CSV and as HTML, and `fleet`, each
timed (wall clock, best of $RUNS, default 3) with its peak RSS.

The rate (default): 2 counters per gateway, 35 visits per counter per day,
each visit a visit_opened, a scan and a visit_closed; a declaration for one
visit in 10 (half of them by staff), a paper slip for one in 20 (issued and
returned): about 220 records per gateway per day, 440,000 a day for 2,000
gateways, 3.1 million in the week (3.5 million stored with the day before).
Writing the store directly (not through HTTPS) keeps the bench about the
report; ingest rates are the PostgreSQL work's bench.

Goal (issue 15): the weekly report for 2,000 gateways in under 30 s.
Figures: docs/benchmarks.md, "The weekly report (issue 15)".
"""

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

WEEK_START_MS = 1795971600000  # Monday 2026-11-30 00:00 UTC+7
DAY = 86400000


def timed(argv, runs=int(os.environ.get("RUNS", "3"))):
    best = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.monotonic()
        out = subprocess.run(argv, capture_output=True, check=True, timeout=600).stdout
        dt = time.monotonic() - t0
        best = dt if best is None else min(best, dt)
    rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return best, rss, out


def main():
    receiver = sys.argv[1]
    gateways = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    per_counter = int(sys.argv[3]) if len(sys.argv) > 3 else 35
    with tempfile.TemporaryDirectory(dir=os.environ.get("RAVAO_BENCH_DIR")) as tmp:
        db = os.path.join(tmp, "receiver.db")
        csv = os.path.join(tmp, "sites.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("site_id,name,commune,province,population\n")
            for g in range(gateways):
                f.write("gw-%04d,Bưu điện số %d,Xã Ea %03d,Đắk Lắk,%d\n" % (g, g, g % 100, 150 + (g * 37) % 300))
        subprocess.run([receiver, "sites", "load", "--db", db, csv], check=True, capture_output=True)
        con = sqlite3.connect(db)
        con.execute("PRAGMA synchronous=OFF")
        t0 = time.monotonic()
        rows = 0
        sql = ("INSERT INTO records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced,"
               " derived_wall_ms, received_ms, json, actor) VALUES(?, ?, ?, ?, ?, ?, 'b', 0, 1, ?, ?, ?, ?)")
        body = '{"seq":0,"type":"scan","counter":"quay-1","kind":"cccd","id_masked":"**********45","sealed":"' + "A" * 200 + '"}'
        for g in range(gateways):
            gw = "gw-%04d" % g
            stream = "%032x" % g
            seq = 0
            batch = []
            for day in range(-1, 7):
                for c in ("quay-1", "quay-2"):
                    for v in range(per_counter):
                        at = WEEK_START_MS + day * DAY + 7 * 3600000 + v * 600000 + (g % 60) * 1000
                        kinds = [("visit_opened", None), ("scan", None), ("visit_closed", None)]
                        if v % 10 == 0:
                            kinds.append(("declaration", "web:lan" if v % 20 == 0 else None))
                        if v % 20 == 5:
                            kinds += [("slip_issued", "web:lan"), ("slip_returned", None)]
                        for t, actor in kinds:
                            seq += 1
                            batch.append((gw, stream, seq, t, c, at, at, at, body, actor))
            con.executemany(sql, batch)
            con.execute("INSERT INTO gateways(gateway, last_batch_ms, last_heartbeat_ms, last_heartbeat) VALUES(?, ?, ?, ?)",
                        (gw, WEEK_START_MS + 7 * DAY, WEEK_START_MS + 7 * DAY, json.dumps({
                            "version": "0.1.0", "sent": {"clock_synced": True},
                            "counters": [{"id": "quay-1"}, {"id": "quay-2"}],
                            "queue": {"depth": g % 7, "dead_letters": 0}, "store": {"alarm": False}})))
            rows += len(batch)
            if g % 200 == 199:
                con.commit()
        con.commit()
        con.close()
        gen = time.monotonic() - t0
        size = os.path.getsize(db)
        print("generated: %d gateways, %d records (%.0f per gateway per day), %.0f MiB, in %.1f s"
              % (gateways, rows, rows / gateways / 8, size / 2**20, gen))
        base = [receiver, "report", "weekly", "--db", db, "--week", "2026-W49"]
        for name, argv in (("report weekly --format csv", base),
                           ("report weekly --format html", base + ["--format", "html"]),
                           ("fleet --json", [receiver, "fleet", "--db", db, "--json"])):
            dt, rss, out = timed(argv)
            print("%-28s %6.2f s (best of %d)  peak RSS %5.1f MiB  output %d KiB"
                  % (name, dt, int(os.environ.get("RUNS", "3")), rss / 1024, len(out) // 1024))


if __name__ == "__main__":
    main()
