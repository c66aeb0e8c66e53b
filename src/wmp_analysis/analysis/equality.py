"""Survey estimates by group, and the gaps between groups (SPI 1.2 form).

Definitions (all percentages are 0-100; gaps are percentage points)
--------------------------------------------------------------------
* **Weighted proportion** of a group: ``p = sum(w * positive) / sum(w)`` over
  respondents with a valid answer (``positive`` not NA).
* **Kish effective sample size**: ``n_eff = (sum w)**2 / sum(w**2)``; equals n
  when all weights are equal.
* **Interval** for a weighted proportion: Wilson score interval
  (``statsmodels.stats.proportion.proportion_confint(method="wilson")``) applied to
  ``(p * n_eff, n_eff)``, i.e. the Wilson interval of an unweighted sample of size
  n_eff with the same proportion. This respects weighting through the design effect
  of unequal weights (it does not know about clustering or stratification).
* **Suppression**: a group whose *unweighted* base n is below ``min_base``
  (default 50) keeps n but has a blank estimate and ``suppressed=True``.
* **Gap**: ``gap = p_group - p_reference`` (group minus reference, so a negative gap
  means the group is less satisfied), with a Newcombe hybrid-score interval
  (Newcombe 1998, method 10; ``statsmodels.stats.proportion.confint_proportions_2indep
  (method="newcomb", compare="diff")``) on the effective counts ``(p * n_eff,
  n_eff)`` of each side. ``significant`` is True when the interval excludes 0. This
  is the form of the Home Office SPI 1.2 "satisfaction gap between White and BME
  victims" (difference in proportions with its confidence interval).

Aggregated extracts (published tables) carry no weights: their ``n_eff`` is the
base n and their proportion is ``weighted_proportion`` when given, else
``n_positive / base_n``.
"""

# The survey tables of the equality section, one job a module; every name is re-exported here.
from wmp_analysis.analysis.equality_estimates import (
    CELL_COLUMNS,
    DEFAULT_MIN_BASE,
    EQUALITY_GAP_COLUMNS,
    EQUALITY_GAP_DTYPES,
    ESTIMATE_DTYPES,
    SUPPRESSION_TEXT,
    add_period_columns,
    empty_estimates,
    empty_gaps,
    kish_neff,
    proportion_gap,
    survey_estimates,
    weighted_proportion,
)
from wmp_analysis.analysis.equality_gaps import (
    GAP_VALUE_COLUMNS,
    Comparison,
    default_comparisons,
    equality_gaps,
    gaps,
)
from wmp_analysis.analysis.equality_section import (
    AGGREGATED_NOTE,
    HEADLINE_COMPARISONS,
    SurveyTables,
    district_gaps,
    headline_gaps,
    period_from_parameters,
    published_sentence,
    survey_tables,
    target_estimates,
)
from wmp_analysis.analysis.equality_suppression import (
    DERIVED_GROUPS,
    FORCE,
    SuppressionPlan,
    suppression_plan,
)
from wmp_analysis.analysis.equality_tables import (
    aggregated_estimates,
    estimates_by_groups,
    survey_estimates_for_targets,
)

__all__ = [
    "AGGREGATED_NOTE",
    "CELL_COLUMNS",
    "DEFAULT_MIN_BASE",
    "DERIVED_GROUPS",
    "EQUALITY_GAP_COLUMNS",
    "EQUALITY_GAP_DTYPES",
    "ESTIMATE_DTYPES",
    "FORCE",
    "GAP_VALUE_COLUMNS",
    "HEADLINE_COMPARISONS",
    "SUPPRESSION_TEXT",
    "Comparison",
    "SuppressionPlan",
    "SurveyTables",
    "add_period_columns",
    "aggregated_estimates",
    "default_comparisons",
    "district_gaps",
    "empty_estimates",
    "empty_gaps",
    "equality_gaps",
    "estimates_by_groups",
    "gaps",
    "headline_gaps",
    "kish_neff",
    "period_from_parameters",
    "proportion_gap",
    "published_sentence",
    "suppression_plan",
    "survey_estimates",
    "survey_estimates_for_targets",
    "survey_tables",
    "target_estimates",
    "weighted_proportion",
]
