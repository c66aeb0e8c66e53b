"""Survey figures the plans report are checked against a survey extract."""

import numpy as np
import pytest
from conftest import PROJECT_ROOT

from wmp_analysis.analysis import compare, equality
from wmp_analysis.config import load_config
from wmp_analysis.ingest.survey import read_survey
from wmp_analysis.measures.targets import load_measures, load_registry
from wmp_analysis.synth.survey import write_survey_sample


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    out = tmp_path_factory.mktemp("survey")
    paths = write_survey_sample(out, np.random.default_rng(7), scale=0.5)
    return read_survey(paths[0])


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
        est = equality.survey_estimates_for_targets(survey, [mid], cfg.baseline).iloc[0]
        assert row["actual_value"] == pytest.approx(est["estimate"])
        inside = est["ci_low"] <= row["target_value"] <= est["ci_high"]
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
    est = equality.survey_estimates_for_targets(young, ["crime_satisfaction"], cfg.baseline).iloc[0]
    assert row["actual_value"] == pytest.approx(est["estimate"])
    assert "for ages 16-24" in row["note"]
    assert row["status"] in ("consistent with plan", "differs from plan")
