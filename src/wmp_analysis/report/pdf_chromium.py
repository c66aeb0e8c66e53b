"""Headless Chromium: finding it, printing a document to PDF, and fixing the PDF's bytes.

Part of :mod:`wmp_analysis.report.pdf` (which re-exports these names).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Seconds Chromium may take to print the pack.
PRINT_TIMEOUT = 300
#: Executable names tried, in order, on PATH (or the ``WMP_CHROMIUM`` environment variable).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install headless Chromium (Debian/Ubuntu: `sudo apt-get install chromium`, or `make browser`), "
    "or set `runner: {pdf: false}` in the config (or WMP_PDF=0 in the environment) to publish "
    "the pack without briefing.pdf"
)


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
