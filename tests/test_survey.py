"""Survey contracts (respondent level and aggregated) and the synthetic calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wmp_analysis.errors import (
    DuplicatePeriodError,
    SchemaError,
    UnknownCategoryError,
    ValueFormatError,
)
from wmp_analysis.ingest.survey import map_ethnicity, read_survey

HEAD = (
    "respondent_id,survey,fieldwork_month,wave,district,age_band,ethnicity,sex,measure,response,"
    "scale_points,positive_threshold,weight"
)
GOOD = [
    "r1,contact_counts_crime,2011-05,,Birmingham,16-24,Asian/Asian British - Indian,Male,crime_satisfaction,6,7,5,1.2",
    "r2,contact_counts_crime,2011-05,,Coventry,65+,White,Female,crime_satisfaction,4,7,5,0.8",
    "r3,feeling_the_difference,2012-01,2011-12 W2,Dudley,not stated,Not stated,Female,confidence,,5,4,1",
    "r3,feeling_the_difference,2012-01,2011-12 W2,Dudley,Not stated,Other ethnic group: Arab,Female,good_job,5,5,4,1",
]


def _write(tmp_path, lines, head=HEAD, name="s.csv"):
    p = tmp_path / name
    p.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    return p


def test_respondent_contract_reads_and_derives(tmp_path):
    df = read_survey(_write(tmp_path, GOOD))
    assert df.attrs["contract"] == "respondent"
    assert list(df["positive"].astype(object)) == [True, False, pd.NA, True]
    assert list(df["ethnic_group"]) == ["Asian", "White", "Not stated", "Other"]
    assert list(df["ethnicity_category"]) == ["Indian", "White", "Not stated", "Arab"]
    assert df["bme"].tolist()[:2] == [True, False] and df["bme"].isna().tolist()[2]
    assert df["age_band"].tolist()[2] == "Not stated"
    assert df["financial_year"].tolist() == ["2011-12"] * 4
    assert df["line"].tolist() == [2, 3, 4, 5]
    assert not df["synthetic"].any()


def test_wave_is_optional(tmp_path):
    head = HEAD.replace("wave,", "")
    lines = [",".join(x for i, x in enumerate(line.split(",")) if i != 3) for line in GOOD[:2]]
    df = read_survey(_write(tmp_path, lines, head=head))
    assert (df["wave"] == "").all() and len(df) == 2


@pytest.mark.parametrize(
    "label,expected",
    [
        (
            "White - English/Welsh/Scottish/Northern Irish/British",
            ("English/Welsh/Scottish/Northern Irish/British", "White"),
        ),
        ("Black/African/Caribbean/Black British: Caribbean", ("Caribbean", "Black")),
        (
            "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
            ("Other Mixed", "Mixed"),
        ),
        ("Asian/Asian British - Chinese", ("Chinese", "Asian")),
        ("Other ethnic group - Not stated", ("Not stated", "Not stated")),
        ("black", ("Black", "Black")),
        ("Martian", None),
        ("White: Indian", None),
    ],
)
def test_map_ethnicity(label, expected):
    assert map_ethnicity(label) == expected


@pytest.mark.parametrize(
    "col,value,err",
    [
        (1, "contact_counts", UnknownCategoryError),
        (2, "2011-13", ValueFormatError),
        (5, "15-24", UnknownCategoryError),
        (6, "Martian", UnknownCategoryError),
        (8, "confidence", UnknownCategoryError),  # measure of another survey
        (9, "8", ValueFormatError),  # off the 7-point scale
        (9, "5.5", ValueFormatError),
        (11, "9", ValueFormatError),  # threshold off the scale
        (12, "0", ValueFormatError),  # weight must be > 0
        (12, "nan", ValueFormatError),
    ],
)
def test_respondent_errors_name_line_and_field(tmp_path, col, value, err):
    fields = GOOD[1].split(",")
    fields[col] = value
    p = _write(tmp_path, [GOOD[0], ",".join(fields)])
    with pytest.raises(err) as exc:
        read_survey(p)
    assert exc.value.row == 3
    assert exc.value.field == HEAD.split(",")[col]
    assert str(p) in str(exc.value) and exc.value.expected


def test_duplicate_respondent(tmp_path):
    with pytest.raises(ValueFormatError, match="twice"):
        read_survey(_write(tmp_path, [GOOD[0], GOOD[0]]))


def test_unknown_header_and_wrong_order(tmp_path):
    with pytest.raises(SchemaError, match="neither survey contract"):
        read_survey(_write(tmp_path, ["1,2"], head="id,answer"))
    cols = HEAD.split(",")
    cols[0], cols[1] = cols[1], cols[0]
    with pytest.raises(SchemaError, match="order"):
        read_survey(_write(tmp_path, [], head=",".join(cols)))
    empty = tmp_path / "e.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SchemaError, match="empty"):
        read_survey(empty)


AGG = "group_type,group,measure,period_start,period_end,base_n,n_positive,weighted_proportion"


def test_aggregated_contract(tmp_path):
    p = _write(
        tmp_path,
        [
            "all,All,crime_satisfaction,2011-04-01,2012-03-31,3000,2580,0.86",
            "ethnic_group,BME,crime_satisfaction,2011-04-01,2012-03-31,800,656,",
        ],
        head=AGG,
    )
    df = read_survey(p)
    assert df.attrs["contract"] == "aggregated"
    assert df["base_n"].tolist() == [3000, 800]
    assert df["weighted_proportion"].iloc[0] == 0.86 and math.isnan(
        df["weighted_proportion"].iloc[1]
    )
    bad = _write(
        tmp_path,
        ["all,All,crime_satisfaction,2011-04-01,2012-03-31,30,31"],
        head=AGG.rsplit(",", 1)[0],
        name="b.csv",
    )
    with pytest.raises(ValueFormatError) as exc:
        read_survey(bad)
    assert exc.value.field == "n_positive" and exc.value.row == 2
    dup = _write(
        tmp_path,
        ["all,All,confidence,2011-04-01,2012-03-31,30,20"] * 2,
        head=AGG.rsplit(",", 1)[0],
        name="d.csv",
    )
    with pytest.raises(DuplicatePeriodError):
        read_survey(dup)


# ---------------------------------------------------------------- synthetic sample
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from wmp_analysis.synth.survey import write_survey_sample

    out = tmp_path_factory.mktemp("synth")
    (path,) = write_survey_sample(out, np.random.default_rng([20120401, 6]), scale=1.0)
    return path, read_survey(path)


def test_sample_meets_contract_and_is_labelled(sample):
    path, df = sample
    assert "synthetic" in path.name and df["synthetic"].all()
    assert df["fieldwork_month"].min() == pd.Timestamp("2010-04-01")
    assert df["fieldwork_month"].max() == pd.Timestamp("2016-03-01")
    ftd = df[(df.measure == "confidence") & (df.financial_year == "2012-13")]
    assert len(ftd) == 16_800 and set(ftd["wave"]) == {"2012-13 W1", "2012-13 W2"}
    crime = df[(df.measure == "crime_satisfaction") & (df.financial_year == "2012-13")]
    assert 2_000 <= len(crime) <= 5_000


def test_sample_is_deterministic(tmp_path, sample):
    from wmp_analysis.synth.survey import write_survey_sample

    a = write_survey_sample(tmp_path / "a", np.random.default_rng(7), scale=0.02)[0].read_bytes()
    b = write_survey_sample(tmp_path / "b", np.random.default_rng(7), scale=0.02)[0].read_bytes()
    assert a == b


def test_calibration_model_equals_published():
    from wmp_analysis.synth.survey import published_figures

    pf = published_figures()
    exact = pf[pf["comparison"] == "="]
    overall = exact[exact.group_type == "all"]
    assert np.allclose(overall["model_pct"], overall["published_pct"], atol=1e-6)
    age = exact[exact.group_type == "age_band"]
    assert np.allclose(age["model_pct"], age["published_pct"], atol=0.5)  # IPF then overall shift
    assert (
        pf.loc[pf.comparison == ">", "model_pct"] > pf.loc[pf.comparison == ">", "published_pct"]
    ).all()


def test_sample_reproduces_published_within_sampling_error(sample):
    """|sample - published| <= 3 SE + |model - published|, SE from the Kish n_eff.

    3 standard errors: a correct generator fails this with probability ~0.3% per
    figure; the seed is fixed, so the test is deterministic.
    """
    from wmp_analysis.synth.survey import published_figures

    def weighted_proportion(positive, weights):
        # by plain numpy (not the package's estimator): p = sum(w y) / sum(w), Kish
        # n_eff = (sum w)^2 / sum(w^2)
        y, w = np.asarray(positive, dtype=bool), np.asarray(weights, dtype=float)
        return {"p": (w * y).sum() / w.sum(), "n_eff": w.sum() ** 2 / (w**2).sum()}

    _, df = sample
    v = df[df["positive"].notna()]
    for r in published_figures().itertuples():
        m0, m1 = pd.Timestamp(r.first_month + "-01"), pd.Timestamp(r.last_month + "-01")
        sel = v[(v.measure == r.measure) & v.fieldwork_month.between(m0, m1)]
        if r.group_type != "all":
            sel = sel[sel[r.group_type] == r.group]
        w = weighted_proportion(sel["positive"].to_numpy(bool), sel["weight"].to_numpy(float))
        se = 100 * math.sqrt(w["p"] * (1 - w["p"]) / w["n_eff"])
        assert abs(100 * w["p"] - r.model_pct) <= 3 * se, (
            r.measure,
            r.group,
            100 * w["p"],
            r.model_pct,
            se,
        )
        assert abs(100 * w["p"] - r.published_pct) <= 3 * se + abs(
            r.model_pct - r.published_pct
        ) or (r.comparison == ">")
    # BME below White in 2011-12 crime satisfaction (sample)
    fy = v[(v.measure == "crime_satisfaction") & (v.financial_year == "2011-12")]
    white, bme = fy[fy.bme.eq(False)], fy[fy.bme.eq(True)]  # unknown (NA) in neither
    pw = weighted_proportion(white["positive"].to_numpy(bool), white["weight"])
    pb = weighted_proportion(bme["positive"].to_numpy(bool), bme["weight"])
    assert pb["p"] < pw["p"]
