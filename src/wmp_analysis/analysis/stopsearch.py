"""Stop and search: counts, rates per 1,000 residents, disproportionality and outcomes.

Input is the ``stop_search`` table (docs/CONTRACTS.md; one row per search), with
``self_defined_group`` (White/Mixed/Asian/Black/Other/"Not stated", mapped by the
police.uk reader from the 18 census codes) kept apart from
``officer_defined_ethnicity`` (the officer's view; never mixed with the census
groups).

Definitions
-----------
* **Rate per 1,000** = searches / residents * 1,000, with 2011 Census usual
  residents (``census_ethnicity`` table) as the denominator. Interval: exact
  (Garwood) Poisson interval on the count, scaled.
* **Relative rate (RR)** of group g against White = rate_g / rate_White; "BME"
  pools Mixed, Asian, Black and Other. Interval and p-value: score method for the
  ratio of two Poisson rates with population exposure
  (``statsmodels.stats.rates.confint_poisson_2indep(method="score",
  compare="ratio")`` and ``test_poisson_2indep(method="score")``).
* **Missing-ethnicity bounds**: searches whose self-defined ethnicity is missing
  or "Not stated" cannot be placed. The RR is recomputed allocating *all* of them
  to each of the five groups in turn; ``rr_min_missing``/``rr_max_missing`` are the
  smallest and largest RR over those allocations (for g vs White, the extremes are
  "all to White" and "all to g").
* **Arrest rate** = searches with an arrest outcome (:data:`ARREST_OUTCOMES`) /
  searches with an outcome recorded; **find rate** = searches whose
  ``outcome_linked_to_object`` is True / searches where it is recorded. Wilson
  intervals (``proportion_confint(method="wilson")``). Lower find rates for a
  group than for White are the usual 'outcome test' sign of a lower threshold
  for searching that group.

.. note:: :data:`RESIDENTIAL_POPULATION_CAVEAT` applies to every rate.
"""

# Counts, rates, disproportionality, outcomes and the section's tables, one job a module;
# every name is re-exported here.
# read by the ingest now (processed table census2021_age_ethnicity); re-exported for notebook 04
from wmp_analysis.analysis.stopsearch_counts import (
    AGE_RANGES,
    BME,
    DENOMINATOR_NOTE,
    GROUPS,
    MISSING,
    NO_AGE_POPULATION_NOTE,
    NO_POPULATION_NOTE,
    RESIDENTIAL_POPULATION_CAVEAT,
    age_range_population,
    census_population_by_group,
    force_population,
    search_counts,
)
from wmp_analysis.analysis.stopsearch_disproportionality import (
    missing_bounds,
    rate_ratio,
    rr_columns,
)
from wmp_analysis.analysis.stopsearch_outcomes import (
    ARREST_OUTCOMES,
    OUTCOME_DTYPES,
    empty_outcomes,
    outcome_rates,
)
from wmp_analysis.analysis.stopsearch_rates import (
    RATE_DTYPES,
    age_rates,
    empty_rates,
    poisson_rate_ci,
    search_rates,
    search_rates_by_district,
)
from wmp_analysis.analysis.stopsearch_section import (
    CENSUS_KEYS,
    NO_CENSUS_NOTE,
    NO_SEARCHES_NOTE,
    SHORT_YEAR_NOTE,
    ForceSearches,
    age_breakdown,
    availability_notes,
    force_breakdown,
    in_period,
    rates_by_financial_year,
)
from wmp_analysis.ingest.census2021 import read_census2021_age_ethnicity

__all__ = [
    "AGE_RANGES",
    "ARREST_OUTCOMES",
    "BME",
    "CENSUS_KEYS",
    "DENOMINATOR_NOTE",
    "GROUPS",
    "MISSING",
    "NO_AGE_POPULATION_NOTE",
    "NO_CENSUS_NOTE",
    "NO_POPULATION_NOTE",
    "NO_SEARCHES_NOTE",
    "OUTCOME_DTYPES",
    "RATE_DTYPES",
    "RESIDENTIAL_POPULATION_CAVEAT",
    "SHORT_YEAR_NOTE",
    "ForceSearches",
    "age_breakdown",
    "age_range_population",
    "age_rates",
    "availability_notes",
    "census_population_by_group",
    "empty_outcomes",
    "empty_rates",
    "force_breakdown",
    "force_population",
    "in_period",
    "missing_bounds",
    "outcome_rates",
    "poisson_rate_ci",
    "rate_ratio",
    "rates_by_financial_year",
    "read_census2021_age_ethnicity",
    "rr_columns",
    "search_counts",
    "search_rates",
    "search_rates_by_district",
]
