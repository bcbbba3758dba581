#!/usr/bin/python3
"""The arm64 boot of the field rehearsal (issue 17, item 6).

The arm64 ravao packages (scripts/cross-package.sh arm64) installed by apt,
offline, in a Debian 12 arm64 guest (build-image.sh with
RAVAO_FIELD_ARCH=arm64) booted once in qemu-system-aarch64's virt machine
under TCG, with systemd as PID 1 (guest.py, arch "aarch64"). The packages
come on a disk hot-plugged through QMP into a PCIe root port once the guest
is up, so a boot can overlap the package build (--wait-debs). Then:
`systemctl restart ravao` reaches active (Type=notify: READY=1), one
scan on a serial scanner is recorded in the store, and after a clean
reboot ravao is active again by itself (the figure "qemu start to ravao
active"). The scanner is a second
virtio console, /dev/hvc1 in the guest, on a unix socket the host writes a
CCCD payload to (virt has a single UART, the kernel's console); the cases'
config, scan payload and journal helpers are field_test.py's.

Not in ctest: TCG emulation of another architecture takes minutes to boot on
a loaded 2-core machine. Run by scripts/field-rehearsal.sh --arm64 (root):
  arm64.py --debs DIR [--cache DIR] [--work DIR] [--wait-debs SECONDS] [--no-reboot]
Prints the figures for docs/reliability.md "ARM" at the end. Every wait has
a deadline; nothing is timed by a sleep.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import field_test as ft  # noqa: E402
from guest import Guest, GuestError, make_disk  # noqa: E402

SCANNER = "/dev/hvc1"
BOOT_WAIT = 1200  # seconds from qemu start to the agent, TCG on a loaded machine
STEP_WAIT = 300   # seconds for one step in the emulated guest (x86-64 cases: 60-120)
TIMES = {}


def log(msg):
    print(msg, flush=True)


def figure(name, value):
    """A figure for docs/reliability.md, logged at once (a long run can be
    read while it goes) and printed again at the end."""
    TIMES[name] = value
    log("arm64: %s: %s" % (name, value))


def wait_for_debs(folder, seconds):
    """The .deb files of FOLDER once scripts/package.sh is done with it: it
    copies the .changes file last."""
    deadline = time.monotonic() + seconds
    while True:
        names = os.listdir(folder) if os.path.isdir(folder) else []
        if any(n.endswith("_arm64.changes") for n in names):
            debs = [n for n in names if re.match(r"ravao(-web)?_.*_arm64\.deb$", n)]
            if len(debs) == 2:
                return debs
        if time.monotonic() > deadline:
            raise SystemExit("arm64: no ravao_*_arm64.deb and ravao-web_*_arm64.deb with a .changes in %s" % folder)
        time.sleep(1)


def hotplug_disk(g, disk):
    """Plugs DISK, read-only, as a virtio disk into the root port hp0."""
    g.qmp("blockdev-add", **{"node-name": "debs", "driver": "raw", "read-only": True,
                             "file": {"driver": "file", "filename": disk, "read-only": True}})
    g.qmp("device_add", driver="virtio-blk-pci", drive="debs", bus="hp0", id="debs-disk")


def rehearse(args, work):
    t0 = time.monotonic()
    env = dict(os.environ, RAVAO_FIELD_ARCH="arm64")
    image = subprocess.run([os.path.join(ft.ROOT, "tests", "field", "build-image.sh"), args.cache],
                           check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
                           text=True).stdout.strip().splitlines()[-1]
    figure("image: ready on the host (s)", round(time.monotonic() - t0, 1))
    with open(os.path.join(image, "done")) as f:
        built = re.search(r"^seconds (\d+)", f.read(), re.M)
    figure("image: mmdebstrap arm64 under qemu-user, when built (s)", int(built.group(1)))

    g = Guest(image, os.path.join(work, "guest"), log=log, arch="aarch64", boot_wait=BOOT_WAIT)
    ft.G = g
    ft.SERIAL_SCANNER = SCANNER
    g.extra_args = ["-chardev", "socket,id=scanner,path=%s,server=on,wait=off" % os.path.join(g.work, "scanner.sock"),
                    "-device", "virtconsole,chardev=scanner",
                    "-device", "pcie-root-port,id=hp0,chassis=1,slot=1"]
    t_boot = time.monotonic()
    g.boot()
    ft.connect_scanner()
    figure("boot: qemu start to agent (s) [tcg, cortex-a57]", round(g.boot_seconds, 1))
    g.run("systemctl is-system-running --wait || true", timeout=BOOT_WAIT)
    figure("boot: qemu start to multi-user (s)", round(time.monotonic() - t_boot, 1))
    _, machine = g.run("echo $(uname -m) $(dpkg --print-architecture) $(uname -r)")
    figure("guest: uname -m, dpkg architecture, kernel", machine.strip())
    if not machine.startswith("aarch64 arm64"):
        raise GuestError("the guest is not arm64: " + machine)

    # The test's scanner port: group ravao, as the package's rules make a
    # USB serial adapter, and a drop-in adding its major to the unit's
    # DeviceAllow= list (ttyUSB, ttyACM, ttyS: a router's scanner is never
    # a virtio console). Written before the install: the package's first
    # start already finds it.
    g.run("echo 'KERNEL==\"hvc1\", GROUP=\"ravao\", MODE=\"0660\"' > /etc/udev/rules.d/60-field-scanner.rules")
    g.run("mkdir -p /etc/systemd/system/ravao.service.d && "
          "printf '[Service]\\nDeviceAllow=char-hvc rw\\n' > /etc/systemd/system/ravao.service.d/60-field-scanner.conf")

    t_debs = time.monotonic()
    debs = wait_for_debs(args.debs, args.wait_debs)
    if time.monotonic() - t_debs > 1:
        figure("waited for the package build (s)", round(time.monotonic() - t_debs, 1))
    disk_dir = os.path.join(work, "debs")
    os.makedirs(disk_dir, exist_ok=True)
    for f in debs:
        shutil.copy(os.path.join(args.debs, f), disk_dir)
    disk = os.path.join(work, "debs.img")
    make_disk(disk_dir, disk)
    hotplug_disk(g, disk)
    ft.wait_guest("udevadm settle && test -e /dev/disk/by-label/debs", "the hot-plugged package disk", timeout=STEP_WAIT)
    g.run("mount -o ro LABEL=debs /mnt/debs")
    t1 = time.monotonic()
    rc, out = g.run("DEBIAN_FRONTEND=noninteractive apt-get install -y "
                    "/mnt/debs/ravao_*.deb /mnt/debs/ravao-web_*.deb 2>&1", timeout=1800, check=False)
    if rc != 0:
        raise GuestError("apt could not install the arm64 packages in the guest:\n" + out)
    figure("apt install of ravao and ravao-web (s)", round(time.monotonic() - t1, 1))
    _, pkgs = g.run("dpkg-query -W -f='${Package} ${Version} ${Architecture}\\n' ravao ravao-web")
    figure("installed", "; ".join(pkgs.strip().splitlines()))
    _, act = g.run("systemctl is-active ravao", check=False)
    figure("service active with the shipped configuration", act.strip())
    g.run("udevadm trigger --action=change /sys/class/tty/hvc1 && udevadm settle")

    ft.write_guest_file("/etc/ravao/ravao.toml", ft.config("Quay 1", network=False))
    t2 = time.monotonic()
    g.run("systemctl restart ravao", timeout=600)  # Type=notify: returns at READY=1
    figure("systemctl restart to READY (s)", round(time.monotonic() - t2, 1))
    _, state = g.run("systemctl show ravao -p ActiveState -p SubState")
    if "ActiveState=active" not in state or "SubState=running" not in state:
        raise GuestError("ravao is not active and running: " + state)
    figure("boot: qemu start to ravao active with the test's config (s)", round(time.monotonic() - t_boot, 1))

    # READY comes before ravaod has opened the scanner's port (field_test.py's
    # wait_scanner_online): a payload written earlier would not be read.
    ft.wait_guest(ft.device_online("s1"), "the serial scanner online", timeout=STEP_WAIT)
    cursor = ft.journal_cursor()
    t3 = time.monotonic()
    ft.scan(1)
    ft.wait_guest("journalctl -u ravao -o json --after-cursor='%s' | grep -q '\"RAVAO_EVENT\":\"scan.accepted\"'"
                  % cursor, "scan.accepted in the journal", timeout=STEP_WAIT)
    figure("scan written to hvc1 to scan.accepted (s)", round(time.monotonic() - t3, 1))
    rows = ft.store_query("select count(*) from records where type = 'visit_opened'").strip()
    figure("visit_opened records in the store", rows)
    if rows != "1":
        raise GuestError("the store holds %s visit_opened records, not 1" % rows)
    _, integrity = g.run("sqlite3 -readonly /var/lib/ravao/ravao.db 'pragma integrity_check'")
    figure("integrity_check", integrity.strip())
    _, status = g.run("ravaoctl status")
    log(status)
    ft.assert_no_denials(Checker())
    g.run("systemctl stop ravao")
    _, st = g.run("systemctl show ravao -p ExecMainStatus -p Result")
    if "ExecMainStatus=0" not in st or "Result=success" not in st:
        raise GuestError("systemctl stop: " + st)
    figure("systemctl stop", " ".join(st.split()))
    if args.no_reboot:
        return
    # A clean reboot: the installed service comes up by itself.
    g.run("sync")
    g.shutdown(timeout=600)
    t_reboot = time.monotonic()
    g.boot()
    ft.connect_scanner()
    ft.wait_guest("systemctl is-active ravao", "ravao active after the reboot", timeout=BOOT_WAIT)
    figure("reboot: qemu start to ravao active by itself (s)", round(time.monotonic() - t_reboot, 1))


class Checker:
    """What ft.assert_no_denials needs of a TestCase."""

    def assertEqual(self, a, b, msg):
        if a != b:
            raise GuestError(msg)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--debs", required=True)
    p.add_argument("--cache", default=os.path.join(ft.ROOT, "build", "field-arm64"))
    p.add_argument("--work")
    p.add_argument("--wait-debs", type=int, default=0,
                   help="seconds to wait for DEBS to be filled by a package build under way")
    p.add_argument("--no-reboot", action="store_true")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("arm64: needs root (mmdebstrap's root mode)")
        return ft.SKIP
    for tool in ("qemu-system-aarch64", "qemu-img", "mmdebstrap", "mkfs.ext4"):
        if not shutil.which(tool):
            print("arm64: needs %s" % tool)
            return ft.SKIP
    work = args.work or tempfile.mkdtemp(prefix="ravao-arm64-")
    ok = False
    t0 = time.monotonic()
    try:
        rehearse(args, work)
        ok = True
    finally:
        if ft.SCANNER:
            ft.SCANNER.close()
        if ft.G:
            ft.G.shutdown(timeout=300)
        figure("whole run (s)", round(time.monotonic() - t0, 1))
        for k, v in TIMES.items():
            print("arm64: %s: %s" % (k, v))
        print("arm64: %s; the guest's files are in %s" % ("passed" if ok else "FAILED", work))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
