"""Measure a force against its plan's targets (notebook 03).

For every target of the config's plan, :func:`compare_targets` gives the baseline
and actual values, the change, the status and whether the change is
distinguishable from noise (two-sample Poisson rate-ratio test with a Holm
family-wise threshold across every series judged in the table). Companion
functions give peer-force context (:func:`peer_comparison`), district rankings with
intervals (:func:`rank_districts`), and the plans' own claims recomputed
(:func:`claims_check`).

Sources: force targets use ONS rolling-year totals for the 12 months ending 31
March of the baseline and target financial years. Districts use Home Office CSP
quarters when supplied, else police.uk months (a labelled proxy).
"""

# One job a module: inputs (registry values, periods, the caveat), series (what a row is
# measured on), counts (a count row and its tests), projection (an incomplete target year),
# survey (survey targets and reported survey figures), table (the comparison and its Holm
# step, origins), context (districts ranked, peers, yearly series), claims, overrides.
# Every name (and the private ones baseline.py and the tests use) is re-exported here.
from wmp_analysis.analysis.compare_claims import _force_total, claims_check
from wmp_analysis.analysis.compare_context import (
    RANK_COLUMNS,
    SERIES_YEARS,
    measure_series,
    peer_comparison,
    rank_districts,
)
from wmp_analysis.analysis.compare_counts import _annual_march_totals, _count_row
from wmp_analysis.analysis.compare_inputs import (
    NS_LOSS_DATE,
    RECORDED_CRIME_CAVEAT,
    _float,
    _is_force,
    _is_na,
    _table,
    parse_period,
    recorded_crime_caveat,
)
from wmp_analysis.analysis.compare_overrides import apply_overrides
from wmp_analysis.analysis.compare_projection import _projection, projected_judgement
from wmp_analysis.analysis.compare_series import (
    _cached,
    _force_monthly,
    district_sources,
    series_for,
)
from wmp_analysis.analysis.compare_survey import (
    _survey_claim_row,
    _survey_row,
    claim_age_band,
)
from wmp_analysis.analysis.compare_table import (
    COMPARISON_COLUMNS,
    compare_assessments,
    compare_targets,
    mark_origin,
    source_key,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "NS_LOSS_DATE",
    "RANK_COLUMNS",
    "RECORDED_CRIME_CAVEAT",
    "SERIES_YEARS",
    "_annual_march_totals",
    "_cached",
    "_count_row",
    "_float",
    "_force_monthly",
    "_force_total",
    "_is_force",
    "_is_na",
    "_projection",
    "_survey_claim_row",
    "_survey_row",
    "_table",
    "apply_overrides",
    "claim_age_band",
    "claims_check",
    "compare_assessments",
    "compare_targets",
    "district_sources",
    "mark_origin",
    "measure_series",
    "parse_period",
    "peer_comparison",
    "projected_judgement",
    "rank_districts",
    "recorded_crime_caveat",
    "series_for",
    "source_key",
]
