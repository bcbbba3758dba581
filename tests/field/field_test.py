#!/usr/bin/python3
"""The field rehearsal on x86-64 (issue 17, items 1-3, and 5 with --cuts).

The ravao packages built by scripts/package.sh, installed by apt in a Debian
12 qemu guest (build-image.sh) with a real systemd as PID 1, udev and
journald, and driven from the host through the guest's agent (guest.py):
  - test_1_*: `systemctl start` reaches READY, `reload` applies a change,
    `stop` exits 0, the journal's JSON carries RAVAO_* fields with event names
    from the registry, and no seccomp or sandbox denial is logged;
  - test_2_*: ravaod frozen with SIGSTOP is killed by systemd's watchdog and
    restarted, and a scan is recorded again;
  - test_3_*: a member of ravao-ctl runs `ravaoctl status`, a non-member is
    refused;
  - test_4_* (only with --cuts N > 0): power cuts, kill -9 of qemu with the
    root disk on cache=directsync during a stream of scans from both the
    serial scanner and the wedge (typed by a thread); after each boot the
    service is back with both scanners, integrity_check is ok, and every
    scan.accepted the host read on the console is in the store exactly
    once; after the last boot the uploads resume, the receiver holds every
    record once, and each visit there is one payload sent, whole;
  - test_5_*: USB, a keyboard-wedge scanner (qemu usb-kbd typed through QMP
    send-key): ravaod takes it from usbhid through libusb, a scan becomes a
    visit, unplug and replug (QMP device_del/device_add) are noticed and
    recovered from, and usbhid has it back after `systemctl stop`;
  - test_6_*: USB, a serial scanner behind an FTDI bridge (qemu usb-serial):
    ftdi_sio's /dev/ttyUSB0 gets the /dev/ravao/scanner-* link from the
    package's rules (with the admin's rule for the bridge), a scan becomes a
    visit, unplug and replug, and a bridge plugged in after ravaod started
    on a router that booted without one;
  - test_7_*: a slip printed on the raw TCP 9100 printer emulated on the
    host (netdevs.py), held while the printer answers "paper out" to DLE EOT;
  - test_8_*: the provincial receiver on the host (ravao-receiver serve,
    mutual TLS) holds every record of the guest's store exactly once.
  (usb.py has the devices and the typing; docs/reliability.md, "USB".)
The serial scanner is a qemu serial port (ttyS2) on a unix socket the host
writes CCCD payloads to; a udev rule of the test gives it to the group ravao
(the package's rules are for USB serial adapters, item 4 of the issue).

Run by ctest as field/field_test (label field), as root:
  field_test.py [--debs DIR] [--cache DIR] [--work DIR] [--cuts N] [--receiver BIN] [-v] [unittest args]
(unittest args: e.g. Field.test_5_wedge_scanner_through_usbhid_and_libusb
runs that case alone, after the set-up.)
Without --debs: RAVAO_PREBUILT_DEBS (scripts/test.sh's background build,
waited for), else scripts/package.sh builds them. Without --receiver: the
ravao-receiver of the ravao-receiver .deb beside them. Exit 77 (skipped) when not
root or without qemu-system-x86_64, qemu-img, mmdebstrap or mkfs.ext4.
Every wait has a deadline; nothing is timed by a sleep.
"""

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest import Guest, GuestError, make_disk  # noqa: E402
import usb  # noqa: E402
import netdevs  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = 77
ARGS = None
G = None        # the booted guest shared by the cases, in name order
SCANNER = None  # the host end of the guest's ttyS2
TIMES = {}      # figures printed at the end (docs/reliability.md)
SERIAL_SCANNER = "/dev/ttyS2"
SCANNER_ARGS = []  # qemu arguments of the scanner's serial port
PRINTER = None  # netdevs.EscposPrinter: the guest's TCP printer
RECEIVER = None  # netdevs.Receiver: the provincial server


def log(msg):
    print(msg, flush=True)


ADDRESS = "Thon 3, Xa Ia Kenh, Tinh Gia Lai"


def cccd(n):
    """A distinct visitor's CCCD QR payload (code-formats.md, 7 fields)."""
    return "0790%08d||Nguyen Van Field %d|01011990|Nam|%s|15082021" % (n, n, ADDRESS)


def person_of(n):
    """What ravaod seals of cccd(n) (daemon/store/personal.cpp), sex aside."""
    return {"id_number": "0790%08d" % n, "name": "Nguyen Van Field %d" % n, "birth_date": "1990-01-01",
            "address": ADDRESS, "issue_date": "2021-08-15"}


def config(counter_name, network=True):
    """The guest's ravao.toml: the serial scanner SERIAL_SCANNER and one
    counter; with NETWORK, its slip printer and [sync] to the receiver
    (netdevs; tests/field/arm64.py's guest has no network)."""
    return """[site]
id = "field-site"
name = "Buu dien thu nghiem"
utc_offset = "+07:00"

[store]
path = "/var/lib/ravao/ravao.db"

[control]
socket = "/run/ravao/ravaod.sock"
group = "ravao-ctl"

[[scanner]]
id = "s1"
kind = "serial"
device = "%s"
baud = 115200

[[counter]]
id = "quay-1"
name = "%s"
scanner = "s1"
mode = "entry"
""" % (SERIAL_SCANNER, counter_name) + (
        netdevs.counter_lines() + netdevs.config_sections(RECEIVER.public_key) if network else "")


def write_guest_file(path, text):
    import base64
    G.run("printf '%%s' '%s' | base64 -d > %s" % (base64.b64encode(text.encode()).decode(), path))


def journal(since_cursor=None, unit="ravao"):
    """The unit's journal entries as dicts."""
    cmd = "journalctl -u %s -o json --no-pager" % unit
    if since_cursor:
        cmd += " --after-cursor='%s'" % since_cursor
    _, out = G.run(cmd, timeout=120)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def journal_cursor():
    """The cursor of the journal's last entry. Read what follows it with
    `journalctl --after-cursor` and no match such as -u: systemd 252 with
    a match seeks to the first matching entry after the cursor's and then
    skips it as if it were the cursor's (a scanner.gone was missed so when
    the cursor's entry was a kernel line); grep the events instead."""
    _, out = G.run("journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p'")
    return out.strip()


def wait_guest(cmd, what, timeout=120):
    """Runs CMD in the guest until it exits 0; the deadline is TIMEOUT."""
    deadline = time.monotonic() + timeout
    while True:
        rc, out = G.run(cmd, check=False)
        if rc == 0:
            return out
        if time.monotonic() > deadline:
            raise GuestError("timed out waiting for %s: %s\n%s" % (what, cmd, out))
        G.run("sleep 0.5")  # a poll interval in the guest, not a timing assumption


def device_online(device):
    """A guest command: exits 0 once ravaod reports DEVICE online (its
    object may hold one nested object: a USB device's "usb")."""
    return ("ravaoctl --json devices | grep -qE '\"id\":\"%s\"[^{}]*(\\{[^{}]*\\}[^{}]*)?\"state\":\"online\"'"
            % device)


def wait_scanner_online():
    """READY (and is-active) come before ravaod has opened the serial port:
    a scan sent earlier is dropped by the guest's tty, never acknowledged."""
    wait_guest(device_online("s1"), "the serial scanner online")


def scan(n):
    SCANNER.sendall(cccd(n).encode() + b"\r\n")


class Field(unittest.TestCase):
    def test_1_service_lifecycle_under_real_systemd(self):
        t0 = time.monotonic()
        G.run("systemctl restart ravao")  # Type=notify: returns once READY=1 came
        TIMES["systemctl restart to READY (s)"] = round(time.monotonic() - t0, 1)
        _, state = G.run("systemctl show ravao -p ActiveState -p SubState -p StatusText")
        self.assertIn("ActiveState=active", state)
        self.assertIn("SubState=running", state)
        # A scan on the serial scanner becomes a visit.
        cursor = journal_cursor()
        wait_scanner_online()
        scan(1)
        wait_guest("journalctl -o json --after-cursor='%s' | grep -q '\"RAVAO_EVENT\":\"scan.accepted\"'" % cursor,
                   "scan.accepted in the journal")
        # reload: a new counter name is applied (config.reloaded) and shows.
        cursor = journal_cursor()
        write_guest_file("/etc/ravao/ravao.toml", config("Quay doi ten"))
        G.run("systemctl reload ravao")
        wait_guest("journalctl -o json --after-cursor='%s' | grep -q '\"RAVAO_EVENT\":\"config.reloaded\"'" % cursor,
                   "config.reloaded after systemctl reload")
        _, counters = G.run("ravaoctl counters")
        self.assertIn("Quay doi ten", counters)
        # A broken file: reload fails and the service keeps running.
        G.run("cp /etc/ravao/ravao.toml /root/good.toml && echo 'broken = [' >> /etc/ravao/ravao.toml")
        rc, out = G.run("systemctl reload ravao", check=False)
        self.assertNotEqual(rc, 0, "a reload of a broken file succeeded")
        G.run("cp /root/good.toml /etc/ravao/ravao.toml && systemctl is-active ravao")
        # stop exits 0; the main process's exit status is 0.
        G.run("systemctl stop ravao")
        _, st = G.run("systemctl show ravao -p ExecMainStatus -p Result")
        self.assertIn("ExecMainStatus=0", st)
        self.assertIn("Result=success", st)
        # The journal: RAVAO_* fields, event names from the registry.
        entries = journal()
        events = {e["RAVAO_EVENT"] for e in entries if "RAVAO_EVENT" in e}
        for name in ("daemon.started", "scan.accepted", "config.reloaded", "daemon.stopped"):
            self.assertIn(name, events)
        _, registry = G.run("ravaod --print-log-events")
        for name in events:
            self.assertIn("`%s`" % name, registry, "event %s is not in the registry" % name)
        self.assertTrue(any(k.startswith("RAVAO_") and k != "RAVAO_EVENT" for e in entries for k in e))
        G.run("systemctl start ravao")
        # The console, started by its package beside ravaod.
        G.run("systemctl is-active ravao-web")
        assert_no_denials(self)

    def test_2_watchdog_restarts_a_frozen_daemon(self):
        _, pid = G.run("systemctl show ravao -p MainPID --value")
        pid = int(pid)
        self.assertGreater(pid, 0)
        cursor = journal_cursor()
        t0 = time.monotonic()
        G.run("kill -STOP %d" % pid)
        # WatchdogSec=30s, then RestartSec=5s: a new main process.
        wait_guest("test \"$(systemctl show ravao -p MainPID --value)\" != %d && "
                   "test \"$(systemctl show ravao -p MainPID --value)\" != 0 && systemctl is-active ravao" % pid,
                   "a restarted ravaod", timeout=180)
        TIMES["watchdog: SIGSTOP to a running new ravaod (s)"] = round(time.monotonic() - t0, 1)
        _, j = G.run("journalctl --no-pager --after-cursor='%s'" % cursor)
        self.assertRegex(j, r"ravao\.service: [Ww]atchdog timeout")
        cursor = journal_cursor()
        wait_scanner_online()
        scan(2)
        wait_guest("journalctl -o json --after-cursor='%s' | grep -q '\"RAVAO_EVENT\":\"scan.accepted\"'" % cursor,
                   "a scan accepted after the watchdog restart")

    def test_3_control_socket_for_the_control_group_only(self):
        G.run("id fieldctl >/dev/null 2>&1 || useradd -M -G ravao-ctl fieldctl; "
              "id fieldother >/dev/null 2>&1 || useradd -M fieldother; "
              "id fielddev >/dev/null 2>&1 || useradd -M -G ravao fielddev")
        rc, out = G.run("runuser -u fieldctl -- ravaoctl status", check=False)
        self.assertEqual(rc, 0, out)
        for user in ("fieldother", "fielddev"):
            rc, out = G.run("runuser -u %s -- ravaoctl status" % user, check=False)
            self.assertNotEqual(rc, 0, "%s, not in ravao-ctl, ran ravaoctl status: %s" % (user, out))

    def test_4_power_cuts_lose_and_duplicate_no_acknowledged_scan(self):
        if ARGS.cuts <= 0:
            self.skipTest("no --cuts")
        power_cuts(self, ARGS.cuts)

    def test_5_wedge_scanner_through_usbhid_and_libusb(self):
        usb_set_up()
        port = usb.port_of(G, usb.WEDGE_ID)
        self.assertRegex(port, r"^\d+-\d+$", "qemu's usb-kbd is not on the guest's bus")
        # ravaod holds the wedge: usbhid let go of its interface.
        usb.until(G, "! test -e /sys/bus/usb/drivers/usbhid/%s:1.0" % port, "usbhid detached from the wedge")
        visit_by_wedge("wedge: Enter key to visit row (s)")
        # Unplugged: ravaod notices; replugged: it takes the wedge again.
        unplug_and_replug(self, usb.WEDGE, "s2", "wedge")
        visit_by_wedge("wedge: Enter key to visit row after replug (s)")
        # Stopped, ravaod gives the keyboard back to the kernel.
        G.run("systemctl stop ravao")
        usb.until(G, "test -e /sys/bus/usb/drivers/usbhid/%s:1.0" % port, "usbhid bound again after stop", 30)
        G.run("systemctl start ravao")
        usb.until(G, "! test -e /sys/bus/usb/drivers/usbhid/%s:1.0" % port, "usbhid detached after start")

    def test_6_serial_scanner_behind_an_ftdi_bridge(self):
        usb_set_up()
        link = USB["link"]
        _, target = G.run("readlink -f %s && stat -c '%%G %%a' $(readlink -f %s)" % (link, link))
        self.assertRegex(target, r"/dev/ttyUSB\d+\nravao 660")
        visit_by_ftdi("serial (FTDI): CR LF to visit row (s)")
        # Unplugged: ravaod notices (scanner.gone, an alarm); replugged in the
        # same port: the same link, reopened by itself.
        unplug_and_replug(self, usb.FTDI, "s3", "serial (FTDI)")
        visit_by_ftdi("serial (FTDI): CR LF to visit row after replug (s)")
        # A router that booted without the bridge, whose scanner is plugged
        # in later. systemd resolves the unit's DeviceAllow=char-ttyUSB from
        # /proc/devices when ravao starts; the ttyUSB major is usbserial's,
        # which the kernel loads with the first bridge, so the package loads
        # it at boot (/usr/lib/modules-load.d/ravao.conf): replayed here
        # by systemd-modules-load, as at boot, with no bridge plugged in.
        G.run("systemctl stop ravao")
        usb.unplug(G, usb.FTDI)
        usb.until(G, "! test -e %s" % link, "the link gone after unplug", 30)
        G.run("modprobe -r ftdi_sio usbserial && ! grep -q ttyUSB /proc/devices")
        G.run("systemctl restart systemd-modules-load")
        rc, out = G.run("grep ttyUSB /proc/devices", check=False)
        self.assertEqual(rc, 0, "usbserial is not loaded at boot: a bridge plugged in after ravao's start "
                         "would be refused by DeviceAllow=char-ttyUSB")
        G.run("systemctl start ravao")
        cursor = journal_cursor()
        usb.plug(G, usb.FTDI)
        wait_event(cursor, "scanner.online", "s3")
        visit_by_ftdi("serial (FTDI): CR LF to visit row, plugged after start (s)")

    def test_7_tcp_printer_prints_a_slip_and_answers_status(self):
        tcp_printer_case(self)

    def test_8_receiver_over_mtls_holds_every_record_once(self):
        t0 = time.monotonic()
        wait_uploaded(self)
        TIMES["receiver: every record uploaded, wait (s)"] = round(time.monotonic() - t0, 1)

    def test_9_no_sandbox_denial_in_the_whole_run(self):
        assert_no_denials(self)


USB = {}  # usb_set_up()'s: the FTDI link, the payload counter n, the bridge's host socket


def wedge_config():
    """The wedge, qemu's usb-kbd plugged in from qemu's start: scanner s2,
    counter quay-2."""
    return """
[[scanner]]
id = "s2"
kind = "usb-hid"
mode = "keyboard"
usb_id = "%s"

[[counter]]
id = "quay-2"
name = "Quay 2"
scanner = "s2"
mode = "entry"
""" % usb.WEDGE_ID


def usb_config():
    """config() plus the wedge (s2, counter quay-2) and the serial scanner
    behind the FTDI bridge (s3, quay-3) at the link the package's rules made."""
    return config("Quay 1") + wedge_config() + """
[[scanner]]
id = "s3"
kind = "serial"
device = "%s"
baud = 115200

[[counter]]
id = "quay-3"
name = "Quay 3"
scanner = "s3"
mode = "entry"
""" % USB["link"]


def usb_set_up():
    """What an admin does for these two scanners, once: the rule for the
    FTDI bridge (usb.FTDI_RULE), the generated rule for the wedge
    (`ravaod --print-udev-rules`), then the configuration naming both."""
    if USB:
        return
    write_guest_file("/etc/udev/rules.d/69-ravao-local-serial.rules", usb.FTDI_RULE)
    G.run("udevadm control --reload")
    usb.plug(G, usb.FTDI)  # the clerk plugs the scanner in
    usb.until(G, "ls /dev/ravao/scanner-* >/dev/null 2>&1", "the bridge's /dev/ravao/scanner-* link", 60)
    _, link = G.run("ls /dev/ravao/scanner-* | head -n1")
    USB["link"] = link.strip()
    if not USB["link"]:
        raise GuestError("no /dev/ravao/scanner-* link for the FTDI bridge:\n" +
                         G.run("ls -l /dev/ttyUSB* /dev/ravao; udevadm info /sys/class/tty/ttyUSB0", check=False)[1])
    write_guest_file("/etc/ravao/ravao.toml", usb_config())
    G.run("ravaod --print-udev-rules /etc/ravao/ravao.toml > /etc/udev/rules.d/71-ravao-local.rules && "
          "udevadm control --reload && udevadm trigger --action=change --subsystem-match=usb && udevadm settle")
    _, rules = G.run("cat /etc/udev/rules.d/71-ravao-local.rules")
    assert 'ATTR{idVendor}=="0627", ATTR{idProduct}=="0001"' in rules, rules
    G.run("systemctl restart ravao")
    USB["n"] = 5000


def visits(counter):
    return int(store_query("select count(*) from records where type = 'visit_opened' "
                           "and counter_id = '%s'" % counter).strip())


def wait_event(cursor, event, scanner, timeout=60):
    """Waits for EVENT of SCANNER in ravaod's journal after CURSOR."""
    usb.until(G, "journalctl -o json --after-cursor=\"%s\" | grep -F '\"RAVAO_EVENT\":\"%s\"' "
              "| grep -qF '\"RAVAO_SCANNER\":\"%s\"'" % (cursor, event, scanner),
              "%s of scanner %s in the journal" % (event, scanner), timeout)


def wait_visit(counter, before, what):
    """Waits for COUNTER's visit_opened records to pass BEFORE; returns the
    host's monotonic time when they did."""
    return usb.until(G, "test $(sqlite3 -readonly /var/lib/ravao/ravao.db \"select count(*) from records where "
                     "type = 'visit_opened' and counter_id = '%s'\") -gt %d" % (counter, before), what)


def visit_by_wedge(figure):
    before = visits("quay-2")
    USB["n"] += 1
    t_enter = usb.type_line(G, cccd(USB["n"]))
    t = wait_visit("quay-2", before, "the wedge scan's visit")
    TIMES.setdefault(figure, []).append(round(t - t_enter, 2))


def visit_by_ftdi(figure):
    before = visits("quay-3")
    USB["n"] += 1
    if "sock" not in USB:
        USB["sock"] = usb.connect_ftdi(G.work)
    t0 = time.monotonic()
    USB["sock"].sendall(cccd(USB["n"]).encode() + b"\r\n")
    t = wait_visit("quay-3", before, "the serial scan's visit")
    TIMES.setdefault(figure, []).append(round(t - t0, 2))



def unplug_and_replug(case, device, scanner, what):
    """QMP device_del of DEVICE: ravaod logs scanner.gone for SCANNER and
    ravaoctl status shows its alarm; device_add: scanner.online (timed)."""
    cursor = journal_cursor()
    usb.unplug(G, device)
    wait_event(cursor, "scanner.gone", scanner)
    _, st = G.run("ravaoctl status")
    case.assertRegex(st, r"ALARM: .*scanner %s .*\[scanner\." % scanner,
                     "no alarm for the unplugged %s scanner in ravaoctl status:\n%s" % (what, st))
    cursor = journal_cursor()
    t0 = time.monotonic()
    usb.plug(G, device)
    wait_event(cursor, "scanner.online", scanner)
    TIMES.setdefault("%s: device_add to scanner.online (s)" % what, []).append(round(time.monotonic() - t0, 1))

def assert_no_denials(case):
    """No seccomp kill or audit line, no EPERM from ravaod in the journal."""
    # type=1326: a seccomp action the kernel audits (a kill, or SystemCallLog=).
    _, k = G.run("journalctl -k -b --no-pager | grep -E 'type=1326|audit.*denied|apparmor=\"DENIED\"' || true")
    case.assertEqual(k.strip(), "", "kernel audit lines: " + k)
    _, j = G.run("journalctl -b -u ravao -u ravao-web --no-pager | "
                 "grep -iE 'Operation not permitted|Permission denied|EPERM|EACCES|seccomp' || true")
    case.assertEqual(j.strip(), "", "denials in the service's journal: " + j)


ACK = re.compile(r"scan\.accepted: \S+ counter=(\S+) seq=(\d+) kind=\S+ visit=(\d+)")

# The two scanners of the cut streams, by counter: the serial scanner on
# ttyS2 (s1) and the wedge (s2). Their payloads are numbered apart, so a
# visit opened at the receiver names its scanner.
CUT_SCANNERS = {"quay-1": "serial (ttyS2)", "quay-2": "wedge (usb-kbd)"}
WEDGE_FIRST = 20000  # the wedge's payloads are cccd(20001...), the serial's cccd(1001...)


def store_query(sql):
    _, out = G.run("sqlite3 -readonly /var/lib/ravao/ravao.db \"%s\"" % sql)
    return out


def power_cuts(case, cuts):
    """kill -9 of qemu at random moments of a scan stream from both
    scanners, the root disk on cache=directsync (a flush the guest saw done
    is on the host's disk): serial payloads written to ttyS2 and, at the
    same time, payloads typed on the wedge by a thread (usb.Typist; a cut
    mid-payload ends it). Acknowledged = a scan.accepted line that journald
    forwarded to ttyS3, a file on the host: ravaod logs it after the commit,
    with the counter, so the scanner. After each boot: the service came
    back by itself and holds the wedge again, integrity_check is ok, every
    acknowledged (counter, seq, visit) is in the store, no visit twice and
    no more visits per counter than its scanner's payloads."""
    rng = random.Random(ARGS.seed)
    G.run("mkdir -p /etc/systemd/journald.conf.d")
    write_guest_file("/etc/systemd/journald.conf.d/field-acks.conf",
                     "[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS3\nMaxLevelConsole=info\n")
    # The wedge in the configuration, and the admin's generated rule that
    # lets ravaod claim it, on every boot (the same as usb_set_up()'s).
    write_guest_file("/etc/ravao/ravao.toml", config("Quay 1") + wedge_config())
    G.run("ravaod --print-udev-rules /etc/ravao/ravao.toml > /etc/udev/rules.d/71-ravao-local.rules")
    # Applied in the running guest, which set_up() booted for the cuts: no
    # clean shutdown and one boot more (about a minute under TCG).
    case.assertEqual(G.cache_mode, "directsync", "the guest was not booted for the power cuts (cut_boot)")
    # sync: the guest writes dirty file data back only after 30 s, and a
    # cut that soon would take the files with it.
    G.run("sync && systemctl restart systemd-journald && udevadm control --reload && "
          "udevadm trigger --action=change --subsystem-match=usb && udevadm settle && systemctl restart ravao")
    acks = ACKS[0]
    acked = set()
    n, w = 1000, WEDGE_FIRST
    sent = {"quay-1": 0, "quay-2": 0}
    bound = {"quay-1": 2, "quay-2": 0}  # payloads that could have become a visit
    wedge_cut = 0
    lost = []
    dup = {}
    start = time.monotonic()
    for cut in range(cuts + 1):
        if cut > 0:
            acks = cut_boot()
            connect_scanner()
            t0 = time.monotonic()
            wait_guest("systemctl is-active ravao", "ravao active after boot %d" % G.boots, timeout=240)
            TIMES.setdefault("power cuts: qemu start to ravao active (s)", []).append(
                round(time.monotonic() - t0 + G.boot_seconds, 1))
        case.assertEqual(store_query("pragma integrity_check").strip(), "ok", "integrity_check after cut %d" % cut)
        rows = store_query("select counter_id, seq, visit_id from records where type = 'visit_opened'")
        stored = {}
        for line in rows.split():
            key = tuple(line.split("|"))
            stored[key] = stored.get(key, 0) + 1
        lost = sorted(a for a in acked if a not in stored)
        case.assertEqual(lost, [], "acknowledged scans lost after cut %d" % cut)
        # Without the province's key the store keeps no person_key: a visitor
        # twice shows as more visits than scans sent (each payload is sent
        # once) or as one visit id in two records.
        for counter in CUT_SCANNERS:
            opened, visits = store_query("select count(*), count(distinct visit_id) from records "
                                         "where type = 'visit_opened' and counter_id = '%s'" % counter
                                         ).strip().split("|")
            dup[counter] = int(opened) - int(visits) + max(0, int(opened) - bound[counter])
            case.assertEqual(dup[counter], 0, "visitors of %s recorded twice after cut %d" % (counter, cut))
        # ravaod holds both scanners again, by itself: the wedge taken from
        # usbhid through its udev rule, on every boot.
        t1 = time.monotonic()
        wait_guest(device_online("s1") + " && " + device_online("s2"), "both scanners online after boot %d"
                   % G.boots, timeout=180)
        TIMES.setdefault("power cuts: ravao active to both scanners online (s)", []).append(
            round(time.monotonic() - t1, 1))
        if cut == cuts:
            break
        # The streams, and the cut at a random moment within them: the
        # wedge types 1-3 payloads (about 6 s each), the serial scanner's
        # are written at once.
        count = rng.randint(5, 40)
        typed = rng.randint(1, 3)
        typist = usb.Typist(G, [cccd(w + i + 1) for i in range(typed)])
        w += typed
        bound["quay-2"] += typed
        for _ in range(count):
            n += 1
            scan(n)
        sent["quay-1"] += count
        bound["quay-1"] += count
        time.sleep(rng.uniform(0.2, 4.0 + 6.0 * typed))  # the random moment of the cut: what is tested, not a wait
        G.kill()
        typist.stop()
        sent["quay-2"] += len(typist.complete)
        wedge_cut += typist.cut is not None
        with open(acks, "rb") as f:
            got = ACK.findall(f.read().decode(errors="replace"))
        acked.update(a for a in got if a[0] in CUT_SCANNERS)
        log("field: cut %d: %d serial scans sent, %d of %d wedge scans typed (%s), %d acknowledged so far"
            % (cut + 1, count, len(typist.complete), typed,
               "cut mid-payload" if typist.cut else "none cut", len(acked)))
    TIMES["power cuts"] = cuts
    for counter, what in CUT_SCANNERS.items():
        TIMES["power cuts: %s scans sent, acknowledged, lost, duplicated" % what] = (
            sent[counter], sum(1 for a in acked if a[0] == counter),
            sum(1 for a in lost if a[0] == counter), dup.get(counter, 0))
    TIMES["power cuts: wedge scans cut mid-payload"] = wedge_cut
    TIMES["power cuts: seconds"] = round(time.monotonic() - start)
    ready = TIMES["power cuts: qemu start to ravao active (s)"]
    TIMES["power cuts: qemu start to ravao active, median/max (s)"] = (statistics.median(ready), max(ready))
    # After the last boot the uploads resume: the receiver ends with every
    # record of the store once (wait_uploaded), the acknowledged scans too.
    t0 = time.monotonic()
    held = wait_uploaded(case)
    missing = sorted(int(seq) for _, seq, _ in acked if (netdevs.GATEWAY_ID, STREAM[0], int(seq)) not in held)
    case.assertEqual(missing, [], "acknowledged scans the receiver does not hold")
    TIMES["power cuts: after the last boot, every record at the receiver within (s)"] = round(time.monotonic() - t0, 1)
    TIMES["power cuts: records at the receiver (each once), missing acknowledged scans"] = (len(held), len(missing))
    received = received_visits(case)
    for counter, what in CUT_SCANNERS.items():
        TIMES["power cuts: %s visits at the receiver, each payload once and whole" % what] = received.get(counter, 0)


ACKS = [None]  # cut_boot()'s file for set_up()'s boot


def cut_boot():
    """Boots G for the power cuts: the root disk on cache=directsync (a
    flush the guest saw done is on the host's disk) and ttyS3 into
    acks-B.log, B the boot's number (power_cuts() reads the acks there);
    returns that file."""
    acks = os.path.join(G.work, "acks-%d.log" % (G.boots + 1))
    G.extra_args = SCANNER_ARGS + ["-chardev", "file,id=acks,path=%s" % acks, "-serial", "chardev:acks"]
    G.boot(cache="directsync")
    return acks


def received_visits(case):
    """Opens every visit the receiver holds (the province's key) and checks
    each is one payload sent, whole (no field cut short: a wedge scan cut
    mid-payload must leave nothing), at its scanner's counter, and that no
    payload became two visits. Returns the visits per counter."""
    seen = {}
    per_counter = {}
    for seq, counter, opened in RECEIVER.opened_visits():
        case.assertIsInstance(opened, dict, "visit record %d could not be opened" % seq)
        m = re.fullmatch(r"0790(\d{8})", opened.get("id_number", ""))
        case.assertTrue(m, "visit record %d: an ID number no scanner sent: %r" % (seq, opened))
        k = int(m.group(1))
        got = {f: opened.get(f) for f in person_of(k)}
        case.assertEqual(got, person_of(k), "visit record %d is not the payload sent whole" % seq)
        case.assertNotIn(k, seen, "payload %d recorded as visits %d and %d" % (k, seen.get(k, 0), seq))
        seen[k] = seq
        want = "quay-2" if WEDGE_FIRST < k < 5000 + WEDGE_FIRST else "quay-1" if k < 5000 else None
        if want in CUT_SCANNERS:
            case.assertEqual(counter, want, "payload %d recorded at %s" % (k, counter))
        per_counter[counter] = per_counter.get(counter, 0) + 1
    return per_counter


STREAM = [""]  # the guest store's stream (netdevs.guest_records)


def wait_uploaded(case, timeout=180):
    """Waits until the receiver holds every record of the guest's store
    (gateway, stream, seq), then checks each is there exactly once and
    nothing else is; returns the receiver's keys."""
    G.run("ravaoctl sync now </dev/null >/dev/null 2>&1 || true")
    deadline = time.monotonic() + timeout
    while True:
        stream, rows = netdevs.guest_records(G.run)
        STREAM[0] = stream
        want = {(netdevs.GATEWAY_ID, stream, int(seq)) for seq, _ in rows}
        case.assertTrue(want, "the guest's store has no record")
        held = RECEIVER.records()
        keys = [r[:3] for r in held]
        if want <= set(keys):
            break
        if time.monotonic() > deadline:
            _, sync = G.run("ravaoctl sync", check=False)
            raise GuestError("the receiver holds %d of the guest's %d records after %d s\n%s"
                             % (len(want & set(keys)), len(want), timeout, sync))
        time.sleep(1)  # a poll interval of the host's check, not a timing assumption
    counts = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    case.assertEqual([k for k, c in counts.items() if c > 1], [], "records stored twice")
    case.assertEqual(sorted(set(keys) - want), [], "records at the receiver the guest never wrote")
    return set(keys)


def tcp_printer_case(case):
    """A slip on the TCP printer: queued while the printer answers "paper
    out" to DLE EOT (the alarm shows, nothing prints), printed once it
    answers ready: ESC @, a raster, a cut."""
    wait_guest(device_online(netdevs.PRINTER_ID), "the TCP printer online")
    PRINTER.set_paper_out(True)
    before = PRINTER.snapshot()
    G.run("ravaoctl slip print --counter quay-1")
    wait_guest("ravaoctl --json status | grep -q '\"code\":\"printer.paper_out\"'",
               "the printer.paper_out alarm", timeout=90)
    held = PRINTER.snapshot()
    case.assertEqual(len(held["jobs"]), len(before["jobs"]), "a job printed while paper out")
    case.assertEqual(held["not_ready_bytes"], 0, "bytes sent to a printer out of paper")
    case.assertGreater(held["status_requests"], before["status_requests"])
    PRINTER.set_paper_out(False)
    t0 = time.monotonic()
    deadline = t0 + 90
    while len(PRINTER.snapshot()["jobs"]) == len(before["jobs"]):
        if time.monotonic() > deadline:
            raise GuestError("no slip reached the TCP printer in 90 s: %r" % PRINTER.snapshot()["violations"])
        time.sleep(0.2)  # a poll interval, not a timing assumption
    TIMES["TCP printer: paper back to slip printed (s)"] = round(time.monotonic() - t0, 1)
    done = PRINTER.snapshot()
    job = done["jobs"][-1]
    case.assertTrue(job["cut"], "the slip was not cut")
    case.assertGreater(job["raster_bytes"], 0)
    case.assertIn(b"\x1b@", done["received"])
    case.assertIn(b"\x1dV", done["received"])
    case.assertEqual(done["violations"], [])
    wait_guest("! ravaoctl --json status | grep -q '\"code\":\"printer.paper_out\"'",
               "the paper-out alarm cleared")


def connect_scanner():
    global SCANNER
    if SCANNER:
        SCANNER.close()
        SCANNER = None
    deadline = time.monotonic() + 30
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(G.work, "scanner.sock"))
            SCANNER = s
            return
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def find_debs(work):
    if ARGS.debs:
        return ARGS.debs
    pre = os.environ.get("RAVAO_PREBUILT_DEBS")
    if pre:
        log("field: waiting for the package build of scripts/test.sh in " + pre)
        deadline = time.monotonic() + 1500
        while not os.path.exists(os.path.join(pre, "package.rc")):
            if time.monotonic() > deadline:
                raise SystemExit("the background package build did not finish within 25 minutes")
            time.sleep(1)
        with open(os.path.join(pre, "package.rc")) as f:
            if f.read().strip() != "0":
                raise SystemExit("the package build failed: %s/package.log" % pre)
        return pre
    out = os.path.join(work, "debs-built")
    env = dict(os.environ, DEB_BUILD_OPTIONS="noautodbgsym " + os.environ.get("DEB_BUILD_OPTIONS", ""))
    subprocess.run([os.path.join(ROOT, "scripts", "package.sh"), out], check=True, env=env,
                   stdin=subprocess.DEVNULL)
    return out


def set_up(work):
    global G
    t0 = time.monotonic()
    image = subprocess.run([os.path.join(ROOT, "tests", "field", "build-image.sh"), ARGS.cache],
                           check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           text=True).stdout.strip().splitlines()[-1]
    TIMES["image: ready on the host (s)"] = round(time.monotonic() - t0, 1)
    debs = find_debs(work)
    disk_dir = os.path.join(work, "debs")
    os.makedirs(disk_dir, exist_ok=True)
    for f in os.listdir(debs):
        if re.match(r"ravao(-web)?_.*\.deb$", f):
            shutil.copy(os.path.join(debs, f), disk_dir)
    disk = os.path.join(work, "debs.img")
    make_disk(disk_dir, disk)
    global PRINTER, RECEIVER
    binary = netdevs.receiver_binary(ARGS.receiver, debs, work)
    if not binary:
        raise SystemExit("no ravao-receiver: give --receiver or a ravao-receiver .deb beside the packages")
    RECEIVER = netdevs.Receiver(binary, os.path.join(work, "receiver"), log=log)
    PRINTER = netdevs.EscposPrinter()
    G = Guest(image, os.path.join(work, "guest"), debs_disk=disk, log=log,
              usb_args=usb.qemu_args(os.path.join(work, "guest")),
              net=netdevs.qemu_args(PRINTER.port, RECEIVER.port))
    global SCANNER_ARGS
    SCANNER_ARGS = ["-chardev", "socket,id=scanner,path=%s,server=on,wait=off"
                    % os.path.join(G.work, "scanner.sock"), "-serial", "chardev:scanner"]
    if ARGS.cuts > 0:
        # Booted as for the power cuts from the start, so that the first cut
        # needs no clean shutdown and boot more (about a minute under TCG):
        # the apt install runs on directsync too, a few seconds more.
        ACKS[0] = cut_boot()
    else:
        G.extra_args = SCANNER_ARGS
        G.boot()
    connect_scanner()
    TIMES["boot: qemu start to agent (s) [%s]" % G.accel] = round(G.boot_seconds, 1)
    G.run("systemctl is-system-running --wait || true", timeout=240)
    TIMES["boot: qemu start to multi-user (s) [%s]" % G.accel] = round(time.monotonic() - t0 - TIMES["image: ready on the host (s)"], 1)
    # The test's scanner port belongs to the group ravao, as the package's
    # rules do for USB serial adapters.
    G.run("echo 'KERNEL==\"ttyS2\", GROUP=\"ravao\", MODE=\"0660\"' > /etc/udev/rules.d/60-field-scanner.rules")
    G.run("mount -o ro LABEL=debs /mnt/debs")
    t1 = time.monotonic()
    rc, out = G.run("DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "/mnt/debs/ravao_*.deb /mnt/debs/ravao-web_*.deb 2>&1", timeout=600, check=False)
    if rc != 0:
        raise GuestError("apt could not install the packages in the guest (a new run-time library? "
                         "add its package to tests/field/build-image.sh):\n" + out)
    TIMES["apt install of ravao and ravao-web (s)"] = round(time.monotonic() - t1, 1)
    # No udevd restart here: the package's postinst restarts it after the
    # group ravao exists, so that the rules' GROUP= (the test's and the
    # package's) apply on a fresh install (docs/reliability.md, "USB").
    G.run("udevadm trigger --action=change /sys/class/tty/ttyS2 && udevadm settle")
    netdevs.set_up_guest(G.run, RECEIVER)
    # The shipped configuration first: the service came up with it at install.
    _, act = G.run("systemctl is-active ravao", check=False)
    TIMES["service active with the shipped configuration"] = act.strip()
    write_guest_file("/etc/ravao/ravao.toml", config("Quay 1"))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--debs")
    p.add_argument("--cache", default=os.path.join(ROOT, "build", "field"))
    p.add_argument("--work")
    p.add_argument("--cuts", type=int, default=int(os.environ.get("RAVAO_FIELD_CUTS", "0")))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--receiver", help="the host's ravao-receiver (default: from the ravao-receiver .deb)")
    ARGS, rest = p.parse_known_args()
    if os.geteuid() != 0:
        print("SKIPPED: needs root (mmdebstrap's root mode)")
        return SKIP
    for tool in ("qemu-system-x86_64", "qemu-img", "mmdebstrap", "mkfs.ext4"):
        if not shutil.which(tool):
            print("SKIPPED: needs %s (scripts/install-deps.sh)" % tool)
            return SKIP
    work = ARGS.work or tempfile.mkdtemp(prefix="ravao-field-")
    try:
        set_up(work)
        prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
        ok = prog.result.wasSuccessful()
    finally:
        if SCANNER:
            SCANNER.close()
        if G:
            G.kill()
        if RECEIVER:
            RECEIVER.stop()
        for k, v in TIMES.items():
            print("field: %s: %s" % (k, v))
    if ok and not ARGS.work:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("field: the guest's files are in " + work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
