"""Survey figures the plans report are checked against a survey extract."""

import numpy as np
import pytest
from conftest import PROJECT_ROOT
from statsmodels.stats.proportion import proportion_confint

from wmp_analysis.analysis import compare
from wmp_analysis.config import load_config
from wmp_analysis.ingest.survey import read_survey
from wmp_analysis.measures.targets import load_measures, load_registry
from wmp_analysis.synth.survey import write_survey_sample


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    out = tmp_path_factory.mktemp("survey")
    paths = write_survey_sample(out, np.random.default_rng(7), scale=0.5)
    return read_survey(paths[0])


def _estimate(survey, measure, period):
    """Weighted percentage and 95% Wilson interval on the Kish effective n, by plain pandas.

    Respondents with an answer, fieldwork months inside *period*; p = sum(w y) / sum(w),
    n_eff = (sum w)^2 / sum(w^2) (docs/equality.md), interval from statsmodels.
    """
    v = survey[(survey["measure"] == measure) & survey["positive"].notna()]
    v = v[(v["fieldwork_month"] >= period.start) & (v["fieldwork_month"] <= period.end)]
    w, y = v["weight"].to_numpy(float), v["positive"].to_numpy(bool)
    p = (w * y).sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    lo, hi = proportion_confint(p * n_eff, n_eff, method="wilson")
    return 100 * p, 100 * lo, 100 * hi


def test_reported_survey_figures_are_checked(survey):
    cfg = load_config(PROJECT_ROOT / "configs" / "sample.yaml")
    measures = load_measures()
    registry = load_registry(measures=measures)
    reg = registry[
        registry["target_id"].isin(["spp-confidence-2011-12", "spp-crime-satisfaction-2011-12"])
    ]
    assert len(reg) == 2
    out = compare.compare_targets(reg, measures, {}, cfg, survey=survey).set_index("target_id")
    for tid, mid in (
        ("spp-confidence-2011-12", "confidence"),
        ("spp-crime-satisfaction-2011-12", "crime_satisfaction"),
    ):
        row = out.loc[tid]
        est, lo, hi = _estimate(survey, mid, cfg.baseline)
        assert row["actual_value"] == pytest.approx(est)
        inside = lo <= row["target_value"] <= hi
        assert row["status"] == ("consistent with plan" if inside else "differs from plan")
        assert f"plan reports {row['target_value']:g}%" in row["note"]
    # calibrated to the plan: 86% satisfaction in 2011-12 is inside the interval
    assert out.loc["spp-crime-satisfaction-2011-12", "status"] == "consistent with plan"


def test_without_survey_reported_figures_stay_unmeasured():
    cfg = load_config(PROJECT_ROOT / "configs" / "sample.yaml")
    measures = load_measures()
    registry = load_registry(measures=measures)
    reg = registry[registry["target_id"] == "spp-confidence-2011-12"]
    out = compare.compare_targets(reg, measures, {}, cfg, survey=None)
    assert out["status"].tolist() == ["not measurable"]


def test_proxy_notes_are_not_repeated():
    from wmp_analysis.measures.series import join_notes

    assert (
        join_notes("PROXY: A; misses X.", "Series B.", "Series B.", "")
        == "PROXY: A; misses X.; Series B."
    )
    assert join_notes("Series B.", "Series B. More.") == "Series B. More."  # the longer note wins
    assert join_notes("", None) == ""


def test_age_band_claims_are_checked_on_that_band(survey):
    from wmp_analysis.analysis.compare import claim_age_band

    assert (
        claim_age_band("Satisfaction among respondents aged 16-24 (over 65s: above 90%).")
        == "16-24"
    )
    assert claim_age_band("", "exceeding 90% among those aged over 65") == "65+"
    assert claim_age_band("Overall satisfaction") is None
    cfg = load_config(PROJECT_ROOT / "configs" / "sample.yaml")
    measures = load_measures()
    registry = load_registry(measures=measures)
    reg = registry[registry["target_id"] == "spp-satisfaction-16-24"]
    row = compare.compare_targets(reg, measures, {}, cfg, survey=survey).iloc[0]
    young = survey[survey["age_band"].astype(str) == "16-24"]
    est, lo, hi = _estimate(young, "crime_satisfaction", cfg.baseline)
    assert row["actual_value"] == pytest.approx(est)
    assert "for ages 16-24" in row["note"]
    inside = lo <= row["target_value"] <= hi
    assert row["status"] == ("consistent with plan" if inside else "differs from plan")
