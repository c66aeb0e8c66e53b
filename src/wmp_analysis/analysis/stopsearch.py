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

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

# read by the ingest now (processed table census2021_age_ethnicity); re-exported for notebook 04
from wmp_analysis.ingest.census2021 import read_census2021_age_ethnicity  # noqa: F401
from wmp_analysis.ingest.police_uk_reference import NOT_STATED
from wmp_analysis.periods import financial_year

#: Caveat printed beside every rate.
RESIDENTIAL_POPULATION_CAVEAT = (
    "Rates use the residential (2011 Census usual-resident) population as the denominator. "
    "The residential population is not the population available to be stopped: people are "
    "searched where they are (town centres, roads, night-time economy), visitors and commuters "
    "are not residents, and groups differ in age and in time spent in public places. "
    "Relative rates are an indicator for scrutiny, not a measure of bias."
)

#: Which denominators exist, and which this module uses.
DENOMINATOR_NOTE = (
    "Ethnicity: 2011 Census usual residents by ethnic group (QS201EW; 18 categories) by local "
    "authority and police force area - used for rates and relative rates. Age: no 2011 Census "
    "table by age and ethnicity is available here; the only age x ethnicity table is the 2021 "
    "Census (ethnic group by single year of age by local authority, population/census.csv.gz). "
    "Age-range rates therefore use 2021 residents as a PROXY denominator for searches in "
    "2011-16; the population changed between 2011 and 2021 (it grew and aged, and its ethnic "
    "mix changed), so these rates are indicative only. ONS mid-year estimates by age exist but "
    "not by ethnicity and are not in the shared data."
)

GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
BME = ("Mixed", "Asian", "Black", "Other")
MISSING = NOT_STATED
#: Why the ``Not stated`` row of a rates table has no population and no rate (shown as a dash).
NO_POPULATION_NOTE = (
    "no population: 'Not stated' (no self-defined ethnicity recorded) is not a census group, "
    "so these searches are counted but have no rate"
)
#: Why the ``Not recorded`` row of an age-rates table has no population and no rate.
NO_AGE_POPULATION_NOTE = (
    "no population: searches with no age range recorded have no census group, so no rate"
)
#: Outcomes counted as an arrest (police.uk wording before and after 2016).
ARREST_OUTCOMES = frozenset({"arrest", "suspect arrested", "offender arrested"})
#: police.uk age ranges in order.
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
_AGE_BOUNDS = {
    "under 10": (0, 9),
    "10-17": (10, 17),
    "18-24": (18, 24),
    "25-34": (25, 34),
    "over 34": (35, 200),
}


def _missing_to_label(s: pd.Series, label: str) -> pd.Series:
    s = s.astype("str")
    blank = s.isna() | (s.str.strip() == "")
    return s.where(~blank, label)


def search_counts(stop_search: pd.DataFrame) -> pd.DataFrame:
    """Searches by self-defined group, by officer-defined ethnicity and by age range, kept apart.

    Returns
    -------
    DataFrame
        ``dimension`` (``self_defined_group``, ``officer_defined_ethnicity``,
        ``age_range``), ``category`` (missing values counted under
        ``"Not stated"`` / ``"Not recorded"``), ``searches`` (int64), ``share_pct``
        (percent of all searches in that dimension, missing included).

    *stop_search* may also be processed data with the partitioned police.uk dataset
    (:class:`~wmp_analysis.ingest.pipeline.ProcessedData`): then DuckDB counts over the
    partitions (:func:`wmp_analysis.measures.queries.search_counts`) and the table is not loaded.
    """
    if hasattr(stop_search, "dataset_files"):
        from wmp_analysis.measures.queries import search_counts as _sql_search_counts

        return _sql_search_counts(stop_search)
    frames = []
    for dim, missing in (
        ("self_defined_group", MISSING),
        ("officer_defined_ethnicity", "Not recorded"),
        ("age_range", "Not recorded"),
    ):
        s = _missing_to_label(stop_search[dim], missing)
        c = s.value_counts().rename("searches").reset_index().rename(columns={dim: "category"})
        c.insert(0, "dimension", dim)
        total = c["searches"].sum()
        c["share_pct"] = 100 * c["searches"] / total if total else np.nan
        frames.append(c.sort_values("category", kind="mergesort"))
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"searches": "int64", "category": "str", "dimension": "str"})


def census_population_by_group(
    census_ethnicity: pd.DataFrame,
    geographies: list[str] | None = None,
    *,
    level: str = "lad",
) -> pd.Series:
    """2011 usual residents by the five groups (plus ``BME`` and ``All``).

    Parameters
    ----------
    census_ethnicity : DataFrame
        The ``census_ethnicity`` table (docs/CONTRACTS.md).
    geographies : list of str, optional
        Names (or codes) of the geographies to sum, e.g. the seven districts
        (``level="lad"``) or ``["West Midlands"]`` (``level="pfa"``). None: all rows
        of that level.

    Returns
    -------
    Series
        Index White, Mixed, Asian, Black, Other, BME, All; int64 residents.

    Raises
    ------
    ValueError
        A named geography is not in the table (a missing denominator is never zero).
    """
    df = census_ethnicity[(census_ethnicity["level"] == level) & census_ethnicity["is_group_total"]]
    if geographies is not None:
        known = set(df["geography"]) | set(df["geography_code"])
        absent = [g for g in geographies if g not in known]
        if absent:
            raise ValueError(f"no 2011 Census {level} rows for {absent}")
        df = df[df["geography"].isin(geographies) | df["geography_code"].isin(geographies)]
    by = df.groupby("group")["count"].sum()
    out = pd.Series({g: int(by.get(g, 0)) for g in GROUPS})
    out["BME"] = int(out[list(BME)].sum())
    out["All"] = int(by.get("All", out[list(GROUPS)].sum()))
    return out.astype("int64")


def poisson_rate_ci(
    count: int, exposure: float, *, per: float = 1000.0, alpha: float = 0.05
) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate ``count / exposure * per``."""
    lo = 0.0 if count == 0 else chi2.ppf(alpha / 2, 2 * count) / 2
    hi = chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    return float(lo / exposure * per), float(hi / exposure * per)


def rate_ratio(c1: int, e1: float, c2: int, e2: float, *, alpha: float = 0.05) -> dict[str, float]:
    """RR = (c1/e1)/(c2/e2) with the score interval and p-value (statsmodels)."""
    if c2 == 0 or e1 <= 0 or e2 <= 0:
        return {"rr": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    lo, hi = confint_poisson_2indep(c1, e1, c2, e2, method="score", compare="ratio", alpha=alpha)
    p = test_poisson_2indep(c1, e1, c2, e2, method="score", compare="ratio").pvalue
    return {
        "rr": (c1 / e1) / (c2 / e2),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
    }


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
    grp = _missing_to_label(stop_search["self_defined_group"], MISSING)
    counts = grp.value_counts()
    c = {g: int(counts.get(g, 0)) for g in GROUPS}
    c["BME"] = sum(c[g] for g in BME)
    missing = int(counts.get(MISSING, 0)) + int(
        sum(v for k, v in counts.items() if k not in GROUPS and k != MISSING)
    )
    c["All"] = c["BME"] + c["White"] + missing
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
            rr = rate_ratio(c[g], pop, c["White"], float(population["White"]), alpha=alpha)
            bounds = []
            for target in GROUPS:  # allocate all missing searches to one group in turn
                alloc = {k: c[k] + (missing if k == target else 0) for k in GROUPS}
                num = sum(alloc[k] for k in BME) if g == "BME" else alloc[g]
                if alloc["White"] > 0 and pop > 0:
                    bounds.append((num / pop) / (alloc["White"] / float(population["White"])))
            row.update(
                {
                    "rr_vs_white": rr["rr"],
                    "rr_ci_low": rr["ci_low"],
                    "rr_ci_high": rr["ci_high"],
                    "rr_p_value": rr["p_value"],
                    "rr_min_missing": min(bounds) if bounds else np.nan,
                    "rr_max_missing": max(bounds) if bounds else np.nan,
                }
            )
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


def outcome_rates(
    stop_search: pd.DataFrame, *, by: str = "self_defined_group", alpha: float = 0.05
) -> pd.DataFrame:
    """Arrest rate and find rate by group, with Wilson intervals and the gap against White.

    Returns
    -------
    DataFrame
        ``dimension, group, searches, outcome_recorded, arrests, arrest_rate,
        arrest_ci_low, arrest_ci_high, linked_recorded, finds, find_rate,
        find_ci_low, find_ci_high`` (rates in percent), then
        ``find_gap_vs_white, find_gap_ci_low, find_gap_ci_high`` (percentage
        points, Newcombe interval; only for groups other than White and only when
        ``by`` is ``self_defined_group``).
    """
    missing = MISSING if by == "self_defined_group" else "Not recorded"
    grp = _missing_to_label(stop_search[by], missing)
    outcome = stop_search["outcome"].astype("str")
    has_outcome = outcome.notna() & (outcome.str.strip() != "")
    arrest = has_outcome & outcome.str.strip().str.lower().isin(ARREST_OUTCOMES)
    linked = stop_search["outcome_linked_to_object"].astype("boolean")
    rows = []
    frame = pd.DataFrame(
        {
            "g": grp,
            "has": has_outcome,
            "arr": arrest,
            "lrec": linked.notna(),
            "find": linked.fillna(False).astype(bool),
        }
    )
    for g, sub in frame.groupby("g", sort=True):
        n_out, n_arr = int(sub["has"].sum()), int(sub["arr"].sum())
        n_lrec, n_find = int(sub["lrec"].sum()), int(sub["find"].sum())
        a_lo, a_hi = (
            proportion_confint(n_arr, n_out, alpha=alpha, method="wilson")
            if n_out
            else (np.nan, np.nan)
        )
        f_lo, f_hi = (
            proportion_confint(n_find, n_lrec, alpha=alpha, method="wilson")
            if n_lrec
            else (np.nan, np.nan)
        )
        rows.append(
            {
                "dimension": by,
                "group": g,
                "searches": len(sub),
                "outcome_recorded": n_out,
                "arrests": n_arr,
                "arrest_rate": 100 * n_arr / n_out if n_out else np.nan,
                "arrest_ci_low": 100 * a_lo,
                "arrest_ci_high": 100 * a_hi,
                "linked_recorded": n_lrec,
                "finds": n_find,
                "find_rate": 100 * n_find / n_lrec if n_lrec else np.nan,
                "find_ci_low": 100 * f_lo,
                "find_ci_high": 100 * f_hi,
            }
        )
    out = pd.DataFrame(rows)
    out["find_gap_vs_white"] = np.nan
    out["find_gap_ci_low"] = np.nan
    out["find_gap_ci_high"] = np.nan
    if by == "self_defined_group" and len(out) and "White" in set(out["group"]):
        w = out[out["group"] == "White"].iloc[0]
        for i, r in out.iterrows():
            if (
                r["group"] in ("White", MISSING)
                or r["linked_recorded"] == 0
                or w["linked_recorded"] == 0
            ):
                continue
            lo, hi = confint_proportions_2indep(
                r["finds"],
                r["linked_recorded"],
                w["finds"],
                w["linked_recorded"],
                method="newcomb",
                compare="diff",
                alpha=alpha,
            )
            out.loc[i, ["find_gap_vs_white", "find_gap_ci_low", "find_gap_ci_high"]] = [
                r["find_rate"] - w["find_rate"],
                100 * float(lo),
                100 * float(hi),
            ]
    return out


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
#: Column types of :func:`rates_by_financial_year`'s outcomes table (``tables/stop_search_outcomes.csv``).
OUTCOME_DTYPES: dict[str, str] = {
    "dimension": "str",
    "group": "str",
    "searches": "int64",
    "outcome_recorded": "int64",
    "arrests": "int64",
    "arrest_rate": "float64",
    "arrest_ci_low": "float64",
    "arrest_ci_high": "float64",
    "linked_recorded": "int64",
    "finds": "int64",
    "find_rate": "float64",
    "find_ci_low": "float64",
    "find_ci_high": "float64",
    "find_gap_vs_white": "float64",
    "find_gap_ci_low": "float64",
    "find_gap_ci_high": "float64",
    "period": "str",
}


def empty_rates() -> pd.DataFrame:
    """The rates table of :func:`rates_by_financial_year` with no rows (typed)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in RATE_DTYPES.items()})


def empty_outcomes() -> pd.DataFrame:
    """The outcomes table of :func:`rates_by_financial_year` with no rows (typed)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in OUTCOME_DTYPES.items()})


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


# --------------------------------------------------------------------------- age


def age_range_population(census2021: pd.DataFrame, geographies: list[str]) -> pd.DataFrame:
    """2021 residents (proxy) in the police.uk age ranges, by group, for the named LAs.

    Returns one row per age range: the five groups, ``All`` (sums of the published
    cells) and ``suppressed_cells`` (cells published as ``"c"``, left out of the
    sums, so the sums are slight undercounts; reported, not filled).
    """
    df = census2021[
        census2021["geography"].isin(geographies) | census2021["geography_code"].isin(geographies)
    ]
    absent = [g for g in geographies if g not in set(df["geography"]) | set(df["geography_code"])]
    if absent:
        raise ValueError(f"no 2021 Census rows for {absent}")
    rng = pd.Series(pd.NA, index=df.index, dtype="str")
    for label, (lo, hi) in _AGE_BOUNDS.items():
        rng[(df["age"] >= lo) & (df["age"] <= hi)] = label
    tagged = df.assign(age_range=rng)
    out = tagged.groupby(["age_range", "group"])["count"].sum().unstack(fill_value=0)
    out["All"] = out.sum(axis=1)
    out = out.reindex(AGE_RANGES).astype("int64")
    out["suppressed_cells"] = (
        tagged["count"]
        .isna()
        .groupby(tagged["age_range"])
        .sum()
        .reindex(AGE_RANGES)
        .astype("int64")
    )
    return out


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


def force_population(
    census_ethnicity: pd.DataFrame, force: str, districts: list[str]
) -> tuple[pd.Series, str]:
    """2011 residents by group for the force: its police-force-area row if present, else the sum of *districts*.

    Returns the Series (see :func:`census_population_by_group`) and a note saying which was used.
    """
    pfa = census_ethnicity[census_ethnicity["level"] == "pfa"]
    if force in set(pfa["geography"]):
        return census_population_by_group(
            census_ethnicity, [force], level="pfa"
        ), f"2011 Census, police force area {force}"
    return census_population_by_group(
        census_ethnicity, districts, level="lad"
    ), "2011 Census, sum of the districts " + ", ".join(districts)


# --------------------------------------------------------------------------- the section's tables
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
