"""Small-base suppression: nothing a reader may not see (issue 12).

The attack used here is written independently of the package: every published row
is turned into the set of respondents it covers (from what the row says - measure,
period, district, group), and a suppressed figure counts as recovered when its set
of respondents is a linear combination of published sets (then its base, positives
and weighted sums are the same combination of published numbers: subtraction in
general). Division is checked by the blank columns of every suppressed row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _suite_run import start_sample_pack

from wmp_analysis.analysis import equality as eq
from wmp_analysis.analysis import suppression as sp
from wmp_analysis.periods import Period

MIN_BASE = 30
BME = {"Mixed", "Asian", "Black", "Other"}
STATED_AGES = ["16-24", "25-34", "35-44", "45-54", "55-64", "65+"]


# --------------------------------------------------------------------------- the rule, hand-worked
def test_primary_then_next_smallest_in_the_same_total():
    # All = a + b + c; a (10) is below 30, so the next-smallest part b (40) goes too
    n = {"All": 100, "a": 10, "b": 40, "c": 50}
    out = sp.suppress(n, [["All", "a", "b", "c"]], 30)
    assert out == {"a": "primary", "b": "secondary"}


def test_no_suppression_when_every_base_is_large_and_zero_is_not_hidden():
    assert sp.suppress({"T": 300, "a": 100, "b": 200}, [["T", "a", "b"]], 30) == {}
    # a part with no respondents discloses nothing: a (5) still needs a partner, and the zero cell is not it
    out = sp.suppress({"T": 105, "a": 5, "z": 0, "b": 100}, [["T", "a", "z", "b"]], 30)
    assert out == {"a": "primary", "b": "secondary"}


def test_secondary_cells_propagate_to_a_fixed_point():
    # two totals share part b: suppressing b in the first makes it the only hidden cell of the second
    n = {"T1": 100, "a": 10, "b": 40, "c": 50, "T2": 140, "d": 100}
    out = sp.suppress(n, [["T1", "a", "b", "c"], ["T2", "b", "d"]], 30)
    # b (40) is the next smallest, but withholding it would open T2 = b + d and cost d as well;
    # c (50) closes T1 and opens nothing
    assert out == {"a": "primary", "c": "secondary"}
    # when every candidate opens another total, the cascade runs to a fixed point
    n2 = {"T1": 100, "a": 10, "b": 40, "c": 50, "T2": 140, "d": 100, "T3": 150, "e": 100}
    rels = [["T1", "a", "b", "c"], ["T2", "b", "d"], ["T3", "c", "e"]]
    # the total T1 opens nothing (cost equal): it goes
    assert sp.suppress(n2, rels, 30) == {"a": "primary", "T1": "secondary"}
    # a protected total (high cost, like "All"): b (smaller than c, both open one total), then in
    # T2 = b + d the smaller of d (100) and T2 (140), both opening nothing
    out2 = sp.suppress(n2, rels, 30, cost={"T1": 1000})
    assert out2 == {"a": "primary", "b": "secondary", "d": "secondary"}


def test_recoverable_finds_a_cell_isolated_by_two_nested_totals():
    # A = x + y and B = x + y + z: each relation has two hidden cells, yet z = B - A
    assert sp.recoverable([["A", "x", "y"], ["B", "x", "y", "z"]], {"x", "y", "z"}) == {"z"}
    # a 2 x 2 block hidden inside a table with margins is not determined
    rels = [["R1", "a", "b"], ["R2", "c", "d"], ["C1", "a", "c"], ["C2", "b", "d"]]
    assert sp.recoverable(rels, {"a", "b", "c", "d"}) == set()


def test_suppress_closes_the_nested_total_leak():
    n = {"A": 60, "x": 10, "y": 50, "B": 100, "z": 40}
    out = sp.suppress(n, [["A", "x", "y"], ["B", "x", "y", "z"]], 30)
    hidden = set(out)
    assert {"x", "y"} <= hidden
    assert not (sp.recoverable([["A", "x", "y"], ["B", "x", "y", "z"]], hidden) & {"x"})


# --------------------------------------------------------------------------- a small respondent extract
def _extract(seed: int = 7) -> pd.DataFrame:
    """Respondents with deliberately small groups (Mixed, Other, one district, one age band)."""
    rng = np.random.default_rng(seed)
    rows = []
    spec = {
        "White": 0.62,
        "Asian": 0.2,
        "Black": 0.1,
        "Mixed": 0.03,
        "Other": 0.02,
        "Not stated": 0.03,
    }
    ages = {
        "16-24": 0.05,
        "25-34": 0.18,
        "35-44": 0.2,
        "45-54": 0.2,
        "55-64": 0.17,
        "65+": 0.17,
        "Not stated": 0.03,
    }
    districts = {"Alpha": 0.5, "Beta": 0.4, "Gamma": 0.1}
    rid = 0
    for fy_start, size in ((2011, 700), (2012, 650)):
        for _ in range(size):
            rid += 1
            month = pd.Timestamp(year=fy_start + (1 if rng.random() < 0.25 else 0), month=1, day=1)
            month = (
                month
                if month.year > fy_start
                else pd.Timestamp(year=fy_start, month=int(rng.integers(4, 13)), day=1)
            )
            rows.append(
                {
                    "respondent_id": f"RSP{rid:05d}X",
                    "fieldwork_month": month,
                    "measure": "confidence",
                    "ethnic_group": rng.choice(list(spec), p=list(spec.values())),
                    "age_band": rng.choice(list(ages), p=list(ages.values())),
                    "district": rng.choice(list(districts), p=list(districts.values())),
                    "positive": bool(rng.random() < 0.8),
                    "weight": float(rng.uniform(0.5, 2.0)),
                }
            )
    df = pd.DataFrame(rows)
    df["positive"] = df["positive"].astype("boolean")
    df["financial_year"] = df["fieldwork_month"].map(
        lambda m: f"{m.year - (m.month < 4)}-{(m.year - (m.month < 4) + 1) % 100:02d}"
    )
    return df


def _mask(df, group_type, group):
    if group_type == "all":
        return pd.Series(True, index=df.index)
    col = df[group_type].astype(str)
    if group == "BME":
        return col.isin(BME)
    if group == "All other ages":
        return col.isin([a for a in STATED_AGES if a != "16-24"])
    return col == str(group)


def _period_mask(df, period, whole):
    return pd.Series(True, index=df.index) if period == whole else df["financial_year"] == period


def _published_cells(df, tables, whole):
    """(mask, n published or None, suppressed flag, label) for every published row side."""
    out = []
    est, gaps_t, dist, targ = tables
    for r in est.itertuples(index=False):
        m = (
            (df["measure"] == r.measure)
            & _period_mask(df, r.period, whole)
            & _mask(df, r.group_type, r.group)
        )
        out.append(
            (
                m,
                None if pd.isna(r.n) else int(r.n),
                bool(r.suppressed),
                f"estimates {r.group}/{r.period}",
            )
        )
    for r in gaps_t.itertuples(index=False):
        base = (df["measure"] == r.measure) & _period_mask(df, r.period, whole)
        out.append(
            (
                base & _mask(df, r.group_type, r.group),
                None if pd.isna(r.base_n) else int(r.base_n),
                pd.isna(r.base_n),
                f"gaps {r.group}/{r.period}",
            )
        )
        out.append(
            (
                base & _mask(df, r.group_type, r.reference),
                None if pd.isna(r.reference_base_n) else int(r.reference_base_n),
                pd.isna(r.reference_base_n),
                f"gaps ref {r.reference}/{r.period}",
            )
        )
    for r in dist.itertuples(index=False):
        base = (
            (df["measure"] == r.measure)
            & (df["financial_year"] == r.financial_year)
            & (df["district"] == r.district)
        )
        out.append(
            (
                base & _mask(df, "ethnic_group", r.group),
                None if pd.isna(r.base_n) else int(r.base_n),
                pd.isna(r.base_n),
                f"district {r.district} {r.group}/{r.financial_year}",
            )
        )
        out.append(
            (
                base & _mask(df, "ethnic_group", r.reference),
                None if pd.isna(r.reference_base_n) else int(r.reference_base_n),
                pd.isna(r.reference_base_n),
                f"district {r.district} {r.reference}/{r.financial_year}",
            )
        )
    for r in targ.itertuples(index=False):
        p = Period(r.period_start, r.period_end)
        m = (df["measure"] == r.measure_id) & (df["financial_year"] == p.label)
        out.append((m, None if pd.isna(r.n) else int(r.n), bool(r.suppressed), f"target {p.label}"))
    return out


def _attack(df, cells):
    """Labels of hidden cells whose respondents are a linear combination of published cells."""
    atoms_key = (
        df[["measure", "financial_year", "district", "ethnic_group", "age_band"]]
        .astype(str)
        .agg("|".join, axis=1)
    )
    atoms = sorted(atoms_key.unique())
    idx = {a: i for i, a in enumerate(atoms)}

    def vec(mask):
        v = np.zeros(len(atoms))
        for a in atoms_key[mask].unique():
            v[idx[a]] = 1.0
        return v

    published = np.array(
        [vec(m) for m, n, hid, _ in cells if n is not None] or [np.zeros(len(atoms))]
    )
    # orthonormal basis of the published rows' span (numpy's SVD); a hidden cell is recovered
    # when its vector has no component outside that span
    _, s, vt = np.linalg.svd(published, full_matrices=False)
    basis = vt[: int((s > 1e-9 * s.max()).sum())] if s.size and s.max() > 0 else vt[:0]
    found = []
    for m, n, _hid, label in cells:
        if n is None and int(m.sum()) > 0:
            v = vec(m)
            if np.linalg.norm(v - basis.T @ (basis @ v)) < 1e-7:
                found.append((label, int(m.sum())))
    return found


def _tables(df, min_base=MIN_BASE):
    plan = eq.suppression_plan(df, ["ethnic_group", "age_band"], min_base=min_base)
    est = eq.estimates_by_groups(df, ["ethnic_group", "age_band"], min_base=min_base, plan=plan)
    gaps_t = eq.equality_gaps(df, min_base=min_base, plan=plan)
    bme = [c for c in eq.default_comparisons(["ethnic_group"]) if c.group == "BME"]
    dist = eq.gaps(df, bme, by=["financial_year", "district"], min_base=min_base, plan=plan)
    targ = pd.concat(
        [
            eq.survey_estimates_for_targets(
                df, ["confidence"], Period.financial_year(fy), min_base=min_base, plan=plan
            )
            for fy in ("2011-12", "2012-13")
        ]
    )
    return plan, (est, gaps_t, dist, targ)


def test_published_numbers_are_true_and_small_bases_are_hidden():
    df = _extract()
    plan, tables = _tables(df)
    cells = _published_cells(df, tables, plan.whole_label)
    small = [(label, int(m.sum())) for m, n, hid, label in cells if 0 < int(m.sum()) < MIN_BASE]
    assert small, "the extract must have small groups for this test to mean anything"
    for m, n, _hid, label in cells:
        true_n = int(m.sum())
        if n is not None:
            assert n == true_n, label  # what is published is right
            assert not 0 < n < MIN_BASE, label  # and never a small base
    # secondary suppression happened (some cells above the base are withheld)
    assert any(hid and int(m.sum()) >= MIN_BASE for m, n, hid, label in cells)


def test_no_suppressed_figure_is_recovered_by_subtraction():
    df = _extract()
    plan, tables = _tables(df)
    cells = _published_cells(df, tables, plan.whole_label)
    assert _attack(df, cells) == []


def test_without_secondary_suppression_the_attack_would_succeed():
    # the attack is not toothless: primary suppression alone leaks (Mixed = All - White - Black)
    df = _extract()
    df["ethnic_group"] = np.where(
        np.arange(len(df)) < 12, "Mixed", np.where(np.arange(len(df)) % 3 == 0, "Black", "White")
    )
    raw = eq.survey_estimates(df.assign(_w="w"), ["_w", "ethnic_group"], min_base=MIN_BASE)
    allrow = eq.survey_estimates(df.assign(_w="w"), ["_w"], min_base=MIN_BASE)
    cells = [
        (
            (df["ethnic_group"] == r.ethnic_group),
            None if pd.isna(r.n) else int(r.n),
            r.suppressed,
            r.ethnic_group,
        )
        for r in raw.itertuples()
    ]
    cells.append((pd.Series(True, index=df.index), int(allrow["n"].iloc[0]), False, "All"))
    assert _attack(df, cells) == [("Mixed", 12)]
    # with the plan, Mixed and at least one more group are withheld, and the attack fails
    est = eq.estimates_by_groups(df, ["ethnic_group"], by_financial_year=False, min_base=MIN_BASE)
    whole = est["period"].iloc[0]
    assert est.loc[est["group"] == "Mixed", "suppressed"].all()
    assert (est["suppression"].str.startswith("withheld")).any()
    cells = [
        (
            pd.Series(True, index=df.index)
            if r.group_type == "all"
            else df["ethnic_group"] == r.group,
            None if pd.isna(r.n) else int(r.n),
            r.suppressed,
            r.group,
        )
        for r in est.itertuples()
        if r.period == whole
    ]
    assert _attack(df, cells) == []


def test_suppressed_rows_show_nothing_that_divides_back():
    df = _extract()
    _, (est, gaps_t, dist, _targ) = _tables(df)
    sup = est[est["suppressed"]]
    assert len(sup)
    assert sup[eq.CELL_COLUMNS].isna().all(axis=None)
    assert (sup["suppression"] != "").all()
    assert set(sup["suppression"]) <= {
        f"fewer than {MIN_BASE} respondents",
        "withheld so that a suppressed figure cannot be worked out by subtraction",
    }
    for t in (gaps_t, dist):
        g_hidden = t["base_n"].isna()
        r_hidden = t["reference_base_n"].isna()
        gcols = [c for c in ("estimate", "ci_low", "ci_high", "n_eff") if c in t.columns]
        rcols = [
            c
            for c in (
                "reference_estimate",
                "reference_ci_low",
                "reference_ci_high",
                "reference_n_eff",
            )
            if c in t.columns
        ]
        assert len(gcols) >= 1 and len(rcols) >= 1
        assert g_hidden.any() and t.loc[g_hidden, gcols].isna().all(axis=None)
        assert t.loc[r_hidden, rcols].isna().all(axis=None)
        # a gap beside a published side would give the hidden one back
        assert (
            t.loc[g_hidden | r_hidden, ["gap", "gap_ci_low", "gap_ci_high"]].isna().all(axis=None)
        )
        assert t.loc[g_hidden | r_hidden, "suppressed"].all()
    # the same cell is withheld in every table that shows it (estimates vs gaps)
    e = est.set_index(["group_type", "group", "period"])
    for r in gaps_t.itertuples():
        key = (r.group_type, r.group, r.period)
        if key in e.index:
            assert bool(e.loc[key, "suppressed"]) == pd.isna(r.base_n), key


def test_aggregated_extract_gets_secondary_suppression():
    agg = pd.DataFrame(
        {
            "group_type": ["all", "ethnic_group", "ethnic_group", "ethnic_group"],
            "group": ["All", "White", "Black", "Mixed"],
            "measure": ["confidence"] * 4,
            "period_start": pd.Timestamp("2012-04-01"),
            "period_end": pd.Timestamp("2013-03-31"),
            "base_n": [400, 300, 80, 20],
            "n_positive": [320, 240, 60, 15],
            "weighted_proportion": np.nan,
        }
    )
    out = eq.aggregated_estimates(agg, min_base=50).set_index("group")
    # Mixed (20) is primary; Black (80, the next smallest part) is withheld with it: 400 - 300 = 100 = both
    assert out.loc["Mixed", "suppressed"] and out.loc["Black", "suppressed"]
    assert not out.loc["White", "suppressed"] and not out.loc["All", "suppressed"]
    assert (
        out.loc[["Mixed", "Black"], ["base_n", "n_positive", "estimate", "ci_low", "ci_high"]]
        .isna()
        .all(axis=None)
    )


def test_no_respondent_level_row_reaches_a_table():
    df = _extract()
    _, tables = _tables(df)
    text = "\n".join(t.to_csv(index=False) for t in tables)
    assert "RSP0" not in text and "respondent_id" not in text
    assert len(max(tables, key=len)) < len(df) / 3  # aggregates, not rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_attack_fails_on_other_extracts(seed):
    df = _extract(seed)
    plan, tables = _tables(df)
    assert _attack(df, _published_cells(df, tables, plan.whole_label)) == []


# --------------------------------------------------------------------------- the whole pack (slow)
_NUMBER = __import__("re").compile(r"^[+-]?[\d,]+(\.\d+)?\s*(%|pts)?$")
#: Page headers (report_tables.HEADERS) of a group's own figures.
_GROUP_COLUMNS = {
    "Number (n)",
    "Positive answers (n)",
    "Sum of weights",
    "Effective base (n)",
    "Estimate (%)",
    "95% interval: low (%)",
    "95% interval: high (%)",
    "Base (respondents)",
}


def _html_tables(page: str):
    """(header cells, body rows) of every <table> (standard-library HTML parser)."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.cell, self.row = [], None, None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.row = []
            elif tag in ("td", "th") and self.row is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.row.append("".join(self.cell).strip())
                self.cell = None
            elif tag == "tr" and self.row is not None:
                self.tables[-1].append(self.row)
                self.row = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    p = P()
    p.feed(page)
    return [(t[0], t[1:]) for t in p.tables if t]


#: The sample pack's runs start in the background when the tests are collected (``_suite_run``).
PREFETCH = {"small_pack": [start_sample_pack]}


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory):
    """The session's small sample pack (``_suite_run.sample_pack``: configs/sample.yaml at scale
    0.02, the same synthetic survey as a run of its own), its first run: (config, run folder).

    Shared with test_reproducible, test_browser and test_default_pack, so it costs nothing extra
    in a full run. ``WMP_SUPPRESSION_PACK`` names a folder holding an earlier pack to read
    instead (``sample-small.yaml`` and ``reports/sample/<run>``).
    """
    import os
    from pathlib import Path

    from _suite_run import FIRST, sample_pack

    from wmp_analysis.config import load_config

    reuse = os.environ.get("WMP_SUPPRESSION_PACK")  # a folder this fixture made before
    if reuse:
        folder = Path(reuse)
        run = folder / "reports" / "sample" / FIRST
        if not run.is_dir():  # a pack this fixture made when it ran its own
            run = folder / "reports" / "sample" / "sup-run"
        return load_config(folder / "sample-small.yaml"), run
    got = sample_pack(tmp_path_factory, second=False)  # reads the first run only
    assert got["rc"][0] == 0, got["log"][-4000:]
    return load_config(got["config"]), got["first"]


@pytest.mark.slow
def test_pack_csvs_and_pages_leak_no_suppressed_figure(small_pack):
    from wmp_analysis.ingest.survey import read_survey

    cfg, run = small_pack
    survey = read_survey(cfg.source("survey"))
    df = survey[survey["positive"].notna()].reset_index(drop=True)
    tdir = run / "04_equality_breakdowns" / "tables"

    def read(name):
        p = tdir / f"{name}.csv"
        return pd.read_csv(p, keep_default_na=True) if p.is_file() else pd.DataFrame()

    est = read("survey_estimates")
    gaps_t, dist, targ = (
        read("equality_gaps"),
        read("equality_gaps_by_district"),
        read("survey_target_estimates"),
    )
    assert len(est) and len(gaps_t)
    for t in (est, gaps_t, dist):
        if "group" in t.columns:
            t["group"] = t["group"].astype(str)
    if len(dist):
        dist["financial_year"] = dist["financial_year"].astype(str)
    if len(targ):
        targ["period_start"] = pd.to_datetime(targ["period_start"])
        targ["period_end"] = pd.to_datetime(targ["period_end"])
    whole = next(p for p in est["period"].astype(str) if " to " in p)
    cells = _published_cells(df, (est, gaps_t, dist, targ), whole)
    min_base = int(cfg.option("survey.min_base", 50))
    for m, n, _hid, label in cells:
        if n is not None:
            assert n == int(m.sum()) and not 0 < n < min_base, label
    assert _attack(df, cells) == []
    # the page: a suppressed row shows no number at all (dashes and words only)
    page = (run / "04_equality_breakdowns.html").read_text(encoding="utf-8")
    checked = 0
    for header, rows in _html_tables(page):
        if "Suppressed" not in header:
            continue
        k = header.index("Suppressed")
        why = header.index("Suppression") if "Suppression" in header else header.index("Note")
        for r in rows:
            if len(r) == len(header) and r[k].strip().lower() == "yes":
                checked += 1
                text = r[why]
                # which side is withheld: a gap row says "group: ..." / "reference: ..."
                # (a side with no respondents keeps its base of 0: nothing to hide)
                parts = [x.split(": ", 1) for x in text.split("; ") if ": " in x]
                sides = [
                    side
                    for side, why in parts
                    if side in ("group", "reference") and why != "no respondents"
                ]
                if not any(side in ("group", "reference") for side, _ in parts):
                    sides = ["group"]  # a table of single cells (estimates, target estimates)
                cols = {h for h in header if h.startswith("Gap")}
                if "group" in sides:
                    cols |= _GROUP_COLUMNS & set(header)
                if "reference" in sides:
                    cols |= {
                        h for h in header if h.startswith("Reference") and h != "Reference group"
                    }
                nums = [
                    f"{h}={v}" for h, v in zip(header, r) if h in cols and _NUMBER.match(v.strip())
                ]
                assert nums == [], (text, nums)
    assert checked > 0


@pytest.mark.slow
def test_no_respondent_row_in_any_file_of_the_run(small_pack):
    cfg, run = small_pack
    raw = pd.read_csv(cfg.source("survey"), dtype=str, keep_default_na=False)
    ids = set(raw["respondent_id"])
    lines = [",".join(r) for r in raw.head(200).itertuples(index=False)]
    import re

    token = re.compile(r"[A-Za-z0-9_\-]{4,}")
    header = ",".join(raw.columns)
    seen = 0
    for p in run.rglob("*"):
        if not p.is_file() or p.suffix in (".png", ".pdf", ".parquet"):
            continue
        text = p.read_bytes().decode("utf-8", errors="replace")
        seen += 1
        leaked = set(token.findall(text)) & ids
        assert not leaked, (p, sorted(leaked)[:5])
        assert header not in text, p
        for line in lines:
            assert line not in text, p
    assert seen > 10
