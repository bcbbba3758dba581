#!/usr/bin/env python3
"""Listens on a datagram socket as systemd's NOTIFY_SOCKET does and appends
every sd_notify message to a log, one assignment per line (READY=1,
STATUS=..., WATCHDOG=1, STOPPING=1). Used by deb_package_test.sh.
Usage: notify_listener.py SOCKET LOG   (runs until killed; at most 10 minutes)"""
import os
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path + ".tmp")
os.chmod(path + ".tmp", 0o666)  # ravaod runs as the user ravao
os.rename(path + ".tmp", path)  # the test waits for the socket to appear
sock.settimeout(1.0)
deadline = time.monotonic() + 600
with open(log, "a", encoding="utf-8") as out:
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                out.write(line + "\n")
        out.flush()
