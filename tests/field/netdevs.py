#!/usr/bin/python3
"""The field rehearsal's network devices (issue 17): a raw TCP 9100 ESC/POS
printer and the provincial receiver, both on the host, reached by the guest
through qemu's user networking.

Why guestfwd (guest -> host), and restricted: both devices are servers the
gateway connects to, as on a branch LAN, so the connections go from the
guest to the host; hostfwd is the other direction (a host client into a
guest server). `-netdev user,restrict=on` cuts the guest off from the host
and the Internet, so only the two addresses below lead anywhere: no test
can pass through something else on the host's loopback. Each guestfwd
rule is `cmd:` rather than a chardev: qemu spawns the command for every
connection the guest opens (a chardev is one connection made when qemu
starts, shared by every guest connection, and qemu fails to start if the
host end is not listening yet). The command is this file's `relay`, which
joins the connection (its stdin/stdout) to a host TCP port on 127.0.0.1.

  guest address           host end
  10.0.2.100:9100         EscposPrinter, a thread of the test process
  10.0.2.101:443          ravao-receiver serve (mTLS), a child process
                          ("province.field" in the guest's /etc/hosts,
                          the name in the server certificate)

The guest's side (static address by systemd-networkd, the hosts entry, the
CA, the gateway's client certificate and key where the package expects
them, a clock flag) is set up once by set_up_guest(); it stays in the qcow2
overlay across reboots and power cuts.
"""

import base64
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time

PRINTER_ADDR = "10.0.2.100"
PRINTER_PORT = 9100
PROVINCE_ADDR = "10.0.2.101"
PROVINCE_NAME = "province.field"
PROVINCE_PORT = 443
GUEST_ADDR = "10.0.2.15"
GATEWAY_ID = "field-site"   # the [site] id of field_test.py's configuration
PRINTER_ID = "p1"


# --- the printer --------------------------------------------------------------

class EscposPrinter:
    """A raw TCP printer on 127.0.0.1 (any free port): what ravaod's encoder
    emits (ESC @, FS ., GS v 0 bands, ESC d n, GS V m [n]) and DLE EOT n,
    answered at once with a status byte of the pattern 0xx1xx10 for the
    current condition, as a real printer answers in any state (bit layout
    of drivers/escpos/status.hpp; the same as tests/support/fake_printer).
    Jobs: ESC @ starts one, a cut ends it. Bytes that print while the
    printer is not ready are counted (the print queue must hold them).
    Threads: one per connection; every public member is safe from the
    test's thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.paper_out = False
        self.received = bytearray()
        self.status_requests = 0
        self.jobs = []            # dicts: raster_bytes, cut
        self.violations = []
        self.not_ready_bytes = 0
        self.connections = 0
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def set_paper_out(self, value):
        with self.lock:
            self.paper_out = value

    def snapshot(self):
        with self.lock:
            return {"jobs": list(self.jobs), "status_requests": self.status_requests,
                    "violations": list(self.violations), "not_ready_bytes": self.not_ready_bytes,
                    "connections": self.connections, "received": bytes(self.received)}

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _status(self, n):
        b = 0x12
        if self.paper_out:
            b |= {1: 0x08, 2: 0x20, 4: 0x60}.get(n, 0)
        return b

    def _serve(self, conn):
        pending = b""
        current = None
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                replies = bytearray()
                with self.lock:
                    self.received += data
                    pending += data
                    pos = 0
                    while pos < len(pending):
                        n, current = self._parse_one(pending[pos:], replies, current)
                        if n == 0:
                            break
                        pos += n
                    pending = pending[pos:]
                if replies:
                    conn.sendall(bytes(replies))

    def _parse_one(self, p, replies, current):
        """(bytes consumed, 0 when incomplete; the job under way). Lock held."""
        have = len(p)

        def printing(n):
            if self.paper_out:
                self.not_ready_bytes += n
            return n

        def finish(cut):
            if current is not None and current["raster_bytes"] > 0:
                current["cut"] = cut
                self.jobs.append(current)
                return None
            return current

        c = p[0]
        if c == 0x10:  # DLE EOT n
            if have < 3:
                return 0, current
            if p[1] != 0x04 or not 1 <= p[2] <= 4:
                self.violations.append("DLE 0x%02X 0x%02X" % (p[1], p[2]))
                return 1, current
            self.status_requests += 1
            replies.append(self._status(p[2]))
            return 3, current
        if c == 0x1B:  # ESC @ / ESC d n
            if have < 2:
                return 0, current
            if p[1] == 0x40:
                finish(False)
                return printing(2), {"raster_bytes": 0, "cut": False}
            if p[1] == ord("d"):
                return (0, current) if have < 3 else (printing(3), current)
            self.violations.append("ESC 0x%02X" % p[1])
            return 1, current
        if c == 0x1C:  # FS .
            if have < 2:
                return 0, current
            return printing(2), current
        if c == 0x1D:  # GS V m [n] / GS v 0 m xL xH yL yH data
            if have < 3:
                return 0, current
            if p[1] == ord("V"):
                with_feed = p[2] in (65, 66)
                if with_feed and have < 4:
                    return 0, current
                return printing(4 if with_feed else 3), finish(True)
            if p[1] == ord("v"):
                if have < 8:
                    return 0, current
                size = (p[4] | p[5] << 8) * (p[6] | p[7] << 8)
                if have < 8 + size:
                    return 0, current
                if current is None:
                    current = {"raster_bytes": 0, "cut": False}
                current["raster_bytes"] += size
                return printing(8 + size), current
            self.violations.append("GS 0x%02X" % p[1])
            return 1, current
        self.violations.append("byte 0x%02X" % c)
        return 1, current

    def close(self):
        self.server.close()


# --- the receiver -------------------------------------------------------------

class Receiver:
    """ravao-receiver serve on 127.0.0.1 (any free port) with mutual TLS: a
    throw-away PKI from `ravao-receiver pki` whose server certificate names
    PROVINCE_NAME and whose client certificate is the gateway's (CN =
    GATEWAY_ID), and the province's sealing key pair (`keygen`: [sync] needs
    the public key). The SQLite store is FOLDER/receiver.db."""

    def __init__(self, binary, folder, log=print):
        self.binary = binary
        self.folder = folder
        self.log = log
        self.pki = os.path.join(folder, "pki")
        self.db = os.path.join(folder, "receiver.db")
        os.makedirs(folder, exist_ok=True)
        subprocess.run([binary, "pki", "--out", self.pki, "--host", PROVINCE_NAME,
                        "--client", GATEWAY_ID, "--force"], check=True, stdout=subprocess.DEVNULL)
        secret = os.path.join(self.pki, "province.key")
        if os.path.exists(secret):
            os.unlink(secret)
        self.public_key = subprocess.run([binary, "keygen", "--out", secret], check=True,
                                         stdout=subprocess.PIPE, text=True).stdout.strip()
        self.out = open(os.path.join(folder, "receiver.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0",
             "--cert", os.path.join(self.pki, "server.pem"), "--key", os.path.join(self.pki, "server.key"),
             "--client-ca", os.path.join(self.pki, "ca.pem"), "--db", self.db],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.out)
        line = self.proc.stdout.readline().decode()   # "listening on 127.0.0.1:PORT"
        if not line.startswith("listening on "):
            raise RuntimeError("ravao-receiver serve did not start: %r (%s)" % (line, self.out.name))
        self.port = int(line.rsplit(":", 1)[1])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.out.write(line)

    def file(self, name):
        with open(os.path.join(self.pki, name)) as f:
            return f.read()

    def records(self):
        """Every stored record as (gateway, stream, seq, type)."""
        out = subprocess.run([self.binary, "records", "--db", self.db, "--json", "--limit", "0"],
                             check=True, stdout=subprocess.PIPE).stdout
        return [(r["gateway"], r["stream"], r["seq"], r.get("type", "")) for r in json.loads(out)]

    def opened_visits(self):
        """Every stored visit_opened record as (seq, counter, opened): its
        sealed personal data opened with the province's key (a dict)."""
        out = subprocess.run([self.binary, "records", "--db", self.db, "--json", "--limit", "0",
                              "--key", os.path.join(self.pki, "province.key")],
                             check=True, stdout=subprocess.PIPE).stdout
        return [(r["seq"], r.get("counter", ""), r.get("opened"))
                for r in json.loads(out) if r.get("type") == "visit_opened"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


def receiver_binary(given, debs, scratch):
    """The host build's ravao-receiver (GIVEN), else the one of the
    ravao-receiver .deb beside the packages under test."""
    if given:
        return given
    for f in sorted(os.listdir(debs)):
        if f.startswith("ravao-receiver_") and f.endswith(".deb"):
            tree = os.path.join(scratch, "receiver-deb")
            subprocess.run(["dpkg-deb", "-x", os.path.join(debs, f), tree], check=True)
            return os.path.join(tree, "usr", "bin", "ravao-receiver")
    return None


# --- qemu and the guest ---------------------------------------------------------

def qemu_args(printer_port, receiver_port):
    """The guest's network: one virtio NIC on restricted user networking
    with the two guestfwd rules (module docstring)."""
    relay = "cmd:%s %s relay " % (sys.executable, os.path.abspath(__file__))
    for part in (relay,):
        if "," in part:
            raise ValueError("a comma in %r would end the -netdev option" % part)
    netdev = ("user,id=net0,restrict=on,net=10.0.2.0/24,host=10.0.2.2"
              ",guestfwd=tcp:%s:%d-%s%d" % (PRINTER_ADDR, PRINTER_PORT, relay, printer_port) +
              ",guestfwd=tcp:%s:%d-%s%d" % (PROVINCE_ADDR, PROVINCE_PORT, relay, receiver_port))
    return ["-netdev", netdev, "-device", "virtio-net-pci,netdev=net0"]


def counter_lines():
    """Lines of field_test.py's [[counter]] table: its slips' printer."""
    return 'printer = "%s"\n' % PRINTER_ID


def config_sections(public_key):
    """The printer and [sync] sections of the guest's ravao.toml."""
    return """
[[printer]]
id = "%s"
kind = "tcp"
address = "%s:%d"
paper_width_mm = 80

[sync]
url = "https://%s"
ca_file = "/etc/ravao/province-ca.pem"
client_cert = "/etc/ravao/gateway.pem"
client_key = "/etc/ravao/gateway.key"
public_key = "%s"
batch_delay_ms = 200
""" % (PRINTER_ID, PRINTER_ADDR, PRINTER_PORT, PROVINCE_NAME, public_key)


def set_up_guest(run, receiver):
    """The guest's network and the gateway's identity, once (they stay in
    the overlay). RUN(command) runs a command as root in the guest."""
    def put(path, text, mode, owner="root:root"):
        run("printf '%%s' '%s' | base64 -d > %s && chmod %s %s && chown %s %s"
            % (base64.b64encode(text.encode()).decode(), path, mode, path, owner, path))
    put("/etc/systemd/network/10-field.network",
        "[Match]\nType=ether\n\n[Network]\nAddress=%s/24\nGateway=10.0.2.2\nLinkLocalAddressing=no\n"
        "IPv6AcceptRA=no\n" % GUEST_ADDR, "0644")
    run("systemctl disable systemd-networkd-wait-online.service >/dev/null 2>&1 || true; "
        "systemctl enable --now systemd-networkd.service 2>&1")
    run("grep -q ' %s$' /etc/hosts || echo '%s %s' >> /etc/hosts" % (PROVINCE_NAME, PROVINCE_ADDR, PROVINCE_NAME))
    # The guest's clock is the host's (qemu's RTC), which NTP keeps; there
    # is no NTP server behind the restricted network, so the flag that
    # systemd-timesyncd would create is made at every boot instead.
    put("/etc/tmpfiles.d/field-clock.conf", "d /run/systemd/timesync 0755 root root -\n"
        "f /run/systemd/timesync/synchronized 0644 root root -\n", "0644")
    run("systemd-tmpfiles --create /etc/tmpfiles.d/field-clock.conf")
    put("/etc/ravao/province-ca.pem", receiver.file("ca.pem"), "0644")
    put("/etc/ravao/gateway.pem", receiver.file("client.pem"), "0644")
    put("/etc/ravao/gateway.key", receiver.file("client.key"), "0600", "ravao:ravao")


def guest_records(run):
    """The guest store's records as (stream, seq, type)."""
    _, stream = run("sqlite3 -readonly /var/lib/ravao/ravao.db \"select value from meta where key = 'stream'\"")
    _, rows = run("sqlite3 -readonly /var/lib/ravao/ravao.db \"select seq, type from records\"")
    return stream.strip(), [tuple(line.split("|")) for line in rows.split()]


# --- the relay qemu spawns per guest connection ---------------------------------

def relay(port):
    """Joins stdin/stdout (qemu's end of one guest connection) to
    127.0.0.1:PORT until either side closes."""
    s = socket.create_connection(("127.0.0.1", port))
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ)
    sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj == 0:
                data = os.read(0, 65536)
                if not data:
                    return
                s.sendall(data)
            else:
                data = s.recv(65536)
                if not data:
                    return
                view = memoryview(data)
                while view:
                    view = view[os.write(1, view):]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "relay":
        try:
            relay(int(sys.argv[2]))
        except OSError:
            pass
        sys.exit(0)
    sys.exit("usage: netdevs.py relay PORT (qemu's guestfwd command)")
