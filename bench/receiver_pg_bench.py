#!/usr/bin/env python3
"""Records per second into PostgreSQL through ravao-receiver (issue 15).

usage: receiver_pg_bench.py RAVAO_RECEIVER [records] [batch] [connections] [methods]

`methods`: a comma-separated subset of copy,values,sqlite (all three by default).

Starts its own PostgreSQL 15 (initdb + pg_ctl from /usr/lib/postgresql/15/bin
into a temp folder, as `nobody` when run as root; fsync ON, as in production),
then, for each insert method (`--pg-insert copy` and `values`, a fresh
database each), `ravao-receiver serve` on it with `connections` store
threads, and uploads `records` realistic records (a 200-byte sealed field)
in batches of `batch` over `connections` keep-alive HTTPS connections, from
gateways gw-0..gw-N. The bodies are built and gzipped before the clock
starts. Prints per method: end-to-end records/s, and records/s inside the
database (records / the sum of the receiver's store_ms, per connection).
Also SQLite, for comparison. Also prints the CPU time per record of the
receiver, of PostgreSQL (every process of the cluster) and of this client.
With RAVAO_BENCH_PERF=PREFIX in the environment, `perf record -a` runs
while the clock runs (PREFIX-METHOD.data; RAVAO_BENCH_PERF_EVENT, default
cpu-clock): `perf report -i PREFIX-copy.data --sort comm,dso,sym`. Figures:
docs/province-scale.md.
"""

import base64
import gzip
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

PG = "/usr/lib/postgresql/15/bin"


def start_postgres(d):
    data, sock = f"{d}/data", d
    as_nobody = os.geteuid() == 0
    pre = ["runuser", "-u", "nobody", "--"] if as_nobody else []
    if as_nobody:
        nobody = pwd.getpwnam("nobody")
        os.chown(d, nobody.pw_uid, nobody.pw_gid)
    subprocess.run(pre + [f"{PG}/initdb", "-D", data, "-A", "trust", "-U", "ravao", "-E", "UTF8", "--locale=C",
                          "--no-instructions"], check=True, capture_output=True)
    opts = f"-k {sock} -c listen_addresses='' -c max_connections=100 -c shared_buffers=256MB"
    subprocess.run(pre + [f"{PG}/pg_ctl", "-D", data, "-l", f"{d}/pg.log", "-w", "-o", opts, "start"], check=True,
                   capture_output=True)
    return lambda: subprocess.run(pre + [f"{PG}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                                  capture_output=True)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid, reaped=False):
    """CPU seconds (user+system) of `pid`; with `reaped`, also of its exited, waited-for children."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / TICK


def postgres_cpu_s(d):
    """CPU seconds of the whole cluster: the postmaster with its exited backends, and those alive."""
    with open(f"{d}/data/postmaster.pid") as f:
        master = int(f.readline())
    total = cpu_s(master, reaped=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == master:
                total += cpu_s(int(entry))
    return total


def bodies(records, batch, connections):
    # A well-formed sealed field of format 2 (docs/sync-protocol.md): the
    # receiver checks the shape (marker bit of byte 31, version byte 32), not the box.
    raw = bytearray(os.urandom(200))
    raw[31] |= 0x80
    raw[32] = 2
    sealed = base64.b64encode(bytes(raw)).decode()
    per_conn = []
    for c in range(connections):
        out = []
        gw = f"gw-{c}"
        for first in range(1, records // connections + 1, batch):
            recs = [{"seq": s, "type": "visit_opened", "counter": "quay-1", "wall_ms": 1795420700000 + s,
                     "boot_id": "boot-a", "boottime_ns": 400000000000 + s, "clock_synced": True, "visit": s,
                     "name_masked": "NGUYỄN V. A.", "id_masked": "**********45", "sealed": sealed}
                    for s in range(first, first + batch)]
            body = {"protocol": 1, "gateway": gw, "stream": f"{c:032x}",
                    "sent": {"wall_ms": 1795420800000, "boot_id": "boot-a", "boottime_ns": 500000000000,
                             "clock_synced": True}, "records": recs}
            out.append(gzip.compress(json.dumps(body).encode()))
        per_conn.append(out)
    return per_conn


def upload(port, token, batches, errors):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=120))
    for body in batches:
        head = (f"POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Encoding: gzip\r\nRavao-Protocol: 1\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", header).group(1))
        while len(rest) < length:
            rest += s.recv(65536)
        if not header.startswith(b"HTTP/1.1 200"):
            errors.append(header.split(b"\r\n")[0] + rest)
    s.close()


def run(receiver, d, db, method, records, batch, connections, work):
    tokens = f"{d}/tokens"
    with open(tokens, "w") as f:
        for c in range(connections):
            f.write(f"gw-{c} token-{c}\n")
    log = open(f"{d}/{method}.log", "w")
    args = [receiver, "serve", "--listen", "127.0.0.1:0", "--cert", f"{d}/pki/server.pem", "--key",
            f"{d}/pki/server.key", "--db", db, "--tokens", tokens]
    if db.startswith("postgresql://"):
        args += ["--pg-insert", method, "--db-connections", str(connections)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    port = int(proc.stdout.readline().rsplit(":", 1)[1])
    errors = []
    threads = [threading.Thread(target=upload, args=(port, f"token-{c}", work[c], errors)) for c in range(connections)]
    pg_cpu0 = postgres_cpu_s(d) if db.startswith("postgresql://") else 0.0
    client_cpu0 = sum(os.times()[:2])
    perf = None
    if os.environ.get("RAVAO_BENCH_PERF"):
        perf = subprocess.Popen(["perf", "record", "-a", "-q", "-e", os.environ.get("RAVAO_BENCH_PERF_EVENT", "cpu-clock"),
                                 "-o", f"{os.environ['RAVAO_BENCH_PERF']}-{method}.data"], stderr=subprocess.DEVNULL)
        time.sleep(1)  # perf's start-up
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    if perf:
        perf.send_signal(2)
        perf.wait()
    client_cpu = sum(os.times()[:2]) - client_cpu0
    receiver_cpu = cpu_s(proc.pid)
    rss = 0
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                rss = int(line.split()[1])
    proc.terminate()
    proc.wait()
    log.close()
    # The backends exit with the receiver's connections; the postmaster reaps them.
    pg_cpu = 0.0
    if db.startswith("postgresql://"):
        time.sleep(0.5)
        pg_cpu = postgres_cpu_s(d) - pg_cpu0
    store_ms = sum(int(m) for m in re.findall(r"store_ms=(\d+)", open(f"{d}/{method}.log").read()))
    sent = sum(len(w) for w in work) * batch
    inside = sent / (store_ms / 1000 / connections) if store_ms else 0
    print(f"{method:7s} {sent} records in {elapsed:.2f} s: {sent / elapsed:,.0f} records/s end to end, "
          f"{inside:,.0f} records/s inside the database (store_ms, {connections} connections), "
          f"receiver peak RSS {rss / 1024:.0f} MiB, errors {len(errors)}" + (f": {errors[0][:200]}" if errors else ""))
    us = 1e6 / sent
    print(f"{'':7s} CPU per record: receiver {receiver_cpu * us:.1f} us, PostgreSQL {pg_cpu * us:.1f} us, "
          f"client {client_cpu * us:.1f} us; wall {elapsed * us:.1f} us ({elapsed * us * 2:.1f} us of 2 cores)")
    sys.stdout.flush()


def main():
    receiver = sys.argv[1]
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    methods = sys.argv[5].split(",") if len(sys.argv) > 5 else ["copy", "values", "sqlite"]
    d = tempfile.mkdtemp(prefix="ravao-pg-bench-")
    stop = None
    try:
        subprocess.run([receiver, "pki", "--out", f"{d}/pki"], check=True, capture_output=True)
        stop = start_postgres(d)
        work = bodies(records, batch, connections)
        for method in (m for m in methods if m != "sqlite"):
            subprocess.run([f"{PG}/createdb", "-h", d, "-U", "ravao", method], check=True)
            run(receiver, d, f"postgresql://ravao@/{method}?host={d}", method, records, batch, connections, work)
        if "sqlite" in methods:
            run(receiver, d, f"{d}/receiver.db", "sqlite", records, batch, connections, work)
    finally:
        if stop:
            stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
