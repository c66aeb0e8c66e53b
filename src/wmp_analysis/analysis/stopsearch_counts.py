"""Stop and search: counts by group, and the census residents that are their denominators.

Definitions: :mod:`wmp_analysis.analysis.stopsearch`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.ingest.police_uk_reference import NOT_STATED

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
