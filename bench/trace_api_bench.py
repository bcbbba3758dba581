#!/usr/bin/env python3
"""Traces through the HTTPS API, timed (issue 15, docs/tracing.md "The HTTPS API").

usage: trace_api_bench.py RAVAO_RECEIVER STORE_DIR DAYS PER_DAY [requests=200] [connections=1,4]

STORE_DIR is a store made by bench/trace_bench (DIR/DAYSxPER_DAYxGATEWAYS:
receiver.db, province.key). In a temp folder: a test PKI with a health
department certificate (`pki --trace-client`), `trace-serve` on loopback
with a fresh trace file (its start-up index pass is timed), then
`requests` traces of random people over the whole period (margin 15 min,
JSON), over `connections` keep-alive mutual-TLS connections at once (each
a thread), for each value of `connections`: requests/s and latency
p50/p99/max. The rate limit is lifted for the bench.
"""

import http.client
import json
import os
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def id_of(person):  # as bench/trace_bench.cpp
    return f"{79_000_000_000 + person:012}"


def main():
    receiver, store, days, per_day = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    requests = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    conns = [int(c) for c in (sys.argv[6] if len(sys.argv) > 6 else "1,4").split(",")]
    people = max(1000, per_day * days // 2 // 4)
    last_day = f"2026-12-{days:02}" if days <= 31 else None
    with tempfile.TemporaryDirectory() as tmp:
        pki = os.path.join(tmp, "pki")
        subprocess.run([receiver, "pki", "--out", pki, "--trace-client", "bench"], check=True, capture_output=True)
        out, log = open(os.path.join(tmp, "out"), "w+"), open(os.path.join(tmp, "log"), "w")
        t0 = time.monotonic()
        proc = subprocess.Popen([receiver, "trace-serve", "--listen", "127.0.0.1:0",
                                 "--cert", f"{pki}/server.pem", "--key", f"{pki}/server.key",
                                 "--client-ca", f"{pki}/ca.pem", "--db", os.path.join(store, "receiver.db"),
                                 "--secret-key", os.path.join(store, "province.key"),
                                 "--trace-db", os.path.join(tmp, "trace.db"), "--log-level", "warning",
                                 "--rate-burst", "10000", "--rate-per-minute", "1000000", "--max-waiting", "1000"],
                                stdout=out, stderr=log)
        port = None
        while port is None:
            if proc.poll() is not None:
                sys.exit("trace-serve stopped: " + open(os.path.join(tmp, "log")).read())
            out.seek(0)
            line = out.read()
            if "listening on " in line and line.endswith("\n"):
                port = int(line.strip().rsplit(":", 1)[1])
            else:
                time.sleep(0.05)
        print(f"trace-serve up (index pass over the store) in {time.monotonic() - t0:.1f} s")
        ctx = ssl.create_default_context(cafile=f"{pki}/ca.pem")
        ctx.load_cert_chain(f"{pki}/trace-bench.pem", f"{pki}/trace-bench.key")
        rng = random.Random(7)
        try:
            for c in conns:
                latencies, lock = [], threading.Lock()
                per_thread = requests // c

                def worker():
                    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)
                    mine = []
                    for _ in range(per_thread):
                        body = json.dumps({"case": "BENCH", "legal_basis": "bench", "id_number": id_of(rng.randrange(people)),
                                           "from": "2026-12-01", "to": last_day, "margin_minutes": 15})
                        t = time.monotonic()
                        conn.request("POST", "/v1/trace", body, {"Content-Type": "application/json"})
                        r = conn.getresponse()
                        r.read()
                        mine.append(time.monotonic() - t)
                        if r.status != 200:
                            sys.exit(f"status {r.status}")
                    with lock:
                        latencies.extend(mine)

                threads = [threading.Thread(target=worker) for _ in range(c)]
                t = time.monotonic()
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                wall = time.monotonic() - t
                latencies.sort()
                q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
                print(f"{days} days x {per_day}/day, {c} connection(s): {len(latencies)} traces in {wall:.2f} s = "
                      f"{len(latencies) / wall:.0f} traces/s; latency p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, "
                      f"max {latencies[-1] * 1000:.1f} ms (mean {statistics.mean(latencies) * 1000:.1f})")
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
