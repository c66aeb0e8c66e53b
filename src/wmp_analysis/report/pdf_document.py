"""The print document: the pack's pages joined into one HTML file for Chromium to print.

Part of :mod:`wmp_analysis.report.pdf` (which re-exports these names).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from collections.abc import Sequence
from pathlib import Path

from wmp_analysis.report.outputs import SYNTHETIC_NOTE

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


# --------------------------------------------------------------------------- the print document
_BODY = re.compile(r"<body[^>]*>(?P<body>.*)</body>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<head>.*?<style>(?P<css>.*?)</style>", re.DOTALL | re.IGNORECASE)
_NAV = re.compile(r'<nav class="pack-nav">.*?</nav>', re.DOTALL)
_FOOTER = re.compile(r"<footer>.*?</footer>", re.DOTALL)
_HREF = re.compile(r'\shref="(?P<href>[^"]*)"')
_TITLE_H1 = re.compile(r"<h1>(?P<h1>.*?)</h1>", re.DOTALL)
#: A page's scripts (fit_tables.html: wide tables as cards on screen): nothing to do in print.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def _page_parts(page_html: str) -> tuple[str, str]:
    """(css, body without the navigation bar and the footer) of one pack page."""
    css_m, body_m = _STYLE.search(page_html), _BODY.search(page_html)
    css = css_m.group("css") if css_m else ""
    body = body_m.group("body") if body_m else page_html
    return css, _SCRIPT.sub("", _FOOTER.sub("", _NAV.sub("", body)))


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
    front_of: int | None = None,
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
    front_of : int, optional
        Print only the cover and the contents, numbered as the first pages of a document
        of *front_of* pages (their footers read "Page 2 of <front_of>"): the pages that
        replace the first print's front matter once the page numbers are known.
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
    if front_of is not None:  # the footer's total is the whole document's, not these pages'
        css_total = (
            '@page { @bottom-center { content: "Page " counter(page) " of '
            f'{int(front_of)}"; }} }}\n@page :first {{ @bottom-center {{ content: none; }} }}'
        )
        parts = []
    else:
        css_total = ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)}</title>\n<style>\n{css}\n{PRINT_CSS}\n{css_total}</style>\n</head>\n<body>\n"
        f"{cover}\n{toc}\n" + "\n".join(parts) + "\n</body>\n</html>\n"
    )
