#!/usr/bin/env python3
"""The audit's denial-of-service attacks on ravao-receiver, measured (issue 18).

usage: receiver_abuse_bench.py RAVAO_RECEIVER [connections]

Starts `ravao-receiver serve` (a bearer token for gw-test, a test PKI) in a
temp folder and measures its memory (VmRSS/VmHWM from /proc) and how long a
refusal takes, for:

  1. `connections` (default 16) tokenless POSTs announcing an 8 MiB body and
     sending it (the audit: RSS 12.6 -> 145 MB when the body was read
     before authentication);
  2. an authenticated 32 KiB gzip body inflating to 32 MiB, to the batch and
     the heartbeat endpoints (the audit: 1.9 s on the one thread, 881 MB
     peak, 31.4 MB stored per heartbeat);
  3. an authenticated batch of millions of tiny JSON values;
  4. 256 idle TCP connections from one address, then a gateway's batch
     from another address (the audit: the gateway's handshake failed).

Prints one line per attack. Figures: docs/benchmarks.md, "Issue 18".
"""

import gzip
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

TOKEN = "bench-token-0123456789abcdef"
GATEWAY = "gw-test"


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def tls_connect(port, source="127.0.0.1"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    return ctx.wrap_socket(raw)


def read_reply(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return head


def post(port, path, body, token=TOKEN, gz=False, send_body=True):
    s = tls_connect(port)
    headers = [f"POST {path} HTTP/1.1", "Host: localhost", "Content-Type: application/json",
               f"Content-Length: {len(body)}", "Ravao-Protocol: 1"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    if gz:
        headers.append("Content-Encoding: gzip")
    s.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
    started = time.monotonic()
    if send_body:
        try:
            s.sendall(body)
        except OSError:
            pass
    head = read_reply(s)
    elapsed = time.monotonic() - started
    s.close()
    return head, elapsed


def sent():
    return {"wall_ms": int(time.time() * 1000), "boot_id": "0f5e3a1c-7d2b-4c1e-9a8f-1b2c3d4e5f60",
            "boottime_ns": 1, "clock_synced": True}


def main():
    receiver = sys.argv[1]
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    with tempfile.TemporaryDirectory(prefix="ravao-abuse-") as d:
        subprocess.run([receiver, "pki", "--out", f"{d}/pki", "--client", GATEWAY], check=True,
                       stdout=subprocess.DEVNULL)
        with open(f"{d}/tokens", "w") as f:
            f.write(f"{GATEWAY} {TOKEN}\n")
        os.chmod(f"{d}/tokens", 0o600)
        proc = subprocess.Popen([receiver, "serve", "--listen", "127.0.0.1:0", "--cert", f"{d}/pki/server.pem",
                                 "--key", f"{d}/pki/server.key", "--db", f"{d}/r.db", "--tokens", f"{d}/tokens",
                                 "--log-level", "warning"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            port = int(line.rsplit(":", 1)[1])
            idle = status(proc.pid)
            print(f"idle                         VmRSS {idle['VmRSS']:>7} KiB  VmHWM {idle['VmHWM']:>7} KiB")

            # 1. Tokenless 8 MiB bodies, all at once.
            body = b" " * (8 * 1024 * 1024 - 1024)
            socks = []
            for _ in range(connections):
                s = tls_connect(port)
                s.sendall((f"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                           "Ravao-Protocol: 1\r\nExpect: 100-continue\r\n\r\n").encode())
                socks.append(s)
            heads = [read_reply(s) for s in socks]
            for s in socks:
                s.close()
            after = status(proc.pid)
            ok = all(" 401 " in h for h in heads)
            print(f"{connections} tokenless 8 MiB POSTs     VmRSS {after['VmRSS']:>7} KiB  VmHWM {after['VmHWM']:>7} KiB"
                  f"  replies: {'all 401' if ok else heads[:3]}")

            # 2. Gzip bombs.
            for path, lead in (("/v1/batches", {"protocol": 1, "gateway": GATEWAY,
                                                "stream": "6f1c0d9a4b2e4f37a1d5c3b2e1f09a87", "sent": sent()}),
                               ("/v1/heartbeats", {"protocol": 1, "gateway": GATEWAY,
                                                   "stream": "6f1c0d9a4b2e4f37a1d5c3b2e1f09a87",
                                                   "version": "0.1.0", "sent": sent()})):
                text = json.dumps(lead)[:-1] + ', "pad": "' + "A" * (32 * 1024 * 1024) + '"}'
                bomb = gzip.compress(text.encode(), 9)
                head, elapsed = post(port, path, bomb, gz=True)
                st = status(proc.pid)
                print(f"gzip bomb {len(bomb) // 1024} KiB -> 32 MiB {path:<15} {head[9:12]} in {elapsed * 1000:6.0f} ms"
                      f"  VmHWM {st['VmHWM']:>7} KiB")

            # 3. Millions of tiny values.
            values = b'{"protocol":1,"gateway":"gw-test","x":[' + b",".join([b"0"] * 3_000_000) + b"]}"
            bomb = gzip.compress(values, 9)
            head, elapsed = post(port, "/v1/batches", bomb, gz=True)
            st = status(proc.pid)
            print(f"3,000,000 JSON values ({len(bomb) // 1024} KiB gz) {head[9:12]} in {elapsed * 1000:6.0f} ms"
                  f"  VmHWM {st['VmHWM']:>7} KiB")

            # 4. A flood of idle connections from one address, then a gateway from another.
            flood = [socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
                     for _ in range(256)]
            batch = json.dumps({"protocol": 1, "gateway": GATEWAY, "stream": "6f1c0d9a4b2e4f37a1d5c3b2e1f09a87",
                                "sent": sent(),
                                "records": [dict(seq=1, type="scan", counter="quay-1", **sent())]}).encode()
            try:
                head, elapsed = post(port, "/v1/batches", batch)
                outcome = f"{head[9:12]} in {elapsed * 1000:.0f} ms"
            except OSError as e:
                outcome = f"failed: {e}"
            print(f"256 idle connections, then a gateway: {outcome}")
            for s in flood:
                s.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
