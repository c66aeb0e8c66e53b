"""Survey targets and the survey figures a plan reports, measured on the survey extract.

Estimates are weighted percentages with 95% intervals and effective sample sizes
(:func:`wmp_analysis.analysis.equality.survey_estimates_for_targets`). Two periods are
compared with a two-proportion Wald test on the effective sample sizes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S
from wmp_analysis.analysis.compare_inputs import _float
from wmp_analysis.analysis.status import Status, plan_figure_status, status_for_target
from wmp_analysis.measures import series as M
from wmp_analysis.periods import Period

_AGE_CLAIM = re.compile(r"\b(16-24|16 to 24|25-34|35-44|45-54|55-64|65\+|over 65)")


def _estimate(est: pd.DataFrame) -> float:
    """The first estimate of a :func:`survey_estimates_for_targets` table (NaN when none)."""
    return (
        float(est["estimate"].iloc[0])
        if len(est) and not pd.isna(est["estimate"].iloc[0])
        else np.nan
    )


def _proportion_p_value(av: float, bv: float, est_t: pd.DataFrame, est_b: pd.DataFrame):
    """Two-proportion Wald test p-value on effective sample sizes (None if either is 0)."""
    from statsmodels.stats.proportion import test_proportions_2indep

    nt, nb = float(est_t["n_eff"].iloc[0]), float(est_b["n_eff"].iloc[0])
    if not (nt > 0 and nb > 0):
        return None
    res = test_proportions_2indep(av / 100 * nt, nt, bv / 100 * nb, nb, method="wald")
    return float(res.pvalue)


def _survey_row(
    base: dict, t: Mapping, mrow: Mapping, survey, bp: Period, tp: Period, *, plan=None
) -> dict:
    """A survey target's row: the survey estimates in both periods, status and test.

    Without a survey baseline estimate the plan's own baseline figure is used (and said);
    the p-value needs survey estimates in both periods. *plan*: the extract's suppression
    plan when already built (default: built or found for *survey*).
    """
    row = dict(base, source="survey extract")
    if survey is None or len(survey) == 0:
        reason = (
            M._text(t.get("not_measurable_reason"))
            or "not supplied: sources.survey (survey measures are not in public data)"
        )
        row.update(status=Status.NOT_MEASURABLE, note=reason)
        return row
    from wmp_analysis.analysis import equality

    mid = str(mrow.get("survey_measure") or mrow["measure_id"])
    est_t = equality.survey_estimates_for_targets(survey, [mid], tp, plan=plan)
    est_b = equality.survey_estimates_for_targets(survey, [mid], bp, plan=plan)
    notes = []
    bv = _estimate(est_b)
    if pd.isna(bv):
        bv = _float(t.get("baseline_value"))
        if not pd.isna(bv):
            notes.append(
                "baseline is the plan's own figure (no survey data for the baseline period)"
            )
    av = _estimate(est_t)
    row.update(baseline_value=bv, actual_value=av)
    if not pd.isna(av):
        notes.append(
            f"target-period estimate {av:.1f}% (95% CI {float(est_t['ci_low'].iloc[0]):.1f} to "
            f"{float(est_t['ci_high'].iloc[0]):.1f}, effective n {float(est_t['n_eff'].iloc[0]):.0f})"
        )
    row["status"] = status_for_target(
        row["target_kind"], row["direction"], row["target_value"], bv, av
    )
    if not pd.isna(av) and not pd.isna(bv):
        row.update(abs_change=av - bv, pct_change=S.pct_change(bv, av))
        if not pd.isna(_estimate(est_b)):
            p = _proportion_p_value(av, bv, est_t, est_b)
            if p is not None:
                row["p_value"] = p
                notes.append("p-value: two-proportion Wald test on effective sample sizes")
    row["note"] = "; ".join(notes)
    return row


def claim_age_band(*texts: str) -> str | None:
    """The age band a reported survey figure is about (``"16-24"``, ``"65+"``), if any.

    The first band named in the registry's definition (else its wording) wins:
    "Satisfaction ... among respondents aged 16-24 (over 65s: above 90%)" -> "16-24".
    """
    for text in texts:
        m = _AGE_CLAIM.search(text or "")
        if m:
            band = m.group(1)
            return {"16 to 24": "16-24", "over 65": "65+"}.get(band, band)
    return None


def _survey_claim_row(base: dict, t: Mapping, mrow: Mapping, survey, tp: Period) -> dict:
    """A survey figure the plan reports (e.g. "confidence 84% in 2011-12"), checked.

    Status (:func:`wmp_analysis.analysis.status.plan_figure_status`) ``consistent with plan``
    when the plan's figure lies inside the 95% CI of the survey estimate for the same period,
    ``differs from plan`` otherwise, and ``insufficient data`` when the extract has no
    (unsuppressed) estimate then.
    """
    from wmp_analysis.analysis import equality

    row = dict(base, source="survey extract")
    mid = str(mrow.get("survey_measure") or mrow["measure_id"])
    band = claim_age_band(M._text(t.get("definition")), M._text(t.get("wording")))
    if band is not None:
        if "age_band" not in survey.columns:
            row.update(
                status=Status.INSUFFICIENT_DATA,
                note=f"the plan's figure is for ages {band}; the extract has no age_band",
            )
            return row
        survey = survey[survey["age_band"].astype(str) == band]
    est = equality.survey_estimates_for_targets(survey, [mid], tp)
    claimed = row["target_value"]
    if not len(est) or pd.isna(est["estimate"].iloc[0]) or pd.isna(claimed):
        row.update(status=Status.INSUFFICIENT_DATA, note=f"no survey estimate for {tp.label}")
        return row
    av, lo, hi = (float(est[c].iloc[0]) for c in ("estimate", "ci_low", "ci_high"))
    row.update(
        actual_value=av,
        abs_change=av - claimed,
        status=plan_figure_status(claimed, lo, hi),
        note=f"plan reports {claimed:g}%{f' for ages {band}' if band else ''}; survey estimate {av:.1f}% "
        f"(95% CI {lo:.1f} to {hi:.1f}, "
        f"effective n {float(est['n_eff'].iloc[0]):.0f})",
    )
    return row
