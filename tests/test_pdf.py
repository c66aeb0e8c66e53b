"""briefing.pdf: one A4 document of the whole pack, printed by headless Chromium.

The pack test runs the real suite on the small synthetic sample (shared with the browser and
reproducibility tests) and reads the PDF back with pypdf: page size, page count (every page
carries "Page k of N" from the print stylesheet, and N is the PDF's own page count), the
contents' page numbers, the cover's real/synthetic statement, and the scorecard figures of
the run's own ``target_comparison.csv`` - formatted here, independently of the pack's code.
The unit tests need no browser: the print document, and the clear failure when Chromium is
missing.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from _suite_run import start_sample_pack

from wmp_analysis.report import pdf as report_pdf


def test_print_document_relinks_pages_and_drops_file_links():
    pages = [
        (
            "index.html",
            "Briefing",
            (
                '<html><head><style>p{}</style></head><body><nav class="pack-nav"><a href="x">'
                'n</a></nav><h1>Idx</h1><a href="03_target_comparison.html">Targets</a> '
                '<a href="03_target_comparison/tables/t.csv">t.csv</a> '
                '<a href="https://www.ons.gov.uk/">ONS</a><footer>f</footer></body></html>'
            ),
        ),
        (
            "03_target_comparison.html",
            "Targets",
            (
                "<html><head><style>p{}</style></head><body><h1>T</h1>"
                '<details class="unjudged"><summary>s</summary>x</details>'
                "</body></html>"
            ),
        ),
    ]
    doc = report_pdf.print_document(
        pages,
        title="A <b>title</b>",
        subtitle="s",
        statement="All real.",
        synthetic=False,
        page_numbers=[3, 5],
    )
    assert 'href="#pdf-part-2"' in doc
    assert "<a>t.csv</a>" in doc and "tables/t.csv" not in doc  # no file path of the run folder
    assert 'href="https://www.ons.gov.uk/"' in doc
    assert "pack-nav" not in doc and "<footer>" not in doc
    assert "Part 1 of 2: Briefing" in doc and "Part 2 of 2: Targets" in doc
    assert "page 3" in doc and "page 5" in doc
    assert "A &lt;b&gt;title&lt;/b&gt;" in doc
    assert '<details class="unjudged" open>' in doc  # collapsed lists are printed open
    assert "synthetic-banner" not in doc


def test_source_statement_names_real_and_synthetic_inputs(tmp_path):
    from types import SimpleNamespace

    cfg = SimpleNamespace(
        sources={
            "ons_pfa": tmp_path / "rec-crime-pfa.csv",
            "csp": None,
            "survey": tmp_path / "synthetic-survey.csv",
            "registry": tmp_path / "registry.csv",
        }
    )
    text, synth = report_pdf.source_statement(cfg)
    assert synth is True
    assert (
        text.startswith("Real public data: ons_pfa.")
        and "synthetic sample" in text
        and "survey" in text
    )
    assert "Not supplied: csp." in text and "registry" not in text
    cfg.sources = {"ons_pfa": tmp_path / "rec-crime-pfa.csv"}
    text, synth = report_pdf.source_statement(cfg)
    assert synth is False and "nothing in it is synthetic" in text


def test_missing_chromium_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WMP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert report_pdf.find_chromium() is None
    with pytest.raises(report_pdf.PdfError) as exc:
        report_pdf.chromium_print("<p>x</p>", tmp_path / "x.pdf")
    msg = str(exc.value)
    assert (
        "Chromium was not found" in msg
        and "apt-get install chromium" in msg
        and "pdf: false" in msg
    )
    assert "WMP_PDF=0" in msg
    assert not (tmp_path / "x.pdf").exists()


def test_publish_step_fails_the_run_without_chromium(tmp_path, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("WMP_CHROMIUM", str(tmp_path / "no-such-chromium"))
    (tmp_path / "index.html").write_text("<html><body><h1>x</h1></body></html>", encoding="utf-8")

    class Period:
        start, end = dt.date(2011, 4, 1), dt.date(2012, 3, 31)

    class Cfg:
        title, force, plan, sources = "T", "West Midlands", "spp-2012-15", {}
        baseline = target_period = Period()

        def option(self, key, default=None):
            return default

    results: list = []
    failed = report_pdf.publish_pdf(Cfg(), tmp_path, [], results)
    assert failed is not None and failed.status == "failed" and failed.name == "briefing.pdf"
    assert "install headless Chromium" in failed.message and results == [failed]
    assert not (tmp_path / "briefing.pdf").exists()

    class NoPdf(Cfg):
        def option(self, key, default=None):
            return False if key == "runner.pdf" else default

    assert (
        report_pdf.publish_pdf(NoPdf(), tmp_path, [], []) is None
    )  # opted out: no PDF, no failure
    assert (
        report_pdf.publish_pdf(Cfg(), tmp_path / "empty", [], []) is None
    )  # no index: nothing to print


#: The sample pack's runs start in the background when the tests are collected (``_suite_run``).
PREFETCH = {"pack": [start_sample_pack]}


# --------------------------------------------------------------------------- the real pack
@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    if report_pdf.find_chromium() is None:
        import os

        msg = "headless chromium not found (`make browser` / apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(msg + " - required in CI")
        pytest.skip(msg)
    from _suite_run import sample_pack

    got = sample_pack(tmp_path_factory, second=False)  # reads the first run only
    assert got["rc"][0] == 0, got["log"][-4000:]
    return got


def _tagged_pdf(path: Path, texts: list[str], ids: list[list[int]]) -> Path:
    """A PDF of one page per text, each drawing its text inside marked content with *ids*."""
    import pikepdf

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for text, page_ids in zip(texts, ids):
        marked = b"".join(
            b"/P <</MCID %d>> BDC BT /F1 12 Tf 72 %d Td (%s) Tj ET EMC\n"
            % (i, 700 - 20 * i, text.encode())
            for i in page_ids
        )
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(marked)
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[72, 690, 200, 712]
                    )
                ]
            )
        )
    pdf.save(path)
    return path


def test_numbered_front_pages_replace_the_drawing_and_keep_links_and_tags(tmp_path):
    from pypdf import PdfReader

    from wmp_analysis.report.pdf_chromium import replace_front_pages

    doc = _tagged_pdf(
        tmp_path / "doc.pdf", ["cover", "page ..", "part one"], [[0], [0, 1], [0, 1, 2]]
    )
    front = _tagged_pdf(tmp_path / "front.pdf", ["cover", "page 3"], [[0], [0, 1]])
    assert replace_front_pages(doc, front, 2) is True
    reader = PdfReader(str(doc))
    assert [p.extract_text() for p in reader.pages] == [
        "cover",
        "page 3\npage 3",
        "part one\npart one\npart one",
    ]
    assert all(len(p["/Annots"]) == 1 for p in reader.pages)  # each page keeps its own link


@pytest.mark.parametrize(
    "front_texts, front_ids, why",
    [
        (
            ["cover", "page 3", "more"],
            [[0], [0, 1], [0]],
            "a page more than the first print's front matter",
        ),
        (["cover", "page 3"], [[0], [0, 1, 2]], "marked content the structure tree does not know"),
    ],
)
def test_front_pages_that_do_not_fit_change_nothing(tmp_path, front_texts, front_ids, why):
    from wmp_analysis.report.pdf_chromium import replace_front_pages

    doc = _tagged_pdf(
        tmp_path / "doc.pdf", ["cover", "page ..", "part one"], [[0], [0, 1], [0, 1, 2]]
    )
    before = doc.read_bytes()
    front = _tagged_pdf(tmp_path / "front.pdf", front_texts, front_ids)
    assert replace_front_pages(doc, front, 2) is False, why
    assert doc.read_bytes() == before


def test_front_pages_replaced_then_normalised_give_the_same_bytes_twice(tmp_path):
    """No save along the way may leave its random document id (/ID) in the pack."""
    import os

    import pikepdf

    from wmp_analysis.report.pdf_chromium import normalise_pdf, replace_front_pages

    got = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        doc = _tagged_pdf(
            tmp_path / name / "doc.pdf", ["cover", "page ..", "part one"], [[0], [0, 1], [0, 1, 2]]
        )
        front = _tagged_pdf(tmp_path / name / "front.pdf", ["cover", "page 3"], [[0], [0, 1]])
        with pikepdf.open(doc, allow_overwriting_input=True) as pdf:  # as a save at another time
            pdf.trailer.ID = pikepdf.Array([pikepdf.String(os.urandom(16))] * 2)
            pdf.save(doc)
        assert replace_front_pages(doc, front, 2) is True
        got.append(normalise_pdf(doc, title="Pack").read_bytes())
    assert got[0] == got[1]


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


@pytest.mark.slow
@pytest.mark.browser
def test_briefing_pdf_pages_contents_and_scorecard(pack):
    from pypdf import PdfReader

    run_dir: Path = pack["first"]
    pdf = run_dir / "briefing.pdf"
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(str(pdf))
    n = len(reader.pages)
    pages_html = sorted(run_dir.glob("*.html"))
    # cover + contents + at least one page per HTML page; the sample pack is not a book
    assert len(pages_html) + 2 <= n <= 200, n
    for page in reader.pages:  # A4: 210 x 297 mm = 595.3 x 841.9 pt
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert math.isclose(w, 595.3, abs_tol=2) and math.isclose(h, 841.9, abs_tol=2), (w, h)
    texts = _pdf_text(pdf)
    # page numbers from the print stylesheet, on every page but the cover
    for k, t in enumerate(texts[1:], start=2):
        assert f"Page {k} of {n}" in t, f"page {k}: no 'Page {k} of {n}'"
    # the contents gives the page on which each part starts, and that page opens the part
    toc = texts[1]
    assert "Contents" in toc
    listed = re.findall(r"page (\d+)", toc)
    assert len(listed) == len(pages_html), toc
    for i, start in enumerate(int(x) for x in listed):
        assert f"Part {i + 1} of {len(pages_html)}:" in texts[start - 1]
    # ... and its entries are links to those pages (the numbered contents replaced the first
    # print's drawing of the page, not its links)
    targets = []
    for annot in reader.pages[1].get("/Annots", []):
        annot = annot.get_object()
        dest = annot.get("/Dest") or annot.get("/A", {}).get("/D")
        if dest is not None:
            dest = reader.named_destinations.get(str(dest), dest)
            targets.append(reader.get_destination_page_number(dest) + 1)
    assert targets == [int(x) for x in listed], (targets, listed)
    # cover: title and the real/synthetic statement
    cover = texts[0]
    assert "Sample pack" in cover and "synthetic sample" in cover.lower()
    # the scorecard figures of this run, formatted here from its own CSV
    comp = pd.read_csv(run_dir / "03_target_comparison" / "tables" / "target_comparison.csv")
    force = comp[
        (comp["geography"] == "West Midlands")
        & comp["status"].isin(["met", "not met"])
        & (comp["target_kind"] == "pct_change")
    ]
    assert len(force) >= 3
    whole = " ".join(" ".join(t.split()) for t in texts)
    for _, r in force.iterrows():
        for v in (r["baseline_value"], r["actual_value"]):
            assert f"{v:,.0f}" in whole, f"{r['target_id']}: {v:,.0f} not in the PDF"
        assert f"{r['pct_change']:+.1f}%" in whole, (
            f"{r['target_id']}: {r['pct_change']:+.1f}% not in the PDF"
        )
        assert f"{abs(r['pct_change']):.1f}%" in whole  # the one-line reading
    # figures: printed from their SVGs (vector, sharp); none left as a bitmap of a saved figure
    vectors = report_pdf.vector_figures(run_dir)
    assert len(vectors) >= 3
    doc = report_pdf.print_document(
        report_pdf.pack_pages(run_dir, [p.stem for p in pages_html if p.name != "index.html"]),
        title="t",
        subtitle="s",
        statement="x",
        synthetic=True,
        vectors=vectors,
    )
    assert doc.count("data:image/svg+xml;base64,") >= len(vectors)
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", doc)
    import base64
    import hashlib

    assert not [p for p in pngs if hashlib.sha256(base64.b64decode(p)).hexdigest() in vectors]
    # the figures' words are text in the PDF (SVG text, not outlines): the comparator charts'
    # axis label, which no page has as HTML text, is found by pypdf
    assert "change, % (95% interval)" in whole
    assert "rp-run-one" not in whole and ".staging" not in whole  # nothing run-specific printed
    # the run keeps screenshots of the index and a section page at desktop and phone width
    for shot in (
        "index-1366px",
        "index-390px",
        "03_target_comparison-1366px",
        "03_target_comparison-390px",
    ):
        png = run_dir / "screenshots" / f"{shot}.png"
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


@pytest.mark.browser
def test_two_prints_of_the_same_document_are_byte_identical(tmp_path):
    """Chromium stamps the print time and DOM node numbers; normalise_pdf removes both."""
    if report_pdf.find_chromium() is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("headless chromium not found - required in CI")
        pytest.skip("headless chromium not found")
    from pypdf import PdfReader

    doc = (
        "<html><head><style>section{break-before:page}</style></head><body><h1>Pack</h1>"
        + "".join(
            f'<section id="pdf-part-{k}"><table><tr><th>h</th></tr><tr><td>{k}</td></tr></table></section>'
            for k in range(1, 4)
        )
        + "</body></html>"
    )
    got = []
    for name in ("a", "b"):
        out = tmp_path / name / "briefing.pdf"
        report_pdf.chromium_print(doc, out)
        report_pdf.normalise_pdf(out, title="Pack")
        got.append(out.read_bytes())
    assert got[0] == got[1]
    meta = PdfReader(str(tmp_path / "a" / "briefing.pdf")).metadata
    assert "/CreationDate" not in meta and "/ModDate" not in meta and meta["/Title"] == "Pack"
