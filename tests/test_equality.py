"""Survey estimates and gaps: hand-worked examples and statsmodels/scipy checks."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from wmp_analysis.analysis import equality as eq
from wmp_analysis.periods import Period

Z = norm.ppf(0.975)


def wilson(p, n, z=Z):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_kish_and_three_row_weighted_example():
    y, w = [True, False, True], [1.0, 2.0, 3.0]
    assert eq.kish_neff(w) == pytest.approx(36 / 14)  # (1+2+3)^2 / (1+4+9)
    assert eq.kish_neff([2.0] * 5) == pytest.approx(5.0)  # equal weights: n
    r = eq.weighted_proportion(y, w)
    assert r["p"] == pytest.approx(4 / 6)  # (1*1 + 3*1) / 6
    assert r["n"] == 3 and r["n_positive"] == 2 and r["sum_weight"] == 6
    lo, hi = wilson(2 / 3, 36 / 14)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
    sm = proportion_confint(2 / 3 * 36 / 14, 36 / 14, method="wilson")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(sm)


def test_unweighted_equals_plain_wilson():
    rng = np.random.default_rng(3)
    y = rng.random(400) < 0.8
    r = eq.weighted_proportion(y, np.ones(400))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(
        proportion_confint(y.sum(), 400, method="wilson")
    )


def test_gap_is_newcombe_hybrid_score():
    p1, n1, p2, n2 = 0.80, 250.0, 0.88, 900.0
    l1, u1 = wilson(p1, n1)
    l2, u2 = wilson(p2, n2)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    g = eq.proportion_gap(p1, n1, p2, n2)
    assert g["gap"] == pytest.approx(-0.08)
    assert (g["ci_low"], g["ci_high"]) == pytest.approx((lo, hi))
    assert g["significant"] is True
    assert eq.proportion_gap(0.86, 60, 0.88, 60)["significant"] is False


def _frame(spec, **extra):
    """spec: list of (column values dict, n, n_positive, weight)."""
    rows = []
    for vals, n, k, w in spec:
        rows += [{**vals, "positive": i < k, "weight": w} for i in range(n)]
    df = pd.DataFrame(rows)
    df["positive"] = df["positive"].astype("boolean")
    for k, v in extra.items():
        df[k] = v
    return df


def test_estimates_and_suppression():
    df = _frame(
        [({"ethnic_group": "White"}, 100, 90, 1.0), ({"ethnic_group": "Black"}, 40, 30, 1.0)],
        measure="crime_satisfaction",
    )
    est = eq.survey_estimates(df, ["ethnic_group"], min_base=50).set_index("ethnic_group")
    assert est.loc["White", "estimate"] == pytest.approx(90.0)
    assert est.loc["White", "n_eff"] == pytest.approx(100)
    assert not est.loc["White", "suppressed"]
    # suppressed: the base, positives and weights go too (issue 12: n 23 and n_positive 15 beside a
    # blank estimate let a reader divide), and the reason is given
    assert est.loc["Black", "suppressed"]
    assert (
        est.loc[
            ["Black"], ["n", "n_positive", "sum_weight", "n_eff", "estimate", "ci_low", "ci_high"]
        ]
        .isna()
        .all(axis=None)
    )
    assert est.loc["Black", "suppression"] == "fewer than 50 respondents"
    est30 = eq.survey_estimates(df, ["ethnic_group"], min_base=30).set_index("ethnic_group")
    assert est30.loc["Black", "estimate"] == pytest.approx(75.0)
    # a blank answer (NA) is not in the base
    df.loc[0, "positive"] = pd.NA
    assert eq.survey_estimates(df, [], min_base=1)["n"].iloc[0] == 139


def test_gaps_bme_vs_white_and_age_comparisons():
    df = _frame(
        [
            ({"ethnic_group": "White", "age_band": "65+"}, 200, 180, 1.0),
            ({"ethnic_group": "Asian", "age_band": "16-24"}, 100, 75, 2.0),
            ({"ethnic_group": "Black", "age_band": "16-24"}, 100, 85, 1.0),
            ({"ethnic_group": "Not stated", "age_band": "Not stated"}, 60, 10, 1.0),
        ],
        measure="crime_satisfaction",
    )
    g = eq.gaps(df, eq.default_comparisons(), min_base=50)
    bme = g[(g.group == "BME") & (g.reference == "White")].iloc[0]
    # BME weighted: (75*2 + 85) / (100*2 + 100) = 235/300
    assert bme["estimate"] == pytest.approx(100 * 235 / 300)
    assert bme["reference_estimate"] == pytest.approx(90.0)
    assert bme["gap"] == pytest.approx(100 * 235 / 300 - 90)
    assert bme["n_eff"] == pytest.approx(300**2 / (100 * 4 + 100))
    h = eq.proportion_gap(235 / 300, 300**2 / 500, 0.9, 200)
    assert (bme["gap_ci_low"], bme["gap_ci_high"]) == pytest.approx(
        (100 * h["ci_low"], 100 * h["ci_high"])
    )
    assert bme["significant"] == h["significant"]
    # Mixed has no respondents: suppressed, not zero
    mixed = g[g.group == "Mixed"].iloc[0]
    assert mixed["suppressed"] and mixed["base_n"] == 0 and math.isnan(mixed["gap"])
    young = g[(g.group == "16-24") & (g.reference == "All other ages")].iloc[0]
    assert young["reference_base_n"] == 200  # "Not stated" excluded from the rest
    assert set(g.loc[g.reference == "65+", "group"]) == {
        "16-24",
        "25-34",
        "35-44",
        "45-54",
        "55-64",
    }
    assert "Not stated" not in set(g["group"])


def test_equality_gaps_headline_table_and_periods():
    months = pd.to_datetime(["2011-05-01", "2012-06-01"])
    df = pd.concat(
        [
            _frame(
                [
                    ({"ethnic_group": "White", "age_band": "65+"}, 100, 90, 1.0),
                    ({"ethnic_group": "Black", "age_band": "16-24"}, 100, 80, 1.0),
                ],
                measure="confidence",
                fieldwork_month=m,
            )
            for m in months
        ],
        ignore_index=True,
    )
    t = eq.equality_gaps(df)
    assert list(t.columns[:12]) == eq.EQUALITY_GAP_COLUMNS
    assert set(t["period"]) == {"2011-05 to 2012-06", "2011-12", "2012-13"}
    one = eq.equality_gaps(df, period=Period.financial_year("2011-12"))
    assert set(one["period"]) == {"2011-12"}
    assert not one.duplicated(["group", "reference", "measure", "period"]).any()
    row = one[(one.group == "BME")].iloc[0]
    assert row["gap"] == pytest.approx(-10.0) and row["base_n"] == 100


def test_survey_estimates_for_targets_respondent_and_aggregated():
    df = _frame(
        [({"x": 1}, 100, 88, 1.0)],
        measure="crime_satisfaction",
        fieldwork_month=pd.Timestamp("2012-05-01"),
    )
    out = eq.survey_estimates_for_targets(
        df, ["crime_satisfaction", "asb_satisfaction"], Period.financial_year("2012-13")
    ).set_index("measure_id")
    assert out.loc["crime_satisfaction", "estimate"] == pytest.approx(88.0)
    lo, hi = proportion_confint(88, 100, method="wilson")
    assert out.loc["crime_satisfaction", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [100 * lo, 100 * hi]
    )
    assert out.loc["asb_satisfaction", "n"] == 0 and math.isnan(
        out.loc["asb_satisfaction", "estimate"]
    )
    assert list(out.reset_index().columns[:8]) == [
        "measure_id",
        "period_start",
        "period_end",
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "n_eff",
    ]
    none = eq.survey_estimates_for_targets(
        df, ["crime_satisfaction"], Period.financial_year("2013-14")
    )
    assert none["n"].iloc[0] == 0
    agg = pd.DataFrame(
        {
            "group_type": ["all", "all", "ethnic_group"],
            "group": ["All", "All", "BME"],
            "measure": ["asb_satisfaction"] * 3,
            "period_start": pd.to_datetime(["2012-04-01", "2012-10-01", "2012-04-01"]),
            "period_end": pd.to_datetime(["2012-09-30", "2013-03-31", "2013-03-31"]),
            "base_n": [500, 500, 200],
            "n_positive": [400, 380, 140],
            "weighted_proportion": [np.nan, np.nan, np.nan],
        }
    )
    a = eq.survey_estimates_for_targets(
        agg, ["asb_satisfaction"], Period.financial_year("2012-13")
    ).iloc[0]
    assert a["estimate"] == pytest.approx(78.0) and a["n"] == 1000 and a["n_eff"] == 1000
    ae = eq.aggregated_estimates(agg, min_base=300)
    assert ae["suppressed"].tolist() == [False, False, True]
    assert ae["estimate"].iloc[0] == pytest.approx(80.0)


# ---------------------------------------------------------------- figures
def _has_intervals(fig):
    from matplotlib.container import BarContainer, ErrorbarContainer

    conts = [c for ax in fig.axes for c in ax.containers]
    return any(isinstance(c, ErrorbarContainer) for c in conts) and not any(
        isinstance(c, BarContainer) for c in conts
    )


def test_plots_show_intervals_not_bare_bars():
    import matplotlib.pyplot as plt

    from wmp_analysis.analysis import stopsearch as ss
    from wmp_analysis.report.plots import equality as ep

    df = _frame(
        [
            ({"ethnic_group": "White", "age_band": "65+"}, 200, 180, 1.0),
            ({"ethnic_group": "Black", "age_band": "16-24"}, 100, 80, 1.0),
            ({"ethnic_group": "Mixed", "age_band": "16-24"}, 10, 8, 1.0),
        ],
        measure="confidence",
        fieldwork_month=pd.Timestamp("2011-05-01"),
    )
    est = eq.estimates_by_groups(df, ["ethnic_group"], by_financial_year=False)
    gt = eq.equality_gaps(df)
    srch = pd.DataFrame(
        {
            "self_defined_group": ["White"] * 50 + ["Black"] * 30,
            "outcome": ["Arrest"] * 10 + [""] * 70,
            "outcome_linked_to_object": pd.array([True] * 20 + [False] * 60, dtype="boolean"),
        }
    )
    pop = pd.Series(
        {
            "White": 10_000,
            "Mixed": 500,
            "Asian": 2_000,
            "Black": 1_000,
            "Other": 500,
            "BME": 4_000,
            "All": 14_000,
        }
    )
    rates = ss.search_rates(srch, pop)
    figs = [
        ep.plot_group_estimates(est[est.group_type == "ethnic_group"], "group"),
        ep.plot_gaps(gt),
        ep.plot_gaps_over_time(gt),
        ep.plot_relative_rates(rates),
        ep.plot_rates(rates),
        ep.plot_outcome_rates(ss.outcome_rates(srch)),
    ]
    for fig in figs:
        assert isinstance(fig, plt.Figure)
        assert _has_intervals(fig)
        plt.close(fig)
    with pytest.raises(ValueError, match="one row per measure"):
        ep.plot_group_estimates(pd.concat([est, est]), "group")
    # a suppressed group is labelled, not drawn
    fig = ep.plot_group_estimates(est[est.group_type == "ethnic_group"], "group")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("suppressed") for t in texts)
    assert not any("10" in t for t in texts)  # the hidden base is not printed on the figure
    plt.close(fig)


def test_notebook_is_thin_with_parameters_cell(project_root):
    import json

    nb = json.loads(
        (project_root / "notebooks" / "04_equality_breakdowns.ipynb").read_text(encoding="utf-8")
    )
    cells = [{**c, "source": "".join(c["source"])} for c in nb["cells"]]
    tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
    assert tagged == [0]
    src = cells[0]["source"]
    for name in (
        "config_path",
        "output_dir",
        "survey_path",
        "groups",
        "reference_groups",
        "period_start",
        "period_end",
        "min_base",
    ):
        assert f"{name} = " in src
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in cells
        if c["cell_type"] == "code"
    )
    for line in src.splitlines():  # papermill cannot parse parameter comments holding quotes or "="
        comment = line.partition("#")[2]
        assert "'" not in comment and "=" not in comment, line
    for name in ("equality_gaps", "survey_estimates", "stop_search_rates", "stop_search_outcomes"):
        assert any(f'"{name}")' in c["source"] for c in cells)


# --------------------------------------------------------------------------- no survey supplied
def test_empty_survey_has_the_reader_types_and_every_function_returns_typed_empties():
    from wmp_analysis.ingest.survey import empty_survey

    s = empty_survey()
    assert len(s) == 0 and s.attrs["contract"] == "respondent"
    # the types read_survey documents (docs/survey_contract.md): dates are datetime64, not object
    assert str(s["fieldwork_month"].dtype).startswith("datetime64")
    assert str(s["positive"].dtype) == "boolean" and str(s["weight"].dtype) == "float64"
    est = eq.estimates_by_groups(s, ["ethnic_group", "age_band"])
    assert len(est) == 0
    assert list(est.columns) == [
        "group_type",
        "group",
        "measure",
        "period",
        "n",
        "n_positive",
        "sum_weight",
        "n_eff",
        "estimate",
        "ci_low",
        "ci_high",
        "suppressed",
        "suppression",
    ]
    assert str(est["n"].dtype) == "Int64" and str(est["estimate"].dtype) == "float64"
    assert str(est["suppressed"].dtype) == "bool"
    gaps = eq.equality_gaps(s)
    assert len(gaps) == 0 and list(gaps.columns[:12]) == eq.EQUALITY_GAP_COLUMNS
    assert str(gaps["gap"].dtype) == "float64" and str(gaps["period_start"].dtype).startswith(
        "datetime64"
    )
    t = eq.survey_estimates_for_targets(s, ["confidence"], Period.financial_year("2012-13"))
    assert t["n"].tolist() == [0] and t["estimate"].isna().all()  # no data is blank, never 0%


def test_untyped_empty_frame_no_longer_fails_with_dt_accessor():
    # issue 10: estimates_by_groups on an empty frame whose fieldwork_month is object raised
    # "AttributeError: Can only use .dt accessor with datetimelike values"
    untyped = pd.DataFrame(
        columns=["positive", "fieldwork_month", "measure", "weight", "ethnic_group"]
    )
    assert len(eq.estimates_by_groups(untyped, ["ethnic_group"])) == 0
    assert len(eq.equality_gaps(untyped, groups=["ethnic_group"])) == 0
    assert len(eq.add_period_columns(untyped)) == 0


def test_stop_search_rates_by_financial_year_hand_worked_and_empty():
    from wmp_analysis.analysis import stopsearch as ss

    pop = pd.Series(
        {
            "White": 100_000,
            "Mixed": 5_000,
            "Asian": 20_000,
            "Black": 10_000,
            "Other": 5_000,
            "BME": 40_000,
            "All": 140_000,
        }
    )
    rows = (
        [{"month": pd.Timestamp("2012-03-01"), "self_defined_group": "White"}] * 3  # FY 2011-12
        + [{"month": pd.Timestamp("2012-04-01"), "self_defined_group": "Black"}] * 2  # FY 2012-13
        + [{"month": pd.Timestamp("2012-05-01"), "self_defined_group": "White"}] * 4
    )
    df = pd.DataFrame(rows)
    df["officer_defined_ethnicity"] = "White"
    df["outcome"] = "Arrest"
    df["outcome_linked_to_object"] = pd.array([True] * len(df), dtype="boolean")
    rates, outcomes = ss.rates_by_financial_year(df, pop, geography="Force")
    r = rates.set_index(["period", "group"])
    assert (
        r.loc[("2011-12", "White"), "searches"] == 3
        and r.loc[("2011-12", "White"), "months_of_data"] == 1
    )
    assert (
        r.loc[("2012-13", "Black"), "searches"] == 2
        and r.loc[("2012-13", "White"), "months_of_data"] == 2
    )
    assert r.loc[("2012-13", "Black"), "rate_per_1000"] == pytest.approx(2 / 10_000 * 1000)
    assert r.loc[("2012-13", "Black"), "rr_vs_white"] == pytest.approx((2 / 10_000) / (4 / 100_000))
    assert set(outcomes["period"]) == {"2011-12", "2012-13"}
    assert list(rates.columns) == list(ss.RATE_DTYPES)
    e_rates, e_out = ss.rates_by_financial_year(df.iloc[:0], pop, geography="Force")
    assert len(e_rates) == 0 and list(e_rates.columns) == list(ss.RATE_DTYPES)
    assert str(e_rates["searches"].dtype) == "int64" and list(e_out.columns) == list(
        ss.OUTCOME_DTYPES
    )


def test_not_supplied_note_names_the_source_and_what_it_gives():
    from wmp_analysis.availability import (
        SOURCE_USES,
        missing_sources,
        not_supplied_note,
    )

    text = not_supplied_note("survey")
    assert (
        text.startswith("Not supplied: sources.survey (")
        and "would show" in text
        and "gaps" in text
    )
    assert "would show" not in not_supplied_note("survey", brief=True)
    both = not_supplied_note("csp", "police_uk")
    assert "sources.csp" in both and "sources.police_uk" in both and "With them" in both
    from wmp_analysis.config import SOURCE_KEYS

    assert set(SOURCE_USES) == set(SOURCE_KEYS) - {"registry"}  # every data source has its wording

    class Cfg:
        sources: ClassVar[dict] = {"survey": None, "ons_pfa": "x.csv"}

    assert missing_sources(Cfg, ["ons_pfa", "survey", "csp"]) == ["survey", "csp"]


# ----------------------------------------------------------------- the section's tables (issue 13)
def test_period_from_parameters():
    assert eq.period_from_parameters(None, None) is None
    p = eq.period_from_parameters("2012-04-01", "2013-03-31")
    assert (p.start, p.end) == (pd.Timestamp("2012-04-01"), pd.Timestamp("2013-03-31"))
    with pytest.raises(ValueError, match="both"):
        eq.period_from_parameters("2012-04-01", None)


def test_headline_gaps_keeps_the_two_pairs_each_year_not_the_whole_extract():
    rows = [
        (per, g, r)
        for per in ("2010-04 to 2016-03", "2011-12", "2012-13")
        for g, r in (
            ("BME", "White"),
            ("Black", "White"),
            ("16-24", "65+"),
            ("16-24", "All other ages"),
        )
    ]
    table = pd.DataFrame(rows, columns=["period", "group", "reference"])
    got = eq.headline_gaps(table)
    assert list(zip(got["period"], got["group"], got["reference"])) == [
        ("2011-12", "BME", "White"),
        ("2011-12", "16-24", "All other ages"),
        ("2012-13", "BME", "White"),
        ("2012-13", "16-24", "All other ages"),
    ]
    assert eq.headline_gaps(table.iloc[:0]).empty


def test_district_gaps_bme_against_white_by_year_and_district():
    df = _frame(
        [
            ({"ethnic_group": "White", "district": "Dudley"}, 100, 90, 1.0),  # 90%
            ({"ethnic_group": "Asian", "district": "Dudley"}, 60, 42, 1.0),  # 70%
            ({"ethnic_group": "Black", "district": "Dudley"}, 40, 34, 1.0),  # 85%
        ],
        measure="crime_satisfaction",
        financial_year="2011-12",
        age_band="35-44",
    )
    got = eq.district_gaps(df, {"ethnic_group": "White"}, min_base=30)
    row = got[(got["district"] == "Dudley") & (got["group"] == "BME")].iloc[0]
    # BME = (42 + 34) / (60 + 40) = 76%; gap 76 - 90 = -14 points
    assert row["estimate"] == pytest.approx(76.0)
    assert row["reference_estimate"] == pytest.approx(90.0)
    assert row["gap"] == pytest.approx(-14.0)
    assert set(got["group"]) == {"BME"} and row["financial_year"] == "2011-12"
    assert eq.published_sentence(got).startswith(
        f"{int((~got['suppressed']).sum())} of {len(got)} "
    )


def test_published_sentence_counts_by_hand():
    t = pd.DataFrame({"suppressed": [False, True, False]})
    assert eq.published_sentence(t).startswith("2 of 3 district-year gaps are published")


def test_survey_tables_without_a_survey_and_aggregated():
    none = eq.survey_tables(None, ["ethnic_group"], {"ethnic_group": "White"})
    assert not none.respondent and none.plan is None and none.targets is None
    assert none.estimates.empty and list(none.gaps.columns) == list(eq.empty_gaps().columns)


def test_survey_tables_respondent_level_matches_its_parts():
    df = _frame(
        [
            ({"ethnic_group": "White", "age_band": "65+"}, 120, 108, 1.0),  # 90%
            ({"ethnic_group": "Asian", "age_band": "16-24"}, 80, 60, 1.0),  # 75%
        ],
        measure="crime_satisfaction",
        district="Dudley",
        financial_year="2011-12",
        fieldwork_month=pd.Timestamp("2011-06-01"),
    )
    t = eq.survey_tables(df, ["ethnic_group"], {"ethnic_group": "White"}, min_base=50)
    assert t.respondent and t.message is None and t.targets is None
    whole = t.gaps[(t.gaps["group"] == "BME") & (t.gaps["period"] == t.gaps["period"].iloc[0])]
    assert whole["gap"].iloc[0] == pytest.approx(75.0 - 90.0)  # -15 points
    assert t.district_gaps is not None and (t.district_gaps["group"] == "BME").all()
