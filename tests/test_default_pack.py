"""The default pack (configs/sample.yaml, `make briefing`): real public data where it answers,
both plans' scorecards, and a label on everything saying what is real and what synthetic.

The pack is the session's small run of configs/sample.yaml (``_suite_run.sample_pack``, shared
with test_reproducible and test_browser): the synthetic parts are at a small scale, the real
ONS file is the one in data/raw/public. Expected figures come from a plain pandas sum over that
file, not from the package.
"""

from __future__ import annotations

import html as _html
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from _suite_run import sample_pack, start_sample_pack

ROOT = Path(__file__).resolve().parents[1]
ONS = ROOT / "data" / "raw" / "public" / "rec-crime-pfa.csv"

#: Total recorded crime excluding fraud: every West Midlands offence group but fraud (the
#: Action Fraud / CIFAS / UK Finance rows are separate PFAs, not West Midlands rows).
NOT_CRIME_TOTAL = {"Fraud offences"}


def ons_year(offences: set[str] | None, year_end: str) -> int:
    """West Midlands offences in the 12 months ending *year_end* (dd-mm-yyyy), plain pandas."""
    df = pd.read_csv(ONS)
    df = df[(df["PFA"] == "West Midlands") & (df["12 months ending"] == year_end)]
    df = (
        df[~df["Offence"].isin(NOT_CRIME_TOTAL)]
        if offences is None
        else df[df["Offence"].isin(offences)]
    )
    return int(df["Rolling year total number of offences"].sum())


class _Text(HTMLParser):
    """Visible text of a page, per element, as a reader sees it (tags, styles and scripts dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in ("tr", "p", "li", "h1", "h2", "h3", "h4", "summary", "div", "section", "table"):
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "br":
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(
                data.replace("\n", " ")
            )  # source line breaks are not breaks a reader sees


def visible_text(page: str) -> str:
    p = _Text()
    p.feed(page)
    return re.sub(r"[ \t]+", " ", _html.unescape("".join(p.parts)))


#: The sample pack's runs start in the background when the tests are collected (``_suite_run``).
PREFETCH = {"pack": [start_sample_pack]}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    got = sample_pack(tmp_path_factory, second=False)  # reads the first run only
    assert got["rc"][0] == 0, got["log"][-3000:]
    return got["first"]


@pytest.fixture(scope="module")
def index_text(pack):
    return visible_text((pack / "index.html").read_text(encoding="utf-8"))


def _scorecard(text: str, title: str) -> str:
    start = text.index(title)
    nxt = [
        i
        for i in (
            text.find("Strategic Policing Plan 2012-15:", start + 1),
            text.find("Police and Crime Plan 2014-15:", start + 1),
            text.find("Equality headline", start + 1),
        )
        if i > 0
    ]
    return text[start : min(nxt)]


def _row(text: str, target_id: str) -> str:
    line = next(
        (ln for ln in text.splitlines() if ln.strip(" |").startswith(target_id + ":")), None
    )
    assert line is not None, f"no row for {target_id}"
    return line


def test_spp_scorecard_reads_the_real_ons_figures(index_text):
    spp = _scorecard(index_text, "Strategic Policing Plan 2012-15: 2012-13 against 2011-12")
    base, act = ons_year(None, "31-03-2012"), ons_year(None, "31-03-2013")
    assert (base, act) == (190818, 168770)  # the published figures, from the file itself
    row = _row(spp, "spp-total-crime")
    assert f"{base:,}" in row and f"{act:,}" in row
    assert f"{100 * (act - base) / base:+.1f}%" == "-11.6%" and "-11.6%" in row
    assert "| real |" in row and "met" in row
    for tid, offences, pct in (
        ("spp-burglary-dwelling", {"Domestic burglary"}, "-14.6%"),
        ("spp-robbery", {"Robbery"}, "-24.8%"),
    ):
        b, a = ons_year(offences, "31-03-2012"), ons_year(offences, "31-03-2013")
        assert f"{100 * (a - b) / b:+.1f}%" == pct
        row = _row(spp, tid)
        assert f"{b:,}" in row and f"{a:,}" in row and pct in row and "| real |" in row


def test_pcp_scorecard_with_its_burglary_and_robbery_targets(index_text):
    pcp = _scorecard(index_text, "Police and Crime Plan 2014-15: 2014-15 against 2013-14")
    for tid, offences, target in (
        ("pcp1415-burglary", {"Domestic burglary", "Non-domestic burglary"}, "-2%"),
        ("pcp1415-robbery", {"Robbery"}, "-5%"),
    ):
        b, a = ons_year(offences, "31-03-2014"), ons_year(offences, "31-03-2015")
        row = _row(pcp, tid)
        assert f"{b:,}" in row and f"{a:,}" in row, row
        assert f"{100 * (a - b) / b:+.1f}%" in row and f"| {target} |" in row, row
        assert "| real |" in row


def test_scorecard_parts_and_plan_figures_not_counted(pack, index_text):
    page = (pack / "index.html").read_text(encoding="utf-8")
    reg = pd.read_csv(ROOT / "data" / "raw" / "targets" / "registry.csv")
    for plan, title in (
        ("spp-2012-15", "Strategic Policing Plan 2012-15:"),
        ("pcp-2014-15", "Police and Crime Plan 2014-15:"),
    ):
        card = _scorecard(index_text, title)
        assert (
            card.index("Measured targets")
            < card.index("Targets that need data the force holds")
            < card.index("Commitments with no number")
        )
        qual = int(((reg["plan"] == plan) & (reg["target_kind"] == "qualitative")).sum())
        m = re.search(r"Commitments with no number \((\d+)\)", card)
        assert m and int(m.group(1)) >= qual  # every qualitative commitment, collapsed
        reported = int(((reg["plan"] == plan) & (reg["target_kind"] == "reported_figure")).sum())
        m = re.search(r"\((\d+); plan figures, not targets\)", card)
        assert m and int(m.group(1)) >= reported
        measured = re.search(r"Measured targets \((\d+)\)", card)
        # budgets, staffing and savings are plan figures: none is among the measured targets
        assert (
            "budget"
            not in card[
                card.index("Measured targets") : card.index("Targets that need data")
            ].lower()
        )
        assert measured and int(measured.group(1)) >= 3
    assert page.count('<details class="commitments">') == 2


def test_index_says_in_one_sentence_what_is_real(pack, index_text):
    page = (pack / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<p class="origin-sentence" id="what-is-real">(.*?)</p>', page, re.DOTALL)
    assert m and page.index("what-is-real") < page.index("scorecard-")
    text = _html.unescape(m.group(1))
    real, synthetic = text.split("Synthetic sample")
    for name in ("ONS recorded crime", "2011 Census", "mid-year population", "LSOA 2011"):
        assert name in real
    for name in ("survey extract", "data.police.uk", "Community Safety Partnership"):
        assert name in synthetic and name not in real
    assert 'id="synthetic-banner"' not in page  # a mixed index: no page-wide banner


def _badge(page: str) -> str:
    m = re.search(
        r'<p class="data-badge ([a-z-]+)" id="data-badge"><span class="data-label">([A-Z ]+)</span>',
        page,
    )
    assert m, "no data badge"
    return m.group(2)


def test_banner_only_on_sections_with_synthetic_inputs(pack):
    national = (pack / "06_national_view.html").read_text(encoding="utf-8")
    equality = (pack / "04_equality_breakdowns.html").read_text(encoding="utf-8")
    targets = (pack / "03_target_comparison.html").read_text(encoding="utf-8")
    assert _badge(national) == "REAL DATA" and 'id="synthetic-banner"' not in national
    assert "SYNTHETIC SAMPLE DATA" not in national
    assert _badge(equality) == "MIXED" and 'id="synthetic-banner"' in equality
    assert _badge(targets) == "MIXED" and 'id="synthetic-banner"' in targets


def test_rows_carry_their_origin(pack):
    comp = pd.read_csv(
        pack / "03_target_comparison" / "tables" / "target_comparison.csv", keep_default_na=False
    )
    assert set(comp["plan"]) == {"spp-2012-15", "pcp-2014-15"}
    measured = comp[comp["status"] != "not measurable"]
    ons = measured[measured["source"] == "ONS PFA"]
    assert (
        len(ons) and set(ons["data"]) == {"real"} and not ons["synthetic"].map(str).eq("True").any()
    )
    synth = measured[measured["source"].isin(["Home Office CSP", "police.uk", "survey extract"])]
    assert len(synth) and set(synth["data"]) == {"synthetic"}
    assert synth["data_note"].str.startswith("SYNTHETIC").all()
    series = pd.read_csv(pack / "03_target_comparison" / "tables" / "measure_series.csv")
    assert sorted(series["year"].unique()) == [
        "2010-11",
        "2011-12",
        "2012-13",
        "2013-14",
        "2014-15",
        "2015-16",
    ]
    got = series[(series["measure_id"] == "robbery") & (series["year"] == "2012-13")]["value"].iloc[
        0
    ]
    assert got == ons_year({"Robbery"}, "31-03-2013")
    assert set(series["data"]) == {"real"}
