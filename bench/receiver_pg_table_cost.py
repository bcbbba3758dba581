#!/usr/bin/env python3
"""What one record costs PostgreSQL, table by table (issue 15, the ingest rate).

usage: receiver_pg_table_cost.py RAVAO_RECEIVER [records]

Starts its own PostgreSQL 15 as receiver_pg_bench.py does, lets
`ravao-receiver serve` create its schema, then COPYs `records` rows (4
streams, the bench's realistic record) into record_keys and into the day's
partition of records, and into copies of them with fewer indexes, each
through psql's \\copy. Prints the backend's CPU time per row (from /proc, so
that a machine shared with other work changes it little) and the wall time.
Figures: docs/benchmarks.md, "Ingest into PostgreSQL".
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import receiver_pg_bench as bench  # noqa: E402


def psql(d, *args, **kw):
    return subprocess.run([f"{bench.PG}/psql", "-X", "-h", d, "-U", "ravao", "-d", "x", *args], **kw)


def write_rows(d, n):
    """keys.tsv and records.tsv in COPY's text format; the day of today's partition."""
    part = psql(d, "-Atc", "SELECT min(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid",
                capture_output=True, text=True, check=True).stdout.strip()
    day = f"{part[8:12]}-{part[12:14]}-{part[14:16]}"
    raw = bytearray(os.urandom(200))
    raw[31] |= 0x80
    raw[32] = 2
    sealed = base64.b64encode(bytes(raw)).decode()
    keys, rows = [], []
    for c in range(4):
        stream = f"{c:032x}"
        for s in range(1, n // 4 + 1):
            rec = {"seq": s, "type": "visit_opened", "counter": "quay-1", "wall_ms": 1795420700000 + s,
                   "boot_id": "boot-a", "boottime_ns": 400000000000 + s, "clock_synced": True, "visit": s,
                   "name_masked": "NGUYỄN V. A.", "id_masked": "**********45", "sealed": sealed}
            text = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
            keys.append(f"gw-{c}\t{stream}\t{s}\t{day}")
            rows.append(f"gw-{c}\t{stream}\t{s}\tvisit_opened\tquay-1\t{1795420700000 + s}\tboot-a\t"
                        f"{400000000000 + s}\tt\t{1795420700000 + s}\t1795420800000\t{day}\t{text}\t\\N")
    for name, lines in (("keys", keys), ("records", rows)):
        with open(f"{d}/{name}.tsv", "w") as f:
            f.write("\n".join(lines) + "\n")
    return part


def cost(d, setup, copy, n):
    """Backend CPU and wall microseconds per row of `\\copy copy` after `setup`."""
    p = subprocess.Popen([f"{bench.PG}/psql", "-X", "-h", d, "-U", "ravao", "-d", "x", "-Atq", "-v", "ON_ERROR_STOP=1"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    p.stdin.write(f"SET client_min_messages = warning;\n{setup};\nSELECT pg_backend_pid();\n")
    p.stdin.flush()
    pid = int(p.stdout.readline())
    cpu0, t0 = bench.cpu_s(pid), time.monotonic()
    p.stdin.write(f"\\copy {copy}\nSELECT 'done';\n")
    p.stdin.flush()
    p.stdout.readline()
    cpu, wall = bench.cpu_s(pid) - cpu0, time.monotonic() - t0
    p.stdin.close()
    p.wait()
    return cpu * 1e6 / n, wall * 1e6 / n


def main():
    receiver = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    d = tempfile.mkdtemp(prefix="ravao-pg-cost-")
    stop = None
    try:
        subprocess.run([receiver, "pki", "--out", f"{d}/pki"], check=True, capture_output=True)
        stop = bench.start_postgres(d)
        subprocess.run([f"{bench.PG}/createdb", "-h", d, "-U", "ravao", "x"], check=True)
        with open(f"{d}/tokens", "w") as f:
            f.write("gw-0 token-0\n")
        serve = subprocess.Popen([receiver, "serve", "--listen", "127.0.0.1:0", "--cert", f"{d}/pki/server.pem",
                                  "--key", f"{d}/pki/server.key", "--db", f"postgresql://ravao@/x?host={d}",
                                  "--tokens", f"{d}/tokens"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True)
        serve.stdout.readline()  # listening: the schema is there
        serve.terminate()
        serve.wait()
        part = write_rows(d, n)
        cases = [
            ("record_keys, heap only", "CREATE TABLE k1 (LIKE record_keys)", "k1"),
            ("record_keys, + primary key", "CREATE TABLE k2 (LIKE record_keys INCLUDING INDEXES);"
             " DROP INDEX IF EXISTS k2_received_day_idx", "k2"),
            ("record_keys (primary key, by day)", "SELECT 1 WHERE false", "record_keys"),
            ("records, heap only", f"CREATE TABLE r1 (LIKE {part})", "r1"),
            ("records partition (its 4 indexes)", "SELECT 1 WHERE false", part),
            ("records through the parent", "TRUNCATE records", "records"),
        ]
        for name, setup, table in cases:
            source = "keys" if table.startswith("k") or table == "record_keys" else "records"
            cpu, wall = cost(d, setup, f"{table} FROM '{d}/{source}.tsv'", n)
            print(f"{name:36s} backend CPU {cpu:5.2f} us/row, wall {wall:6.2f} us/row")
    finally:
        if stop:
            stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
