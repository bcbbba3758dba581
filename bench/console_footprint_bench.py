#!/usr/bin/python3
"""ravao-web's idle memory (issue 14: idle RSS < 10 MiB).

usage: console_footprint_bench.py --ravaod PATH --ravaoctl PATH --ravao-web PATH
                                  [--idle 60] [--out DIR]

Starts the browser test's site (tests/web/console_site.py) and reads
ravao-web's memory from /proc (VmRSS and VmHWM from status; Pss and USS =
Private_Clean + Private_Dirty from smaps_rollup):
  1. after start, once it answers (a few seconds of idle);
  2. after a login and the counter page loaded in headless Chromium (its
     live stream open), then `idle` seconds of idle with the page still open;
  3. the same with the browser closed (the stream gone), after a few seconds.
The login's Argon2id check takes 64 MiB for ~0.1 s on a worker thread: VmHWM
shows that peak; the goal is about the idle RSS afterwards.
"""

import sys
import time

import console_bench as cb
from console_bench import console_site as cs

GOAL_KIB = 10 * 1024


def line(label, m):
    return "  %-46s VmRSS %5.2f (anon %5.2f, file %5.2f)  Pss %5.2f  USS %5.2f  VmHWM %5.2f MiB" % (
        label, m["VmRSS"] / 1024, m["RssAnon"] / 1024, m["RssFile"] / 1024, m["Pss"] / 1024, m["USS"] / 1024,
        m["VmHWM"] / 1024)


def main():
    args = cb.parse_args(__doc__, [("--idle", {"type": int, "default": 60})])
    missing = cs.missing_browser()
    if missing:
        print("needs " + missing, file=sys.stderr)
        return 77
    site = cb.site(args)
    out = []
    try:
        site.start_daemon()
        site.start_web()
        pid = site.web.pid
        time.sleep(3)
        out.append(("after start (idle 3 s)", cb.memory(pid)))
        site.start_browser()
        d = site.driver
        d.get(site.base + "/login.html")
        cs.eventually(lambda: d.find_elements("id", "login-user"), cs.WAIT, "the login form")
        d.find_element("id", "login-user").send_keys("ana")
        d.find_element("id", "login-password").send_keys(cs.PASSWORDS["ana"] + "\n")
        cs.eventually(lambda: "/counter.html" in d.current_url, cs.WAIT, "the counter page")
        cs.eventually(lambda: "trực tiếp" in d.find_element("id", "live-state").text, cs.WAIT, "the live stream")
        site.scanners["quay-1"].scan(cs.cccd("001090012345", "Nguyễn Văn An"))
        cs.eventually(lambda: d.find_elements("css selector", "#visits-body tr"), cs.WAIT, "the scanned row")
        out.append(("after login + counter page + 1 scan", cb.memory(pid)))
        time.sleep(args.idle)
        out.append(("... then %d s idle, page open (stream open)" % args.idle, cb.memory(pid)))
        d.quit()
        site.driver = None
        time.sleep(5)
        out.append(("... then the browser closed, 5 s", cb.memory(pid)))
    except Exception:
        print(site.tail_logs(), file=sys.stderr)
        raise
    finally:
        site.stop()
    print("console_footprint_bench: ravao-web (pid %d); %s" % (pid, cb.uptime()))
    for label, m in out:
        print(line(label, m))
    worst = max(m["VmRSS"] for _, m in out)
    print("  goal: idle RSS < 10 MiB: %s (largest idle VmRSS %.2f MiB)"
          % ("met" if worst < GOAL_KIB else "NOT met", worst / 1024))
    print("command: " + cb.command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
