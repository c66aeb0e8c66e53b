"""The equality section's survey tables (notebook 04): one call builds them with one plan."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wmp_analysis.analysis.equality_estimates import DEFAULT_MIN_BASE, empty_estimates, empty_gaps
from wmp_analysis.analysis.equality_gaps import default_comparisons, equality_gaps, gaps
from wmp_analysis.analysis.equality_suppression import SuppressionPlan, suppression_plan
from wmp_analysis.analysis.equality_tables import (
    aggregated_estimates,
    estimates_by_groups,
    survey_estimates_for_targets,
)
from wmp_analysis.periods import Period

#: The gaps drawn over time in the equality section: (group, reference). BME against White is
#: the Home Office SPI 1.2 satisfaction gap; 16-24 against every other stated age band.
HEADLINE_COMPARISONS: tuple[tuple[str, str], ...] = (("BME", "White"), ("16-24", "All other ages"))


#: Shown when the survey extract is aggregated (published tables), not respondent level.
AGGREGATED_NOTE = (
    "The survey extract is aggregated (published tables): estimates use n_eff = base n; "
    "gaps by group need respondent-level data."
)


def period_from_parameters(start: str | None, end: str | None) -> Period | None:
    """The analysis period of the notebook parameters (ISO dates), or None for neither.

    Raises
    ------
    ValueError
        Only one of *start* and *end* given.
    """
    if (start is None) != (end is None):
        raise ValueError("give both period_start and period_end, or neither")
    return Period.from_strings(start, end) if start else None


@dataclass
class SurveyTables:
    """The survey tables of the equality section (:func:`survey_tables`).

    Attributes
    ----------
    respondent : bool
        True for a respondent-level extract (gaps and suppression plan exist).
    plan : SuppressionPlan or None
        The one suppression plan of every survey table and figure (respondent level only).
    estimates : DataFrame
        Weighted proportions (percent) by group; typed and empty without a survey.
    gaps : DataFrame
        Group minus reference (percentage points); typed and empty unless respondent level.
    message : str or None
        What the reader needs told about the extract (:data:`AGGREGATED_NOTE`), else None.
    district_gaps : DataFrame or None
        :func:`district_gaps` (respondent level with ``ethnic_group`` among the groups only).
    targets : DataFrame or None
        :func:`target_estimates` (when a survey and the target periods are given).
    """

    respondent: bool
    plan: SuppressionPlan | None
    estimates: pd.DataFrame
    gaps: pd.DataFrame
    message: str | None = None
    district_gaps: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None


def survey_tables(
    survey: pd.DataFrame | None,
    groups: list[str],
    reference_groups: dict[str, str],
    *,
    period: Period | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    targets: tuple | None = None,
) -> SurveyTables:
    """Estimates by group and gaps against the reference, with one suppression plan.

    Parameters
    ----------
    survey : DataFrame or None
        Either survey contract (:func:`wmp_analysis.ingest.survey.read_survey`); None when
        not supplied (empty typed tables).
    groups : list of str
        Grouping columns (``ethnic_group``, ``age_band``).
    reference_groups : dict
        ``{column: reference value}`` (e.g. ``{"ethnic_group": "White"}``).
    period : Period, optional
        Analysis period (None: the whole extract and each financial year).
    min_base : int
        Minimum unweighted respondents for a published figure (primary suppression; the
        plan adds secondary cells so that none can be recovered by subtraction).
    targets : (measure ids, baseline Period, target Period), optional
        For :func:`target_estimates` (``targets`` of the result).
    """
    if survey is None:
        return SurveyTables(False, None, empty_estimates(), empty_gaps())

    def for_targets(plan):
        if targets is None:
            return None
        ids, base, tper = targets
        return target_estimates(
            survey, ids, base, tper, min_base=min_base, plan=plan, period=period
        )

    if "positive" not in survey.columns:
        est = aggregated_estimates(survey, min_base=min_base)
        return SurveyTables(
            False, None, est, empty_gaps(), AGGREGATED_NOTE, targets=for_targets(None)
        )
    plan = suppression_plan(
        survey, groups, reference_groups=reference_groups, period=period, min_base=min_base
    )
    est = estimates_by_groups(survey, groups, period=period, min_base=min_base, plan=plan)
    gap = equality_gaps(
        survey,
        groups=groups,
        reference_groups=reference_groups,
        period=period,
        min_base=min_base,
        plan=plan,
    )
    by_district = (
        district_gaps(survey, reference_groups, period=period, min_base=min_base, plan=plan)
        if "ethnic_group" in groups
        else None
    )
    return SurveyTables(True, plan, est, gap, None, by_district, for_targets(plan))


def headline_gaps(
    gap_table: pd.DataFrame, comparisons: tuple[tuple[str, str], ...] = HEADLINE_COMPARISONS
) -> pd.DataFrame:
    """The rows of :func:`equality_gaps` drawn over time: *comparisons*, each financial year.

    The first period of *gap_table* (the whole extract, or the configured period) is left
    out, so only the financial years remain. A group and a reference are matched as a pair.
    """
    if gap_table.empty:
        return gap_table.copy()
    first = gap_table["period"].iloc[0]
    pair = pd.Series(list(zip(gap_table["group"], gap_table["reference"])), index=gap_table.index)
    return gap_table[pair.isin(list(comparisons)) & (gap_table["period"] != first)]


def district_gaps(
    survey: pd.DataFrame,
    reference_groups: dict[str, str],
    *,
    period: Period | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    plan: SuppressionPlan | None = None,
) -> pd.DataFrame:
    """BME against the ethnic reference (SPI 1.2) by financial year and district.

    Respondent-level *survey* only; fieldwork months from ``period.start`` to
    ``period.end`` when a *period* is given. Columns
    as :func:`gaps` (estimates in percent, ``gap`` in percentage points), suppressed cells
    blanked with their reason.
    """
    if period is None:
        sub = survey
    else:
        month = survey["fieldwork_month"]
        sub = survey[(month >= period.start) & (month <= period.end)]
    bme = [c for c in default_comparisons(["ethnic_group"], reference_groups) if c.group == "BME"]
    return gaps(sub, bme, by=["financial_year", "district"], min_base=min_base, plan=plan)


def published_sentence(table: pd.DataFrame) -> str:
    """How many district-year gaps of :func:`district_gaps` are published, in words."""
    return (
        f"{int((~table['suppressed']).sum())} of {len(table)} district-year gaps are published "
        "(the rest are suppressed: small bases, or withheld so that none can be worked out)"
    )


def target_estimates(
    survey: pd.DataFrame,
    measure_ids,
    baseline: Period,
    target_period: Period,
    *,
    min_base: int = DEFAULT_MIN_BASE,
    plan: SuppressionPlan | None = None,
    period: Period | None = None,
) -> pd.DataFrame:
    """:func:`survey_estimates_for_targets` for the baseline and the target period, stacked.

    ``role`` is ``"baseline"`` or ``"target period"``. The whole extract's *plan* is used
    only when no analysis *period* is set (as in the target comparison).
    """
    use = plan if period is None else None
    return pd.concat(
        [
            survey_estimates_for_targets(
                survey, measure_ids, p, min_base=min_base, plan=use
            ).assign(role=role)
            for p, role in ((baseline, "baseline"), (target_period, "target period"))
        ],
        ignore_index=True,
    )
