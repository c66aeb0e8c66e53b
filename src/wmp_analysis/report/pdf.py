"""The whole briefing pack as one A4 PDF, ``briefing.pdf``, printed from the pack's own HTML.

:func:`write_briefing_pdf` joins the run folder's pages into one print document - a cover
(title, force, plan, periods and which inputs are real and which synthetic), a contents page
with page numbers, the index, then each section page - and prints it with headless
Chromium (DevTools ``Page.printToPDF`` in one browser that also takes the screenshots, as
``--print-to-pdf`` prints: :mod:`wmp_analysis.report.chromium_session`; page numbers come from
CSS ``@page`` margin boxes, so Chromium's
own header and footer, which carry a date and the file URL, are switched off). Figures are
printed from each figure's saved SVG (vector, sharp at any zoom) where the page shows
its saved PNG.

Deterministic: the print document holds nothing run-specific (no paths, run ids or dates),
and :func:`normalise_pdf` rewrites the PDF with fixed metadata (no creation or modification
date, a document id derived from the content), so the same pack gives the same bytes.

Chromium missing: the runner fails the run with :class:`PdfError` naming what to install
(a scheduled run must not publish a pack without the PDF the office circulates) unless the
config says ``runner: {pdf: false}`` (or the environment ``WMP_PDF=0``), in which case no PDF is
written and the index says so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wmp_analysis.report.chromium_session import ChromiumSession
from wmp_analysis.report.pdf_chromium import (
    CHROMIUM_NAMES,
    INSTALL_HINT,
    PRINT_TIMEOUT,
    PdfError,
    _part_pages,
    chromium_print,
    find_chromium,
    normalise_pdf,
    replace_front_pages,
)
from wmp_analysis.report.pdf_document import (
    PRINT_CSS,
    print_document,
    source_statement,
    vector_figures,
)

#: The PDF step's public names, wherever they are defined (Chromium: pdf_chromium; the print
#: document: pdf_document; assembling the pack and publishing: here).
__all__ = [
    "CHROMIUM_NAMES",
    "INSTALL_HINT",
    "PDF_ENV",
    "PDF_NAME",
    "PRINT_CSS",
    "PRINT_TIMEOUT",
    "PdfError",
    "PdfFailure",
    "chromium_print",
    "find_chromium",
    "normalise_pdf",
    "pack_pages",
    "pdf_enabled",
    "print_document",
    "publish_pdf",
    "source_statement",
    "vector_figures",
    "write_briefing_pdf",
    "write_screenshots",
]

#: File name of the PDF in the run folder.
PDF_NAME = "briefing.pdf"

#: Environment variable that switches the PDF off for one run (``WMP_PDF=0``), like
#: ``runner: {pdf: false}`` in the config.
PDF_ENV = "WMP_PDF"
_OFF = ("false", "no", "0", "off")


def pdf_enabled(cfg) -> bool:
    """Whether the run prints ``briefing.pdf``: ``runner.pdf`` in the config (default True),
    unless the environment says ``WMP_PDF=0``."""
    if os.environ.get(PDF_ENV, "").strip().lower() in _OFF:
        return False
    opt = cfg.option("runner.pdf", True) if hasattr(cfg, "option") else True
    return bool(opt) and str(opt).strip().lower() not in _OFF


def pack_pages(run_dir: Path, sections: Sequence[str]) -> list[tuple[str, str, str]]:
    """(file, label, html) of ``index.html`` and each section page present, in order."""
    from wmp_analysis.report.pages import section_label

    pages = []
    for name, label in [("index.html", "Briefing: headline page")] + [
        (f"{s}.html", section_label(s)) for s in sections
    ]:
        p = run_dir / name
        if p.is_file():
            pages.append((name, label, p.read_text(encoding="utf-8")))
    return pages


def write_briefing_pdf(
    run_dir: str | Path,
    *,
    title: str,
    subtitle: str,
    statement: str,
    synthetic: bool,
    sections: Sequence[str],
    chromium: str | None = None,
    browser: ChromiumSession | None = None,
) -> Path:
    """Write ``<run_dir>/briefing.pdf`` (two passes: the second fills in the contents' page numbers).

    Both passes print in *browser* when given (else in one browser started here).

    Returns
    -------
    Path
        The PDF. Raises :class:`PdfError` when it cannot be written.
    """
    run_dir = Path(run_dir)
    pages = pack_pages(run_dir, sections)
    if not pages:
        raise PdfError(f"briefing.pdf: no pages in {run_dir.name} to print")
    out = run_dir / PDF_NAME
    kw: dict[str, Any] = {
        "title": title,
        "subtitle": subtitle,
        "statement": statement,
        "synthetic": synthetic,
        "vectors": vector_figures(run_dir),
    }
    with _session(browser, chromium, "briefing.pdf") as browser:
        return _print_pack(pages, out, kw, title, browser)


def _session(browser: ChromiumSession | None, chromium: str | None, what: str):
    """*browser* (left open), else a browser of its own for the ``with`` block."""
    return nullcontext(browser) if browser is not None else ChromiumSession(chromium, what=what)


def _print_pack(pages, out: Path, kw: dict, title: str, browser: ChromiumSession) -> Path:
    """Print the pack, then its front matter again with the page numbers (see above)."""
    browser.print_pdf(print_document(pages, **kw), out)
    numbers = _part_pages(out, len(pages))
    if all(numbers):  # the cover and contents again, now numbered, in place of the first ones
        with tempfile.TemporaryDirectory(prefix="wmp-front-") as tmp:
            front = browser.print_pdf(
                print_document(pages, page_numbers=numbers, front_of=_page_count(out), **kw),
                Path(tmp) / "front.pdf",
            )
            if replace_front_pages(out, front, int(numbers[0]) - 1):
                return normalise_pdf(out, title=title)
    # the numbered front matter did not fit the first print's: print the whole document again
    browser.print_pdf(print_document(pages, page_numbers=numbers, **kw), out)
    return normalise_pdf(out, title=title)


def _page_count(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return len(doc.pages)


#: Pages and window widths (CSS px) of the screenshots kept in ``screenshots/`` of a run.
SCREENSHOTS = (
    ("index", 1366),
    ("index", 390),
    ("03_target_comparison", 1366),
    ("03_target_comparison", 390),
)


def write_screenshots(
    run_dir: Path,
    *,
    chromium: str | None = None,
    shots=SCREENSHOTS,
    height: int = 2400,
    browser: ChromiumSession | None = None,
) -> list[Path]:
    """``screenshots/<page>-<width>px.png`` of the index and a section page, desktop and phone.

    The top *height* pixels of each page in a window of that width, each in a new tab of
    *browser* (else of one browser started here). Not part of the pack's checksums (the
    manifest and the reproducibility test leave ``screenshots/`` out). Returns the files
    written, in the order of *shots*.
    """
    todo = [
        (
            Path(run_dir) / f"{page}.html",
            Path(run_dir) / "screenshots" / f"{page}-{width}px.png",
            width,
        )
        for page, width in shots
        if (Path(run_dir) / f"{page}.html").is_file()
    ]
    with _session(browser, chromium, "screenshots") as browser:
        return [_screenshot(browser, *job, height) for job in todo]


def _screenshot(browser: ChromiumSession, src: Path, out: Path, width: int, height: int) -> Path:
    try:
        return browser.screenshot(src, out, width, height)
    except PdfError as exc:
        raise PdfError(f"screenshots: {src.name} at {width} px: {exc}") from exc


@dataclass
class PdfFailure:
    """Why briefing.pdf could not be written: *name* ``briefing.pdf``, *status* ``failed``,
    *seconds* spent, *message* for the console."""

    name: str
    status: str
    seconds: float
    message: str


def publish_pdf(cfg, run_dir: Path, sections: Sequence[str], results: list) -> PdfFailure | None:
    """The runner's publish step: write the PDF into the staging folder before it is published.

    Returns ``None`` when the PDF was written (or is not wanted: ``runner.pdf`` false, or
    the run has no ``index.html`` - the briefing summary was not part of it); otherwise a
    :class:`PdfFailure` named ``briefing.pdf``, appended to *results*, which the runner
    reports like a failed notebook (the run fails and ``latest`` is untouched).
    """
    import time

    if not pdf_enabled(cfg) or not (Path(run_dir) / "index.html").is_file():
        return None
    t0 = time.monotonic()
    statement, synthetic = source_statement(cfg)
    subtitle = (
        f"Force: {cfg.force}. Plan: {cfg.plan}. Baseline {cfg.baseline.start:%Y-%m-%d} to "
        f"{cfg.baseline.end:%Y-%m-%d}; target period {cfg.target_period.start:%Y-%m-%d} to "
        f"{cfg.target_period.end:%Y-%m-%d}."
    )
    # one browser prints the pack, then takes the screenshots (diagnostics for the reader's
    # eye, not part of the pack: a failure there is only reported)
    try:
        with ChromiumSession() as browser:
            write_briefing_pdf(
                run_dir,
                title=cfg.title,
                subtitle=subtitle,
                statement=statement,
                synthetic=synthetic,
                sections=sections,
                browser=browser,
            )
            try:
                shots = write_screenshots(run_dir, browser=browser)
            except (PdfError, OSError) as exc:
                print(f"note: screenshots not written: {exc}", flush=True)
                shots = []
    except Exception as exc:
        res = PdfFailure(
            PDF_NAME,
            "failed",
            time.monotonic() - t0,
            str(exc) if isinstance(exc, PdfError) else f"briefing.pdf: {type(exc).__name__}: {exc}",
        )
        results.append(res)
        return res
    print(
        f"briefing.pdf written, {len(shots)} screenshots, in {time.monotonic() - t0:.1f} s",
        flush=True,
    )
    return None
