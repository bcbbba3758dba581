#!/usr/bin/python3
"""The counter console in a real browser (issue 14).

The site (console_site.py, shared with bench/console_*_bench.py): a real
ravaod with pty scanners and file printers, a real ravao-web in front of it
with four accounts, Debian's headless Chromium driven by Selenium. Every
page is screenshotted into --out/screenshots.

Run by ctest as web/browser_test with Debian's /usr/bin/python3:
  browser_test.py --ravaod PATH --ravaoctl PATH --ravao-web PATH --out DIR [-v] [unittest args]
Exit status 77 (skipped) when Chromium, chromedriver or Selenium is missing.

Every wait has a deadline (WAIT seconds); nothing is timed: a scan shown on
the page is waited for, the delay is only printed.
"""

import argparse
import os
import re
import sys
import time
import unittest

try:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - main() skips
    pass

from console_site import PASSWORDS, SKIP, WAIT, Site, cccd, eventually, missing_browser

ARGS = None   # the parsed command line
SITE = None   # the running ravaod + ravao-web + browser, shared by the cases


class Console(unittest.TestCase):
    """The cases run in name order on one browser; the throttling case is
    last because it makes the loopback address look like an attacker."""

    @property
    def d(self):
        return SITE.driver

    # helpers ----------------------------------------------------------------
    def go(self, path):
        self.d.get(SITE.base + path)

    def wait(self, pred, what):
        try:
            # The counter page redraws its table: an element found may go stale.
            return WebDriverWait(self.d, WAIT, poll_frequency=0.05,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda drv: pred(), message=what)
        except TimeoutException:
            raise AssertionError("timed out after %d s waiting for %s (page %s)\n%s"
                                 % (WAIT, what, self.d.current_url, SITE.tail_logs()))

    def by_id(self, id_):
        return self.d.find_element(By.ID, id_)

    def exists(self, id_):
        return len(self.d.find_elements(By.ID, id_)) > 0

    def text(self, id_):
        els = self.d.find_elements(By.ID, id_)
        return els[0].text if els else ""

    def visible_text(self, id_):
        els = self.d.find_elements(By.ID, id_)
        return els[0].text if els and els[0].is_displayed() else ""

    def shot(self, name, width=None):
        """A screenshot of the page; at `width` (600: a 7-inch tablet) the
        page must also fit without scrolling sideways."""
        if width:
            self.d.set_window_size(width, 1400)
        try:
            if width:
                self.wait(lambda: self.d.execute_script("return window.innerWidth;") <= width, "the narrow window")
                overflow = self.d.execute_script(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                self.assertLessEqual(overflow, 0, "%s scrolls sideways at %d px" % (name, width))
            self.d.save_screenshot(os.path.join(SITE.shots, name + ".png"))
        finally:
            if width:
                self.d.set_window_size(1280, 1400)

    def hover(self, id_):
        """The mouse over an element (found again if a redraw replaced it)."""
        self.wait(lambda: ActionChains(self.d).move_to_element(self.by_id(id_)).perform() or True, "hovering " + id_)

    def check_usable(self):
        """Every visible control is at least 48 px high (a touch target) and
        every input has a label bound to it."""
        problems = self.d.execute_script("""
            var out = [];
            var controls = document.querySelectorAll('button, a.button, input, select, textarea');
            for (var i = 0; i < controls.length; i++) {
              var e = controls[i];
              var r = e.getBoundingClientRect();
              if (r.width === 0 && r.height === 0) continue;   // not shown
              var what = e.tagName + '#' + e.id;
              var box = e;
              if (e.type === 'radio' || e.type === 'checkbox') box = e.parentNode;  // the label is the target
              if (box.getBoundingClientRect().height < 47.5) out.push(what + ' is lower than 48 px');
              if (e.tagName === 'BUTTON' || e.tagName === 'A') continue;
              var bound = e.id && document.querySelector('label[for="' + e.id + '"]');
              if (!bound && !(e.parentNode && e.parentNode.tagName === 'LABEL')) out.push(what + ' has no label');
            }
            return out;""")
        self.assertEqual(problems, [], self.d.current_url)

    def type_into(self, id_, text, enter=False):
        el = self.by_id(id_)
        el.clear()
        el.send_keys(text)
        if enter:
            el.send_keys(Keys.ENTER)

    def login(self, user, password=None):
        self.d.delete_all_cookies()
        self.go("/login.html")
        self.wait(lambda: self.exists("login-user"), "the login form")
        self.type_into("login-user", user)
        self.type_into("login-password", password or PASSWORDS[user], enter=True)
        self.wait(lambda: "/login.html" not in self.d.current_url, "leaving the login page as " + user)
        self.wait(lambda: self.text("whoami") == user, "the top bar naming " + user)

    def xhr(self, method, path, body=None, csrf=True):
        """A request from the page (its cookie, its CSRF token unless
        csrf=False): {status, type, cache, text}."""
        return self.d.execute_async_script("""
            var done = arguments[arguments.length - 1];
            var x = new XMLHttpRequest();
            x.open(arguments[0], arguments[1], true);
            if (arguments[0] !== 'GET') {
              x.setRequestHeader('Content-Type', 'application/json');
              if (arguments[3] && window.R && R.csrf) x.setRequestHeader('X-CSRF-Token', R.csrf);
            }
            x.onreadystatechange = function () {
              if (x.readyState === 4)
                done({status: x.status, type: x.getResponseHeader('Content-Type') || '',
                      cache: x.getResponseHeader('Cache-Control') || '', text: x.responseText});
            };
            x.send(arguments[2] === null ? null : JSON.stringify(arguments[2]));
        """, method, path, body, csrf)

    def open_counter(self, counter):
        self.go("/counter.html?c=" + counter)
        self.wait(lambda: "trực tiếp" in self.text("live-state"), "the live stream of " + counter)

    def newest_row(self):
        rows = self.d.find_elements(By.CSS_SELECTOR, "#visits-body tr.newest")
        return rows[0] if rows else None

    def row_ids(self):
        # In the page, in one step: a redraw between finding the rows and
        # reading their ids would make the rows found stale (CI saw it).
        return self.d.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('#visits-body tr'),"
            " function (r) { return r.id; });")

    def row_text(self, visit):
        """The text of a visit's row, read again (a redraw makes old elements stale)."""
        return self.wait(lambda: self.by_id("visit-%d" % visit).text, "the row of visit %d" % visit)

    def scan_and_wait_row(self, counter, payload, masked_name):
        """Scans at the counter's pty; returns the visit id of the new
        highlighted row that shows masked_name."""
        before = set(self.row_ids())
        start = time.monotonic()
        SITE.scanners[counter].scan(payload)

        def shown():
            row = self.newest_row()
            if row is None or row.get_attribute("id") in before or masked_name not in row.text:
                return None
            return int(row.get_attribute("id")[len("visit-"):])
        visit = self.wait(shown, "the scan of %s on the page of %s" % (masked_name, counter))
        print("  scan to row on the page: %.0f ms (not a measurement: see bench/)"
              % ((time.monotonic() - start) * 1000), file=sys.stderr)
        return visit

    # cases ------------------------------------------------------------------
    def test_00_assets_are_es5_without_inline_code_or_external_urls(self):
        """What the pages may not use (web/assets/README.md): checked in the
        sources, since Chromium itself would accept all of it."""
        assets = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web", "assets")
        forbidden_js = [(r"=>", "arrow function"), (r"\blet\s", "let"), (r"\bconst\s", "const"), (r"`", "template literal"),
                        (r"\bfetch\s*\(", "fetch"), (r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write",
                                                       "HTML from strings"), (r"\bclass\s+\w+\s*[{(]", "class"),
                        (r"\beval\s*\(|new Function", "eval")]
        forbidden_html = [(r"<script(?![^>]*\bsrc=)[^>]*>", "inline script"), (r"\sstyle\s*=", "style attribute"),
                          (r"\son[a-z]+\s*=", "inline event handler"), (r"<style", "style element")]
        names = sorted(os.listdir(assets))
        self.assertTrue({"login.html", "counter.html", "declare.html", "slips.html", "supervisor.html",
                         "app.js", "app.css"} <= set(names), names)
        for name in names:
            with open(os.path.join(assets, name), encoding="utf-8") as f:
                text = f.read()
            code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", text, flags=re.S | re.M) if name.endswith(".js") else text
            rules = forbidden_js if name.endswith(".js") else forbidden_html if name.endswith(".html") else []
            for pattern, what in rules:
                self.assertIsNone(re.search(pattern, code), "%s uses %s" % (name, what))
            if name != "README.md":
                self.assertIsNone(re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", code), name + " names an external URL")
        page = self.xhr_headers("/login.html")
        self.assertIn("default-src 'self'", page)

    def xhr_headers(self, path):
        self.go("/login.html")
        return self.d.execute_async_script("""
            var done = arguments[arguments.length - 1];
            var x = new XMLHttpRequest();
            x.open('GET', arguments[0], true);
            x.onreadystatechange = function () {
              if (x.readyState === 4) done(x.getResponseHeader('Content-Security-Policy') || '');
            };
            x.send(null);""", path)

    def test_01_login_and_logout(self):
        self.d.delete_all_cookies()
        self.go("/")
        self.wait(lambda: "/login.html" in self.d.current_url, "/ sending a stranger to login")
        self.shot("login")
        self.shot("login-600px", width=600)
        self.check_usable()
        # The keyboard alone: the name field has the focus, Tab goes to the
        # password, Enter logs in.
        self.wait(lambda: self.d.switch_to.active_element.get_attribute("id") == "login-user", "focus on the name")
        ActionChains(self.d).send_keys("ana").send_keys(Keys.TAB).send_keys(PASSWORDS["ana"]).send_keys(Keys.ENTER).perform()
        self.wait(lambda: self.text("whoami") == "ana", "the counter page after a keyboard login")
        self.assertIn("/counter.html?c=quay-1", self.d.current_url)
        self.check_usable()
        self.assertIn("Quầy 1", self.text("counter-title"))
        self.by_id("logout").click()
        self.wait(lambda: "/login.html" in self.d.current_url and "đăng xuất" in self.visible_text("login-note"),
                  "the logged-out note")
        self.shot("logged-out")
        # The old session is gone: a page with personal data sends to login.
        self.go("/counter.html?c=quay-1")
        self.wait(lambda: "/login.html" in self.d.current_url, "login after logout")

    def test_02_scan_appears_on_counter_page(self):
        self.login("ana")
        self.open_counter("quay-1")
        visit = self.scan_and_wait_row("quay-1", cccd("079190001234", "Lê Thị Hoa", "02031990", "Nữ"), "LÊ T. H.")
        self.assertIn("**34", self.row_text(visit))   # the ID number masked
        self.assertNotIn("079190001234", self.d.page_source)
        self.assertEqual(self.by_id("scanner-state").get_attribute("data-state"), "online")
        for path in ("/counter.html?c=quay-1", "/api/visits?counter=quay-1"):   # personal data: never cached
            self.assertIn("no-store", self.xhr("GET", path)["cache"], path)
        self.shot("counter")
        self.shot("counter-600px", width=600)
        self.check_usable()

    def test_03_checkout_and_undo(self):
        self.login("ana")
        self.open_counter("quay-1")
        visit = self.scan_and_wait_row("quay-1", cccd("001090055555", "Phạm Văn Cường"), "PHẠM V. C.")
        self.by_id("checkout-%d" % visit).click()
        self.wait(lambda: not self.exists("checkout-%d" % visit), "visit %d checked out" % visit)
        self.assertIn("ra", self.visible_text("action-result"))
        self.scan_and_wait_row("quay-1", cccd("001190066666", "Đỗ Thị Dung", sex="Nữ"), "ĐỖ T. D.")
        self.by_id("undo-last").click()
        self.wait(lambda: "hoàn tác" in self.visible_text("action-result").lower(), "the undo message")
        self.shot("counter-after-undo")

    def test_04_declaration_prefilled_checked_and_recorded(self):
        self.login("ana")
        self.open_counter("quay-1")
        visit = self.scan_and_wait_row("quay-1", cccd("001090012345", "Nguyễn Văn An"), "NGUYỄN V. A.")
        self.by_id("link-declare").click()
        self.wait(lambda: self.exists("f-name") and self.by_id("f-name").get_attribute("value") == "Nguyễn Văn An",
                  "the name pre-filled from the CCCD scan")
        self.assertEqual(self.by_id("f-id").get_attribute("value"), "001090012345")
        self.assertIn(self.by_id("f-birth").get_attribute("value"), ("1990-01-01", "01/01/1990"))
        self.assertIn("CCCD", self.visible_text("prefill-note"))
        self.shot("declare-prefilled")
        self.shot("declare-600px", width=600)
        self.check_usable()
        self.fill_required_blanks()
        self.type_into("f-phone", "12345")
        self.type_into("f-birth", "01/01/2099", enter=True)   # Enter submits
        self.wait(lambda: self.visible_text("err-phone") and self.visible_text("err-birth"),
                  "the phone and birth date errors next to their fields")
        for name in ("phone", "birth"):
            field = self.by_id("f-" + name)
            self.assertEqual(field.get_attribute("aria-invalid"), "true")
            self.assertIn("err-" + name, field.get_attribute("aria-describedby").split())
        self.assertTrue(self.visible_text("form-error"))
        self.shot("declare-errors")
        self.type_into("f-phone", "0912 345 678")
        self.type_into("f-birth", "01/01/1990")
        self.by_id("declare-submit").click()
        self.wait(lambda: "Đã ghi tờ khai" in self.visible_text("declare-result"), "the recorded message")
        self.shot("declare-recorded")
        seq = int(self.visible_text("declare-result").split("số bản ghi ")[1].split(",")[0].rstrip("."))
        record = [r for r in SITE.events() if r["seq"] == seq]
        self.assertEqual(len(record), 1, "record %d in ravaoctl events" % seq)
        self.assertEqual(record[0].get("actor"), "web:ana")
        self.assertEqual(record[0].get("visit"), visit)
        self.assertEqual(record[0].get("counter"), "quay-1")

    def fill_required_blanks(self):
        """Required fields the CCCD does not give (the form definition may ask
        for more than name and phone): filled with plausible answers."""
        self.d.execute_script("""
            var inputs = document.querySelectorAll('#fields [aria-required=true]');
            for (var i = 0; i < inputs.length; i++) {
              var e = inputs[i];
              if (e.value) continue;
              if (e.tagName === 'SELECT') { if (e.options.length > 1) e.selectedIndex = 1; }
              else if (e.type !== 'tel') e.value = 'Gia Lai';
            }
            var sets = document.querySelectorAll('#fields fieldset');
            for (var j = 0; j < sets.length; j++) {
              var radios = sets[j].querySelectorAll('input[type=radio]');
              var any = false;
              for (var k = 0; k < radios.length; k++) if (radios[k].checked) any = true;
              if (!any && radios.length) radios[0].checked = true;
            }
        """)

    def test_05_slips_print_reprint_and_transcribe(self):
        self.login("ana")
        self.go("/slips.html?c=quay-1")
        self.wait(lambda: "Quầy 1" in self.text("slips-title"), "the slips page")
        before = len(SITE.printed_files("quay-1"))
        self.by_id("slip-print").click()
        self.wait(lambda: "phiếu số" in self.visible_text("slip-print-result"), "the slip printed message")
        number = self.visible_text("slip-print-result").split("phiếu số ")[1].split(" ")[0].rstrip(".")
        eventually(lambda: len(SITE.printed_files("quay-1")) > before, WAIT, "the slip in the printer's folder")
        before = len(SITE.printed_files("quay-1"))
        self.type_into("reprint-number", number, enter=True)
        self.wait(lambda: "in lại" in self.visible_text("reprint-result"), "the reprint message")
        eventually(lambda: len(SITE.printed_files("quay-1")) > before, WAIT, "the reprint in the printer's folder")
        self.shot("slips")
        self.check_usable()
        # The paper slip comes back: its QR scanned at the counter fills the number.
        SITE.scanners["quay-1"].scan("RAVAO:SLIP:" + number.replace("-", ""))
        self.wait(lambda: self.by_id("transcribe-number").get_attribute("value") == number.replace("-", ""),
                  "the scanned slip's number in the transcription field")
        self.shot("slips-scanned")
        self.type_into("transcribe-number", number, enter=True)
        self.wait(lambda: "slip=" in self.d.current_url and number in self.visible_text("slip-note"),
                  "the declaration form for slip " + number)
        self.wait(lambda: self.exists("f-name"), "the form")
        self.type_into("f-name", "Trần Thị Bình")
        self.fill_required_blanks()
        self.type_into("f-phone", "0987654321", enter=True)
        self.wait(lambda: "Đã ghi tờ khai" in self.visible_text("declare-result") or self.visible_text("form-error"),
                  "the transcribed slip recorded")
        self.shot("declare-from-slip")
        self.assertIn("Đã ghi tờ khai", self.visible_text("declare-result"), self.visible_text("form-error"))

    def test_06_supervisor_chart_csv_and_prints(self):
        self.login("sep")
        self.assertIn("/supervisor.html", self.d.current_url)
        self.wait(lambda: self.exists("overview-quay-1") and self.exists("overview-quay-2"), "both counters")
        self.wait(lambda: self.d.execute_script(
            "var i = document.getElementById('hourly-chart'); return i.complete && i.naturalWidth > 0;"),
            "the hourly chart drawn")
        chart = self.xhr("GET", "/api/chart/hourly.svg")
        self.assertEqual(chart["status"], 200)
        self.assertIn("svg", chart["type"])
        self.assertIn("<svg", chart["text"])
        self.wait(lambda: len(self.d.find_elements(By.CSS_SELECTOR, "#summary-body tr")) > 0, "the week summary")
        href = self.by_id("csv-link").get_attribute("href")
        self.assertTrue(href.endswith("/api/summary.csv?days=7"), href)
        csv = self.xhr("GET", "/api/summary.csv?days=7")
        self.assertEqual(csv["status"], 200)
        self.assertIn("text/csv", csv["type"])
        self.assertIn("no-store", csv["cache"])
        self.assertIn("quay-1", csv["text"])
        self.shot("supervisor")
        self.shot("supervisor-600px", width=600)
        self.check_usable()
        before = len(SITE.printed_files("quay-2"))
        self.by_id("card-quay-2").click()
        self.wait(lambda: "Đã gửi lệnh in" in self.visible_text("print-result"), "the card print message")
        eventually(lambda: len(SITE.printed_files("quay-2")) > before, WAIT, "the command card printed")
        before = len(SITE.printed_files("quay-2"))
        self.by_id("poster-quay-2").click()
        self.wait(lambda: "áp phích" in self.visible_text("print-result"), "the poster print message")
        eventually(lambda: len(SITE.printed_files("quay-2")) > before, WAIT, "the poster printed")

    def test_07_staff_cannot_open_another_counter_or_supervisor(self):
        self.login("binh")
        self.assertIn("/counter.html?c=quay-2", self.d.current_url)
        self.go("/counter.html?c=quay-1")
        self.wait(lambda: "không có quyền" in self.visible_text("page-error"), "the forbidden message")
        self.assertEqual(self.row_ids(), [])
        self.shot("forbidden-counter")
        for path in ("/api/visits?counter=quay-1", "/api/last-scan?counter=quay-1", "/api/events?counter=quay-1",
                     "/api/overview", "/api/summary?days=7", "/api/summary.csv?days=7", "/api/chart/hourly.svg"):
            if path.startswith("/api/events"):
                continue  # a stream: the XHR would not finish; its refusal is the websrv tests'
            self.assertEqual(self.xhr("GET", path)["status"], 403, path)
        for path, body in (("/api/visits/undo", {"counter": "quay-1"}), ("/api/slips/print", {"counter": "quay-1"}),
                           ("/api/cards/print", {"counter": "quay-2"})):
            self.assertEqual(self.xhr("POST", path, body)["status"], 403, path)
        self.go("/supervisor.html")
        self.wait(lambda: "không có quyền" in self.visible_text("page-error"), "the supervisor page refused")
        self.assertEqual(self.d.find_elements(By.CSS_SELECTOR, "#overview-counters tr"), [])
        self.shot("forbidden-supervisor")

    def test_08_hostile_card_name_is_inert(self):
        hostile = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=3"> '
                   '"onmouseover="window.__pwned=2" \u202eAn\u202c \u2067Bình\u2069')
        self.login("ana")
        self.open_counter("quay-1")
        # Masked, the name is initials: "<. \". ..." must still show as text.
        visit = self.scan_and_wait_row("quay-1", cccd("001090077777", hostile), "<.")
        self.hover("visit-%d" % visit)
        self.check_inert(2)
        # The name cell: one <bdi dir=auto> holding text only.
        cell = self.d.execute_script(
            "var b = document.querySelector('#visit-' + arguments[0] + ' td.name bdi');"
            "return b ? {dir: b.getAttribute('dir'), children: b.children.length, text: b.textContent} : null;", visit)
        self.assertIsNotNone(cell)
        self.assertEqual(cell["dir"], "auto")
        self.assertEqual(cell["children"], 0, "markup inside the name")
        self.assertTrue(cell["text"].startswith("<."), cell["text"])
        self.shot("hostile-counter")
        self.by_id("link-declare").click()
        self.wait(lambda: self.exists("f-name") and "<script>" in self.by_id("f-name").get_attribute("value"),
                  "the hostile name pre-filled as text")
        self.hover("f-name")
        self.check_inert(2)
        self.shot("hostile-declare")

    def check_inert(self, own_scripts):
        state = self.d.execute_script("""
            return {pwned: window.__pwned === undefined ? null : window.__pwned,
                    scripts: document.scripts.length,
                    handlers: document.querySelectorAll('[onmouseover],[onerror],[onclick]').length,
                    imgs: document.querySelectorAll('img[src=x]').length};""")
        self.assertIsNone(state["pwned"])
        self.assertEqual(state["scripts"], own_scripts)
        self.assertEqual(state["handlers"], 0)
        self.assertEqual(state["imgs"], 0)

    def test_09_expired_session_goes_to_login(self):
        self.login("ana")
        self.open_counter("quay-1")
        # A write without the session's CSRF token is refused.
        self.assertEqual(self.xhr("POST", "/api/slips/print", {"counter": "quay-1"}, csrf=False)["status"], 403)
        self.d.delete_cookie("ravao_session")   # as an idle timeout would leave it
        self.by_id("undo-last").click()
        self.wait(lambda: "/login.html" in self.d.current_url and "hết hạn" in self.visible_text("login-note"),
                  "the expired-session note on the login page")
        self.shot("login-expired")
        self.type_into("login-user", "ana")
        self.type_into("login-password", PASSWORDS["ana"], enter=True)
        self.wait(lambda: "/counter.html?c=quay-1" in self.d.current_url, "back to the counter page")

    def test_10_supervisor_shows_a_paper_out_alarm_in_vietnamese(self):
        """The spare printer p3 answers "paper out": ravaod raises the alarm
        printer.paper_out and the supervisor page says it in Vietnamese,
        with what to do."""
        eventually(lambda: any(a["code"] == "printer.paper_out" and a["device"] == "p3"
                               for a in SITE.ctl(["status"])["alarms"]), WAIT, "ravaod's paper-out alarm")
        self.login("sep")
        self.assertIn("/supervisor.html", self.d.current_url)
        css = "#alarms li[data-code='printer.paper_out']"

        def shown():
            items = self.d.find_elements(By.CSS_SELECTOR, css)
            return items[0].text if items else None
        text = self.wait(shown, "the paper-out alarm on the supervisor page")
        self.assertIn("Máy in hết giấy: thay cuộn giấy", text)
        self.assertIn("máy in p3", text)
        self.assertNotIn("reports", text)  # the English message is only the item's title
        self.assertFalse(self.by_id("alarms-none").is_displayed())
        self.shot("supervisor-alarms")

    def test_99_wrong_password_throttled(self):
        self.d.delete_all_cookies()
        self.go("/login.html")
        self.wait(lambda: self.exists("login-user"), "the login form")
        # Wrong passwords until the account is locked long enough that the
        # right one, typed next, certainly comes within the lock however slow
        # the browser is: the first 3 failures are free, the 4th locks the
        # account for 1 s and each further one doubles it (login_throttle.hpp),
        # so the 7th locks it for 8 s. Tries made while locked are answered
        # "thử lại sau" and do not count; the loop tries again.
        wrong = 0
        deadline = time.monotonic() + 120
        while wrong < 7:
            self.assertLess(time.monotonic(), deadline, "7 failed logins took over 2 minutes")
            self.type_into("login-user", "thu")
            self.type_into("login-password", "sai-mat-khau", enter=True)
            self.wait(lambda: self.visible_text("login-error"), "a login error")
            msg = self.visible_text("login-error")
            if "thử lại sau" not in msg:
                self.assertIn("Sai tên đăng nhập hoặc mật khẩu", msg)
                wrong += 1
            # The next try only after this answer is gone from the page.
            self.d.execute_script("document.getElementById('login-error').setAttribute('hidden','hidden');"
                                  "document.getElementById('login-error').textContent='';")
        # Throttled even with the right password.
        self.type_into("login-user", "thu")
        self.type_into("login-password", PASSWORDS["thu"], enter=True)
        self.wait(lambda: "thử lại sau" in self.visible_text("login-error"), "the right password throttled too")
        self.shot("login-throttled")
        self.assertIn("/login.html", self.d.current_url)


def main():
    global ARGS, SITE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ravaod", required=True)
    parser.add_argument("--ravaoctl", required=True)
    parser.add_argument("--ravao-web", dest="ravao_web", required=True)
    parser.add_argument("--out", required=True, help="folder for screenshots/ and the logs")
    ARGS, rest = parser.parse_known_args()
    missing = missing_browser()
    if missing:
        print("SKIP: needs python3-selenium, chromium and chromium-driver (missing: %s)" % missing, file=sys.stderr)
        return SKIP
    os.makedirs(ARGS.out, exist_ok=True)
    SITE = Site(ARGS)
    try:
        SITE.start_daemon()
        SITE.start_web()
        SITE.start_browser()
        result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
        return 0 if result.wasSuccessful() else 1
    except Exception:
        print(SITE.tail_logs(), file=sys.stderr)
        raise
    finally:
        SITE.stop()


if __name__ == "__main__":
    sys.exit(main())
