"""Tables as a reader sees them (report_tables.table_html and the notebook display hook).

Expected cell texts are written by hand from the rules (thousands separators, one decimal
for percentages, ``< 0.001``, a dash for missing, no index), parsed back out of the HTML
with the standard library's HTMLParser.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from wmp_analysis.report.tables import (
    DASH,
    DASH_NOTE,
    badge_html,
    header_text,
    table_html,
)


class Cells(HTMLParser):
    """Header texts and body rows (cell texts) of the first <table>."""

    def __init__(self):
        super().__init__()
        self.head, self.rows, self._cell, self._in, self._row = [], [], None, None, None
        self.links, self.labels = [], []  # labels: each body row's data-label attributes

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td"):
            self._cell, self._in = [], tag
            if tag == "td" and self._row == []:
                self.labels.append([])
            if tag == "td":
                self.labels[-1].append(dict(attrs).get("data-label"))
        elif tag == "tr":
            self._row = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.head if tag == "th" else self._row).append(text)
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(html):
    p = Cells()
    p.feed(html)
    return p


def comparison():
    return pd.DataFrame(
        {
            "target_id": ["spp-total-crime", "spp-burglary-dwelling", "spp-repeat"],
            "baseline_value": [190818.0, 15898.0, np.nan],
            "actual_value": [168770.0, 13571.0, np.nan],
            "pct_change": [-11.554466, -14.637061, np.nan],
            "status": ["met", "not met", "not measurable"],
            "p_value": [4.2e-296, 0.0123, np.nan],
            "rate_ratio": [0.8844553449, 0.853629, np.nan],
            "proxy": [False, True, False],
            "mean_value": [83.854500, 188655.853333, 2.5],
        },
        index=[7, 9, 12],
    )  # a filtered frame: the index must not be shown


def test_readable_cells_no_index_headers_in_words():
    p = parse(table_html(comparison()))
    assert p.head == [
        "Target",
        "Baseline",
        "Actual",
        "Change (%)",
        "Status",
        "p-value",
        "Rate ratio (target / baseline)",
        "Proxy measure",
        "Mean value",
    ]
    assert p.rows[0] == [
        "spp-total-crime",
        "190,818",
        "168,770",
        "-11.6%",
        "\u2714 met",
        "< 0.001",
        "0.884",
        "no",
        "83.9",
    ]
    assert p.rows[1][1:7] == ["15,898", "13,571", "-14.6%", "\u2716 not met", "0.01", "0.854"]
    assert p.rows[1][7:] == ["yes", "188,656"]
    assert p.rows[2][1:4] == [DASH, DASH, DASH] and p.rows[2][4] == "\u25cb not measurable"
    assert len(p.rows) == 3 and all(len(r) == 9 for r in p.rows)  # no index cell, nothing cut


def test_missing_values_explained_and_markup_escaped():
    html = table_html(pd.DataFrame({"name": ["<script>x</script>", None], "count": [1234567, 3]}))
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert DASH_NOTE.split(":")[0] in html  # the footnote saying what the dash means
    assert parse(html).rows == [["<script>x</script>", "1,234,567"], [DASH, "3"]]
    assert DASH_NOTE.split(":")[0] not in table_html(
        pd.DataFrame({"a": [1]})
    )  # no dash, no footnote


def test_meaningful_index_becomes_a_column():
    counts = (
        pd.Series(["met", "met", "not met"], name="status")
        .value_counts()
        .rename("targets")
        .to_frame()
    )
    p = parse(table_html(counts))
    assert p.head == ["Status", "Targets"]
    assert p.rows == [["\u2714 met", "2"], ["\u2716 not met", "1"]]


def test_long_table_is_summarised_with_a_link_to_its_csv():
    df = pd.DataFrame({"status": ["met"] * 30 + ["not met"] * 10, "value": np.arange(40) * 1000.5})
    html = table_html(df, csv_href="03_target_comparison/tables/full.csv", csv_name="full.csv")
    p = parse(html)
    assert len(p.rows) == 10
    assert "Shown here: the first 10 of the 40 rows." in html
    assert "03_target_comparison/tables/full.csv" in p.links
    assert "Full table: <a " in html and "full.csv</a>, 40 rows" in html
    assert "Status of all 40 rows:" in html
    assert "met</span> 30" in html and "not met</span> 10" in html


def test_badges_read_without_colour():
    met, miss = badge_html("met"), badge_html("not met")
    assert "\u2714" in met and "solid" in met and met.endswith(" met</span>")
    assert "\u2716" in miss and "dashed" in miss and "not met" in miss
    assert "dotted" in badge_html("not measurable") and "\u25cb" in badge_html("not measurable")
    assert "&lt;b&gt;" in badge_html("<b>")


def test_header_words():
    assert header_text("rate_per_1000") == "Searches per 1,000 residents"
    assert header_text("months_of_data") == "Months of data"
    assert header_text("some_new_pct") == "Some new (%)"


def test_deterministic_ids():
    df = comparison()
    assert table_html(df, table_id="a-1") == table_html(df, table_id="a-1")
    assert 'id="T_a-1"' in table_html(df, table_id="a-1")


def test_survey_percent_and_points():
    gaps = pd.DataFrame(
        {
            "group": ["BME"],
            "estimate": [80.04],
            "reference_estimate": [84.5],
            "gap": [-4.46],
            "base_n": [1520],
        }
    )
    assert parse(table_html(gaps)).rows == [["BME", "80.0%", "84.5%", "-4.5 pts", "1,520"]]


def test_display_hook_formats_frames_in_a_kernel(tmp_path, monkeypatch):
    """RunContext registers the formatter on IPython's text/html display formatter."""
    from IPython.core.interactiveshell import InteractiveShell

    from wmp_analysis.report import outputs

    shell = InteractiveShell.instance()
    monkeypatch.setattr(outputs, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    ctx = outputs.RunContext(
        tmp_path / "03_target_comparison", synthetic=False, section="03_target_comparison"
    )
    df = pd.DataFrame({"status": ["met"] * 30, "count": range(30)})
    ctx.save_table(df, "long")
    data, _ = shell.display_formatter.format(df)
    assert (
        "wmp-table" in data["text/html"]
        and "03_target_comparison/tables/long.csv" in data["text/html"]
    )
    other = pd.DataFrame({"x": range(40)})  # long, not saved: saved for the link
    data, _ = shell.display_formatter.format(other)
    assert (tmp_path / "03_target_comparison" / "tables" / "shown_02.csv").is_file()
    assert "shown_02.csv" in data["text/html"]
    shell.display_formatter.formatters["text/html"].pop(pd.DataFrame)


def test_dates_read_as_dates():
    df = pd.DataFrame(
        {"period_end": pd.to_datetime(["2012-03-31", "2013-03-31"]), "year": [2011, 2012]}
    )
    assert parse(table_html(df)).rows == [
        ["2012-03-31", "2011"],
        ["2013-03-31", "2012"],
    ]  # no "2,011"


def test_share_fraction_shown_as_percent_and_pct_columns_unchanged():
    # the ingest's district table: 370 of 2,000 records = 0.185 of the table -> "18.5%"
    # (issue 12: it showed "0.2%"); share_pct already holds percent: 18.5 -> "18.5%"
    df = pd.DataFrame(
        {
            "district": ["Dudley", "unassigned"],
            "records": [370, 0],
            "share": [370 / 2000, np.nan],
            "share_pct": [18.5, 0.0],
        }
    )
    got = parse(table_html(df))
    assert got.rows[0][2:] == ["18.5%", "18.5%"]
    assert got.rows[1][2] == DASH  # missing, never 0%
    assert got.rows[1][3] == "0.0%"


def test_every_body_cell_carries_its_column_header_for_the_card_view():
    # the phone / narrow-box card view prints "header: value" from data-label: each cell's label
    # must be the header above it, escaped, in column order, on every row
    df = comparison().rename(columns={"proxy": 'proxy "quoted" <b>'})
    p = parse(table_html(df))
    body = p.labels
    assert len(body) == 3
    assert p.head[:3] == ["Target", "Baseline", "Actual"] and len(p.head) == len(df.columns)
    for row in body:
        assert row == p.head, (row, p.head)
    assert 'Proxy "quoted" <b>' in p.head  # the parser unescapes: the attribute was escaped
    assert 'data-label="Proxy &quot;quoted&quot; &lt;b&gt;"' in table_html(df)


def test_a_summarised_wide_table_labels_the_columns_it_shows():
    wide = pd.DataFrame({f"col_{i}": range(40) for i in range(30)})
    p = parse(table_html(wide))
    body = p.labels
    assert body and all(row == p.head for row in body)
    assert len(body) < 40 and len(p.head) == 30  # summarised rows, every column labelled
