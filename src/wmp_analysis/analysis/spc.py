"""Statistical process control: XmR and c-charts with special-cause rules.

Limits are computed from the **baseline period only** and then applied to every
point, so a later point outside them is a signal relative to the baseline.

Definitions
-----------
* **XmR (individuals) chart**: centre = mean of the baseline values; moving range
  MR_i = |x_i - x_{i-1}| between consecutive baseline points; limits = centre +-
  2.66 * mean(MR). 2.66 = 3 / d2 with d2 = 1.128 (n = 2), so sigma-hat =
  mean(MR) / 1.128 (Wheeler; NHS England "Making Data Count").
* **c-chart**: for counts of events in equal opportunity windows; centre c-bar =
  mean baseline count, sigma = sqrt(c-bar), limits c-bar +- 3 sqrt(c-bar), lower
  limit floored at 0.

Special-cause rules (Western Electric Handbook 1956; NHS "Making Data Count")
------------------------------------------------------------------------------
* ``rule_beyond_limits``: a point above the upper or below the lower limit.
* ``rule_run``: ``run_length`` (default 8; NHS uses 7) or more consecutive points
  on the same side of the centre line (a point on the line breaks the run). Every
  point of the run is flagged.
* ``rule_trend``: ``trend_length`` (default 6) or more consecutive points each
  strictly higher (or each strictly lower) than the one before. Every point of the
  trend is flagged.
* ``rule_two_of_three``: two of three consecutive points beyond 2 sigma on the
  same side of the centre. The points beyond 2 sigma in such a window are flagged.

Missing values (NaN) are kept as rows, never flagged, and break runs and trends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.periods import Period

#: Constant converting the mean moving range to 3-sigma limits (3 / 1.128).
XMR_FACTOR = 2.66
#: d2 for moving ranges of two points.
D2 = 1.128

RULE_COLUMNS = ("rule_beyond_limits", "rule_run", "rule_trend", "rule_two_of_three")


def _baseline_mask(values: pd.Series, baseline) -> np.ndarray:
    if baseline is None:
        return np.ones(len(values), dtype=bool)
    if isinstance(baseline, Period):
        idx = values.index
        if isinstance(idx, pd.PeriodIndex):
            ts = idx.to_timestamp(how="start")
        else:
            ts = pd.DatetimeIndex(pd.to_datetime(idx))
        return np.asarray((ts >= baseline.start) & (ts <= baseline.end), dtype=bool)
    mask = np.asarray(baseline, dtype=bool)
    if mask.shape != (len(values),):
        raise ValueError("baseline mask must have one entry per value")
    return mask


def _runs(flags: np.ndarray, min_len: int) -> np.ndarray:
    """Mark every element of runs of True of at least *min_len*."""
    out = np.zeros(len(flags), dtype=bool)
    i = 0
    n = len(flags)
    while i < n:
        if flags[i]:
            j = i
            while j < n and flags[j]:
                j += 1
            if j - i >= min_len:
                out[i:j] = True
            i = j
        else:
            i += 1
    return out


def special_cause_rules(
    value: np.ndarray,
    centre: float,
    sigma: float,
    lcl: float,
    ucl: float,
    *,
    run_length: int = 8,
    trend_length: int = 6,
) -> pd.DataFrame:
    """Evaluate the four special-cause rules on *value* (see module docstring)."""
    v = np.asarray(value, dtype="float64")
    ok = ~np.isnan(v)
    beyond = ok & ((v > ucl) | (v < lcl))
    above = ok & (v > centre)
    below = ok & (v < centre)
    run = _runs(above, run_length) | _runs(below, run_length)
    # trend: k consecutive points each strictly above/below the previous
    up = np.zeros(len(v), dtype=bool)
    down = np.zeros(len(v), dtype=bool)
    up[1:] = ok[1:] & ok[:-1] & (v[1:] > v[:-1])
    down[1:] = ok[1:] & ok[:-1] & (v[1:] < v[:-1])
    trend = np.zeros(len(v), dtype=bool)
    for steps in (up, down):
        marked = _runs(steps, trend_length - 1)  # k points = k-1 steps
        # include the point each marked run starts from
        start = marked & ~np.concatenate([[False], marked[:-1]])
        trend |= marked | np.concatenate([start[1:], [False]])
    hi2 = ok & (v > centre + 2 * sigma)
    lo2 = ok & (v < centre - 2 * sigma)
    two3 = np.zeros(len(v), dtype=bool)
    for side in (hi2, lo2):
        for i in range(len(v) - 2):
            w = side[i : i + 3]
            if w.sum() >= 2:
                two3[i : i + 3] |= w
    return pd.DataFrame(
        {
            "rule_beyond_limits": beyond,
            "rule_run": run,
            "rule_trend": trend,
            "rule_two_of_three": two3,
        }
    )


def _assemble(
    values: pd.Series, mask, centre, sigma, lcl, ucl, chart, run_length, trend_length
) -> pd.DataFrame:
    v = values.to_numpy(dtype="float64")
    rules = special_cause_rules(
        v, centre, sigma, lcl, ucl, run_length=run_length, trend_length=trend_length
    )
    out = pd.DataFrame(
        {
            "value": v,
            "centre": centre,
            "lcl": lcl,
            "ucl": ucl,
            "sigma": sigma,
            "in_baseline": mask,
        },
        index=values.index,
    )
    for col in RULE_COLUMNS:
        out[col] = rules[col].to_numpy()
    out["special_cause"] = out[list(RULE_COLUMNS)].any(axis=1)
    out.attrs.update(
        chart=chart,
        run_length=run_length,
        trend_length=trend_length,
        n_baseline=int(np.sum(mask & ~np.isnan(v))),
    )
    return out


def xmr_chart(
    values: pd.Series, baseline=None, *, run_length: int = 8, trend_length: int = 6
) -> pd.DataFrame:
    """Individuals (XmR) chart with limits from the baseline points.

    Parameters
    ----------
    values : Series
        The series in time order (index: dates, Periods or labels).
    baseline : Period, boolean array, or None
        Which points form the baseline (a :class:`~wmp_analysis.periods.Period`
        needs a date or Period index). None: all points.
    run_length, trend_length : int
        Rule parameters (see module docstring).

    Returns
    -------
    DataFrame
        Index of *values*; columns ``value, centre, lcl, ucl, sigma, in_baseline,
        rule_beyond_limits, rule_run, rule_trend, rule_two_of_three,
        special_cause``. ``attrs["chart"] == "xmr"``.

    Raises
    ------
    ValueError
        Fewer than two non-missing baseline points.
    """
    mask = _baseline_mask(values, baseline)
    v = values.to_numpy(dtype="float64")
    base = v[mask]
    base_ok = base[~np.isnan(base)]
    if len(base_ok) < 2:
        raise ValueError("XmR chart needs at least two non-missing baseline points")
    mr = np.abs(np.diff(base))  # NaN where either neighbour is missing: skipped
    mr = mr[~np.isnan(mr)]
    if len(mr) == 0:
        raise ValueError("XmR chart needs two consecutive non-missing baseline points")
    centre = float(base_ok.mean())
    mr_bar = float(mr.mean())
    sigma = mr_bar / D2
    out = _assemble(
        values,
        mask,
        centre,
        sigma,
        centre - XMR_FACTOR * mr_bar,
        centre + XMR_FACTOR * mr_bar,
        "xmr",
        run_length,
        trend_length,
    )
    out.attrs["mr_bar"] = mr_bar
    return out


def c_chart(
    values: pd.Series, baseline=None, *, run_length: int = 8, trend_length: int = 6
) -> pd.DataFrame:
    """c-chart (Poisson counts) with limits from the baseline points.

    Same parameters and return layout as :func:`xmr_chart`; ``attrs["chart"] ==
    "c"``. The lower limit is ``max(0, c-bar - 3 sqrt(c-bar))``.

    Raises
    ------
    ValueError
        No non-missing baseline point, or a negative count.
    """
    mask = _baseline_mask(values, baseline)
    v = values.to_numpy(dtype="float64")
    if np.nanmin(v) < 0 if np.any(~np.isnan(v)) else False:
        raise ValueError("c-chart needs non-negative counts")
    base = v[mask]
    base_ok = base[~np.isnan(base)]
    if len(base_ok) < 1:
        raise ValueError("c-chart needs at least one non-missing baseline point")
    cbar = float(base_ok.mean())
    sigma = float(np.sqrt(cbar))
    return _assemble(
        values,
        mask,
        cbar,
        sigma,
        max(0.0, cbar - 3 * sigma),
        cbar + 3 * sigma,
        "c",
        run_length,
        trend_length,
    )
