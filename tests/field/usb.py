"""USB scanners in the field guest (issue 17, item 4): qemu's emulated
devices on an xhci controller, seen by the guest's own kernel drivers.

  - the wedge: `usb-kbd` (0627:0001, a boot keyboard, like a scanner in
    keyboard mode), driven by usbhid until ravaod claims it through libusb;
    the host types a payload through QMP `send-key`, one key at a time;
  - the serial scanner: `usb-serial`, an FTDI FT232 bridge (0403:6001) on a
    unix-socket chardev the host writes payloads to; the guest's ftdi_sio
    makes it /dev/ttyUSB0.

The wedge is plugged in at boot (Guest(usb_args=...), kept across the
power cuts' reboots), the bridge by the test (qemu_args). The bridge is
"always plugged": qemu's usb-serial otherwise attaches only while the host
holds the chardev's socket. Both are on fixed ports, so that
device_del/device_add (unplug, replug) puts them back where they were and
the port path, and so /dev/ravao/scanner-<ID_PATH_TAG>, stays the same.
"""

import os
import socket
import time

WEDGE = "wedge"          # qemu device ids, for device_del/device_add
WEDGE_ID = "0627:0001"   # qemu's usb-kbd
FTDI = "ftdi"
FTDI_ID = "0403:6001"    # qemu's usb-serial: an FTDI FT232
FTDI_SERIAL = "FIELDFTDI01"  # the bridge's iSerial, which the admin's rule names

# The rule an admin adds for a scanner behind this USB-serial bridge
# (docs/udev.md, "Scanners behind a USB-serial bridge"): the package's rules
# name scanner makers, and a bridge reports the bridge maker's ids, which
# every FTDI cable on the router shares; the serial number pins this one.
# 69 < 70: RAVAO_SCANNER is set before 70-ravao.rules makes its link.
FTDI_RULE = ('SUBSYSTEM=="tty", KERNEL=="ttyUSB[0-9]*", ATTRS{idVendor}=="0403", '
             'ATTRS{idProduct}=="6001", ATTRS{serial}=="%s", GROUP="ravao", MODE="0660", '
             'ENV{RAVAO_SCANNER}="1"\n' % FTDI_SERIAL)


def device_args(dev):
    """device_add arguments of WEDGE or FTDI (also their -device options)."""
    if dev == WEDGE:
        return {"driver": "usb-kbd", "id": WEDGE, "bus": "xhci.0", "port": "1"}
    return {"driver": "usb-serial", "id": FTDI, "bus": "xhci.0", "port": "2",
            "chardev": "ftdi", "serial": FTDI_SERIAL, "always-plugged": "on"}


def qemu_args(work):
    """The controller, the wedge plugged in at boot, and the bridge's
    chardev: the bridge itself is plugged in by the test (plug(FTDI)) once
    the admin's rule is in place (the shipped example configuration names
    /dev/ttyUSB0, and a bridge no rule gave to ravao is, rightly, refused)."""
    def opt(d):
        d = dict(d)
        return ",".join([d.pop("driver")] + ["%s=%s" % kv for kv in d.items()])
    # No PS/2 controller: QMP's send-key goes to the active keyboard, and
    # the i8042's keyboard would take it; the guest's console is serial.
    return ["-machine", "i8042=off", "-device", "qemu-xhci,id=xhci",
            "-chardev", "socket,id=ftdi,path=%s,server=on,wait=off" % os.path.join(work, "ftdi.sock"),
            "-device", opt(device_args(WEDGE))]


def connect_ftdi(work, timeout=30):
    """The host end of the FTDI bridge's serial line."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(os.path.join(work, "ftdi.sock"))
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def unplug(guest, dev):
    guest.qmp("device_del", id=dev)


def plug(guest, dev):
    guest.qmp("device_add", **device_args(dev))


# US layout: the qcode of each character a CCCD payload has, and whether
# it needs Shift.
_SHIFTED = {"|": "backslash"}
_PLAIN = {" ": "spc", ",": "comma", "/": "slash", "-": "minus", ".": "dot", "\n": "ret"}


def _keys(ch):
    if ch.isdigit() or ("a" <= ch <= "z"):
        return [ch]
    if "A" <= ch <= "Z":
        return ["shift", ch.lower()]
    if ch in _SHIFTED:
        return ["shift", _SHIFTED[ch]]
    if ch in _PLAIN:
        return [_PLAIN[ch]]
    raise ValueError("no key for %r" % ch)


HOLD_MS = 20   # each key held down this long (qemu queues the release)
PACE_S = 0.06  # one character every PACE_S: a scanner's typing rate


def type_line(guest, text):
    """Types TEXT then Enter on the wedge, as a keyboard-mode scanner does.
    One QMP send-key per character, paced: qemu's usb-kbd keeps 16 key
    events and hands the guest one per poll of its interrupt endpoint, so a
    faster typist loses keys (a real wedge scanner types about as fast).
    Returns the host's monotonic time of the Enter key."""
    cmds = [("send-key", {"keys": [{"type": "qcode", "data": k} for k in _keys(ch)],
                          "hold-time": HOLD_MS}) for ch in text + "\n"]
    guest.qmp_batch(cmds, pace=lambda i: time.sleep(PACE_S))
    return time.monotonic() - PACE_S


def port_of(guest, usb_id):
    """The kernel name (port path, e.g. 1-1) of the USB device USB_ID."""
    vendor, product = usb_id.split(":")
    _, out = guest.run("for d in /sys/bus/usb/devices/*; do "
                       "[ \"$(cat $d/idVendor 2>/dev/null)\" = %s ] && "
                       "[ \"$(cat $d/idProduct)\" = %s ] && basename $d; done; true" % (vendor, product))
    return out.strip()


def until(guest, condition, what, timeout=60):
    """Polls the shell CONDITION in the guest every 50 ms (one agent round
    trip, so the host's clock at the return is close to the moment it held);
    fails after TIMEOUT seconds."""
    rc, out = guest.run("timeout %d sh -c '%s' 2>&1" % (
        timeout, "until %s; do sleep 0.05; done" % condition.replace("'", "'\\''")),
        timeout=timeout + 30, check=False)
    if rc != 0:
        raise AssertionError("timed out after %d s waiting for %s (%s)\n%s" % (timeout, what, condition, out))
    return time.monotonic()


class Typist:
    """A thread typing LINES on the wedge (type_line, one after another)
    while the guest may be power-cut: a QMP call to a qemu that was killed
    fails (the socket closes, or the connect is refused) and ends the
    thread cleanly; none can hang, since each QMP socket has a timeout.
    stop() (after the cut, before the next boot) waits for the thread, so
    it never types into the next boot's qemu. Afterwards: `complete`, the
    lines whose Enter qemu took; `cut`, the line cut mid-payload (or None);
    `error`, why the typing ended early."""

    def __init__(self, guest, lines):
        import threading
        self.guest = guest
        self.lines = list(lines)
        self.complete = []
        self.cut = None
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._type, daemon=True)
        self.thread.start()

    def _type(self):
        for line in self.lines:
            if self.stopping.is_set():
                return
            try:
                type_line(self.guest, line)
            except (OSError, ValueError, AssertionError) as e:  # ValueError: a half JSON reply
                self.cut, self.error = line, e
                return
            self.complete.append(line)

    def stop(self, timeout=60):
        self.stopping.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError("the wedge's typing did not end %d s after the cut" % timeout)
