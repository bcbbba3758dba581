"""A real counter-console site for the browser test and the benches (issue 14).

Starts a real ravaod on a temporary configuration (two counters, scanners on
pseudo-terminals, printers writing into folders, and a spare network printer
"p3" that reports paper out), a real ravao-web in front
of it on a free port with its own state folder and accounts made with
`ravao-web user add ... --password-stdin`, and Debian's headless Chromium
driven by Selenium (python3-selenium, chromium-driver).

Used by tests/web/browser_test.py and bench/console_*_bench.py (which put this
folder on sys.path). Run with Debian's /usr/bin/python3 (it has selenium).
"""

import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import tty
import urllib.error
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:  # pragma: no cover - the machine lacks python3-selenium
    webdriver = None

SKIP = 77
WAIT = 20  # seconds: the deadline of every wait in the browser
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

PASSWORDS = {"ana": "mat-khau-ana", "binh": "mat-khau-binh", "sep": "mat-khau-sep", "thu": "mat-khau-thu"}


def missing_browser():
    """What the browser needs and this machine lacks ("" when nothing)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if webdriver is None:
        missing.append("python3-selenium")
    return ", ".join(missing)


def cccd(id12, name, dob="01011990", sex="Nam", address="Thôn 3, Xã Ia Kênh, Tỉnh Gia Lai"):
    """A visitor's CCCD QR payload (7-field form, code-formats.md)."""
    return "%s||%s|%s|%s|%s|15082021" % (id12, name, dob, sex, address)


def die_with_parent():
    """In the child: killed when the test process dies (no orphan daemon)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setpgid(0, 0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(pred, deadline=WAIT, what="condition"):
    end = time.monotonic() + deadline
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError("timed out after %d s waiting for %s" % (deadline, what))
        time.sleep(0.05)


class PtyScanner:
    """A serial scanner: a pseudo-terminal whose slave side ravaod opens
    through a symlink; writing to the master is a scan."""

    def __init__(self, link):
        self.link = link
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_inheritable(self.master, False)
        os.set_inheritable(self.slave, False)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.ttyname(self.slave), link)

    def scan(self, text):
        data = text.encode("utf-8") + b"\r\n"
        while data:
            n = os.write(self.master, data)
            data = data[n:]

    def close(self):
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class PaperOutPrinter:
    """A raw TCP (port 9100 style) ESC/POS printer on loopback, out of paper:
    it answers every real-time status request (DLE EOT n) with the bytes of
    docs/printer-status.md for "paper out" and takes no job (ravaod holds
    its queue). One connection at a time, on its own thread."""

    REPLIES = {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}  # offline; paper end; no error; sensor: paper end

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.quit = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.quit:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                pending = b""
                while True:
                    try:
                        data = conn.recv(4096)
                    except OSError:
                        break
                    if not data:
                        break
                    pending += data
                    while len(pending) >= 3 or (pending and pending[0] != 0x10):
                        if pending[0] == 0x10 and pending[1] == 0x04:
                            conn.sendall(bytes([self.REPLIES.get(pending[2], 0x12)]))
                            pending = pending[3:]
                        else:
                            pending = pending[1:]

    def close(self):
        self.quit = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()


class Site:
    """ravaod + ravao-web + headless Chromium on a temporary folder.

    args: .ravaod, .ravaoctl, .ravao_web (paths), .out (a folder for the
    logs and screenshots/). on_daemon_line(at, line), when given, is called
    on a reader thread for every line ravaod logs, `at` = time.time() when
    the line arrived (the log still goes to ravaod.log)."""

    def __init__(self, args, on_daemon_line=None):
        self.args = args
        self.on_daemon_line = on_daemon_line
        self.readers = []
        self.web = None   # the ravao-web process once started
        self.dir = tempfile.mkdtemp(prefix="ravao-browser-")
        self.procs = []
        self.driver = None
        self.socket = os.path.join(self.dir, "ravaod.sock")
        self.scanners = {
            "quay-1": PtyScanner(os.path.join(self.dir, "tty-1")),
            "quay-2": PtyScanner(os.path.join(self.dir, "tty-2")),
        }
        self.paper_out_printer = PaperOutPrinter()
        self.printer_dirs = {"quay-1": os.path.join(self.dir, "print-1"), "quay-2": os.path.join(self.dir, "print-2")}
        for d in self.printer_dirs.values():
            os.makedirs(d)
        self.port = free_port()
        self.base = "https://127.0.0.1:%d" % self.port
        self.shots = os.path.join(args.out, "screenshots")
        os.makedirs(self.shots, exist_ok=True)

    # ravaod -----------------------------------------------------------------
    def daemon_config(self, with_poster):
        d = self.dir
        poster = 'checkin_qr = "https://tokhaiyte.vn/checkin/BD-TEST-0001"\n' if with_poster else ""
        return """
[site]
id = "bd-test"
name = "Bưu điện Văn hóa xã Tân Phú"
{poster}
[store]
path = "{d}/ravao.db"

[control]
socket = "{d}/ravaod.sock"

[[scanner]]
id = "s1"
kind = "serial"
device = "{d}/tty-1"

[[scanner]]
id = "s2"
kind = "serial"
device = "{d}/tty-2"

[[printer]]
id = "p1"
kind = "file"
path = "{d}/print-1"

[[printer]]
id = "p2"
kind = "file"
path = "{d}/print-2"

[[printer]]
id = "p3"
kind = "tcp"
address = "{paper_out}"

[[counter]]
id = "quay-1"
name = "Quầy 1"
scanner = "s1"
mode = "entry"
printer = "p1"

[[counter]]
id = "quay-2"
name = "Quầy 2"
scanner = "s2"
mode = "entry"
printer = "p2"
""".format(d=d, poster=poster, paper_out=self.paper_out_printer.address)

    def start_daemon(self):
        path = os.path.join(self.dir, "ravao.toml")
        # [site] checkin_qr comes with the poster command; a daemon that does
        # not know the key yet refuses it, and the poster case then fails alone.
        for with_poster in (True, False):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.daemon_config(with_poster))
            check = subprocess.run([self.args.ravaod, "--check-config", path], capture_output=True, text=True)
            if check.returncode == 0:
                break
        else:
            raise RuntimeError("ravaod --check-config refused the test configuration:\n" + check.stdout + check.stderr)
        self.daemon_log = os.path.join(self.dir, "ravaod.log")
        self.daemon = self.spawn([self.args.ravaod, "--config", path, "--log-target", "stderr"], self.daemon_log,
                                 self.on_daemon_line)
        eventually(lambda: self.ctl_raw(["status"]).returncode == 0, 30, "ravaod's control socket")
        for c in ("quay-1", "quay-2"):
            eventually(lambda: any(x["id"] == c and x["state"] == "online" for x in self.ctl(["counters"])),
                       WAIT, "counter %s online" % c)

    def ctl_raw(self, args):
        return subprocess.run([self.args.ravaoctl, "--socket", self.socket] + args, capture_output=True,
                              text=True, timeout=30)

    def ctl(self, args):
        r = self.ctl_raw(["--json"] + args)
        if r.returncode != 0:
            raise RuntimeError("ravaoctl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return json.loads(r.stdout)

    def events(self):
        return self.ctl(["events", "--limit", "100000"])

    def printed_files(self, counter):
        return sorted(os.listdir(self.printer_dirs[counter]))

    # ravao-web --------------------------------------------------------------
    def start_web(self):
        self.web_config = os.path.join(self.dir, "web.toml")
        with open(self.web_config, "w", encoding="utf-8") as f:
            f.write('[web]\nlisten = "127.0.0.1:%d"\nstate_dir = "%s/web"\ncontrol_socket = "%s"\n'
                    % (self.port, self.dir, self.socket))
        os.makedirs(os.path.join(self.dir, "web"), mode=0o700)
        self.add_user("ana", "staff", ["quay-1"])
        self.add_user("binh", "staff", ["quay-2"])
        self.add_user("thu", "staff", ["quay-1"])
        self.add_user("sep", "supervisor", [])
        self.web_log = os.path.join(self.dir, "ravao-web.log")
        self.web = self.spawn([self.args.ravao_web, "--config", self.web_config], self.web_log)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def answers():
            try:
                with urllib.request.urlopen(self.base + "/login.html", context=ctx, timeout=5) as r:
                    return r.status == 200
            except (urllib.error.URLError, OSError, ssl.SSLError):
                return False
        eventually(answers, 30, "ravao-web to answer on " + self.base)

    def add_user(self, name, role, counters):
        extra = ["--role", role]
        for c in counters:
            extra += ["--counter", c]
        # `--config` before the subcommand, else after it (docs/console.md decides).
        for argv in ([self.args.ravao_web, "--config", self.web_config, "user", "add", name] + extra + ["--password-stdin"],
                     [self.args.ravao_web, "user", "add", name] + extra + ["--password-stdin", "--config", self.web_config]):
            r = subprocess.run(argv, input=PASSWORDS[name] + "\n", capture_output=True, text=True, timeout=60)
            if r.returncode == 0:
                return
        raise RuntimeError("ravao-web user add %s failed (%d): %s%s" % (name, r.returncode, r.stdout, r.stderr))

    # browser ----------------------------------------------------------------
    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--ignore-certificate-errors", "--lang=vi", "--window-size=1280,1400"):
            options.add_argument(a)
        options.add_argument("--user-data-dir=" + os.path.join(self.dir, "chromium"))
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(CHROMEDRIVER, log_output=os.path.join(self.dir, "chromedriver.log"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(WAIT)
        self.driver.set_script_timeout(WAIT)

    def spawn(self, argv, log, on_line=None):
        out = open(log, "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if on_line else out,
                             stderr=subprocess.STDOUT, preexec_fn=die_with_parent, close_fds=True)
        self.procs.append((p, argv[0]))
        if on_line:
            def read():
                for line in p.stdout:
                    at = time.time()
                    out.write(line)
                    out.flush()
                    on_line(at, line.decode("utf-8", errors="replace"))
            t = threading.Thread(target=read, daemon=True)
            t.start()
            self.readers.append(t)
        return p

    def stop(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass
        for p, _ in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
        for s in self.scanners.values():
            s.close()
        self.paper_out_printer.close()
        for name in ("ravaod.log", "ravao-web.log", "chromedriver.log"):
            src = os.path.join(self.dir, name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.args.out, name))
        shutil.rmtree(self.dir, ignore_errors=True)

    def tail_logs(self):
        out = []
        for name in ("ravaod.log", "ravao-web.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    out.append("--- %s (end) ---\n%s" % (name, f.read()[-6000:]))
        return "\n".join(out)


def https_connection(site, timeout=30):
    """An http.client connection to the site's ravao-web (its self-signed
    certificate accepted)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection("127.0.0.1", site.port, context=ctx, timeout=timeout)


def api_login(site, user):
    """POST /api/login as `user`: returns (cookie header value, CSRF token)."""
    conn = https_connection(site)
    try:
        conn.request("POST", "/api/login", json.dumps({"user": user, "password": PASSWORDS[user]}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError("login as %s: %d %s" % (user, r.status, body[:200]))
        cookie = r.getheader("Set-Cookie").split(";")[0]
        return cookie, json.loads(body)["csrf"]
    finally:
        conn.close()
