"""Series per measure and geography, from the processed tables.

Each measure (burglary of homes, robbery, total crime ...) is defined once per
source in ``data/raw/targets/measures.csv``: ONS offence groups, Home Office CSP
offence codes, police.uk categories. The functions here turn the processed tables
into one tidy layout::

    measure_id, geography, period_start, period_end, value, source, proxy,
    proxy_note, note

* ``period_start`` / ``period_end``: inclusive dates of the window the value counts
  (a 12-month rolling year for ONS, a financial quarter for CSP, a month for
  police.uk).
* ``value``: offences recorded in the window (float; NaN = missing, never 0 for
  missing).
* ``proxy``: True when the series only approximates the plan's measure; the note
  says how.

ONS file quirks handled here (see :func:`ons_zero_flags`): an offence group that
has not started or has stopped is published as 0 (e.g. "Residential burglary" is 0
before June 2017, "Domestic burglary" is 0 from March 2018). Such zeros are
treated as *not published*, not as real zeros, and are reported in ``note``.
"""

# The tidy layout and one period's value (series_tidy), then one module per source: ONS
# (series_ons), Home Office CSP (series_csp), police.uk (series_police_uk). Every name (and
# the private ones analysis/ uses) is re-exported here.
from wmp_analysis.measures.series_csp import _district_match, csp_quarterly
from wmp_analysis.measures.series_ons import (
    IMPLAUSIBLE_ZERO_MIN_TYPICAL,
    ons_rolling_year,
    ons_zero_flags,
)
from wmp_analysis.measures.series_police_uk import (
    STREET_COUNTS,
    _codes,
    empty_street_counts,
    police_uk_monthly,
    police_uk_monthly_from_counts,
    street_counts,
    street_month_counts,
)
from wmp_analysis.measures.series_tidy import (
    TIDY_COLUMNS,
    _empty,
    _finish,
    _require,
    _text,
    _truthy,
    join_notes,
    measure_row,
    measure_value,
    split_list,
)

__all__ = [
    "IMPLAUSIBLE_ZERO_MIN_TYPICAL",
    "STREET_COUNTS",
    "TIDY_COLUMNS",
    "_codes",
    "_district_match",
    "_empty",
    "_finish",
    "_require",
    "_text",
    "_truthy",
    "csp_quarterly",
    "empty_street_counts",
    "join_notes",
    "measure_row",
    "measure_value",
    "ons_rolling_year",
    "ons_zero_flags",
    "police_uk_monthly",
    "police_uk_monthly_from_counts",
    "split_list",
    "street_counts",
    "street_month_counts",
]
