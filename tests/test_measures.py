"""Measures: ONS rolling years with structural zeros, CSP quarters, police.uk months."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period


def _ons(rows):
    df = pd.DataFrame(rows, columns=["period_end", "force", "offence", "count"])
    df["period_end"] = pd.to_datetime(df["period_end"])
    df["region"] = "R"
    return df


BURG = {
    "measure_id": "burglary_dwelling",
    "ons_offences": "Domestic burglary;Residential burglary",
    "proxy": "false",
    "proxy_note": "",
}


def test_structural_zeros_are_not_real_zeros():
    ons = _ons(
        [
            ("2016-03-31", "F", "Domestic burglary", 100),
            ("2016-03-31", "F", "Residential burglary", 0),
            ("2017-06-30", "F", "Domestic burglary", 60),
            ("2017-06-30", "F", "Residential burglary", 45),
            ("2018-03-31", "F", "Domestic burglary", 0),
            ("2018-03-31", "F", "Residential burglary", 110),
        ]
    )
    s = M.ons_rolling_year(ons, BURG, "F")
    assert s["value"].tolist() == [100, 105, 110]
    assert "Residential burglary not published" in s["note"].iloc[0]
    assert "Domestic burglary not published" in s["note"].iloc[2]
    assert s["period_start"].iloc[0] == pd.Timestamp("2015-04-01")
    flags = M.ons_zero_flags(ons)
    assert (flags["zero_kind"] == "not published").sum() == 2


def test_gap_inside_run_is_nan_not_zero():
    ons = _ons(
        [
            ("2012-03-31", "F", "Robbery", 50),
            ("2012-06-30", "F", "Robbery", 0),
            ("2012-09-30", "F", "Robbery", 40),
            ("2012-12-31", "F", "Homicide", 1),
            ("2013-03-31", "F", "Robbery", 45),
        ]
    )
    m = {"measure_id": "robbery", "ons_offences": "Robbery", "proxy": False, "proxy_note": ""}
    s = M.ons_rolling_year(ons, m, "F").set_index("period_end")
    assert math.isnan(s.loc["2012-06-30", "value"])  # implausible zero inside the run
    assert math.isnan(s.loc["2012-12-31", "value"])  # no Robbery row at all
    assert "missing (gap)" in s.loc["2012-12-31", "note"]
    # small groups keep real zeros
    m2 = {"measure_id": "h", "ons_offences": "Homicide", "proxy": False, "proxy_note": ""}
    ons2 = _ons(
        [
            ("2012-03-31", "F", "Homicide", 2),
            ("2012-06-30", "F", "Homicide", 0),
            ("2012-09-30", "F", "Homicide", 1),
        ]
    )
    assert M.ons_rolling_year(ons2, m2, "F")["value"].tolist() == [2, 0, 1]


def test_real_wm_burglary_and_measure_value(ons_real):
    s = M.ons_rolling_year(ons_real, BURG, "West Midlands")
    assert M.measure_value(s, Period.financial_year("2011-12"))["value"] == 15898
    assert M.measure_value(s, Period.financial_year("2012-13"))["value"] == 13571
    assert M.measure_value(s, Period.financial_year("2015-16"))["value"] == 11966
    # from the 12 months to March 2018 only residential burglary exists (domestic is a 0 placeholder)
    last = s[s["period_end"] == "2018-03-31"].iloc[0]
    assert last["value"] == 20925 and "Domestic burglary not published" in last["note"]


def test_csp_quarterly_and_fy_sum():
    rows = []
    for q, qe in enumerate(["2011-06-30", "2011-09-30", "2011-12-31", "2012-03-31"], start=1):
        rows.append(("Birmingham", qe, "28A", 10 * q, "Burglary"))
        rows.append(("Birmingham", qe, "46", 5, "Shoplifting"))
    rows.append(("Coventry", "2011-06-30", "46", 3, "Shoplifting"))
    csp = pd.DataFrame(
        rows, columns=["csp_name", "quarter_end", "offence_code", "count", "offence_group"]
    )
    csp["quarter_end"] = pd.to_datetime(csp["quarter_end"])
    m = {
        "measure_id": "burglary_dwelling",
        "csp_offence_codes": "28A;28B",
        "proxy": False,
        "proxy_note": "",
    }
    s = M.csp_quarterly(csp, m, ["Birmingham", "Coventry"])
    b = s[s["geography"] == "Birmingham"]
    assert b["value"].tolist() == [10, 20, 30, 40]
    assert (
        M.measure_value(s, Period.financial_year("2011-12"), geography="Birmingham")["value"] == 100
    )
    c = s[s["geography"] == "Coventry"]
    assert c["value"].iloc[0] == 0 and c["value"].iloc[1:].isna().all()
    v = M.measure_value(s, Period.financial_year("2011-12"), geography="Coventry")
    assert math.isnan(v["value"]) and "missing months" in v["note"]
    star = M.csp_quarterly(csp, {"measure_id": "t", "csp_offence_codes": "*"}, ["Birmingham"])
    assert star["value"].tolist() == [15, 25, 35, 45]


def test_police_uk_monthly_proxy_and_gaps():
    street = pd.DataFrame(
        {
            "month": pd.to_datetime(["2011-04-01", "2011-04-01", "2011-04-01", "2011-06-01"]),
            "category": ["Burglary", "Robbery", "Burglary", "Robbery"],
            "category_stable": ["Burglary", "Robbery", "Burglary", "Robbery"],
            "district": ["Dudley", "Dudley", "Walsall", "Dudley"],
        }
    )
    m = {
        "measure_id": "burglary",
        "police_uk_categories": "Burglary",
        "police_uk_stable": "Burglary",
        "proxy": False,
    }
    s = M.police_uk_monthly(street, m, ["Dudley"])
    assert s["value"].iloc[0] == 1 and math.isnan(s["value"].iloc[1]) and s["value"].iloc[2] == 0
    assert s["proxy"].all() and "proxy" in s["proxy_note"].iloc[0]
    assert "missing" in s["note"].iloc[1]
    with pytest.raises(ValueError):
        M.police_uk_monthly(street, m, ["Dudley"], scheme="other")


def test_measure_row_unknown():
    from wmp_analysis.errors import UnknownCategoryError

    with pytest.raises(UnknownCategoryError):
        M.measure_row(pd.DataFrame({"measure_id": ["a"]}), "b")


def test_rolling_year_from_flags_of_the_whole_file_equals_flags_of_the_force(ons_real):
    # the national view flags the real ONS file once and hands each force its part; every
    # force and offence group is flagged on its own, so each series must come out the same
    from wmp_analysis.measures.targets import load_measures

    measures = load_measures()
    flagged = M.ons_zero_flags(ons_real)
    forces = sorted(ons_real["force"].unique())
    assert len(forces) > 40
    ids = ["total_crime", "burglary_dwelling", "robbery", "most_serious_violence"]
    rows = [measures[measures["measure_id"] == i].iloc[0].to_dict() for i in ids]
    for force in forces:
        for m in rows:
            a = M.ons_rolling_year(ons_real, m, force)
            b = M.ons_rolling_year(ons_real, m, force, flagged=flagged)
            pd.testing.assert_frame_equal(a, b)
