"""Statistics: each function against statsmodels/scipy and a hand-worked example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.rates import confint_poisson_2indep

from wmp_analysis.analysis import stats as S


def test_rate_ratio_hand_worked_and_exact_binomial():
    # WM domestic burglary: 15,898 (year to March 2012) -> 13,571 (year to March 2013)
    r = S.poisson_rate_ratio_test(13571, 12, 15898, 12)
    assert r["rate_ratio"] == pytest.approx((13571 / 12) / (15898 / 12))
    # exact conditional test: given the total, the target count is Binomial(n, 1/2) for equal exposures
    p = sps.binomtest(13571, 13571 + 15898, 0.5).pvalue
    assert r["p_value"] == pytest.approx(p, rel=1e-9)
    lo, hi = confint_poisson_2indep(13571, 12, 15898, 12, method="score")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
    assert r["ci_low"] < r["rate_ratio"] < r["ci_high"] < 1


def test_rate_ratio_unequal_exposure_small_counts():
    # 6 events in 6 months against 10 in 12 months: RR = (6/6)/(10/12) = 1.2
    r = S.poisson_rate_ratio_test(6, 6, 10, 12)
    assert r["rate_ratio"] == pytest.approx(1.2)
    # conditional binomial with p0 = 6 / 18
    assert r["p_value"] == pytest.approx(sps.binomtest(6, 16, 6 / 18).pvalue, rel=1e-9)
    assert r["ci_low"] < 1.2 < r["ci_high"]


def test_rate_ratio_zero_and_missing():
    r = S.poisson_rate_ratio_test(0, 12, 5, 12)
    assert r["rate_ratio"] == 0 and r["ci_low"] == 0 and 0 < r["ci_high"] < 1.5
    assert "mover" in r["method"]
    assert math.isnan(S.poisson_rate_ratio_test(0, 12, 0, 12)["p_value"])
    assert math.isnan(S.poisson_rate_ratio_test(float("nan"), 12, 5, 12)["rate_ratio"])
    assert math.isnan(S.poisson_rate_ratio_test(-5, 12, 5, 12)["rate_ratio"])


def test_holm_against_statsmodels_and_by_hand():
    p = [0.01, 0.04, 0.03, np.nan]
    out = S.adjust_pvalues(p, alpha=0.05)
    ref = multipletests([0.01, 0.04, 0.03], method="holm")[1]
    assert out["p_adjusted"].iloc[:3].tolist() == pytest.approx(list(ref))
    # by hand: sorted 0.01*3=0.03, 0.03*2=0.06, max(0.06, 0.04*1)=0.06
    assert out["p_adjusted"].iloc[:3].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert out["reject"].tolist() == [True, False, False, False]
    assert math.isnan(out["p_adjusted"].iloc[3])


def test_pct_change_zero_base():
    assert S.pct_change(15898, 13571) == pytest.approx(-14.6370613)
    assert math.isnan(S.pct_change(0, 5))
    s = S.pct_change(pd.Series([100, 0, np.nan]), pd.Series([95, 3, 1]))
    assert s.iloc[0] == pytest.approx(-5) and s.iloc[1:].isna().all()


def _months(fy_start: int) -> pd.PeriodIndex:
    return pd.period_range(f"{fy_start}-04", periods=12, freq="M")


def test_projection_hand_worked():
    base = pd.Series(100.0, index=_months(2011))
    obs = pd.Series([90.0, 90.0, 90.0], index=_months(2012)[:3])
    r = S.project_year_end(obs, base)
    # share of 3 flat months = 0.25; projection 270 / 0.25 = 1080; phi floored at 1
    assert r["share_observed"] == pytest.approx(0.25)
    assert r["dispersion"] == 1.0
    assert r["projected"] == pytest.approx(1080)
    # year noise 1080 * 0.75 / 0.25 = 3240; share noise 1080^2 * 0.25 * 0.75 / (1200 * 0.25^2) = 2916
    half = sps.norm.ppf(0.975) * math.sqrt(3240 + 2916)
    assert (r["pi_low"], r["pi_high"]) == pytest.approx((1080 - half, 1080 + half))


def test_projection_missing_month_gives_nan():
    base = pd.Series(100.0, index=_months(2011))
    obs = pd.Series([90.0, np.nan], index=_months(2012)[:2])
    assert math.isnan(S.project_year_end(obs, base)["projected"])


def test_projection_coverage_by_simulation():
    rng = np.random.default_rng(20120401)
    season = 1 + 0.25 * np.sin(np.arange(12) / 12 * 2 * np.pi)
    mu = 400 * season
    hits = 0
    n_sim = 150
    for _ in range(n_sim):
        base = pd.Series(
            rng.poisson(np.tile(mu, 2)).astype(float),
            index=pd.period_range("2010-04", periods=24, freq="M"),
        )
        year = rng.poisson(mu).astype(float)
        obs = pd.Series(year[:5], index=_months(2012)[:5])
        r = S.project_year_end(obs, base)
        hits += r["pi_low"] <= year.sum() <= r["pi_high"]
    cover = hits / n_sim
    assert 0.90 <= cover <= 0.99


def test_dispersion_against_statsmodels_glm():
    import statsmodels.api as sm

    y = pd.Series([100.0, 130, 90, 120, 80, 110, 140, 95, 105, 125, 85, 115], index=_months(2011))
    fit = sm.GLM(y.to_numpy(), np.ones((12, 1)), family=sm.families.Poisson()).fit()
    assert S.baseline_dispersion(y) == pytest.approx(fit.pearson_chi2 / 11)
    # by hand: mean 107.9167; Pearson = sum((y-m)^2/m)
    m = y.mean()
    assert S.baseline_dispersion(y) == pytest.approx(((y - m) ** 2 / m).sum() / 11)


def test_quasi_poisson_reduces_to_wald_log_and_scales():
    r1 = S.quasi_poisson_rate_ratio_test(13571, 12, 15898, 12, 1.0)
    se = math.sqrt(1 / 13571 + 1 / 15898)
    z = math.log(13571 / 15898) / se
    assert r1["p_value"] == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-6)
    assert r1["ci_low"] == pytest.approx(
        math.exp(math.log(13571 / 15898) - 1.959964 * se), rel=1e-6
    )
    r4 = S.quasi_poisson_rate_ratio_test(13571, 12, 15898, 12, 400.0)
    assert r4["p_value"] == pytest.approx(2 * sps.norm.sf(abs(z) / 20), rel=1e-6)


def test_annual_dispersion():
    # exact log-linear trend -> no extra variation -> floored at 1
    assert S.annual_dispersion([100, 110, 121, 133.1]) == pytest.approx(1.0)
    assert S.annual_dispersion([1000, 1400, 900, 1500, 950]) > 10
    assert math.isnan(S.annual_dispersion([5, 6]))


# The status rules (met, on track, ...) are tested in tests/test_status.py.
