"""A target year not yet complete: judged on a year-end projection from police.uk months.

The projection (:func:`wmp_analysis.analysis.stats.project_year_end`) is judged against the
baseline of the SAME monthly source, never against another source's baseline.
"""

from __future__ import annotations

import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.status import projection_note, status_for_target
from wmp_analysis.periods import Period

#: The note when the target year is incomplete and nothing can be projected.
NO_PROJECTION_NOTE = "target year not complete in the data and no monthly series to project from"


def _projection(monthly: pd.DataFrame | None, bp: Period, tp: Period) -> dict | None:
    """Year-end projection from a monthly tidy series (police.uk), or None."""
    if monthly is None or monthly.empty:
        return None
    m = monthly.assign(month=monthly["period_start"].dt.to_period("M")).set_index("month")["value"]
    base = m[(m.index >= bp.start.to_period("M")) & (m.index <= bp.end.to_period("M"))]
    obs = m[(m.index >= tp.start.to_period("M")) & (m.index <= tp.end.to_period("M"))].dropna()
    if len(base) < 12 or base.isna().any() or obs.empty:
        return None
    # observed months must be the first k months of the target year
    expected = pd.period_range(tp.start.to_period("M"), periods=len(obs), freq="M")
    if not (obs.index == expected).all():
        return None
    try:
        proj = S.project_year_end(obs, base)
    except ValueError:
        return None
    proj["baseline_total"] = float(base.sum())
    proj["source"] = str(monthly["source"].iloc[0])
    return proj


def projected_judgement(
    monthly, bp: Period, tp: Period, kind: str, direction: str, target_value: float
) -> tuple[dict | None, str]:
    """A comparison row's projection columns and status, and the note saying how.

    Parameters
    ----------
    monthly : DataFrame, callable or None
        The monthly tidy series to project from, or a callable that builds it (called
        here, so only an incomplete target year builds it).
    bp, tp : Period
        Baseline and target periods.
    kind, direction, target_value
        The target (as in :func:`wmp_analysis.analysis.status.status_for_target`).

    Returns
    -------
    (dict or None, str)
        ``projected``, ``pi_low``, ``pi_high`` (offences in the target year, 95% prediction
        interval) and ``status``, or None when there is nothing to project from; and the note.
    """
    if callable(monthly):
        monthly = monthly()
    projection = _projection(monthly, bp, tp)
    if projection is None:
        return None, NO_PROJECTION_NOTE
    pb = projection["baseline_total"]
    note = (
        f"target year incomplete: projected from {projection['months_observed']} months of "
        f"{projection['source']} against that source's baseline of {pb:.0f} "
        f"({projection_note(kind, direction, target_value, pb, projection)})"
    )
    update = {
        "projected": projection["projected"],
        "pi_low": projection["pi_low"],
        "pi_high": projection["pi_high"],
        "status": status_for_target(
            kind, direction, target_value, pb, None, complete=False, projection=projection
        ),
    }
    return update, note
