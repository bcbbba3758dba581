"""One qemu-system-x86_64 guest of the field rehearsal (issue 17).

The image (build-image.sh) is the read-only backing file of a qcow2 overlay
made per Guest, so a run never changes the cached image and a reboot of the
same Guest keeps what the previous boot wrote (the store, the journal).
Direct kernel boot: -kernel/-initrd from the image, root on virtio vda.

Host-side channels, none of them timed by sleeps:
  - ttyS0, the kernel and systemd console, into console.log (read by the
    host: wait_console() waits for a pattern, with a deadline);
  - ttyS1, the command agent (guest/field-agent) on a unix socket: run();
  - QMP on a unix socket, for power cuts and devices: qmp().
The packages under test reach the guest on a second virtio disk, an ext4
image made with mkfs.ext4 -d from a folder (no loop mount, no root trick,
no 9p or ISO tools, the same under KVM and TCG), mounted read-only at
/mnt/debs; apt installs from there, offline.

Accelerator: KVM when /dev/kvm opens, but on these machines KVM can hang
with a blank console, so a boot under KVM that prints nothing on the console
within KVM_SILENT seconds is killed and booted again under TCG.

arch="aarch64" (tests/field/arm64.py) boots the arm64 image instead
(build-image.sh with RAVAO_FIELD_ARCH=arm64) in qemu-system-aarch64's virt
machine, always under TCG: the console on its one UART, ttyAMA0, and the
agent on a virtio console (hvc0) on the same unix socket. MACHINES holds
what differs; the default, x86_64, is the harness as it always was.
"""

import base64
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

KVM_SILENT = 15    # seconds of an empty console after which KVM is judged hung
BOOT_WAIT = 240    # seconds from qemu start to the agent's READY line (TCG included)

# Per guest architecture: qemu program, machine and CPU arguments, the
# kernel's console, how the agent's chardev "agent" is attached, and whether
# KVM can run it on this (x86-64) host.
MACHINES = {
    "x86_64": {"qemu": "qemu-system-x86_64", "machine": ["-machine", "pc"], "console": "ttyS0",
               "agent": ["-serial", "chardev:agent"], "kvm": True},
    # cortex-a57, not max: TCG emulates max's pointer authentication at a
    # large cost in every function's prologue.
    "aarch64": {"qemu": "qemu-system-aarch64", "machine": ["-machine", "virt", "-cpu", "cortex-a57"],
                "console": "ttyAMA0", "agent": ["-device", "virtio-serial-pci", "-device", "virtconsole,chardev=agent"],
                "kvm": False},
}


class GuestError(AssertionError):
    pass


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def make_disk(folder, image, size_mb=256):
    """An ext4 image with FOLDER's files, for the guest's /mnt/debs."""
    with open(image, "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "debs", "-d", folder, image], check=True)


class Guest:
    def __init__(self, image_dir, work, debs_disk=None, memory=1024, accel=None, log=print,
                 usb_args=(), net=None, arch="x86_64", boot_wait=BOOT_WAIT):
        """usb_args: qemu arguments of the USB controller and the devices
        plugged in at every boot (tests/field/usb.py), kept across reboots
        and power cuts, unlike extra_args, which a case may replace.
        net: qemu arguments of the guest's network (netdevs.qemu_args());
        None: no network at all (-nic none).
        arch: a key of MACHINES (x86_64, or aarch64 for tests/field/arm64.py)."""
        self.image_dir = image_dir
        self.usb_args = list(usb_args)
        self.net = net
        self.machine = MACHINES[arch]
        self.boot_wait = boot_wait
        self.work = work
        self.debs_disk = debs_disk
        self.memory = memory
        self.log = log
        self.accel = accel or os.environ.get("RAVAO_FIELD_ACCEL") or (
            "kvm" if self.machine["kvm"] and kvm_usable() else "tcg")
        self.proc = None
        self.agent = None
        self.agent_buf = b""
        self.ids = itertools.count(1)
        self.boots = 0
        self.cache_mode = "unsafe"
        self.boot_seconds = None
        os.makedirs(work, exist_ok=True)
        self.overlay = os.path.join(work, "overlay.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                        "-b", os.path.join(image_dir, "rootfs.raw"), self.overlay], check=True)

    # --- life cycle ---------------------------------------------------------
    def boot(self, cache="unsafe"):
        """Starts qemu and waits for the agent. cache: the root disk's qemu
        cache mode; 'directsync' for power cuts (a guest flush is on the host
        disk before the guest sees it done)."""
        self.cache_mode = cache
        self.boots += 1
        t0 = time.monotonic()
        if self.accel == "kvm":
            if self._start("kvm") and self._wait_console_bytes(KVM_SILENT):
                pass
            else:
                self.log("field: KVM printed nothing on the console in %d s: falling back to TCG" % KVM_SILENT)
                self.kill()
                self.accel = "tcg"
                self._start("tcg")
        else:
            self._start("tcg")
        self._connect_agent(t0)
        self.boot_seconds = time.monotonic() - t0
        self.log("field: boot %d under %s: agent ready after %.1f s" % (self.boots, self.accel, self.boot_seconds))

    def _start(self, accel):
        w = self.work
        self.console = os.path.join(w, "console-%d.log" % self.boots)
        self.console_pos = 0
        for s in ("agent.sock", "qmp.sock"):
            try:
                os.unlink(os.path.join(w, s))
            except FileNotFoundError:
                pass
        m = self.machine
        cmd = [m["qemu"]] + m["machine"] + ["-m", str(self.memory), "-smp", "2",
               "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
               "-kernel", os.path.join(self.image_dir, "vmlinuz"),
               "-initrd", os.path.join(self.image_dir, "initrd.img"),
               "-append", "root=/dev/vda rw console=%s,115200 panic=-1 systemd.show_status=1" % m["console"],
               "-drive", "file=%s,if=virtio,format=qcow2,cache=%s,discard=unmap" % (self.overlay, self.cache_mode),
               "-chardev", "file,id=con,path=%s" % self.console,
               "-serial", "chardev:con",
               "-chardev", "socket,id=agent,path=%s,server=on,wait=off" % os.path.join(w, "agent.sock"),
               ] + m["agent"] + [
               "-qmp", "unix:%s,server=on,wait=off" % os.path.join(w, "qmp.sock"),
               # Entropy from the host: without it the guest's crng was ready
               # only ~90 s into a TCG boot, and getrandom() (libsodium,
               # OpenSSL in ravaod) blocks until then.
               "-device", "virtio-rng-pci"]
        cmd += self.net or ["-nic", "none"]
        if self.debs_disk:
            cmd += ["-drive", "file=%s,if=virtio,format=raw,readonly=on" % self.debs_disk]
        cmd += ["-accel", accel] if accel == "tcg" else ["-enable-kvm", "-cpu", "host"]
        cmd += self.usb_args
        cmd += list(getattr(self, "extra_args", []))
        self.qemu_log = open(os.path.join(w, "qemu-%d.log" % self.boots), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return True

    def _wait_console_bytes(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(self.console) and os.path.getsize(self.console) > 0:
                return True
            time.sleep(0.1)
        return False

    def _connect_agent(self, t0):
        path = os.path.join(self.work, "agent.sock")
        deadline = t0 + self.boot_wait
        while True:
            if self.proc.poll() is not None:
                raise GuestError("qemu exited (%s) during boot: %s\n%s"
                                 % (self.proc.returncode, self._qemu_log_tail(), self.console_tail()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise GuestError("qemu's agent socket never appeared")
                time.sleep(0.05)
        self.agent = s
        self.agent_buf = b""
        line = self._agent_line(deadline, b"FIELD-AGENT-READY ")
        self.boot_id = line.split()[1].decode()

    def _agent_line(self, deadline, prefix):
        while True:
            nl = self.agent_buf.find(b"\n")
            while nl >= 0:
                line, self.agent_buf = self.agent_buf[:nl], self.agent_buf[nl + 1:]
                line = line.strip(b"\r")
                if line.startswith(prefix):
                    return line
                nl = self.agent_buf.find(b"\n")
            left = deadline - time.monotonic()
            if left <= 0:
                raise GuestError("no %r from the agent in time\nconsole:\n%s" % (prefix, self.console_tail()))
            if self.proc.poll() is not None:
                raise GuestError("qemu exited (%s)\n%s" % (self.proc.returncode, self.console_tail()))
            self.agent.settimeout(min(left, 1.0))
            try:
                data = self.agent.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise GuestError("the agent socket closed\n%s" % self.console_tail())
            self.agent_buf += data

    def run(self, command, timeout=120, check=True):
        """Runs COMMAND (bash) as root in the guest; returns (rc, output)."""
        cid = next(self.ids)
        self.agent.sendall(b"%d %s\n" % (cid, base64.b64encode(command.encode())))
        line = self._agent_line(time.monotonic() + timeout, b"FIELD-RESULT %d " % cid)
        parts = line.split(b" ")
        rc = int(parts[2])
        out = base64.b64decode(parts[3]).decode(errors="replace") if len(parts) > 3 else ""
        if check and rc != 0:
            raise GuestError("guest command failed (rc %d): %s\n%s" % (rc, command, out))
        return rc, out

    def shutdown(self, timeout=120):
        """A clean poweroff; waits for qemu to exit."""
        if self.proc is None:
            return
        try:
            cid = next(self.ids)
            self.agent.sendall(b"%d %s\n" % (cid, base64.b64encode(b"systemctl poweroff")))
            self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def kill(self):
        """kill -9 of qemu: for the guest, a power cut."""
        if self.agent:
            self.agent.close()
            self.agent = None
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        if getattr(self, "qemu_log", None):
            self.qemu_log.close()

    # --- host-side reads ----------------------------------------------------
    def console_text(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def console_tail(self, n=40):
        return "\n".join(self.console_text().splitlines()[-n:])

    def _qemu_log_tail(self):
        try:
            with open(self.qemu_log.name, "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def wait_console(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.console_text())
            if m:
                return m
            time.sleep(0.2)
        raise GuestError("no %r on the console in %d s\n%s" % (pattern, timeout, self.console_tail()))

    def qmp(self, command, **arguments):
        return self.qmp_batch([(command, arguments)])[0]

    def qmp_batch(self, commands, pace=None):
        """Runs the QMP COMMANDS ((name, arguments) pairs) in order on one
        connection; returns their results. PACE(i), when given, is called
        after the i-th command (a typist's rhythm: tests/field/usb.py)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(os.path.join(self.work, "qmp.sock"))
        f = s.makefile("rwb")
        json.loads(f.readline())
        results = []
        for i, (command, arguments) in enumerate([("qmp_capabilities", {})] + list(commands)):
            f.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "return" in reply or "error" in reply:
                    break
            if "error" in reply:
                s.close()
                raise GuestError("QMP %s: %s" % (command, reply["error"]))
            if i > 0:
                results.append(reply["return"])
                if pace:
                    pace(i - 1)
        s.close()
        return results


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)
