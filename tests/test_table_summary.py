"""Issue 12, the briefing pack: a long table is a short summary plus a link to its full CSV;
a page shows one heading and (when synthetic) one synthetic statement.

Expectations are worked by hand from frames built here, not from the functions under test.
"""

from __future__ import annotations

import contextlib
import io
import re
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from wmp_analysis.report import outputs
from wmp_analysis.report.outputs import SYNTHETIC_NOTE
from wmp_analysis.report.page_export import export_notebook_html, page_links
from wmp_analysis.report.section import banner_html
from wmp_analysis.report.tables import MAX_ROWS, SUMMARY_ROWS, table_html

DISTRICTS = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall"]


class _Cells(HTMLParser):
    """Body rows (``<td>`` text) and links of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.rows, self.links, self._row, self._td = [], [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "td":
            self._td = ""
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None:
            self._row.append(self._td.strip())
            self._td = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._td is not None:
            self._td += data


def parse(fragment: str) -> _Cells:
    p = _Cells()
    p.feed(fragment)
    return p


def comparison_122() -> pd.DataFrame:
    """122 rows as the target comparison has them: 31 force rows, then 91 district rows
    (13 targets x 7 districts); statuses 67 met, 47 not met, 6 consistent, 2 differs."""
    rows = [(f"t{i:02d}", "West Midlands") for i in range(31)]
    rows += [(f"d{i:02d}", d) for i in range(13) for d in DISTRICTS + ["Wolverhampton"]]
    status = ["met"] * 67 + ["not met"] * 47 + ["consistent with plan"] * 6
    status += ["differs from plan"] * 2
    df = pd.DataFrame(rows, columns=["target_id", "geography"])
    df["status"] = status
    df["actual_value"] = range(1000, 1122)
    return df


def test_constants_keep_a_summary_short():
    assert 20 <= MAX_ROWS <= 25 and SUMMARY_ROWS <= MAX_ROWS


def test_a_122_row_table_is_a_summary_of_force_rows_with_a_link_to_its_csv():
    df = comparison_122()
    assert len(df) == 122 and (df["geography"] == "West Midlands").sum() == 31
    html = table_html(df, csv_href="03_target_comparison/tables/tc.csv", csv_name="tc.csv")
    p = parse(html)
    assert len(p.rows) == SUMMARY_ROWS <= MAX_ROWS
    assert [r[0] for r in p.rows] == [f"t{i:02d}" for i in range(SUMMARY_ROWS)]  # force rows
    assert all(r[1] == "West Midlands" for r in p.rows)
    assert "03_target_comparison/tables/tc.csv" in p.links
    text = re.sub(r"<[^>]+>", "", html)
    assert "Full table: tc.csv, 122 rows" in text
    assert f"the first {SUMMARY_ROWS} of the 31 force-level rows" in text
    assert "met 67" in text and "not met 47" in text and "consistent with plan 6" in text
    assert "differs from plan 2" in text
    assert html.index("Full table") < html.index("<table")  # above the rows: seen first


def test_a_long_table_without_districts_shows_its_first_rows():
    df = pd.DataFrame({"geography": DISTRICTS * 5, "rank": range(1, 31)})  # districts only
    p = parse(table_html(df, csv_href="x.csv", csv_name="x.csv"))
    assert [r[1] for r in p.rows] == [str(i) for i in range(1, SUMMARY_ROWS + 1)]
    assert "the first 10 of the 30 rows" in table_html(df, csv_href="x.csv", csv_name="x.csv")


def test_few_force_rows_are_all_shown():
    df = pd.DataFrame(
        {"geography": (["West Midlands"] + DISTRICTS) * 5, "value": range(35)}
    )  # 5 force rows of 35
    html = table_html(df, csv_href="b.csv", csv_name="b.csv")
    assert [r[1] for r in parse(html).rows] == ["0", "7", "14", "21", "28"]
    assert "the 5 force-level rows" in re.sub(r"<[^>]+>", "", html)


def test_a_short_table_is_shown_whole_with_its_csv_named_under_it():
    df = pd.DataFrame({"geography": ["West Midlands"] + DISTRICTS * 3, "n": range(19)})
    html = table_html(df, csv_href="s.csv", csv_name="s.csv")
    p = parse(html)
    assert len(p.rows) == 19 and [r[1] for r in p.rows] == [str(i) for i in range(19)]
    assert "Full table" not in html and 'class="table-summary"' not in html
    assert 'Machine-readable copy (full precision): <a href="s.csv">s.csv</a>.' in html
    exactly = pd.DataFrame({"n": range(MAX_ROWS)})
    assert len(parse(table_html(exactly)).rows) == MAX_ROWS


def test_a_shown_long_frame_is_saved_whole_and_linked(tmp_path, monkeypatch):
    """In a kernel: a long frame not saved by the notebook is written (every row, no index
    column) and linked from the notebook's folder (the run's notebooks/, as under the runner)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(outputs, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    (tmp_path / "notebooks").mkdir()
    outputs.RunContext(tmp_path / "03_target_comparison", synthetic=False, section="03")
    try:
        df = comparison_122()
        judged = df[df["status"] != "consistent with plan"]  # filtered: index 0..121 with gaps
        data, _ = shell.display_formatter.format(judged)
        csv = tmp_path / "03_target_comparison" / "tables" / "shown_01.csv"
        back = pd.read_csv(csv)
        assert len(back) == 116 and "index" not in back.columns
        assert list(back["target_id"]) == list(judged["target_id"])
        assert '<a href="../03_target_comparison/tables/shown_01.csv">' in data["text/html"]
        assert len(parse(data["text/html"]).rows) == SUMMARY_ROWS
    finally:
        shell.display_formatter.formatters["text/html"].pop(pd.DataFrame)
    page = page_links(data["text/html"])
    assert '<a href="03_target_comparison/tables/shown_01.csv">' in page


def test_a_real_table_shown_before_it_is_saved_links_a_copy_labelled_real(tmp_path, monkeypatch):
    """The peer comparison of a mixed section: ONS only (real), shown then saved with
    ``synthetic=False``; the linked copy must not call its rows synthetic."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(outputs, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    ctx = outputs.RunContext(tmp_path / "03_target_comparison", synthetic=True, section="03")
    try:
        peers = pd.DataFrame({"force": ["West Midlands", "Merseyside"] * 20, "n": range(40)})
        data, _ = shell.display_formatter.format(peers)
        tables = tmp_path / "03_target_comparison" / "tables"
        assert pd.read_csv(tables / "shown_01.csv")["synthetic"].all()  # the context's, for now
        ctx.save_table(peers, "peer_comparison", synthetic=False)
        copy = pd.read_csv(tables / "shown_01.csv")
        assert not copy["synthetic"].any() and "data_note" not in copy.columns
        assert list(copy["n"]) == list(range(40)) and "shown_01.csv" in data["text/html"]
        assert (tables / "shown_01.csv").read_bytes() == (
            tables / "peer_comparison.csv"
        ).read_bytes()
    finally:
        shell.display_formatter.formatters["text/html"].pop(pd.DataFrame)


def _executed(origin) -> nbformat.NotebookNode:
    nb = new_notebook()
    code = new_code_cell("ctx.banner()")
    code.outputs = [
        new_output("display_data", data={"text/html": banner_html(origin), "text/plain": "b"}),
        new_output("display_data", data={"text/html": "<p>Force: West Midlands.</p>"}),
    ]
    nb.cells = [
        new_markdown_cell("# 03 Target comparison\n\nEvery target of the plan."),
        code,
        new_markdown_cell("# Not the title: kept"),
    ]
    return nb


@pytest.mark.parametrize(
    "origin",
    [
        {"origin": "synthetic", "real": [], "synthetic": ["survey"]},
        {"origin": "mixed", "real": ["ons_pfa"], "synthetic": ["csp", "survey"]},
    ],
)
def test_a_synthetic_page_states_it_once_under_one_heading(origin):
    page = export_notebook_html(
        _executed(origin),
        title="T",
        name="03_target_comparison",
        synthetic=True,
        sections=["03_target_comparison"],
        origin=origin,
    )
    assert page.count(SYNTHETIC_NOTE) == 1 and 'id="synthetic-banner"' in page
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)[0] == "Targets"
    assert "03 Target comparison" not in page and "Every target of the plan." in page
    assert len(re.findall(r"<h1[\s>]", page)) == 2  # the page's, and a later cell's own
    assert "Force: West Midlands." in page


def test_a_real_page_keeps_a_notebook_banner_it_does_not_draw():
    """A page with no synthetic input draws no banner: nothing of the notebook's is dropped."""
    origin = {"origin": "synthetic", "real": [], "synthetic": ["survey"]}
    page = export_notebook_html(
        _executed(origin), title="T", name="03_target_comparison", synthetic=False
    )
    assert 'id="synthetic-banner"' not in page and page.count(SYNTHETIC_NOTE) == 1


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from _suite_run import require_suite, write_small_config

    from wmp_analysis.config import load_config
    from wmp_analysis.pipeline.runner import run_suite

    require_suite()
    folder = tmp_path_factory.mktemp("summary-pack")
    cfg = load_config(write_small_config(folder, title="Summary pack", scale=0.02))
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_suite(cfg, run_id="sum-run") == 0
    return folder / "reports" / cfg.name / "sum-run"


@pytest.mark.slow
def test_pack_pages_summarise_long_tables_and_link_whole_csvs(small_run):
    """Every page of a real run: no table over MAX_ROWS rows outside the briefing index's
    scorecards, and each "Full table" link names a CSV of the run holding that many rows."""
    checked = 0
    for page in sorted(small_run.glob("0*.html")):
        text = page.read_text(encoding="utf-8")
        for table in re.findall(r"<table.*?</table>", text, re.S):
            assert len(parse(table).rows) <= MAX_ROWS, page.name
        for href, name, n in re.findall(
            r'Full table: <a href="([^"]+)">([^<]+)</a>, ([\d,]+) rows', text
        ):
            csv = small_run / href
            assert csv.is_file() and csv.name == name, (page.name, href)
            assert len(pd.read_csv(csv)) == int(n.replace(",", "")), (page.name, href)
            checked += 1
    assert checked >= 3


@pytest.mark.slow
def test_pack_target_page_has_one_statement_and_one_heading(small_run):
    for name in ("01_ingest", "02_baseline", "03_target_comparison", "04_equality_breakdowns"):
        page = (small_run / f"{name}.html").read_text(encoding="utf-8")
        assert page.count(SYNTHETIC_NOTE) == 1, name  # the banner only
        assert len(re.findall(r"<h1[\s>]", page)) == 1, name


def test_a_wide_long_table_is_summarised_with_its_key_columns_only():
    """34 columns like the target comparison's: the summary keeps what each row says."""
    n = 40
    key = ["plan", "target_id", "measure_id", "baseline_value", "actual_value", "status", "data"]
    detail = [f"detail_{k}" for k in range(27)]  # notes, intervals' workings, caveats...
    frame = pd.DataFrame(
        {
            **{c: [f"{c}-{i}" for i in range(n)] for c in key[:3]},
            "baseline_value": [100.0 + i for i in range(n)],
            "proxy_note": ["a long note " * 20] * n,
            "actual_value": [90.0 + i for i in range(n)],
            **{c: ["x"] * n for c in detail},
            "status": ["met"] * n,
            "data": ["real"] * n,
        }
    )
    assert len(frame.columns) == 35
    html = table_html(frame, csv_href="tables/wide.csv", csv_name="wide.csv")
    cells = parse(html)
    # header cells: 7 key columns, in the table's order; no note or detail column
    headers = re.findall(r"<th[^>]*col_heading[^>]*>(.*?)</th>", html)
    assert len(headers) == 7, headers
    assert "long note" not in html and "detail_" not in html
    assert len(cells.rows) == SUMMARY_ROWS and len(cells.rows[0]) == 7
    assert cells.rows[0][:3] == ["plan-0", "target_id-0", "measure_id-0"]
    assert "7 of its 35 columns" in html and "tables/wide.csv" in cells.links


def test_a_narrow_long_table_keeps_every_column():
    frame = pd.DataFrame({"measure_id": ["m"] * 30, "note": ["kept"] * 30, "value": range(30)})
    html = table_html(frame, csv_href="tables/n.csv", csv_name="n.csv")
    assert "kept" in html and "of its" not in html
    assert len(parse(html).rows[0]) == 3
