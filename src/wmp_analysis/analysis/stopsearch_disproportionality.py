"""Stop and search: relative rates against White, and their bounds over the missing ethnicities."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.rates import test_poisson_2indep

from wmp_analysis.analysis.stats import rate_ratio_interval
from wmp_analysis.analysis.stopsearch_counts import BME, GROUPS


def rate_ratio(c1: int, e1: float, c2: int, e2: float, *, alpha: float = 0.05) -> dict[str, float]:
    """RR = (c1/e1)/(c2/e2) with the score interval
    (:func:`~wmp_analysis.analysis.stats.rate_ratio_interval`) and p-value (statsmodels)."""
    if c2 == 0 or e1 <= 0 or e2 <= 0:
        return {"rr": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    lo, hi = rate_ratio_interval(c1, e1, c2, e2, method="score", alpha=alpha)
    p = test_poisson_2indep(c1, e1, c2, e2, method="score", compare="ratio").pvalue
    return {
        "rr": (c1 / e1) / (c2 / e2),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
    }


def missing_bounds(
    counts: dict[str, int], missing: int, group: str, pop: float, white_pop: float
) -> tuple[float, float]:
    """Smallest and largest RR of *group* against White over the allocations of *missing*.

    All *missing* searches are given to each of the five groups in turn (*counts* by
    group; ``BME`` pools Mixed, Asian, Black and Other); NaN when no allocation has a rate.
    """
    bounds = []
    for target in GROUPS:  # allocate all missing searches to one group in turn
        alloc = {k: counts[k] + (missing if k == target else 0) for k in GROUPS}
        num = sum(alloc[k] for k in BME) if group == "BME" else alloc[group]
        if alloc["White"] > 0 and pop > 0:
            bounds.append((num / pop) / (alloc["White"] / white_pop))
    return (min(bounds), max(bounds)) if bounds else (np.nan, np.nan)


def rr_columns(counts: dict[str, int], missing: int, group: str, population, *, alpha) -> dict:
    """The relative-rate columns of :func:`~wmp_analysis.analysis.stopsearch.search_rates`."""
    pop, white = float(population[group]), float(population["White"])
    rr = rate_ratio(counts[group], pop, counts["White"], white, alpha=alpha)
    lo, hi = missing_bounds(counts, missing, group, pop, white)
    return {
        "rr_vs_white": rr["rr"],
        "rr_ci_low": rr["ci_low"],
        "rr_ci_high": rr["ci_high"],
        "rr_p_value": rr["p_value"],
        "rr_min_missing": lo,
        "rr_max_missing": hi,
    }
