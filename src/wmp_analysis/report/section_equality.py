"""Steps of the equality notebook (``04_equality_breakdowns``) that are not one call.

Each takes the notebook's :class:`~wmp_analysis.report.section.Section` and shows and saves
exactly what the notebook did in its place (same calls, same order).
"""

from __future__ import annotations

import pandas as pd

from wmp_analysis.analysis import stopsearch
from wmp_analysis.periods import Period
from wmp_analysis.report.plots import equality as eqplots
from wmp_analysis.report.section import Section


def period_line(min_base: int, period: Period | None) -> str:
    """The section's first line: the minimum base and the analysis period."""
    return (
        f"minimum base: {min_base}; period: "
        f"{period.label if period else 'whole extract, and each financial year'}"
    )


def stop_search(ctx: Section, period: Period | None):
    """The force's stop-and-search counts, rates and outcomes (:func:`stopsearch.force_breakdown`).

    Shows the caveats and what is not supplied (:meth:`Section.stop_search_inputs`), then, when
    measurable, the counts, the notes, the rates and the outcomes. Returns ``(ForceSearches,
    searches or None, rates, outcomes)``: the rates and outcomes marked real/synthetic, for
    the notebook to save (typed and empty when not measurable).
    """
    from IPython.display import display

    ss, census = ctx.stop_search_inputs(period)  # with the caveats and what is not supplied
    found = stopsearch.force_breakdown(ss, census, ctx.cfg.force, ctx.cfg.districts)
    searches = ("police_uk", *stopsearch.CENSUS_KEYS)  # counts and denominators
    rates, outcomes = ctx.mark(found.rates, *searches), ctx.mark(found.outcomes, "police_uk")
    if found.measurable:
        display(ctx.mark(found.counts, "police_uk"))
        ctx.notes(found.notes)
        display(rates)
        display(outcomes)
    return found, ss, rates, outcomes


def age_rates(ctx: Section, found, ss: pd.DataFrame | None) -> None:
    """Searches per 1,000 residents by age range, on the 2021 Census residents (a proxy).

    Shown, saved (``tables/stop_search_age_rates.csv``) and drawn when the 2021 Census table
    is supplied; otherwise the counts by age range are shown and no rate is given.
    """
    from IPython.display import display

    c21_path = ctx.cfg.source("census_age_ethnicity_2021", required=False)
    if found.measurable and c21_path is not None:
        c21 = stopsearch.read_census2021_age_ethnicity(c21_path)
        age = stopsearch.age_breakdown(ss, c21, ctx.cfg.districts)
        age = ctx.mark(age, "police_uk", "census_age_ethnicity_2021")
        ctx.save_table(age, "stop_search_age_rates")
        ctx.save_figure(eqplots.age_rate_figure(age), "stop_search_age_rates")
        display(age)
    elif found.measurable:
        counts = ctx.mark(found.counts, "police_uk")
        display(counts[counts["dimension"] == "age_range"])
        ctx.not_supplied("census_age_ethnicity_2021")
        ctx.note("Searches by age range are counted above, but no rates are given.")
    else:
        ctx.note("No stop-and-search rates (see above), so none by age range.")
