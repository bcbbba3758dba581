#!/usr/bin/python3
"""The weekly report's HTML page in a real browser (issue 15).

A receiver database made by `ravao-receiver sites load` (a site table with
Vietnamese names and a formula-looking name), a week of visits written into
its records table, `report weekly --format html`, then Debian's headless
Chromium: --dump-dom (the page's title and heading text read from the DOM,
both SVG charts present, no markup injected) and --screenshot at A4 width
(a PNG that is not blank: decoded here with zlib, no imaging library);
with Debian's weasyprint installed, the page as a PDF of A4 pages.

Run by ctest as receiver/report_browser_test:
  report_browser_test.py --receiver PATH --out DIR
Exit status 77 (skipped) when Chromium is missing. Every run has a deadline.
"""

import argparse
import html.parser
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
DEADLINE = 120  # seconds per Chromium run
WEEK = "2026-W49"
WEEK_START_MS = 1795971600000  # Monday 2026-11-30 00:00 UTC+7
TITLE = "Báo cáo tuần 2026-W49 – điểm quét ravao – Thừa Thiên Huế"

SITES = (
    "site_id,name,commune,province,population,gateways\n"
    "hue-01,Bưu điện Thuận Hòa,Phường Thuận Hòa,Thừa Thiên Huế,300,gw-hue-1\n"
    "kim-01,\"=HYPERLINK(\"\"http://x\"\",\"\"<script>alert(1)</script>\"\")\",Xã Đắk Mil,Thừa Thiên Huế,250,gw-kim\n"
)


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(argv):
    r = subprocess.run(argv, capture_output=True, timeout=DEADLINE)
    if r.returncode != 0:
        fail("%s exited %d: %s" % (argv[0], r.returncode, r.stderr.decode(errors="replace")))
    return r.stdout


class Dom(html.parser.HTMLParser):
    """The text of <title> and of h1#title, and the tags seen."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.svg_ids = []
        self.title = ""
        self.heading = ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "svg":
            self.svg_ids.append(attrs.get("id"))
        if tag == "title" or (tag == "h1" and attrs.get("id") == "title"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.heading += data


def png_pixels(data):
    """(width, height, channels, rows of bytes) of an 8-bit RGB(A) PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("the screenshot is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            if depth != 8 or color not in (2, 6):
                fail("unexpected PNG format depth=%d color=%d" % (depth, color))
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receiver", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: no chromium", file=sys.stderr)
        return SKIP
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "receiver.db")
        with open(os.path.join(tmp, "sites.csv"), "w", encoding="utf-8") as f:
            f.write(SITES)
        run([args.receiver, "sites", "load", "--db", db, os.path.join(tmp, "sites.csv")])
        # A week of visits, written as the receiver stores them (synchronised clocks).
        con = sqlite3.connect(db)
        seq = 0
        for gateway, per_day in (("gw-hue-1", 40), ("gw-kim", 15)):
            for day in range(7):
                for v in range(per_day + 5 * day):
                    seq += 1
                    at = WEEK_START_MS + day * 86400000 + 8 * 3600000 + v * 60000
                    con.execute(
                        "INSERT INTO records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns,"
                        " clock_synced, derived_wall_ms, received_ms, json) VALUES(?, 's', ?, 'visit_opened',"
                        " 'quay-1', ?, 'b', 0, 1, ?, ?, '{}')", (gateway, seq, at, at, at))
        con.execute("INSERT INTO gateways(gateway, last_batch_ms) VALUES('gw-hue-1', ?)", (WEEK_START_MS,))
        con.commit()
        con.close()
        page = os.path.join(args.out, "weekly-report.html")
        run([args.receiver, "report", "weekly", "--db", db, "--week", WEEK, "--format", "html", "--out", page])
        profile = os.path.join(tmp, "profile")
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--window-size=794,1123"]  # A4 at 96 dpi
        url = "file://" + page
        dom = Dom()
        dom.feed(run(base + ["--dump-dom", url]).decode("utf-8"))
        if dom.title.strip() != TITLE:
            fail("title %r, expected %r" % (dom.title, TITLE))
        if dom.heading.strip() != TITLE:
            fail("heading %r, expected %r" % (dom.heading, TITLE))
        for chart in ("chart-days", "chart-communes"):
            if chart not in dom.svg_ids:
                fail("no SVG %s in the DOM (SVGs: %r)" % (chart, dom.svg_ids))
        if "script" in dom.tags:
            fail("a <script> element reached the DOM: a site name was not escaped")
        shot = os.path.join(args.out, "weekly-report.png")
        run(base + ["--screenshot=" + shot, url])
        with open(shot, "rb") as f:
            width, height, channels, rows = png_pixels(f.read())
        dark = sum(1 for row in rows for i in range(0, len(row), channels) if row[i] + row[i + 1] + row[i + 2] < 384)
        colored = sum(1 for row in rows for i in range(0, len(row), channels)
                      if max(row[i:i + 3]) - min(row[i:i + 3]) > 60)
        print("screenshot %s: %dx%d, %d dark pixels, %d coloured (chart bars)" % (shot, width, height, dark, colored))
        if dark < 2000:
            fail("the page looks blank: %d dark pixels" % dark)
        if colored < 2000:
            fail("no chart bars drawn: %d coloured pixels" % colored)
        # The PDF, when Debian's weasyprint is there (no browser): A4 pages.
        weasyprint = shutil.which("weasyprint")
        if weasyprint:
            pdf = os.path.join(args.out, "weekly-report.pdf")
            run([weasyprint, page, pdf])
            with open(pdf, "rb") as f:
                boxes = set(re.findall(rb"/MediaBox \[([^\]]*)\]", f.read()))
            sizes = {tuple(round(float(v)) for v in b.split()) for b in boxes}
            if sizes != {(0, 0, 595, 842)}:
                fail("the PDF's pages are not A4: %r" % sizes)
            print("pdf %s: A4" % pdf)
        else:
            print("no weasyprint: PDF not checked")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
