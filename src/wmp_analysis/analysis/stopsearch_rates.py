"""Stop and search: searches per 1,000 residents by group and by age range."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2

from wmp_analysis.analysis.stopsearch_counts import (
    AGE_RANGES,
    BME,
    GROUPS,
    MISSING,
    NO_AGE_POPULATION_NOTE,
    NO_POPULATION_NOTE,
    RESIDENTIAL_POPULATION_CAVEAT,
    _missing_to_label,
    census_population_by_group,
)
from wmp_analysis.analysis.stopsearch_disproportionality import rr_columns


def poisson_rate_ci(
    count: int, exposure: float, *, per: float = 1000.0, alpha: float = 0.05
) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate ``count / exposure * per``."""
    lo = 0.0 if count == 0 else chi2.ppf(alpha / 2, 2 * count) / 2
    hi = chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    return float(lo / exposure * per), float(hi / exposure * per)


def _group_counts(stop_search: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Searches by self-defined group (with ``BME`` and ``All``), and those not placed.

    A search not placed has a missing or ``Not stated`` group (or one outside the five).
    """
    grp = _missing_to_label(stop_search["self_defined_group"], MISSING)
    counts = grp.value_counts()
    c = {g: int(counts.get(g, 0)) for g in GROUPS}
    c["BME"] = sum(c[g] for g in BME)
    missing = int(counts.get(MISSING, 0)) + int(
        sum(v for k, v in counts.items() if k not in GROUPS and k != MISSING)
    )
    c["All"] = c["BME"] + c["White"] + missing
    return c, missing


def search_rates(
    stop_search: pd.DataFrame,
    population: pd.Series,
    *,
    geography: str = "force",
    per: float = 1000.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Searches per 1,000 residents by self-defined group, and the relative rate against White.

    Parameters
    ----------
    stop_search : DataFrame
        Searches in one geography (``self_defined_group`` used).
    population : Series
        From :func:`census_population_by_group` for the same geography.
    geography : str
        Label written in the output.

    Returns
    -------
    DataFrame
        One row per group (five groups, ``BME``, ``All``, ``Not stated``):
        ``geography, group, searches, population, rate_per_1000, rate_ci_low,
        rate_ci_high, rr_vs_white, rr_ci_low, rr_ci_high, rr_p_value,
        rr_min_missing, rr_max_missing, missing_searches, denominator, caveat,
        population_note``. ``population`` is residents (nullable ``Int64``). ``Not stated``
        has a count but no population (missing, never 0: it is not a census group), so no
        rate; its ``population_note`` says so (empty on the other rows).
    """
    c, missing = _group_counts(stop_search)
    rows = []
    for g in (*GROUPS, "BME", "All"):
        pop = float(population[g])
        lo, hi = poisson_rate_ci(c[g], pop, per=per, alpha=alpha) if pop > 0 else (np.nan, np.nan)
        row = {
            "geography": geography,
            "group": g,
            "searches": c[g],
            "population": int(pop),
            "rate_per_1000": c[g] / pop * per if pop > 0 else np.nan,
            "rate_ci_low": lo,
            "rate_ci_high": hi,
        }
        if g in (*BME, "BME"):
            row.update(rr_columns(c, missing, g, population, alpha=alpha))
        rows.append(row)
    rows.append(
        {
            "geography": geography,
            "group": MISSING,
            "searches": missing,
            "population": pd.NA,  # no census group: missing, never 0 residents
            "rate_per_1000": np.nan,
            "rate_ci_low": np.nan,
            "rate_ci_high": np.nan,
            "population_note": NO_POPULATION_NOTE,
        }
    )
    out = pd.DataFrame(rows)
    for col in (
        "rr_vs_white",
        "rr_ci_low",
        "rr_ci_high",
        "rr_p_value",
        "rr_min_missing",
        "rr_max_missing",
    ):
        if col not in out.columns:
            out[col] = np.nan
    out["missing_searches"] = missing
    out["denominator"] = "2011 Census usual residents (QS201EW)"
    out["caveat"] = RESIDENTIAL_POPULATION_CAVEAT
    out["population_note"] = out["population_note"].fillna("")
    out = out[[c for c in out.columns if c != "population_note"] + ["population_note"]]
    return out.astype({"searches": "int64", "population": "Int64", "missing_searches": "int64"})


def search_rates_by_district(
    stop_search: pd.DataFrame, census_ethnicity: pd.DataFrame, districts: list[str], **kw
) -> pd.DataFrame:
    """:func:`search_rates` for each district.

    Needs a ``district`` column on the searches. police.uk stop-and-search files carry
    only a (jittered) latitude/longitude, no LSOA; without a point-in-polygon lookup
    there is no district, and this raises a clear ``ValueError`` rather than guessing.
    """
    if "district" not in stop_search.columns:
        raise ValueError(
            "searches have no 'district' column: police.uk stop-and-search rows carry only "
            "latitude/longitude, so district rates need a geographic lookup that is not available"
        )
    frames = []
    for d in districts:
        pop = census_population_by_group(census_ethnicity, [d], level="lad")
        frames.append(
            search_rates(stop_search[stop_search["district"] == d], pop, geography=d, **kw)
        )
    return pd.concat(frames, ignore_index=True)


def age_rates(
    stop_search: pd.DataFrame,
    age_population: pd.DataFrame,
    *,
    per: float = 1000.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Searches per 1,000 residents by police.uk age range (2021 Census proxy denominator).

    Returns ``age_range, searches, population, rate_per_1000, rate_ci_low,
    rate_ci_high, suppressed_cells, denominator, population_note`` plus a ``Not recorded``
    row (count only: population missing, never 0; its ``population_note`` says why).
    """
    ages = _missing_to_label(stop_search["age_range"], "Not recorded")
    counts = ages.value_counts()
    rows = []
    for a in AGE_RANGES:
        n, pop = int(counts.get(a, 0)), float(age_population.loc[a, "All"])
        lo, hi = poisson_rate_ci(n, pop, per=per, alpha=alpha)
        rows.append(
            {
                "age_range": a,
                "searches": n,
                "population": int(pop),
                "rate_per_1000": n / pop * per,
                "rate_ci_low": lo,
                "rate_ci_high": hi,
            }
        )
    rows.append(
        {
            "age_range": "Not recorded",
            "searches": int(counts.get("Not recorded", 0)),
            "population": pd.NA,  # no census group: missing, never 0 residents
            "rate_per_1000": np.nan,
            "rate_ci_low": np.nan,
            "rate_ci_high": np.nan,
            "population_note": NO_AGE_POPULATION_NOTE,
        }
    )
    out = pd.DataFrame(rows)
    out["suppressed_cells"] = [
        int(age_population.loc[a, "suppressed_cells"])
        if "suppressed_cells" in age_population
        else 0
        for a in AGE_RANGES
    ] + [0]
    out["denominator"] = (
        "PROXY: 2021 Census usual residents (no 2011 age x ethnicity table available)"
    )
    out["population_note"] = out["population_note"].fillna("")
    out = out[[c for c in out.columns if c != "population_note"] + ["population_note"]]
    return out.astype({"population": "Int64"})


#: Column types of :func:`rates_by_financial_year`'s rates table (``tables/stop_search_rates.csv``).
RATE_DTYPES: dict[str, str] = {
    "period": "str",
    "months_of_data": "int64",
    "geography": "str",
    "group": "str",
    "searches": "int64",
    "population": "Int64",
    "rate_per_1000": "float64",
    "rate_ci_low": "float64",
    "rate_ci_high": "float64",
    "rr_vs_white": "float64",
    "rr_ci_low": "float64",
    "rr_ci_high": "float64",
    "rr_p_value": "float64",
    "rr_min_missing": "float64",
    "rr_max_missing": "float64",
    "missing_searches": "int64",
    "denominator": "str",
    "caveat": "str",
    "population_note": "str",
}


def empty_rates() -> pd.DataFrame:
    """The rates table of :func:`rates_by_financial_year` with no rows (typed)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in RATE_DTYPES.items()})
