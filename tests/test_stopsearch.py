"""Stop-and-search rates, relative rates, bounds and outcome tests."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from conftest import require_shared
from scipy.stats import chi2
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep

from wmp_analysis.analysis import stopsearch as ss

WM = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]


def _searches(spec):
    """spec: list of (group, officer, age, outcome, linked, n)."""
    rows = []
    for grp, off, age, outcome, linked, n in spec:
        rows += [
            {
                "self_defined_group": grp,
                "officer_defined_ethnicity": off,
                "age_range": age,
                "outcome": outcome,
                "outcome_linked_to_object": linked,
            }
        ] * n
    df = pd.DataFrame(rows)
    df["outcome_linked_to_object"] = df["outcome_linked_to_object"].astype("boolean")
    return df


POP = pd.Series(
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


def test_counts_kept_apart_and_missing_counted():
    df = _searches(
        [
            ("White", "White", "18-24", "Arrest", True, 3),
            ("Black", "White", "over 34", "", None, 2),
            (None, None, None, "A no further action disposal", False, 1),
        ]
    )
    c = ss.search_counts(df)
    sd = c[c.dimension == "self_defined_group"].set_index("category")["searches"]
    od = c[c.dimension == "officer_defined_ethnicity"].set_index("category")["searches"]
    assert sd.to_dict() == {"Black": 2, "Not stated": 1, "White": 3}
    assert od.to_dict() == {"Not recorded": 1, "White": 5}
    ag = c[c.dimension == "age_range"].set_index("category")["searches"]
    assert ag["Not recorded"] == 1
    assert c.groupby("dimension")["share_pct"].sum().round(9).eq(100).all()


def test_rates_rr_hand_worked_and_statsmodels():
    # White 200 searches /100k = 2 per 1,000; Black 100 / 10k = 10 per 1,000: RR 5
    df = _searches(
        [
            ("White", "White", "18-24", "Arrest", True, 200),
            ("Black", "Black", "18-24", "", False, 100),
            ("Asian", "Asian", "18-24", "", False, 40),
            ("Not stated", None, "18-24", "", None, 10),
        ]
    )
    r = ss.search_rates(df, POP).set_index("group")
    assert r.loc["White", "rate_per_1000"] == pytest.approx(2.0)
    assert r.loc["Black", "rate_per_1000"] == pytest.approx(10.0)
    assert r.loc["Black", "rr_vs_white"] == pytest.approx(5.0)
    lo, hi = confint_poisson_2indep(100, 10_000, 200, 100_000, method="score", compare="ratio")
    assert (r.loc["Black", "rr_ci_low"], r.loc["Black", "rr_ci_high"]) == pytest.approx((lo, hi))
    # BME: 140 / 40k = 3.5 per 1,000 -> RR 1.75
    assert r.loc["BME", "rr_vs_white"] == pytest.approx(1.75)
    # bounds: all 10 missing to White -> 10/(210/100k)=4.7619; all to Black -> 11/(200/100k)... (110/10k)/(2/1000)=5.5
    assert r.loc["Black", "rr_min_missing"] == pytest.approx((100 / 10_000) / (210 / 100_000))
    assert r.loc["Black", "rr_max_missing"] == pytest.approx((110 / 10_000) / (200 / 100_000))
    assert r.loc["BME", "rr_max_missing"] == pytest.approx((150 / 40_000) / (200 / 100_000))
    assert r.loc["Not stated", "searches"] == 10 and math.isnan(
        r.loc["Not stated", "rate_per_1000"]
    )
    assert r.loc["All", "searches"] == 350
    # exact Poisson interval for a rate, hand formula
    lo, hi = ss.poisson_rate_ci(200, 100_000)
    assert lo == pytest.approx(chi2.ppf(0.025, 400) / 2 / 100)
    assert hi == pytest.approx(chi2.ppf(0.975, 402) / 2 / 100)
    assert (r["caveat"] == ss.RESIDENTIAL_POPULATION_CAVEAT).all()
    assert "not the population available to be stopped" in ss.RESIDENTIAL_POPULATION_CAVEAT


def test_outcome_rates_wilson():
    df = _searches(
        [
            ("White", "White", "18-24", "Arrest", True, 30),
            ("White", "White", "18-24", "A no further action disposal", False, 70),
            ("Black", "Black", "18-24", "Suspect arrested", True, 10),
            ("Black", "Black", "18-24", "Nothing found - no further action", False, 90),
            ("Black", "Black", "18-24", "", None, 5),
        ]
    )
    o = ss.outcome_rates(df).set_index("group")
    assert o.loc["White", "arrest_rate"] == pytest.approx(30.0)
    assert o.loc["Black", "outcome_recorded"] == 100 and o.loc["Black", "arrests"] == 10
    lo, hi = proportion_confint(10, 100, method="wilson")
    assert (o.loc["Black", "find_ci_low"], o.loc["Black", "find_ci_high"]) == pytest.approx(
        (100 * lo, 100 * hi)
    )
    assert o.loc["Black", "find_gap_vs_white"] == pytest.approx(-20.0)
    assert o.loc["Black", "find_gap_ci_high"] < 0  # a lower find rate, clearly


def test_district_rates_need_a_district():
    with pytest.raises(ValueError, match="district"):
        ss.search_rates_by_district(
            _searches([("White", "White", "18-24", "", None, 1)]), pd.DataFrame(), WM
        )


def test_census_denominators_real_la_file():
    path = require_shared("population/la-ethnic-groups.csv")
    from wmp_analysis.ingest.census import read_census_ethnicity_la

    expected = {g: 0 for g in ("All", "White", "Mixed", "Asian", "Black", "Other")}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["geography"] in WM:
                for g in expected:
                    col = (
                        "Ethnic Group: All categories: Ethnic group; measures: Value"
                        if g == "All"
                        else f"Ethnic Group: {g}; measures: Value"
                    )
                    expected[g] += int(row[col])
    pop = ss.census_population_by_group(read_census_ethnicity_la(path), WM)
    for g, v in expected.items():
        assert pop[g] == v
    assert pop["All"] == 2_736_460
    assert pop["BME"] == expected["All"] - expected["White"]
    with pytest.raises(ValueError, match="Narnia"):
        ss.census_population_by_group(read_census_ethnicity_la(path), ["Narnia"])


def test_census2021_age_proxy_real_file():
    path = require_shared("population/census.csv.gz")
    c21 = ss.read_census2021_age_ethnicity(path)
    assert set(c21["group"]) == {"White", "Mixed", "Asian", "Black", "Other"}
    b = c21[c21["geography"] == "Birmingham"]
    assert b["age"].min() == 0 and b["age"].max() == 100
    ap = ss.age_range_population(c21, WM)
    assert list(ap.index) == list(ss.AGE_RANGES)
    wm = c21[c21["geography"].isin(WM)]
    assert ap["All"].sum() == wm["count"].sum()
    assert (
        ap["suppressed_cells"].sum() == wm["count"].isna().sum() > 0
    )  # "c" cells are NA, not zero
    df = _searches(
        [("White", "White", "18-24", "", None, 50), ("White", "White", None, "", None, 2)]
    )
    r = ss.age_rates(df, ap).set_index("age_range")
    assert r.loc["18-24", "rate_per_1000"] == pytest.approx(50 / ap.loc["18-24", "All"] * 1000)
    assert r.loc["Not recorded", "searches"] == 2
    assert r["denominator"].str.contains("PROXY").all()
    assert "2021" in ss.DENOMINATOR_NOTE and "2011" in ss.DENOMINATOR_NOTE


def test_census2021_bad_header(tmp_path):
    from wmp_analysis.errors import SchemaError

    p = tmp_path / "c.csv"
    p.write_text("Code,Name,Age\nX,Y,1\n", encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        ss.read_census2021_age_ethnicity(p)
    assert e.value.row == 1


def test_district_rates_with_a_district_column():
    """An extract that carries a district (e.g. a force's own) gets per-district rates."""
    census = pd.DataFrame(
        [
            {
                "geography_code": c,
                "geography": g,
                "level": "lad",
                "group": grp,
                "category": grp,
                "is_group_total": True,
                "count": n,
            }
            for c, g, sizes in (
                ("E08000025", "Birmingham", {"White": 50_000, "Black": 10_000}),
                ("E08000026", "Coventry", {"White": 20_000, "Black": 2_000}),
            )
            for grp, n in {
                **sizes,
                "Mixed": 0,
                "Asian": 0,
                "Other": 0,
                "All": sum(sizes.values()),
            }.items()
        ]
    )
    df = _searches(
        [("White", "White", "18-24", "", None, 100), ("Black", "Black", "18-24", "", None, 60)]
    )
    df["district"] = ["Birmingham"] * 100 + ["Birmingham"] * 40 + ["Coventry"] * 20
    r = ss.search_rates_by_district(df, census, ["Birmingham", "Coventry"]).set_index(
        ["geography", "group"]
    )
    assert r.loc[("Birmingham", "White"), "rate_per_1000"] == pytest.approx(100 / 50_000 * 1000)
    assert r.loc[("Birmingham", "Black"), "rr_vs_white"] == pytest.approx(
        (40 / 10_000) / (100 / 50_000)
    )
    assert r.loc[("Coventry", "Black"), "rate_per_1000"] == pytest.approx(20 / 2_000 * 1000)
    assert r.loc[("Coventry", "White"), "searches"] == 0


def test_not_stated_has_no_population_never_zero(tmp_path):
    """The ``Not stated`` row: its searches counted, population missing (blank in the CSV,
    never 0), no rate, and a note saying why (issue 12)."""
    from wmp_analysis.report.outputs import write_table_csv

    pop = pd.Series(
        {
            "White": 1_000,
            "Mixed": 100,
            "Asian": 200,
            "Black": 100,
            "Other": 100,
            "BME": 500,
            "All": 1_500,
        }
    )
    df = _searches(
        [("White", "White", "18-24", "", None, 4), (None, "White", "18-24", "", None, 3)]
    )
    r = ss.search_rates(df, pop, geography="Force").set_index("group")
    assert r.loc["Not stated", "searches"] == 3
    assert pd.isna(r.loc["Not stated", "population"])
    assert pd.isna(r.loc["Not stated", "rate_per_1000"])
    assert r.loc["Not stated", "population_note"] == ss.NO_POPULATION_NOTE
    assert r.loc["White", "population"] == 1_000 and r.loc["White", "population_note"] == ""
    assert r.loc["White", "rate_per_1000"] == pytest.approx(4 / 1_000 * 1000)  # 4.0
    path = write_table_csv(r.reset_index(), tmp_path / "rates.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    cols = lines[0].split(",")
    not_stated = next(line for line in lines if line.startswith("Not stated,"))
    assert not_stated.split(",")[cols.index("population")] == ""  # blank, not 0


# ----------------------------------------------------------------- the section's tables (issue 13)
def test_in_period_and_availability_notes():
    from wmp_analysis.periods import Period

    df = pd.DataFrame({"month": pd.to_datetime(["2012-03-01", "2012-04-01", "2013-04-01"])})
    got = ss.in_period(df, Period.from_strings("2012-04-01", "2013-03-31"))
    assert list(got["month"]) == [pd.Timestamp("2012-04-01")]
    assert ss.in_period(df, None) is df and ss.in_period(None, None) is None
    census = pd.DataFrame({"x": [1]})
    assert ss.availability_notes(df, census, police_uk_supplied=True, census_supplied=True) == []
    assert ss.availability_notes(
        df.iloc[:0], None, police_uk_supplied=True, census_supplied=True
    ) == [ss.NO_SEARCHES_NOTE, ss.NO_CENSUS_NOTE]
    assert ss.availability_notes(None, None, police_uk_supplied=False, census_supplied=False) == []


def _pfa_census(force, sizes):
    return pd.DataFrame(
        [
            {
                "geography_code": "E23000014",
                "geography": force,
                "level": "pfa",
                "group": g,
                "category": g,
                "is_group_total": True,
                "count": n,
            }
            for g, n in {**sizes, "All": sum(sizes.values())}.items()
        ]
    )


def test_force_breakdown_hand_worked_and_not_measurable():
    census = _pfa_census(
        "Force", {"White": 10_000, "Mixed": 1_000, "Asian": 2_000, "Black": 1_000, "Other": 1_000}
    )
    df = _searches(
        [("White", "White", "18-24", "", None, 20), ("Black", "Black", "18-24", "", None, 5)]
    )
    df["month"] = pd.Timestamp("2012-05-01")  # one month of FY 2012-13
    got = ss.force_breakdown(df, census, "Force", ["Birmingham"])
    assert got.measurable and got.counts is not None
    r = got.rates.set_index("group")
    assert r.loc["White", "rate_per_1000"] == pytest.approx(20 / 10_000 * 1000)  # 2.0
    assert r.loc["Black", "rr_vs_white"] == pytest.approx((5 / 1_000) / (20 / 10_000))  # 2.5
    assert got.notes == [
        "Denominator used: 2011 Census, police force area Force",
        ss.SHORT_YEAR_NOTE,
    ]
    none = ss.force_breakdown(df, None, "Force", [])
    assert not none.measurable and none.rates.empty and none.outcomes.empty and none.counts is None
    assert list(none.rates.columns) == list(ss.RATE_DTYPES)
