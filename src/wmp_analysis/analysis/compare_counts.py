"""A count target's comparison row: values, status, change and the rate-ratio tests.

``p_value``: two-sided exact conditional Poisson test of equal monthly rates; ``rate_ratio``
and ``rr_ci_*``: target rate / baseline rate with its 95% score interval.
``p_value_overdispersed``: quasi-Poisson p-value with the dispersion estimated from five
non-overlapping years to the baseline (rolling-year series only, i.e. force rows from ONS).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.compare_projection import projected_judgement
from wmp_analysis.analysis.status import status_for_target
from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period


def _annual_march_totals(series: pd.DataFrame, upto: Period, n: int = 5) -> list[float]:
    """Non-overlapping 12-months-to-March totals of a rolling-year series, the *n* years ending at *upto*."""
    vals = []
    for k in range(n - 1, -1, -1):
        end = pd.Timestamp(upto.end.year - k, 3, 31)
        hit = series[
            (series["period_end"] == end)
            & ((series["period_end"] - series["period_start"]).dt.days > 300)
        ]
        if not hit.empty and not pd.isna(hit["value"].iloc[0]):
            vals.append(float(hit["value"].iloc[0]))
    return vals


def _values(base: dict, b: Mapping, a: Mapping) -> dict:
    """*base* with the baseline and actual values and where they came from."""
    row = dict(base)
    row.update(
        source=b["source"] or a["source"],
        proxy=bool(b["proxy"] or a["proxy"] or row.get("proxy", False)),
        proxy_note=M.join_notes(row.get("proxy_note", ""), b["proxy_note"]),
    )
    row.update(baseline_value=b["value"], actual_value=a["value"])
    return row


def _change_and_tests(series: pd.DataFrame, bv: float, av: float, bp: Period, tp: Period) -> dict:
    """The change (offences and percent) and the rate-ratio tests of a complete target year."""
    out = {"abs_change": av - bv, "pct_change": S.pct_change(bv, av)}
    if bv >= 0 and av >= 0:
        t = S.poisson_rate_ratio_test(av, tp.n_months, bv, bp.n_months)
        out.update(
            rate_ratio=t["rate_ratio"],
            rr_ci_low=t["ci_low"],
            rr_ci_high=t["ci_high"],
            p_value=t["p_value"],
        )
    if (series["period_end"] - series["period_start"]).dt.days.max() > 300:
        phi = S.annual_dispersion(_annual_march_totals(series, bp))
        if not pd.isna(phi):
            q = S.quasi_poisson_rate_ratio_test(av, tp.n_months, bv, bp.n_months, phi)
            out.update(dispersion=phi, p_value_overdispersed=q["p_value"])
    return out


def _count_row(
    base: dict, series: pd.DataFrame, bp: Period, tp: Period, target: Mapping, monthly
) -> dict:
    """Fill a comparison row for a count measure from a tidy series.

    *monthly* is a monthly series for a year-end projection, None, or a callable that
    builds it (called only when the target year is incomplete).
    """
    b = M.measure_value(series, bp)
    a = M.measure_value(series, tp)
    row = _values(base, b, a)
    notes = [n for n in (b["note"], a["note"]) if n]
    bv, av = b["value"], a["value"]
    kind, direction, tv = row["target_kind"], row["direction"], row["target_value"]
    complete = bool(a["complete"])
    projected = None
    if not complete and not pd.isna(bv):
        projected, note = projected_judgement(monthly, bp, tp, kind, direction, tv)
        notes.append(note)
    if projected is not None:
        row.update(projected)
    else:
        row["status"] = status_for_target(
            kind, direction, tv, bv, av, measurable=True, complete=complete
        )
    if complete and not pd.isna(bv):
        row.update(_change_and_tests(series, bv, av, bp, tp))
    row["note"] = "; ".join(x for x in [row.get("note", "")] + notes if x)
    return row
