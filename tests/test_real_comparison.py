"""Both plans' measurable targets on the real ONS file, West Midlands and Greater Manchester.

Values are checked against an independent pandas computation on the raw CSV.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from conftest import PROJECT_ROOT, require_shared

from wmp_analysis.analysis import compare as C
from wmp_analysis.config import load_config
from wmp_analysis.periods import Period


@pytest.fixture(scope="module")
def raw_csv():
    df = pd.read_csv(require_shared("ons/rec-crime-pfa.csv"))
    df.columns = ["end", "force", "region", "offence", "count"]
    return df


def _independent_total(raw, force, end, *, exclude_fraud=True):
    rows = raw[(raw["force"] == force) & (raw["end"] == end)]
    if exclude_fraud:
        rows = rows[rows["offence"] != "Fraud offences"]
    return int(rows["count"].sum())


def _independent(raw, force, end, offences):
    rows = raw[(raw["force"] == force) & (raw["end"] == end) & raw["offence"].isin(offences)]
    return int(rows["count"].sum())


@pytest.fixture(scope="module")
def tables():
    reg = pd.read_csv(
        PROJECT_ROOT / "data/raw/targets/registry.csv", dtype=str, keep_default_na=False
    )
    mea = pd.read_csv(
        PROJECT_ROOT / "data/raw/targets/measures.csv", dtype=str, keep_default_na=False
    )
    return reg, mea


@pytest.mark.parametrize(
    "config,force",
    [
        ("configs/real-ons.yaml", "West Midlands"),
        ("configs/real-ons-greater-manchester.yaml", "Greater Manchester"),
    ],
)
def test_both_plans_on_real_ons(config, force, ons_real, raw_csv, tables):
    reg, mea = tables
    cfg = load_config(PROJECT_ROOT / config)
    assert cfg.force == force
    ons = ons_real[ons_real["force"].isin([force, *cfg.comparators])]
    for plan, checks in (
        (
            "spp-2012-15",
            {
                "spp-total-crime": ("31-03-2012", "31-03-2013", None),
                "spp-robbery": ("31-03-2012", "31-03-2013", ["Robbery"]),
                "spp-burglary-dwelling": ("31-03-2012", "31-03-2013", ["Domestic burglary"]),
            },
        ),
        (
            "pcp-2014-15",
            {
                "pcp1314-total-crime": ("31-03-2013", "31-03-2014", None),
                "pcp1415-robbery": ("31-03-2014", "31-03-2015", ["Robbery"]),
                "pcp1314-violence-with-injury": (
                    "31-03-2013",
                    "31-03-2014",
                    ["Violence with injury"],
                ),
            },
        ),
    ):
        out = C.compare_targets(reg, mea, {"ons_pfa": ons}, dataclasses.replace(cfg, plan=plan))
        assert (out["plan"] == plan).all()
        assert len(out) == int((reg["plan"] == plan).sum())
        judged = out[out["status"].isin(["met", "not met"])]
        assert len(judged) >= 5
        assert judged["p_value"].notna().all() and judged["geography"].eq(force).all()
        by_id = out.set_index("target_id")
        for tid, (b_end, t_end, offences) in checks.items():
            if offences is None:
                b, a = (
                    _independent_total(raw_csv, force, b_end),
                    _independent_total(raw_csv, force, t_end),
                )
            else:
                b, a = (
                    _independent(raw_csv, force, b_end, offences),
                    _independent(raw_csv, force, t_end, offences),
                )
            r = by_id.loc[tid]
            assert (r["baseline_value"], r["actual_value"]) == (b, a), tid
            assert r["pct_change"] == pytest.approx(100 * (a - b) / b)
            target = float(reg.set_index("target_id").loc[tid, "target_value"])
            assert r["status"] == ("met" if 100 * (a - b) / b <= target else "not met")
        if plan == "pcp-2014-15":
            assert (judged["recorded_crime_caveat"] == C.RECORDED_CRIME_CAVEAT).all()


def test_wm_values_quoted_in_the_brief(ons_real, tables):
    reg, mea = tables
    cfg = load_config(PROJECT_ROOT / "configs/real-ons.yaml")
    out = C.compare_targets(
        reg, mea, {"ons_pfa": ons_real[ons_real["force"] == "West Midlands"]}, cfg
    )
    burg = out.set_index("target_id").loc["spp-burglary-dwelling"]
    assert (burg["baseline_value"], burg["actual_value"]) == (15898, 13571)
    assert burg["status"] == "met"
    tot = out.set_index("target_id").loc["spp-total-crime"]
    assert (tot["baseline_value"], tot["actual_value"]) == (190818, 168770)


def test_claims_check_total_crime_2013_14(ons_real, raw_csv):
    cc = C.claims_check(ons_real, "West Midlands").set_index("definition")
    incl = cc.loc["total recorded crime, every offence group as published (including fraud)"]
    excl = cc.loc["total recorded crime excluding fraud"]
    b_incl = _independent_total(raw_csv, "West Midlands", "31-03-2013", exclude_fraud=False)
    a_incl = _independent_total(raw_csv, "West Midlands", "31-03-2014", exclude_fraud=False)
    assert incl["computed_value"] == pytest.approx(100 * (a_incl - b_incl) / b_incl)
    b, a = (
        _independent_total(raw_csv, "West Midlands", "31-03-2013"),
        _independent_total(raw_csv, "West Midlands", "31-03-2014"),
    )
    assert excl["computed_value"] == pytest.approx(100 * (a - b) / b)
    assert excl["difference"] == pytest.approx(excl["computed_value"] - 2.1)
    assert "Action Fraud" in incl["explanation"]


def test_peer_forces_same_measure_same_periods(ons_real, raw_csv, tables):
    _, mea = tables
    forces = ["West Midlands", "Greater Manchester", "West Yorkshire", "Merseyside"]
    peers = C.peer_comparison(
        ons_real,
        mea,
        ["robbery"],
        forces,
        Period.financial_year("2011-12"),
        Period.financial_year("2012-13"),
    ).set_index("force")
    for f in forces:
        assert peers.loc[f, "baseline_value"] == _independent(raw_csv, f, "31-03-2012", ["Robbery"])
        assert peers.loc[f, "rr_ci_low"] < peers.loc[f, "rate_ratio"] < peers.loc[f, "rr_ci_high"]
