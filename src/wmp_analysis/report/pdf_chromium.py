"""Headless Chromium: finding it, printing a document to PDF, and fixing the PDF's bytes.

Part of :mod:`wmp_analysis.report.pdf` (which re-exports these names).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

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
#: The flags of every headless Chromium the pack starts: no GPU, no sandbox (containers), no
#: network at all (every name resolves to nothing), no first-run work, a throwaway profile.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def headless_command(exe: str, profile: Path, *flags: str, url: str) -> list[str]:
    """The command line of one headless Chromium: :data:`HEADLESS_FLAGS`, *flags*, then *url*."""
    return [exe, *HEADLESS_FLAGS, f"--user-data-dir={profile}", *flags, url]


def chromium_print(
    html: str,
    out: Path,
    *,
    chromium: str | None = None,
    timeout: float = PRINT_TIMEOUT,
) -> Path:
    """Print *html* to *out* with headless Chromium (fresh profile, no network).

    One browser started for this print (the PDF step prints in one
    :class:`~wmp_analysis.report.chromium_session.ChromiumSession` of its own).

    Raises
    ------
    PdfError
        Chromium not found, exited, timed out or wrote no PDF.
    """
    from wmp_analysis.report.chromium_session import ChromiumSession

    with ChromiumSession(chromium, timeout=timeout) as session:
        return session.print_pdf(html, out)


def normalise_pdf(path: Path, *, title: str) -> Path:
    """Rewrite *path* with fixed metadata so the same pages give the same bytes.

    Replaces Chromium's info dictionary (its ``/CreationDate`` and ``/ModDate`` are the
    print time) with Title / Producer / Creator, renumbers the structure elements' ids
    (:func:`_renumber_structure_ids`) and sets the document id (``/ID``) from the content
    (qpdf's deterministic id). An id already in the file is dropped first: qpdf keeps the
    first half of an existing id, and one written by an earlier save (for instance
    :func:`replace_front_pages`'s) is random. Rewritten by pikepdf (qpdf): only objects
    reachable from the document are written, so the old dates do not survive.
    """
    import pikepdf

    with pikepdf.open(path) as pdf:
        if "/ID" in pdf.trailer:
            del pdf.trailer.ID
        _renumber_structure_ids(pdf)
        pdf.docinfo = pdf.make_indirect(
            pikepdf.Dictionary(
                Title=pikepdf.String(title),
                Producer=pikepdf.String("wmp-analysis (Chromium print)"),
                Creator=pikepdf.String("wmp-analysis"),
            )
        )
        buf = io.BytesIO()
        pdf.save(buf, deterministic_id=True)
    path.write_bytes(buf.getvalue())
    return path


def replace_front_pages(path: Path, front: Path, count: int) -> bool:
    """Give the first *count* pages of *path* the drawing of *front*'s pages, in place.

    The briefing's first print has placeholder page numbers in its contents; the cover
    and contents printed again with the numbers (:func:`print_document` ``front_of``) take
    the place of the old ones: each page keeps its object, its links (``/Annots``) and its
    place in the structure tree, and takes the new page's content stream and resources.
    Done only when *front* has exactly *count* pages whose marked-content ids (the
    structure tree's references into a page) are those of the pages they replace, so the
    tags still point at the same text; otherwise nothing is changed and False returned.
    """
    import pikepdf

    with pikepdf.open(path, allow_overwriting_input=True) as pdf, pikepdf.open(front) as new:
        if count < 1 or len(new.pages) != count or len(pdf.pages) < count:
            return False
        pairs = list(zip(pdf.pages[:count], new.pages))
        if any(_marked_ids(old) != _marked_ids(got) for old, got in pairs):
            return False
        for old, got in pairs:
            for key in ("/Contents", "/Resources"):
                part = got.obj[key]
                old.obj[key] = pdf.copy_foreign(
                    part if part.is_indirect else new.make_indirect(part)
                )
        pdf.save(path, deterministic_id=True)
    return True


def _marked_ids(page) -> list[int]:
    """The ``/MCID`` of every marked-content sequence on *page*, in drawing order."""
    import pikepdf

    ids = []
    for operands, _op in pikepdf.parse_content_stream(page, "BDC"):
        props = operands[1] if len(operands) > 1 else None
        if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
            ids.append(int(props.MCID))
    return ids


_NODE_ID = re.compile(rb"^node(\d+)$")


def _renumber_structure_ids(pdf) -> None:
    """Number the structure elements' ids ``node00000001``, ``node00000002``... by rank.

    Chromium tags the PDF (headings, tables, reading order) and names each structure
    element after its DOM node number, which shifts between prints of the same page. The
    ids are replaced by their rank among all ids - the same for the same pages, and in the
    same order, so the ``/IDTree`` stays sorted and table cells' ``/Headers`` still match.
    Every string of every object (and of the direct dictionaries and arrays inside it) that
    reads ``node<digits>`` is an id.
    """
    import pikepdf

    found: list[tuple[Any, Any, int]] = []  # (container, key or index, node number)

    def visit(obj) -> None:
        items = obj.items() if isinstance(obj, pikepdf.Dictionary) else enumerate(obj)
        for k, v in items:
            if isinstance(v, pikepdf.String):
                m = _NODE_ID.match(bytes(v))
                if m:
                    found.append((obj, k, int(m.group(1))))
            elif isinstance(v, (pikepdf.Dictionary, pikepdf.Array)) and not v.is_indirect:
                visit(v)  # an indirect one is visited as an object of its own

    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
            visit(obj)
    rank = {n: i + 1 for i, n in enumerate(sorted({n for _, _, n in found}))}
    for obj, k, n in found:
        obj[k] = pikepdf.String(f"node{rank[n]:08d}")


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
