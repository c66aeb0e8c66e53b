"""Statistical helpers for judging change against a baseline.

Pure functions; every test and interval comes from statsmodels' tested
implementations (``statsmodels.stats.rates``, ``statsmodels.stats.proportion``,
``statsmodels.genmod``), not hand-rolled formulas - with two exceptions made for speed,
each tested against the statsmodels function it stands in for: the score interval of a
rate ratio is taken from statsmodels' closed-form Wilson interval of the conditional
binomial (:func:`score_ratio_interval`), and Holm's adjustment is the step-down formula
itself (:func:`adjust_pvalues`). See ``docs/methods.md`` for why each method was chosen
and its limits.

Definitions
-----------
* **Count**: offences recorded in a window (e.g. the 12 months ending 31 March).
* **Exposure**: the length of that window in months (or person-years for rates per
  head). A rate is count / exposure.
* **Rate ratio (RR)**: rate in the target period / rate in the baseline period.
  RR < 1 means fewer offences per unit of exposure than in the baseline.
* **Percentage change**: ``100 * (actual - base) / base`` (percent).

The rules that turn these numbers into a target's status (met, on track, ...) are in
:mod:`wmp_analysis.analysis.status`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

from wmp_analysis.periods import financial_month, financial_year_start

#: Default test for the two-sample Poisson comparison: the exact conditional test
#: (conditional on the total, the target count is binomial).
DEFAULT_TEST_METHOD = "exact-cond"
#: Default interval for the rate ratio: the score interval (good coverage, Fay & Fay 2021;
#: statsmodels' default); ``mover`` is used when a count is zero.
DEFAULT_CI_METHOD = "score"


def _nan_result(method: str) -> dict[str, Any]:
    return {
        "rate_ratio": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "method": method,
    }


def score_ratio_interval(
    count_1: float, exposure_1: float, count_2: float, exposure_2: float, alpha: float = 0.05
) -> tuple[float, float]:
    """Score interval of the rate ratio ``(count_1/exposure_1) / (count_2/exposure_2)``.

    Parameters
    ----------
    count_1, count_2 : float
        Counts, both > 0.
    exposure_1, exposure_2 : float
        Exposures (months, person-years), both > 0.
    alpha : float
        1 - confidence level.

    Returns
    -------
    (float, float)
        The interval's bounds (a ratio: 1 = no change).

    Notes
    -----
    Conditional on the total ``n = count_1 + count_2``, ``count_1`` is binomial with
    ``p = R e1 / (R e1 + e2)``, and the score test of a ratio ``R`` is the score test of
    that ``p``; so the score interval of ``R`` (``confint_poisson_2indep(method="score",
    compare="ratio")``) is Wilson's interval for ``p``
    (``proportion_confint(method="wilson")``, closed form) mapped back by
    ``R = p e2 / ((1 - p) e1)``. statsmodels finds the same bounds by inverting the test
    numerically (Nelder-Mead, ~8 ms a call against ~0.1 ms); the two agree to about 1e-8
    relative (its optimiser's tolerance), as ``tests/test_stats.py`` checks over a grid.
    """
    n = count_1 + count_2
    lo_p, hi_p = proportion_confint(count_1, n, alpha=alpha, method="wilson")
    ratio = exposure_2 / exposure_1
    return float(lo_p / (1 - lo_p) * ratio), float(hi_p / (1 - hi_p) * ratio)


def rate_ratio_interval(
    count_1: float,
    exposure_1: float,
    count_2: float,
    exposure_2: float,
    *,
    method: str = DEFAULT_CI_METHOD,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """``1 - alpha`` interval of the rate ratio by *method*
    (:func:`statsmodels.stats.rates.confint_poisson_2indep`, ``compare="ratio"``); the score
    interval with both counts positive comes from :func:`score_ratio_interval` (closed form,
    the same bounds)."""
    if method == "score" and count_1 > 0 and count_2 > 0:
        return score_ratio_interval(count_1, exposure_1, count_2, exposure_2, alpha=alpha)
    lo, hi = confint_poisson_2indep(
        count_1, exposure_1, count_2, exposure_2, method=method, compare="ratio", alpha=alpha
    )
    return float(lo), float(hi)


def poisson_rate_ratio_test(
    count_target: float,
    exposure_target: float,
    count_base: float,
    exposure_base: float,
    *,
    method: str = DEFAULT_TEST_METHOD,
    ci_method: str = DEFAULT_CI_METHOD,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Two-sample Poisson comparison of a target-period count with a baseline count.

    Parameters
    ----------
    count_target, count_base : float
        Offence counts (non-negative whole numbers) in the target and baseline
        windows.
    exposure_target, exposure_base : float
        Length of each window (months, or person-years), > 0.
    method : str
        Test method passed to :func:`statsmodels.stats.rates.test_poisson_2indep`
        (default ``"exact-cond"``: exact conditional binomial test, two-sided,
        minimum-likelihood p-value).
    ci_method : str
        Interval method passed to
        :func:`statsmodels.stats.rates.confint_poisson_2indep` (default ``"score"``).
        When either count is 0 the ``"mover"`` interval is used instead (the score
        interval degenerates there); a missing upper bound is reported as ``inf``.
    alpha : float
        1 - confidence level of the interval (0.05 gives a 95% CI).

    Returns
    -------
    dict
        ``rate_ratio`` (target rate / baseline rate), ``ci_low``, ``ci_high``
        (``1 - alpha`` interval for the rate ratio), ``p_value`` (two-sided, H0:
        RR = 1), ``method`` (``"<test>/<ci>"``). All NaN when a count or exposure
        is missing or negative, or both counts are 0.

    Notes
    -----
    Assumes the two counts are independent Poisson variables; recorded crime is
    usually over-dispersed (see ``docs/methods.md``), so p-values are anti-conservative
    when year-to-year variation exceeds Poisson variation.
    """
    label = f"{method}/{ci_method}"
    vals = [count_target, exposure_target, count_base, exposure_base]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return _nan_result(label)
    ct, et, cb, eb = (float(v) for v in vals)
    if ct < 0 or cb < 0 or et <= 0 or eb <= 0 or (ct == 0 and cb == 0):
        return _nan_result(label)
    # exact tests need whole counts; recorded-crime counts are whole numbers
    ict = int(round(ct)) if float(ct).is_integer() else ct
    icb = int(round(cb)) if float(cb).is_integer() else cb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = test_poisson_2indep(ict, et, icb, eb, method=method, compare="ratio")
        use_ci = ci_method if (ct > 0 and cb > 0) else "mover"
        lo, hi = rate_ratio_interval(ct, et, cb, eb, method=use_ci, alpha=alpha)
    lo = float(lo)
    hi = float(hi)
    if cb == 0 and math.isnan(hi):
        hi = math.inf
    if ct == 0:
        lo = 0.0
    if use_ci != ci_method:
        label = f"{method}/{use_ci}"
    return {
        "rate_ratio": (ct / et) / (cb / eb) if cb > 0 else math.inf,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": float(res.pvalue),
        "method": label,
    }


def adjust_pvalues(pvals, alpha: float = 0.05, method: str = "holm") -> pd.DataFrame:
    """Multiple-comparison adjusted p-values (family-wise error rate control).

    Parameters
    ----------
    pvals : array-like of float
        Raw p-values; NaN entries (series that could not be tested) are left NaN
        and do not count towards the family size.
    alpha : float
        Family-wise error rate.
    method : str
        Default ``"holm"``: Holm's step-down procedure controls the family-wise error
        rate under *any* dependence between the tests (our series overlap: total crime
        contains burglary and robbery), is uniformly more powerful than Bonferroni,
        and needs no independence assumption (unlike Hochberg/Simes or Sidak).
        Any other method is passed to :func:`statsmodels.stats.multitest.multipletests`.

    Returns
    -------
    DataFrame
        Same length and order as *pvals*: ``p_adjusted`` (float) and ``reject``
        (bool; False where the raw p-value is NaN).

    Notes
    -----
    Holm is computed here (``min(1, max over j <= i of (m - j + 1) p_(j))`` for the i-th
    smallest of m p-values; reject where that is <= alpha), equal to ``multipletests(...,
    method="holm")``: statsmodels runs a full garbage collection on every Holm call
    (~0.1 s in a kernel holding the pack's tables), and the pack makes dozens.
    """
    p = np.asarray(pd.to_numeric(pd.Series(list(pvals), dtype="float64")), dtype="float64")
    adj = np.full(p.shape, np.nan)
    rej = np.zeros(p.shape, dtype=bool)
    ok = ~np.isnan(p)
    if ok.any():
        if method.lower() == "holm":
            r, pa = _holm(p[ok], alpha)
        else:
            r, pa, _, _ = multipletests(p[ok], alpha=alpha, method=method)
        adj[ok] = pa
        rej[ok] = r
    return pd.DataFrame({"p_adjusted": adj, "reject": rej})


def _holm(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down test of *p* (no NaN): ``(reject, adjusted)`` in *p*'s order.

    A sorted p-value is rejected while every one up to it is <= ``alpha / (m - j + 1)``
    (the comparison statsmodels makes, so a p-value on a boundary is decided the same way).
    """
    m = len(p)
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    factors = np.arange(m, 0, -1)
    reject_sorted = np.logical_and.accumulate(ps <= alpha / factors)
    adjusted_sorted = np.minimum(np.maximum.accumulate(ps * factors), 1.0)
    reject, adjusted = np.empty(m, dtype=bool), np.empty(m)
    reject[order], adjusted[order] = reject_sorted, adjusted_sorted
    return reject, adjusted


def pct_change(base, actual):
    """Percentage change ``100 * (actual - base) / base`` (percent).

    A zero or missing base gives NaN (not ``inf``): a change from nothing has no
    percentage. Works on scalars or aligned Series/arrays.
    """
    if np.ndim(base) == 0 and np.ndim(actual) == 0:
        if base is None or actual is None:
            return np.nan
        b, a = float(base), float(actual)
        if math.isnan(b) or math.isnan(a) or b == 0:
            return np.nan
        return 100.0 * (a - b) / b
    b = pd.to_numeric(
        pd.Series(base) if not isinstance(base, pd.Series) else base, errors="coerce"
    ).astype("float64")
    a = pd.to_numeric(
        pd.Series(actual) if not isinstance(actual, pd.Series) else actual, errors="coerce"
    ).astype("float64")
    b = b.where(b != 0)
    return 100.0 * (a - b) / b


def seasonal_shares(baseline_monthly: pd.Series) -> pd.Series:
    """Share of a financial year's count falling in each FY month (1 = April ... 12 = March).

    Parameters
    ----------
    baseline_monthly : Series
        Monthly counts indexed by monthly ``pandas.Period`` (or Timestamps). Only
        complete financial years (12 months present, none NaN) are used; each
        year's shares are computed, then averaged across years.

    Returns
    -------
    Series
        Index 1..12 (FY month), values sum to 1. ``attrs["years"]`` lists the FY
        start years used.

    Raises
    ------
    ValueError
        If there is no complete financial year.
    """
    s = _as_monthly(baseline_monthly).dropna()
    df = pd.DataFrame({"count": s.to_numpy(dtype="float64")}, index=s.index)
    df["fy"] = financial_year_start(s.index)
    df["fym"] = financial_month(s.index)
    full = df.groupby("fy")["fym"].nunique()
    years = sorted(int(y) for y in full[full == 12].index)
    if not years:
        raise ValueError(
            "baseline_monthly: no complete financial year (12 months) to derive a seasonal profile"
        )
    use = df[df["fy"].isin(years)]
    tot = use.groupby("fy")["count"].transform("sum")
    use = use.assign(share=use["count"] / tot)
    shares = use.groupby("fym")["share"].mean().reindex(range(1, 13))
    shares = shares / shares.sum()
    shares.attrs["years"] = years
    return shares


def _as_monthly(s: pd.Series) -> pd.Series:
    idx = s.index
    if isinstance(idx, pd.PeriodIndex):
        return s.astype("float64")
    return pd.Series(
        s.to_numpy(dtype="float64"), index=pd.PeriodIndex(pd.to_datetime(idx), freq="M")
    )


def baseline_dispersion(baseline_monthly: pd.Series) -> float:
    """Quasi-Poisson dispersion of baseline monthly counts (Pearson chi2 / df, floored at 1).

    Fits a Poisson GLM (statsmodels) with FY-month effects plus FY effects when the
    baseline covers two or more complete financial years, else a constant mean
    (seasonality then counts as extra variation: conservative). The dispersion is
    the Pearson chi-squared statistic divided by the residual degrees of freedom;
    values below 1 are floored at 1 (never claim less noise than Poisson).
    """
    import statsmodels.api as sm

    s = _as_monthly(baseline_monthly).dropna()
    if len(s) < 3:
        return 1.0
    fy = financial_year_start(s.index)
    fym = financial_month(s.index)
    n_years = len(set(fy))
    if n_years >= 2 and len(s) >= 24:
        X = pd.get_dummies(
            pd.DataFrame({"m": fym.astype(str), "y": fy.astype(str)}), drop_first=True, dtype=float
        )
        X = sm.add_constant(X, has_constant="add")
    else:
        X = np.ones((len(s), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(s.to_numpy(), X, family=sm.families.Poisson()).fit()
    df_resid = fit.df_resid
    if df_resid <= 0:
        return 1.0
    phi = float(fit.pearson_chi2 / df_resid)
    return max(1.0, phi) if np.isfinite(phi) else 1.0


def project_year_end(
    months_observed: pd.Series,
    baseline_monthly: pd.Series,
    n_months: int = 12,
    level: float = 0.95,
    *,
    dispersion: float | None = None,
) -> dict[str, Any]:
    """Project a financial year's total from its first months, with a prediction interval.

    Method (seasonal-share scaling with a quasi-Poisson interval):

    1. ``s`` = the baseline seasonal share of the observed FY months
       (:func:`seasonal_shares`); the projection is ``ytd / s``.
    2. Treating the year's total as quasi-Poisson with mean ``mu`` and variance
       ``phi * mu`` (``phi`` from :func:`baseline_dispersion` unless given), the
       prediction error of ``T - ytd / s`` has variance
       ``phi * mu * (1 - s) / s`` (the unseen months' own noise plus the noise in
       the year-to-date estimate of the rate). The share ``s`` is itself estimated
       from the baseline total ``N``: its variance ``phi * s (1 - s) / N`` adds
       ``projection^2 * phi * (1 - s) / (N * s)`` (delta method). The interval is
       ``projection +- z * sqrt(sum of both)``, lower bound floored at the count
       already observed.

    Parameters
    ----------
    months_observed : Series
        Monthly counts of the target year so far, indexed by monthly Period (or
        Timestamp). Months must be consecutive FY months starting in April; a NaN
        (missing month) makes the projection impossible (NaNs returned).
    baseline_monthly : Series
        Monthly counts of one or more complete baseline financial years.
    n_months : int
        Months in the full year (12).
    level : float
        Prediction-interval coverage (0.95).
    dispersion : float, optional
        Override the dispersion estimate.

    Returns
    -------
    dict
        ``projected``, ``pi_low``, ``pi_high`` (counts for the full year),
        ``observed`` (year-to-date count), ``months_observed`` (int),
        ``share_observed`` (s), ``dispersion`` (phi), ``method``.
    """
    method = "seasonal-share quasi-Poisson"
    obs = _as_monthly(months_observed)
    out = {
        "projected": np.nan,
        "pi_low": np.nan,
        "pi_high": np.nan,
        "observed": np.nan,
        "months_observed": int(len(obs)),
        "share_observed": np.nan,
        "dispersion": np.nan,
        "method": method,
    }
    if len(obs) == 0 or obs.isna().any():
        return out
    fym = [int(m) for m in financial_month(obs.index)]
    if len(set(fym)) != len(fym):
        raise ValueError("months_observed: a financial-year month occurs twice")
    shares = seasonal_shares(baseline_monthly)
    s = float(shares.loc[fym].sum())
    ytd = float(obs.sum())
    phi = float(dispersion) if dispersion is not None else baseline_dispersion(baseline_monthly)
    out.update(observed=ytd, share_observed=s, dispersion=phi)
    if len(obs) >= n_months or s >= 1.0:
        out.update(projected=ytd, pi_low=ytd, pi_high=ytd, method="complete year (observed)")
        return out
    proj = ytd / s
    z = float(_sps.norm.ppf(0.5 + level / 2))
    # noise of the year itself given the rate, plus the noise in the estimated share s
    # (binomial share of the baseline total N, inflated by phi; delta method on ytd / s)
    n_base = float(_as_monthly(baseline_monthly).dropna().sum())
    var_year = phi * proj * (1 - s) / s
    var_share = (proj**2) * phi * s * (1 - s) / (n_base * s**2) if n_base > 0 else 0.0
    half = z * math.sqrt(var_year + var_share)
    out.update(projected=proj, pi_low=max(ytd, proj - half), pi_high=proj + half)
    return out


def annual_dispersion(annual_counts) -> float:
    """Quasi-Poisson dispersion of non-overlapping annual counts around a log-linear trend.

    Fits ``log E[count] = a + b * year`` by Poisson GLM (statsmodels) to the
    given annual totals (e.g. the 12 months ending 31 March of five consecutive
    years: non-overlapping windows, so independent enough to estimate variance) and
    returns Pearson chi2 / residual df, floored at 1. Fewer than 3 finite positive
    counts give NaN (cannot be estimated).
    """
    import statsmodels.api as sm

    y = pd.to_numeric(pd.Series(list(annual_counts), dtype="float64"), errors="coerce").to_numpy()
    y = y[np.isfinite(y)]
    if len(y) < 3 or (y < 0).any():
        return np.nan
    X = sm.add_constant(np.arange(len(y), dtype="float64"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    if fit.df_resid <= 0:
        return np.nan
    return max(1.0, float(fit.pearson_chi2 / fit.df_resid))


def quasi_poisson_rate_ratio_test(
    count_target: float,
    exposure_target: float,
    count_base: float,
    exposure_base: float,
    dispersion: float,
    *,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Rate ratio test allowing for over-dispersion (quasi-Poisson Wald test).

    Fits a Poisson GLM (statsmodels) with log link to the two counts, an
    indicator for the target period and ``log(exposure)`` as offset, with the scale
    fixed at *dispersion* (``phi``): the standard error of log RR is the Poisson one
    times ``sqrt(phi)``. With ``phi = 1`` this is the Wald test on the log rate
    ratio.

    Returns
    -------
    dict
        ``rate_ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``dispersion``,
        ``method``. NaN when a count is missing, negative or zero, or *dispersion*
        is not finite.
    """
    import statsmodels.api as sm

    out = {
        "rate_ratio": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "dispersion": dispersion,
        "method": "quasi-poisson wald",
    }
    vals = [count_target, exposure_target, count_base, exposure_base, dispersion]
    if any(v is None or pd.isna(v) for v in vals):
        return out
    ct, et, cb, eb, phi = (float(v) for v in vals)
    if ct <= 0 or cb <= 0 or et <= 0 or eb <= 0 or not np.isfinite(phi) or phi <= 0:
        return out
    X = np.array([[1.0, 0.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(
            np.array([cb, ct]), X, family=sm.families.Poisson(), offset=np.log([eb, et])
        ).fit(scale=phi)
    lo, hi = fit.conf_int(alpha=alpha)[1]
    out.update(
        rate_ratio=float(np.exp(fit.params[1])),
        ci_low=float(np.exp(lo)),
        ci_high=float(np.exp(hi)),
        p_value=float(fit.pvalues[1]),
    )
    return out
