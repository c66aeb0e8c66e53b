"""One headless Chromium for the whole PDF step, driven over its DevTools pipe.

Printing the pack and taking its screenshots with one ``chromium --print-to-pdf`` or
``--screenshot`` per file starts a browser for each file: about one CPU second each before
any page is drawn, six times per pack. :class:`ChromiumSession` starts one browser with
``--remote-debugging-pipe`` (the DevTools protocol over the browser's file descriptors 3
and 4: no port is opened, nothing listens) and prints and takes screenshots in tabs of it,
with the same DevTools calls those switches make: ``Page.printToPDF`` with the page's own
CSS page size, backgrounds and a tagged PDF (as ``--print-to-pdf --no-pdf-header-footer``),
and ``Page.captureScreenshot`` of a viewport of the window's size (as ``--screenshot
--window-size``). The files are the same bytes the switches give.

The flags, the throwaway profile and the network rules are those of
:data:`wmp_analysis.report.pdf_chromium.HEADLESS_FLAGS`. Every failure (no Chromium, a
browser that exits or stops answering, a DevTools error) raises
:class:`~wmp_analysis.report.pdf_chromium.PdfError` naming what failed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wmp_analysis.processes import kill_group
from wmp_analysis.report.pdf_chromium import (
    INSTALL_HINT,
    PRINT_TIMEOUT,
    PdfError,
    find_chromium,
    headless_command,
)

#: ``Page.printToPDF`` as ``--print-to-pdf --no-pdf-header-footer`` prints: the paper size
#: and margins of the document's ``@page`` rules, backgrounds, accessibility tags kept.
PRINT_PARAMS = {
    "preferCSSPageSize": True,
    "printBackground": True,
    "displayHeaderFooter": False,
    "generateTaggedPDF": True,
}

#: Puts the pipe's two ends on the browser's descriptors 3 and 4, then runs the browser.
_TRAMPOLINE = (
    "import os, sys; os.dup2({r}, 3); os.dup2({w}, 4); os.execv(sys.argv[1], sys.argv[1:])"
)


class ChromiumSession:
    """A headless Chromium started once, printing pages and taking screenshots in its tabs.

    Use as a context manager; the browser, its profile and its temporary files are gone
    when the block ends.

    Parameters
    ----------
    chromium : str, optional
        The executable (default :func:`~wmp_analysis.report.pdf_chromium.find_chromium`).
    timeout : float
        Seconds one DevTools call may take (a page's load, a print) before the session fails.
    what : str
        What the session is for, at the start of its error messages (``briefing.pdf``).
    """

    def __init__(
        self,
        chromium: str | None = None,
        *,
        timeout: float = PRINT_TIMEOUT,
        what: str = "briefing.pdf",
    ) -> None:
        self.what, self.timeout = what, timeout
        exe = chromium or find_chromium()
        if not exe:
            raise PdfError(f"{what}: headless Chromium was not found on PATH - {INSTALL_HINT}")
        self._tmp = Path(tempfile.mkdtemp(prefix="wmp-chromium-"))
        self._buf, self._next_id, self._stash = b"", 0, []
        self._proc: subprocess.Popen | None = None
        self._broken = False
        try:
            self._start(exe)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ the browser
    def _start(self, exe: str) -> None:
        cmd_r, self._cmd_w = os.pipe()  # we write commands, the browser reads fd 3
        self._out_r, out_w = os.pipe()  # the browser writes fd 4, we read replies
        high = []
        for fd in (cmd_r, out_w):  # above 4, so that dup2 onto 3 and 4 cannot clobber them
            high.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
            os.close(fd)
        cmd_r, out_w = high
        self._stderr = open(self._tmp / "stderr.log", "wb")  # noqa: SIM115 - closed in close()
        cmd = headless_command(
            exe,
            self._tmp / "profile",
            "--remote-debugging-pipe",
            "--hide-scrollbars",
            url="about:blank",
        )
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRAMPOLINE.format(r=cmd_r, w=out_w), *cmd],
                pass_fds=(cmd_r, out_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                start_new_session=True,
                env={**os.environ, "TZ": "UTC"},
            )
        except OSError as exc:
            raise PdfError(
                f"{self.what}: could not start Chromium ({exe}): {exc} - {INSTALL_HINT}"
            ) from exc
        finally:
            os.close(cmd_r)
            os.close(out_w)
        self.call("Target.getTargets")  # answers once the browser is up

    def _failed(self, why: str) -> PdfError:
        self._broken = True  # closed at once, not asked to close
        code = self._proc.poll() if self._proc is not None else None
        tail = ""
        try:
            self._stderr.flush()
            lines = (self._tmp / "stderr.log").read_text(errors="replace").strip().splitlines()
            tail = " | ".join(lines[-3:])[:400]
        except (OSError, ValueError):
            pass
        exit_note = f" (exit {code})" if code is not None else ""
        return PdfError(f"{self.what}: Chromium {why}{exit_note}" + (f": {tail}" if tail else ""))

    def _message(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        """The next message from the browser (a reply or an event)."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready = select.select([self._out_r], [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                raise self._failed(f"did not answer {waiting_for} within {self.timeout:.0f} s")
            chunk = os.read(self._out_r, 1 << 20)
            if not chunk:  # the browser closed its end: it has exited or is exiting
                try:
                    if self._proc is not None:
                        self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                raise self._failed("stopped")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events arriving meanwhile are kept).

        One command is in flight at a time: every reply is this command's.
        """
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._cmd_w, json.dumps(msg).encode("utf-8") + b"\0")
        except OSError as exc:
            raise self._failed(f"could not be sent {method} ({exc})") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._message(deadline, method)
            if reply.get("id") == self._next_id:
                break
            if "method" in reply:
                self._stash.append(reply)
        if "error" in reply:
            err = reply["error"]
            raise PdfError(f"{self.what}: Chromium refused {method}: {err.get('message', err)}")
        return reply.get("result", {})

    def _wait_event(self, method: str, session: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            for k, ev in enumerate(self._stash):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    del self._stash[k]
                    return
            self._stash.append(self._message(deadline, method))  # no command is in flight

    # ------------------------------------------------------------------ pages
    def _open(
        self, url: str, width: int | None = None, height: int | None = None
    ) -> tuple[str, str]:
        """A new tab showing *url*, loaded (``load`` fired); returns (target id, session id)."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session)
        if width is not None:
            self.call(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=int(width),
                height=int(height or 0),
                deviceScaleFactor=1,
                mobile=False,
            )
        self.call("Page.navigate", session, url=url)
        self._wait_event("Page.loadEventFired", session)
        return target, session

    def _close_tab(self, target: str, session: str) -> None:
        self.call("Target.closeTarget", targetId=target)
        self._stash = [e for e in self._stash if e.get("sessionId") != session]  # of no more use

    def print_pdf(self, html: str, out: Path) -> Path:
        """Print the document *html* (a file of this session's, loaded as ``file://``) to *out*."""
        doc = self._tmp / f"print-{self._next_id}.html"
        doc.write_text(html, encoding="utf-8")
        target, session = self._open(doc.as_uri())
        try:
            data = self.call("Page.printToPDF", session, **PRINT_PARAMS)["data"]
        finally:
            self._close_tab(target, session)
        pdf = base64.b64decode(data)
        if not pdf:
            raise PdfError(f"{self.what}: Chromium printed an empty PDF")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
        return out

    def screenshot(self, src: Path, out: Path, width: int, height: int) -> Path:
        """*src*'s first *height* CSS px in a window *width* px wide, as PNG into *out*."""
        target, session = self._open(Path(src).resolve().as_uri(), width, height)
        try:
            data = self.call("Page.captureScreenshot", session, format="png")["data"]
        finally:
            self._close_tab(target, session)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    # ------------------------------------------------------------------ the end
    def close(self) -> None:
        """Close the browser (asking first, then stopping its process group) and remove its files."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None and not self._broken:
                try:
                    os.write(
                        self._cmd_w,
                        json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0",
                    )
                    proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            kill_group(proc)  # the browser and its renderers, if still there
        for fd in ("_cmd_w", "_out_r"):
            if hasattr(self, fd):
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
                delattr(self, fd)
        if hasattr(self, "_stderr"):
            self._stderr.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> ChromiumSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
