"""The one-line reading of each target, from hand-worked comparison rows.

Each row is written by hand (the figures: West Midlands ONS 2011-12 against 2012-13 as
published, and invented small cases); the expected sentence is worked out by hand from the
row, not produced by the function under test.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from wmp_analysis.report.readings import format_p, measure_label, target_reading


def row(**kw):
    base = {
        "target_kind": "pct_change",
        "direction": "down",
        "target_value": -8.0,
        "proxy": False,
        "source": "ONS PFA",
        "p_value": math.nan,
        "p_adjusted": math.nan,
        "note": "",
    }
    base.update(kw)
    return base


def test_fall_met_very_unlikely_chance_the_issue_example():
    # burglary of homes 15,898 -> 13,571: (13571 - 15898) / 15898 = -14.637%
    r = row(
        measure_id="burglary_dwelling",
        baseline_value=15898,
        actual_value=13571,
        pct_change=-14.637061,
        status="met",
        p_value=7.2e-42,
        p_adjusted=2.2e-41,
    )
    assert target_reading(r, "Burglary of homes (domestic burglary)") == (
        "Burglary of homes fell 14.6% against a target of 8%: met; "
        "a fall this large is very unlikely to be chance (p < 0.001)."
    )


def test_fall_not_met():
    # 26,009 -> 24,799: -4.65%, short of an 8% reduction
    r = row(
        measure_id="business_crime",
        baseline_value=26009,
        actual_value=24799,
        pct_change=-4.652236,
        status="not met",
        p_value=8.1e-08,
        p_adjusted=0.004,
    )
    assert target_reading(r, "Business crime") == (
        "Business crime fell 4.7% against a target of 8%: not met; "
        "a fall this large is unlikely to be chance (p = 0.004)."
    )


def test_rise_against_a_reduction_target_could_be_chance():
    # 1,000 -> 1,020 = +2.0%; Holm-adjusted p 0.41
    r = row(
        measure_id="robbery",
        baseline_value=1000,
        actual_value=1020,
        pct_change=2.0,
        status="not met",
        p_value=0.2,
        p_adjusted=0.41,
    )
    assert target_reading(r, "Robbery") == (
        "Robbery rose 2.0% against a target fall of 8%: not met; a change this size could be chance (p = 0.41)."
    )


def test_adjusted_p_is_preferred_over_raw():
    r = row(
        baseline_value=100,
        actual_value=80,
        pct_change=-20.0,
        status="met",
        p_value=0.03,
        p_adjusted=0.09,
    )
    assert target_reading(r, "Robbery").endswith("could be chance (p = 0.09).")


def test_overdispersion_is_said_when_it_changes_the_verdict():
    r = row(
        baseline_value=190818,
        actual_value=168770,
        pct_change=-11.554466,
        target_value=-5.0,
        status="met",
        p_value=4e-296,
        p_adjusted=2e-295,
        p_value_overdispersed=0.08,
    )
    out = target_reading(r, "Total recorded crime (excluding fraud)")
    assert out.startswith(
        "Total recorded crime (excluding fraud) fell 11.6% against a target of 5%: met; a fall this large is very "
        "unlikely to be chance (p < 0.001), but allowing for"
    )
    assert out.endswith("could be chance (p = 0.08).")


def test_not_measurable_gives_the_reason():
    r = row(
        measure_id="repeat_victims",
        target_kind="direction",
        status="not measurable",
        note="no public series of repeat victims",
    )
    assert (
        target_reading(r)
        == "Repeat victims: not measurable from the data supplied: no public series of repeat victims."
    )


def test_proxy_is_labelled_a_proxy():
    # 19,934 -> 17,866 = -10.37%
    r = row(
        measure_id="most_serious_violence",
        baseline_value=19934,
        actual_value=17866,
        pct_change=-10.374235,
        status="met",
        proxy=True,
        p_adjusted=2e-26,
    )
    out = target_reading(r, "Most serious violent crime (PROXY)")
    assert out.startswith(
        "Most serious violent crime (measured by a proxy) fell 10.4% against a target of 8%: met"
    )
    assert "PROXY" not in out


def test_proxy_flag_read_from_csv_text():
    r = row(baseline_value=10, actual_value=5, pct_change=-50.0, status="met", proxy="True")
    assert "(measured by a proxy)" in target_reading(r, "X")


def test_survey_level_in_percent():
    r = row(
        measure_id="crime_satisfaction",
        target_kind="level",
        direction="up",
        target_value=88.0,
        baseline_value=86.0,
        actual_value=87.25,
        pct_change=1.45,
        status="not met",
        source="survey extract",
    )
    assert target_reading(r, "Victim satisfaction with the overall service (crime)") == (
        "Victim satisfaction with the overall service (crime) rose from 86.0% to 87.2% against a target of 88%: not met."
    )


def test_insufficient_data():
    r = row(status="insufficient data", note="no survey estimate for 2012-13")
    assert (
        target_reading(r, "Confidence")
        == "Confidence: not judged (insufficient data) - no survey estimate for 2012-13."
    )


def test_pandas_series_row_and_missing_columns():
    s = pd.Series(
        {
            "measure_id": "robbery",
            "status": "met",
            "target_kind": "pct_change",
            "direction": "down",
            "target_value": -8,
            "pct_change": -24.779614,
            "baseline_value": 7260,
            "actual_value": 5461,
        }
    )
    # 7,260 -> 5,461 = -24.78%; no p-value column at all: no chance clause
    assert target_reading(s, "Robbery") == "Robbery fell 24.8% against a target of 8%: met."


@pytest.mark.parametrize(
    "p,want",
    [
        (0.0004, "p < 0.001"),
        (0.001, "p = 0.001"),
        (0.0123, "p = 0.01"),
        (0.41, "p = 0.41"),
        (None, ""),
        (math.nan, ""),
    ],
)
def test_format_p(p, want):
    assert format_p(p) == want


def test_measure_label_from_id():
    assert measure_label({"measure_id": "burglary_dwelling"}) == "Burglary dwelling"


def test_measure_label_keeps_a_qualifying_parenthesis():
    assert (
        measure_label({}, "Burglary of homes (domestic burglary)") == "Burglary of homes"
    )  # restates
    assert measure_label({}, "Burglary (all burglary)") == "Burglary"
    assert measure_label({}, "Business crime (PROXY)") == "Business crime"
    asb = "Satisfaction with the overall service (anti-social behaviour)"
    assert measure_label({}, asb) == asb  # qualifies: kept
    assert (
        measure_label({}, "Total recorded crime (excluding fraud)")
        == "Total recorded crime (excluding fraud)"
    )


def test_on_track_reads_the_projection():
    # police.uk baseline 1,200; 6 months of 80 projected to 960: (960 - 1200) / 1200 = -20%
    r = row(
        measure_id="robbery",
        status="on track",
        baseline_value=1200,
        projected=960,
        actual_value=math.nan,
        pct_change=math.nan,
    )
    assert target_reading(r, "Robbery") == (
        "Robbery is projected to fall 20.0% by the year end against a target of 8%: on track "
        "(the target year is not complete)."
    )


def test_plan_figure_reads_the_survey_estimate():
    r = row(
        status="consistent with plan",
        target_kind="reported_figure",
        target_value=86.0,
        actual_value=85.04,
        source="survey extract",
    )
    assert target_reading(r, "Crime satisfaction") == (
        "The plan reported 86% for crime satisfaction; the survey estimate is 85.0%: "
        "consistent with plan."
    )


def test_a_row_without_a_status_reads_no_result():
    r = row(status=None, note="")
    assert target_reading(r, "Robbery") == (
        "Robbery: not judged (no result) - a baseline or target-period value is missing."
    )
