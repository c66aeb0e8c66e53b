"""The whole briefing pack as one A4 PDF, ``briefing.pdf``, printed from the pack's own HTML.

:func:`write_briefing_pdf` joins the run folder's pages into one print document - a cover
(title, force, plan, periods and which inputs are real and which synthetic), a contents page
with page numbers, the index, then each section page - and prints it with headless
Chromium (``--print-to-pdf``; page numbers come from CSS ``@page`` margin boxes, so Chromium's
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

import hashlib
import html as htmllib
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wmp_analysis.report.outputs import SYNTHETIC_NOTE

#: File name of the PDF in the run folder.
PDF_NAME = "briefing.pdf"
#: Seconds Chromium may take to print the pack.
PRINT_TIMEOUT = 300
#: Executable names tried, in order, on PATH (or the ``WMP_CHROMIUM`` environment variable).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install headless Chromium (Debian/Ubuntu: `sudo apt-get install chromium`, or `make browser`), "
    "or set `runner: {pdf: false}` in the config (or WMP_PDF=0 in the environment) to publish "
    "the pack without briefing.pdf"
)

#: Extra print CSS for the joined document: margins, page numbers, one page break per part.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 8.5pt; color: #555; } }
@page :first { @bottom-center { content: none; } }
html { font-size: 10pt; }
body { max-width: none; padding: 0; }
section.pdf-part { break-before: page; }
section.pdf-cover { text-align: left; padding-top: 35mm; }
section.pdf-cover h1 { font-size: 22pt; margin-bottom: 8mm; }
section.pdf-cover .statement { font-size: 11pt; border-left: 4px solid #1d4e89; padding: 2mm 4mm; margin: 6mm 0; }
section.pdf-cover .statement.synthetic { border-color: #b00020; }
ol.pdf-contents { font-size: 11pt; line-height: 2; padding-left: 6mm; }
ol.pdf-contents .pn { float: right; }
.pdf-part-label { color: #555; font-size: 9pt; margin: 0; }
details > summary { list-style: none; }
.table-wrap, .wmp-table, .jp-OutputArea-output { overflow: visible !important; }
table { font-size: 7.5pt; }
img { max-width: 100%; height: auto; }
"""


class PdfError(RuntimeError):
    """The PDF could not be written (Chromium missing, failed or timed out)."""


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium, or None (``WMP_CHROMIUM`` overrides PATH)."""
    override = os.environ.get("WMP_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


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


# --------------------------------------------------------------------------- the print document
_BODY = re.compile(r"<body[^>]*>(?P<body>.*)</body>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<head>.*?<style>(?P<css>.*?)</style>", re.DOTALL | re.IGNORECASE)
_NAV = re.compile(r'<nav class="pack-nav">.*?</nav>', re.DOTALL)
_FOOTER = re.compile(r"<footer>.*?</footer>", re.DOTALL)
_HREF = re.compile(r'\shref="(?P<href>[^"]*)"')
_TITLE_H1 = re.compile(r"<h1>(?P<h1>.*?)</h1>", re.DOTALL)


def _page_parts(page_html: str) -> tuple[str, str]:
    """(css, body without the navigation bar and the footer) of one pack page."""
    css_m, body_m = _STYLE.search(page_html), _BODY.search(page_html)
    css = css_m.group("css") if css_m else ""
    body = body_m.group("body") if body_m else page_html
    return css, _FOOTER.sub("", _NAV.sub("", body))


def _relink(body: str, anchors: dict[str, str]) -> str:
    """Links to other pages -> in-document anchors; other relative links (CSVs) lose their
    href (their text names the file), so no path of the run folder reaches the PDF."""

    def sub(m: re.Match) -> str:
        href = m.group("href")
        if href.startswith(("#", "http://", "https://", "mailto:")):
            return m.group(0)
        page = href.split("#", 1)[0]
        if page in anchors:
            return f' href="#{anchors[page]}"'
        return ""

    return _HREF.sub(sub, body)


def source_statement(cfg) -> tuple[str, bool]:
    """(one sentence saying which inputs are real and which synthetic, any synthetic).

    Reads ``cfg.sources`` (key -> path or None) and marks each path with
    :func:`wmp_analysis.provenance.is_synthetic`.
    """
    from wmp_analysis.provenance import is_synthetic

    real, synth, absent = [], [], []
    for key, path in sorted(getattr(cfg, "sources", {}).items()):
        if key == "registry":
            continue
        if path is None:
            absent.append(key)
        elif is_synthetic(path):
            synth.append(key)
        else:
            real.append(key)
    if not synth:
        text = (
            "Every input of this pack is real public data"
            + (f" ({', '.join(real)})" if real else "")
            + "; nothing in it is synthetic."
        )
    elif not real:
        text = f"{SYNTHETIC_NOTE}: every input of this pack ({', '.join(synth)}) is from the synthetic sample."
    else:
        text = (
            f"Real public data: {', '.join(real)}. From the synthetic sample (generated, not real figures; "
            f"marked on every page that uses it): {', '.join(synth)}."
        )
    if absent:
        text += f" Not supplied: {', '.join(absent)}."
    return text, bool(synth)


_PNG_SRC = re.compile(r'src="data:image/png;base64,(?P<data>[A-Za-z0-9+/=\s]+)"')


def vector_figures(run_dir: Path) -> dict[str, bytes]:
    """``sha256 of a saved figure's PNG -> its SVG`` for every ``*/figures/<name>.png|svg`` pair.

    The pages show each figure's saved PNG; the print document swaps it for the same
    figure's SVG so that figures stay sharp at any zoom of the PDF.
    """
    out = {}
    for png in sorted(Path(run_dir).glob("*/figures/*.png")):
        svg = png.with_suffix(".svg")
        if svg.is_file():
            out[hashlib.sha256(png.read_bytes()).hexdigest()] = svg.read_bytes()
    return out


def _sharpen(body: str, vectors: dict[str, bytes]) -> str:
    """Replace embedded PNGs that are saved figures by their SVG (see :func:`vector_figures`)."""
    import base64

    if not vectors:
        return body

    def sub(m: re.Match) -> str:
        try:
            png = base64.b64decode("".join(m.group("data").split()), validate=True)
        except ValueError:
            return m.group(0)
        svg = vectors.get(hashlib.sha256(png).hexdigest())
        if svg is None:
            return m.group(0)
        return 'src="data:image/svg+xml;base64,' + base64.b64encode(svg).decode("ascii") + '"'

    return _PNG_SRC.sub(sub, body)


def print_document(
    pages: Sequence[tuple[str, str, str]],
    *,
    title: str,
    subtitle: str,
    statement: str,
    synthetic: bool,
    page_numbers: Sequence[int | None] | None = None,
    vectors: dict[str, bytes] | None = None,
) -> str:
    """The HTML that is printed: cover, contents, then one part per page.

    Parameters
    ----------
    pages : sequence of (file name, label, page html)
        The pack's pages in order (``index.html`` first).
    title, subtitle, statement : str
        Cover texts (escaped here).
    page_numbers : sequence, optional
        The PDF page on which each part starts (1-based), for the contents; ``None``
        prints ``..`` placeholders (first pass).
    vectors : dict, optional
        :func:`vector_figures` of the run: figures printed as SVG instead of PNG.
    """
    anchors = {name: f"pdf-part-{i + 1}" for i, (name, _, _) in enumerate(pages)}
    css = ""
    parts = []
    for i, (name, label, page_html) in enumerate(pages):
        page_css, body = _page_parts(page_html)
        css = css or page_css
        body = _relink(_sharpen(body, vectors or {}), anchors)
        body = body.replace('<details class="unjudged">', '<details class="unjudged" open>')
        parts.append(
            f'<section class="pdf-part" id="{anchors[name]}">'
            f'<p class="pdf-part-label">Part {i + 1} of {len(pages)}: {htmllib.escape(label)}</p>\n'
            f"{body}\n</section>"
        )
    nums = list(page_numbers) if page_numbers is not None else [None] * len(pages)
    contents = "\n".join(
        f'<li><a href="#{anchors[name]}">{htmllib.escape(label)}</a>'
        f'<span class="pn">{"page " + str(n) if n else "page .."}</span></li>'
        for (name, label, _), n in zip(pages, nums)
    )
    e = htmllib.escape
    cover = (
        f'<section class="pdf-cover"><h1>{e(title)}</h1><p>{e(subtitle)}</p>'
        f'<p class="statement{" synthetic" if synthetic else ""}">{e(statement)}</p>'
        + (f'<div class="synthetic-banner">{e(SYNTHETIC_NOTE)}</div>' if synthetic else "")
        + '<p class="note">The briefing pack of wmp-analysis as one document: the headline page, then each '
        "section. Tables and figures are those of the HTML pack; the machine-readable tables (CSV) and "
        "the run's provenance (manifest.json) are in the run folder beside this file.</p></section>"
    )
    toc = (
        f'<section class="pdf-part pdf-toc"><h2>Contents</h2><ol class="pdf-contents">\n{contents}\n</ol>'
        "</section>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)}</title>\n<style>\n{css}\n{PRINT_CSS}\n</style>\n</head>\n<body>\n"
        f"{cover}\n{toc}\n" + "\n".join(parts) + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- printing
def chromium_print(
    html: str, out: Path, *, chromium: str | None = None, timeout: float = PRINT_TIMEOUT
) -> Path:
    """Print *html* to *out* with headless Chromium (fresh profile, no network).

    Raises
    ------
    PdfError
        Chromium not found, exited non-zero, timed out or wrote no PDF.
    """
    exe = chromium or find_chromium()
    if not exe:
        raise PdfError(f"briefing.pdf: headless Chromium was not found on PATH - {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="wmp-pdf-") as tmp:
        doc = Path(tmp) / "briefing-print.html"
        doc.write_text(html, encoding="utf-8")
        target = Path(tmp) / "out.pdf"
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}",
            doc.as_uri(),
        ]
        try:
            got = subprocess.run(
                cmd,
                check=False,
                capture_output=True,
                text=True,
                timeout=timeout,
                start_new_session=True,
                env={**os.environ, "TZ": "UTC"},
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfError(
                f"briefing.pdf: Chromium did not finish printing within {timeout:.0f} s"
            ) from exc
        except OSError as exc:
            raise PdfError(
                f"briefing.pdf: could not start Chromium ({exe}): {exc} - {INSTALL_HINT}"
            ) from exc
        if got.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            tail = (got.stderr or "").strip().splitlines()[-3:]
            raise PdfError(
                f"briefing.pdf: Chromium failed (exit {got.returncode}): {' | '.join(tail)[:400]}"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, out)
    return out


def normalise_pdf(path: Path, *, title: str) -> Path:
    """Rewrite *path* with fixed metadata so the same pages give the same bytes.

    Removes the creation and modification dates Chromium writes, sets Title / Producer,
    and sets the document id (``/ID``) to a hash of the page content.
    """
    import logging

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    logging.getLogger("pypdf").setLevel(
        logging.ERROR
    )  # Chromium's trailer /Size is often short: harmless
    reader = PdfReader(str(path))
    writer = PdfWriter(clone_from=reader)
    content = hashlib.sha256()
    for page in reader.pages:
        data = page.get_contents()
        content.update(data.get_data() if data is not None else b"")
    _renumber_structure_ids(writer)
    # replaces Chromium's info dictionary (its /CreationDate and /ModDate are the print time)
    writer.metadata = {
        "/Title": title,
        "/Producer": "wmp-analysis (Chromium print)",
        "/Creator": "wmp-analysis",
    }
    ident = ByteStringObject(content.digest()[:16])
    writer._ID = ArrayObject([ident, ident])
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


_NODE_ID = re.compile(r"^node(\d+)$")


def _renumber_structure_ids(writer) -> None:
    """Number the structure elements' ids ``node00000001``, ``node00000002``... by rank.

    Chromium tags the PDF (headings, tables, reading order) and names each structure
    element after its DOM node number, which shifts between prints of the same page. The
    ids are replaced by their rank among all ids - the same for the same pages, and in the
    same order, so the ``/IDTree`` stays sorted and table cells' ``/Headers`` still match.
    """
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        TextStringObject,
    )

    found: set[int] = set()

    def visit(obj, fn, seen):
        if isinstance(obj, IndirectObject):
            return
        if isinstance(obj, DictionaryObject):
            for k in list(obj.keys()):
                v = obj.raw_get(
                    k
                )  # no resolving of indirect references: each object is visited once
                if isinstance(v, str):
                    obj[k] = fn(v)
                else:
                    visit(v, fn, seen)
        elif isinstance(obj, ArrayObject):
            for i, v in enumerate(list.__iter__(obj)):
                if isinstance(v, str):
                    list.__setitem__(obj, i, fn(v))
                else:
                    visit(v, fn, seen)

    def collect(v):
        m = _NODE_ID.match(str(v))
        if m:
            found.add(int(m.group(1)))
        return v

    objects = [o for o in writer._objects if isinstance(o, (DictionaryObject, ArrayObject))]
    for o in objects:
        visit(o, collect, None)
    if not found:
        return
    rank = {n: i + 1 for i, n in enumerate(sorted(found))}

    def renumber(v):
        m = _NODE_ID.match(str(v))
        if not m:
            return v
        return TextStringObject(f"node{rank[int(m.group(1))]:08d}")

    for o in objects:
        visit(o, renumber, None)


def _part_pages(pdf: Path, n_parts: int) -> list[int | None]:
    """1-based page on which part k starts, k = 1..n, from the PDF's named destinations.

    Chromium turns each ``id`` an in-document link points at into a named destination;
    the parts are ``#pdf-part-<k>`` (see :func:`print_document`).
    """
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(str(pdf))
    dests = reader.named_destinations
    found: list[int | None] = []
    for k in range(1, n_parts + 1):
        d = dests.get(f"/pdf-part-{k}")
        found.append(None if d is None else reader.get_destination_page_number(d) + 1)
    return found


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
) -> Path:
    """Write ``<run_dir>/briefing.pdf`` (two passes: the second fills in the contents' page numbers).

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
    chromium_print(print_document(pages, **kw), out, chromium=chromium)
    numbers = _part_pages(out, len(pages))
    chromium_print(print_document(pages, page_numbers=numbers, **kw), out, chromium=chromium)
    return normalise_pdf(out, title=title)


#: Pages and window widths (CSS px) of the screenshots kept in ``screenshots/`` of a run.
SCREENSHOTS = (
    ("index", 1366),
    ("index", 390),
    ("03_target_comparison", 1366),
    ("03_target_comparison", 390),
)


def write_screenshots(
    run_dir: Path, *, chromium: str | None = None, shots=SCREENSHOTS, height: int = 2400
) -> list[Path]:
    """``screenshots/<page>-<width>px.png`` of the index and a section page, desktop and phone.

    The top *height* pixels of each page in a window of that width (Chromium
    ``--screenshot``). Not part of the pack's checksums (the manifest and the
    reproducibility test leave ``screenshots/`` out). Returns the files written.
    """
    exe = chromium or find_chromium()
    if not exe:
        raise PdfError(f"screenshots: headless Chromium was not found on PATH - {INSTALL_HINT}")
    written = []
    for page, width in shots:
        src = Path(run_dir) / f"{page}.html"
        if not src.is_file():
            continue
        out = Path(run_dir) / "screenshots" / f"{page}-{width}px.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="wmp-shot-") as tmp:
            cmd = [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                src.resolve().as_uri(),
            ]
            got = subprocess.run(
                cmd,
                check=False,
                capture_output=True,
                text=True,
                timeout=120,
                start_new_session=True,
            )
        if got.returncode != 0 or not out.is_file():
            raise PdfError(
                f"screenshots: Chromium failed on {src.name} at {width} px (exit {got.returncode})"
            )
        written.append(out)
    return written


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
    try:
        write_briefing_pdf(
            run_dir,
            title=cfg.title,
            subtitle=subtitle,
            statement=statement,
            synthetic=synthetic,
            sections=sections,
        )
    except Exception as exc:
        res = PdfFailure(
            PDF_NAME,
            "failed",
            time.monotonic() - t0,
            str(exc) if isinstance(exc, PdfError) else f"briefing.pdf: {type(exc).__name__}: {exc}",
        )
        results.append(res)
        return res
    try:  # diagnostics for the reader's eye, not part of the pack: a failure is only reported
        shots = write_screenshots(run_dir)
    except (PdfError, OSError, subprocess.SubprocessError) as exc:
        print(f"note: screenshots not written: {exc}", flush=True)
        shots = []
    print(
        f"briefing.pdf written, {len(shots)} screenshots, in {time.monotonic() - t0:.1f} s",
        flush=True,
    )
    return None
