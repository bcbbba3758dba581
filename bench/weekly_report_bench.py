#!/usr/bin/env python3
"""The weekly report for a province of 2,000 gateways, timed (issue 15).

usage: weekly_report_bench.py RAVAO_RECEIVER [gateways] [visits_per_counter_per_day] [--db sqlite|postgresql]

In a temp folder: `ravao-receiver sites load` of a site table of
`gateways` sites (default 2,000) in 100 communes, then a week of records
(2026-W49) written into the receiver's store exactly as `serve` stores
them (one row per record; SQLite: UNIQUE(gateway, stream, seq) kept;
PostgreSQL: the day partitions by received day, loaded by COPY, without
record_keys, which the report does not read), plus the day before (a
previous week's tail the report must skip), one heartbeat per gateway;
then `report weekly` as CSV and as HTML, and `fleet`, each timed (wall
clock, best of $RUNS, default 3) with its peak RSS.

--db postgresql: a throw-away PostgreSQL 15 (receiver_pg_bench.py's
start_postgres: initdb + pg_ctl into the temp folder, a unix socket only);
four weeks of empty day partitions before the data show the activity
query's partition pruning (the partitions its plan reads are printed).

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

import argparse
import json
import os
import resource
import sqlite3
import re
import subprocess
import tempfile
import time

from receiver_pg_bench import PG, start_postgres

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


def week_rows(gateway_index, per_counter):
    """The generated records of one gateway: (gateway, stream, seq, type, counter, time, actor, json)."""
    gw = "gw-%04d" % gateway_index
    stream = "%032x" % gateway_index
    body = '{"seq":0,"type":"scan","counter":"quay-1","kind":"cccd","id_masked":"**********45","sealed":"' + "A" * 200 + '"}'
    seq = 0
    for day in range(-1, 7):
        for c in ("quay-1", "quay-2"):
            for v in range(per_counter):
                at = WEEK_START_MS + day * DAY + 7 * 3600000 + v * 600000 + (gateway_index % 60) * 1000
                kinds = [("visit_opened", None), ("scan", None), ("visit_closed", None)]
                if v % 10 == 0:
                    kinds.append(("declaration", "web:lan" if v % 20 == 0 else None))
                if v % 20 == 5:
                    kinds += [("slip_issued", "web:lan"), ("slip_returned", None)]
                for t, actor in kinds:
                    seq += 1
                    yield gw, stream, seq, t, c, at, actor, body


def last_heartbeat(gateway_index):
    return json.dumps({"version": "0.1.0", "sent": {"clock_synced": True},
                       "counters": [{"id": "quay-1"}, {"id": "quay-2"}],
                       "queue": {"depth": gateway_index % 7, "dead_letters": 0}, "store": {"alarm": False}})


def fill_sqlite(db, gateways, per_counter):
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    rows = 0
    sql = ("INSERT INTO records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced,"
           " derived_wall_ms, received_ms, json, actor) VALUES(?, ?, ?, ?, ?, ?, 'b', 0, 1, ?, ?, ?, ?)")
    for g in range(gateways):
        batch = [(gw, stream, seq, t, c, at, at, at, body, actor)
                 for gw, stream, seq, t, c, at, actor, body in week_rows(g, per_counter)]
        con.executemany(sql, batch)
        con.execute("INSERT INTO gateways(gateway, last_batch_ms, last_heartbeat_ms, last_heartbeat) VALUES(?, ?, ?, ?)",
                    (batch[0][0], WEEK_START_MS + 7 * DAY, WEEK_START_MS + 7 * DAY, last_heartbeat(g)))
        rows += len(batch)
        if g % 200 == 199:
            con.commit()
    con.commit()
    con.close()
    return rows


def psql(url, sql, stdin=None):
    return subprocess.run([f"{PG}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          input=stdin, capture_output=True, check=True, text=True).stdout


def iso_day(ms):
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))


def fill_postgresql(url, gateways, per_counter):
    # The day partitions the records were "received" on (received = record
    # time here), and four weeks of empty ones before them.
    for d in range(-30, 9):
        day = WEEK_START_MS - WEEK_START_MS % DAY + d * DAY
        psql(url, "CREATE TABLE IF NOT EXISTS records_%s PARTITION OF records FOR VALUES FROM ('%s') TO ('%s')"
             % (iso_day(day).replace("-", ""), iso_day(day), iso_day(day + DAY)))
    copy = subprocess.Popen([f"{PG}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                             "COPY records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns,"
                             " clock_synced, derived_wall_ms, received_ms, received_day, json, actor) FROM STDIN"],
                            stdin=subprocess.PIPE, text=True)
    rows = 0
    heartbeats = []
    for g in range(gateways):
        lines = []
        for gw, stream, seq, t, c, at, actor, body in week_rows(g, per_counter):
            lines.append("%s\t%s\t%d\t%s\t%s\t%d\tb\t0\tt\t%d\t%d\t%s\t%s\t%s\n"
                         % (gw, stream, seq, t, c, at, at, at, iso_day(at), body, actor or "\\N"))
        copy.stdin.write("".join(lines))
        rows += len(lines)
        heartbeats.append("gw-%04d\t%d\t%d\t%s\n" % (g, WEEK_START_MS + 7 * DAY, WEEK_START_MS + 7 * DAY,
                                                     last_heartbeat(g).replace("\\", "\\\\")))
    copy.stdin.close()
    if copy.wait() != 0:
        raise SystemExit("COPY into records failed")
    psql(url, "COPY gateways(gateway, last_batch_ms, last_heartbeat_ms, last_heartbeat) FROM STDIN",
         stdin="".join(heartbeats))
    psql(url, "VACUUM ANALYZE")
    return rows


def pruned_partitions(url):
    """How many partitions of records the activity query's plan reads, of how many."""
    frm = WEEK_START_MS - DAY
    plan = psql(url, "EXPLAIN SELECT gateway, counter, type, count(*) FROM records"
                     " WHERE received_day >= DATE '1970-01-01' + %d AND received_ms >= %d AND derived_wall_ms >= %d"
                     " AND derived_wall_ms < %d AND type <> 'device' GROUP BY 1, 2, 3"
                % (frm // DAY, frm, WEEK_START_MS, WEEK_START_MS + 7 * DAY))
    read = len(set(re.findall(r"on (records_\d{8})", plan)))
    total = int(psql(url, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'records'::regclass"))
    return read, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("receiver")
    ap.add_argument("gateways", nargs="?", type=int, default=2000)
    ap.add_argument("per_counter", nargs="?", type=int, default=35)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--csv-out", help="keep the CSV report there (to compare the engines' figures)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("RAVAO_BENCH_DIR")) as tmp:
        stop = None
        if a.db == "postgresql":
            stop = start_postgres(tmp)
            db = "postgresql://ravao@/postgres?host=" + tmp
        else:
            db = os.path.join(tmp, "receiver.db")
        try:
            csv = os.path.join(tmp, "sites.csv")
            with open(csv, "w", encoding="utf-8") as f:
                f.write("site_id,name,commune,province,population\n")
                for g in range(a.gateways):
                    f.write("gw-%04d,Bưu điện số %d,Xã Ea %03d,Đắk Lắk,%d\n" % (g, g, g % 100, 150 + (g * 37) % 300))
            subprocess.run([a.receiver, "sites", "load", "--db", db, csv], check=True, capture_output=True)
            t0 = time.monotonic()
            if a.db == "postgresql":
                rows = fill_postgresql(db, a.gateways, a.per_counter)
                size = int(psql(db, "SELECT pg_database_size('postgres')"))
            else:
                rows = fill_sqlite(db, a.gateways, a.per_counter)
                size = os.path.getsize(db)
            gen = time.monotonic() - t0
            print("%s: %d gateways, %d records (%.0f per gateway per day), %.0f MiB, generated in %.1f s"
                  % (a.db, a.gateways, rows, rows / a.gateways / 8, size / 2**20, gen))
            if a.db == "postgresql":
                print("activity query reads %d of %d day partitions of records" % pruned_partitions(db))
            base = [a.receiver, "report", "weekly", "--db", db, "--week", "2026-W49"]
            for name, argv in (("report weekly --format csv", base),
                               ("report weekly --format html", base + ["--format", "html"]),
                               ("fleet --json", [a.receiver, "fleet", "--db", db, "--json"])):
                dt, rss, out = timed(argv)
                if a.csv_out and argv is base:
                    with open(a.csv_out, "wb") as f:
                        f.write(out)
                print("%-28s %6.2f s (best of %d)  peak RSS %5.1f MiB  output %d KiB"
                      % (name, dt, int(os.environ.get("RUNS", "3")), rss / 1024, len(out) // 1024))
        finally:
            if stop:
                stop()


if __name__ == "__main__":
    main()
