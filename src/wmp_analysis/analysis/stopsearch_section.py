"""The stop-and-search tables of the equality section (notebook 04): by year, force-wide, by age."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wmp_analysis.analysis.stopsearch_counts import (
    age_range_population,
    force_population,
    search_counts,
)
from wmp_analysis.analysis.stopsearch_outcomes import empty_outcomes, outcome_rates
from wmp_analysis.analysis.stopsearch_rates import age_rates, empty_rates, search_rates
from wmp_analysis.periods import financial_year


def rates_by_financial_year(
    stop_search: pd.DataFrame,
    population: pd.Series,
    *,
    geography: str,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`search_rates` and :func:`outcome_rates` for each financial year of searches.

    Parameters
    ----------
    stop_search : DataFrame
        Searches (``month`` datetime64 used for the financial year, April-March).
    population : Series
        From :func:`census_population_by_group` / :func:`force_population`.
    geography : str
        Label written in the rates table.

    Returns
    -------
    (DataFrame, DataFrame)
        Rates (``period`` = financial year, ``months_of_data`` = months with at least
        one search in that year, then :func:`search_rates`' columns) and outcomes
        (:func:`outcome_rates` for ``self_defined_group`` and
        ``officer_defined_ethnicity``, then ``period``). Both typed and empty when
        there are no searches.
    """
    if stop_search.empty:
        return empty_rates(), empty_outcomes()
    fy = financial_year(stop_search["month"])
    rates, outs = [], []
    for label, sub in stop_search.groupby(fy, sort=True):
        r = search_rates(sub, population, geography=geography, alpha=alpha)
        r.insert(0, "months_of_data", int(sub["month"].nunique()))
        r.insert(0, "period", label)
        rates.append(r)
        for dim in ("self_defined_group", "officer_defined_ethnicity"):
            outs.append(outcome_rates(sub, by=dim, alpha=alpha).assign(period=label))
    return pd.concat(rates, ignore_index=True), pd.concat(outs, ignore_index=True)


#: The 2011 Census sources either of which gives the stop-and-search denominator.
CENSUS_KEYS = ("census_ethnicity_force", "census_ethnicity_la")


#: Said when police.uk is supplied but holds no searches for the months configured.
NO_SEARCHES_NOTE = (
    "The police.uk source holds no stop-and-search records for the months configured (the ingest "
    "section lists the missing months): stop-and-search rates are not measurable, not zero."
)


#: Said when a census source is supplied but no census table was ingested.
NO_CENSUS_NOTE = (
    "No 2011 Census ethnicity table was ingested: stop-and-search rates are not measurable."
)


#: Said when a financial year has fewer than 12 months of searches.
SHORT_YEAR_NOTE = "Some financial years have fewer than 12 months of searches: their rates cover only those months."


def in_period(stop_search: pd.DataFrame | None, period) -> pd.DataFrame | None:
    """The searches whose ``month`` lies from ``period.start`` to ``period.end`` (all when None)."""
    if stop_search is None or period is None:
        return stop_search
    m = stop_search["month"]
    return stop_search[(m >= period.start) & (m <= period.end)]


def availability_notes(
    stop_search: pd.DataFrame | None,
    census: pd.DataFrame | None,
    *,
    police_uk_supplied: bool,
    census_supplied: bool,
) -> list[str]:
    """Why stop-and-search rates are not measurable although their sources are supplied.

    Returns :data:`NO_SEARCHES_NOTE` when police.uk is supplied but *stop_search* is None or
    empty, :data:`NO_CENSUS_NOTE` when a census source is supplied but *census* is None (in
    that order); an empty list when neither applies. A source not supplied is said elsewhere
    (:func:`wmp_analysis.availability.not_supplied_note`).
    """
    out = []
    if police_uk_supplied and (stop_search is None or stop_search.empty):
        out.append(NO_SEARCHES_NOTE)
    if census is None and census_supplied:
        out.append(NO_CENSUS_NOTE)
    return out


@dataclass
class ForceSearches:
    """The force's stop-and-search tables (:func:`force_breakdown`).

    Attributes
    ----------
    measurable : bool
        True when there are searches and a census denominator.
    counts : DataFrame or None
        :func:`search_counts` (None when not measurable).
    rates, outcomes : DataFrame
        :func:`rates_by_financial_year` (typed and empty when not measurable).
    notes : list of str
        The denominator used, and :data:`SHORT_YEAR_NOTE` when a year is short.
    """

    measurable: bool
    counts: pd.DataFrame | None
    rates: pd.DataFrame
    outcomes: pd.DataFrame
    notes: list[str]


def force_breakdown(
    stop_search: pd.DataFrame | None,
    census: pd.DataFrame | None,
    force: str,
    districts: list[str],
) -> ForceSearches:
    """Counts, rates per 1,000 residents by financial year and outcomes, force-wide.

    The denominator is the force's 2011 Census population (:func:`force_population`).
    Nothing is measurable without searches or without the census: the tables are then
    empty (never zero rates).
    """
    if stop_search is None or stop_search.empty or census is None:
        return ForceSearches(False, None, empty_rates(), empty_outcomes(), [])
    pop, pop_note = force_population(census, force, districts)
    rates, outcomes = rates_by_financial_year(stop_search, pop, geography=force)
    notes = [f"Denominator used: {pop_note}"]
    if len(rates) and (rates["months_of_data"] < 12).any():
        notes.append(SHORT_YEAR_NOTE)
    return ForceSearches(True, search_counts(stop_search), rates, outcomes, notes)


def age_breakdown(
    stop_search: pd.DataFrame, census2021: pd.DataFrame, districts: list[str]
) -> pd.DataFrame:
    """:func:`age_rates` on the 2021 Census residents of *districts* (a labelled proxy).

    *census2021* is :func:`read_census2021_age_ethnicity`'s table.
    """
    return age_rates(stop_search, age_range_population(census2021, districts))
