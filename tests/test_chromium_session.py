"""One headless Chromium over its DevTools pipe (report.chromium_session).

Its prints and screenshots are checked against Chromium's own command-line switches
(``--print-to-pdf``, ``--screenshot``), which draw the same pages in a browser of their own:
the bytes must be the same. A browser that exits or never answers must give a clear error
(the file it was for, what Chromium did, the end of what it wrote) and leave no process behind.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from wmp_analysis.report.chromium_session import ChromiumSession
from wmp_analysis.report.pdf_chromium import (
    HEADLESS_FLAGS,
    PdfError,
    find_chromium,
    normalise_pdf,
)

DOC = (
    "<!doctype html><html><head><meta charset='utf-8'><title>T</title><style>"
    "@page{size:A4;margin:18mm}section{break-before:page}h1{color:#0072b2}"
    "td{border:1px solid #999;padding:4px}th{background:#e8e8e8}</style></head><body><h1>Pack</h1>"
    + "".join(
        f"<section><h2>Part {k}</h2><table><tr><th>n</th></tr><tr><td>{k * 1000:,}</td></tr>"
        "</table></section>"
        for k in range(1, 4)
    )
    + "</body></html>"
)


def _chromium() -> str:
    exe = find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("headless chromium not found - required in CI")
        pytest.skip("headless chromium not found (install Debian's chromium: `make browser`)")
    return exe


def _cli(exe: str, tmp: Path, *flags: str, url: str) -> None:
    """Chromium's own switch, in a browser of its own (as the PDF step ran before the session)."""
    subprocess.run(
        [exe, *HEADLESS_FLAGS, f"--user-data-dir={tmp / 'cli-profile'}", *flags, url],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "TZ": "UTC"},
    )


@pytest.mark.browser
def test_print_and_screenshot_are_the_bytes_of_chromiums_own_switches(tmp_path):
    exe = _chromium()
    page = tmp_path / "page.html"
    page.write_text(DOC, encoding="utf-8")
    with ChromiumSession(exe) as browser:
        browser.print_pdf(DOC, tmp_path / "session.pdf")
        browser.print_pdf(DOC, tmp_path / "session-again.pdf")  # a second print, same browser
        browser.screenshot(page, tmp_path / "session-390.png", 390, 900)
        browser.screenshot(page, tmp_path / "session-1366.png", 1366, 900)
    _cli(
        exe,
        tmp_path,
        "--no-pdf-header-footer",
        f"--print-to-pdf={tmp_path / 'cli.pdf'}",
        url=page.as_uri(),
    )
    for width in (390, 1366):
        _cli(
            exe,
            tmp_path,
            "--hide-scrollbars",
            f"--window-size={width},900",
            f"--screenshot={tmp_path / f'cli-{width}.png'}",
            url=page.as_uri(),
        )
    for name in ("session.pdf", "session-again.pdf", "cli.pdf"):  # their dates are the print's
        normalise_pdf(tmp_path / name, title="T")
    assert (tmp_path / "session.pdf").read_bytes() == (tmp_path / "cli.pdf").read_bytes()
    assert (tmp_path / "session-again.pdf").read_bytes() == (tmp_path / "cli.pdf").read_bytes()
    for width in (390, 1366):
        got = (tmp_path / f"session-{width}.png").read_bytes()
        assert got[:8] == b"\x89PNG\r\n\x1a\n"
        assert got == (tmp_path / f"cli-{width}.png").read_bytes(), width


def _fake_browser(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-chromium"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    exe.chmod(0o755)
    return str(exe)


def test_a_browser_that_exits_is_a_clear_error(tmp_path):
    exe = _fake_browser(tmp_path, "echo 'cannot open display: nothing here' >&2\nexit 3")
    with pytest.raises(PdfError) as exc:
        ChromiumSession(exe, what="briefing.pdf")
    msg = str(exc.value)
    assert msg.startswith("briefing.pdf: Chromium stopped")
    assert "(exit 3)" in msg and "cannot open display" in msg


def test_a_browser_that_never_answers_times_out_and_is_stopped(tmp_path):
    pid_file = tmp_path / "pid"
    exe = _fake_browser(tmp_path, f"echo $$ > {pid_file}\nexec sleep 60")
    start = time.monotonic()
    with pytest.raises(PdfError) as exc:
        ChromiumSession(exe, timeout=1.0, what="screenshots")
    assert time.monotonic() - start < 20
    msg = str(exc.value)
    assert msg.startswith("screenshots: Chromium did not answer Target.getTargets within 1 s")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # the browser's process is gone, not left behind
        os.kill(pid, 0)


def test_no_chromium_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("WMP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(PdfError) as exc:
        ChromiumSession(what="screenshots")
    assert str(exc.value).startswith("screenshots: headless Chromium was not found")
    assert "apt-get install chromium" in str(exc.value)
