"""Synthetic data.police.uk monthly CSVs for West Midlands Police.

Folder layout as the archive unzips: ``synthetic-police-uk/YYYY-MM/YYYY-MM-west-midlands-<kind>.csv``
with kinds ``street`` (every month), ``outcomes`` (from 2011-05) and ``stop-and-search``
(every month).

Street files
------------
* months before April 2011: the 2010-11 8-column format (``Month, Reported by, Falls
  within, Easting, Northing, Location, Crime type, Context``; CRLF line endings and
  eastings like ``408811.0`` as in the real February 2011 file);
* from April 2011: the 12-column format with a 64-hex-character Crime ID (blank for
  anti-social behaviour), longitude/latitude, a *real* 2011 LSOA code of the seven
  districts with a synthetic LSOA name, and a last outcome category (blank for ASB).

Crime types follow the real eras: six categories to August 2011; from September 2011
Criminal damage and arson, Shoplifting, Other theft, Drugs, Public disorder and
weapons are added; from May 2013 Violence and sexual offences, Public order,
Possession of weapons, Bicycle theft and Theft from the person replace Violent crime
and Public disorder and weapons (and split Other theft).

Volumes: each month's crimes are a binomial thinning (keep rate :data:`KEEP_RATE` x
scale) of the sample's underlying West Midlands monthly ONS series excluding fraud, so
police.uk and ONS agree in level (about 15,000 crimes a month in 2011-12 at scale 1),
trend and seasonality. ASB is about :data:`ASB_PER_MONTH` a month (summer peak).
Districts: by the shared district shares of each offence group; LSOAs: by gamma
weights within the district.

Stop and search: about :data:`SEARCHES_PER_MONTH` a month at scale 1 (falling from
2014-15), with self-defined ethnicity drawn from the 18 census-based police.uk
strings in proportion to the synthetic census population of each group times a
built-in relative search rate (:data:`SEARCH_RATE_RATIO`: Black 3x, Asian 1.5x White),
so the equality analysis has a known disproportionality to find.

This module writes the files; the street records are drawn in
:mod:`~wmp_analysis.synth.police_uk_crimes` and the searches in
:mod:`~wmp_analysis.synth.police_uk_searches` (names re-exported here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.synth._common import (
    DISTRICTS,
    POLICE_UK_FORCE_SLUG,
    POLICE_UK_REPORTED_BY,
    columns_to_csv_text,
    months,
    write_text,
)
from wmp_analysis.synth.census import CATEGORIES
from wmp_analysis.synth.geography import Geography
from wmp_analysis.synth.ons import FRAUD
from wmp_analysis.synth.police_uk_crimes import (  # noqa: F401 - re-exported (callers import them from here)
    ASB,
    ASB_PER_MONTH,
    FIRST_ERA_2,
    FIRST_ERA_3,
    KEEP_RATE,
    LAST_OUTCOMES,
    _hex_ids,
    _last_outcomes,
    _month_crimes,
    crime_type,
)
from wmp_analysis.synth.police_uk_searches import (  # noqa: F401 - re-exported (callers import them from here)
    AGE_RANGES,
    ARREST_RATE,
    NOT_STATED,
    OFFICER_DEFINED,
    SEARCH_OUTCOMES,
    SEARCH_RATE_RATIO,
    SEARCHES_PER_MONTH,
    SELF_DEFINED,
    STOP_SEARCH_COLUMNS,
    stop_search_text,
)

FOLDER = "synthetic-police-uk"
STREET_2010_COLUMNS = [
    "Month",
    "Reported by",
    "Falls within",
    "Easting",
    "Northing",
    "Location",
    "Crime type",
    "Context",
]
STREET_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]
OUTCOMES_COLUMNS = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
]

FIRST_12_COL = pd.Period("2011-04", "M")
FIRST_OUTCOMES = pd.Period("2011-05", "M")


def _street_2010(month: pd.Period, recs: dict[str, np.ndarray], geo: Geography) -> str:
    lsoa, point = recs["lsoa"], recs["point"]
    cols = [
        str(month),
        POLICE_UK_REPORTED_BY,
        POLICE_UK_REPORTED_BY,
        geo.point_easting_s[lsoa, point],
        geo.point_northing_s[lsoa, point],
        geo.point_location[lsoa, point],
        recs["crime_type"],
        "",
    ]
    return columns_to_csv_text(STREET_2010_COLUMNS, cols, len(lsoa), lineterminator="\r\n")


def _place_columns(recs: dict[str, np.ndarray], geo: Geography) -> list[np.ndarray]:
    """Longitude, Latitude, Location, LSOA code, LSOA name (as strings)."""
    lsoa, point = recs["lsoa"], recs["point"]
    return [
        geo.point_lon_s[lsoa, point],
        geo.point_lat_s[lsoa, point],
        geo.point_location[lsoa, point],
        geo.lsoa_code[lsoa],
        geo.lsoa_name[lsoa],
    ]


def _group_probs(census_counts: pd.DataFrame) -> dict[str, np.ndarray]:
    """Residents of each census subcategory in the force's districts (same order as SELF_DEFINED)."""
    wm_census = census_counts[census_counts["lad_name"].isin([d.name for d in DISTRICTS])]
    return {
        g: np.array([wm_census[f"{g}: {s}"].sum() for s, _ in subs], dtype=float)
        for g, _, subs in CATEGORIES
    }


#: ``Outcome type`` (outcomes file) and ``Last outcome category`` (street file) by index of
#: :data:`LAST_OUTCOMES`; the extra last entry (index -1) is ASB's blank.
_OUTCOME_TYPES = np.array([t or "" for _, _, _, t in LAST_OUTCOMES] + [""], dtype=object)
_LAST_TEXTS = np.array([o for o, _, _, _ in LAST_OUTCOMES] + [""], dtype=object)


def _street_12(
    rng: np.random.Generator,
    geo: Geography,
    month: pd.Period,
    recs: dict[str, np.ndarray],
    last_month: pd.Period,
    outcome_parts: dict[pd.Period, list[list[np.ndarray]]],
) -> str:
    """A 12-column street file's text; each crime's outcome record is added to *outcome_parts*
    under the month it is published (0-6 months after the crime month, up to *last_month*)."""
    n = len(recs["lsoa"])
    ctype = recs["crime_type"]
    is_crime = ctype != ASB
    ids = np.full(n, "", dtype=object)
    ids[is_crime] = _hex_ids(rng, int(is_crime.sum()))
    last = _last_outcomes(rng, ctype)
    place = _place_columns(recs, geo)
    cols = [
        ids,
        str(month),
        POLICE_UK_REPORTED_BY,
        POLICE_UK_REPORTED_BY,
        *place,
        ctype,
        _LAST_TEXTS[last],
        "",
    ]
    text = columns_to_csv_text(STREET_COLUMNS, cols, n)
    # outcome records: one per crime with a recorded outcome, 0-6 months after the crime month
    otype = _OUTCOME_TYPES[last]
    lag = np.minimum(rng.geometric(0.5, size=n) - 1, 6)
    sel = np.flatnonzero(otype != "")
    for k in range(7):
        om = month + k
        rows = sel[lag[sel] == k]
        if om < FIRST_OUTCOMES or om > last_month or len(rows) == 0:
            continue
        outcome_parts.setdefault(om, []).append([ids[rows], *(c[rows] for c in place), otype[rows]])
    return text


def _outcomes_text(month: pd.Period, parts: list[list[np.ndarray]]) -> str:
    """The outcomes file of *month* from the records gathered for it."""
    if parts:
        ids, lon, lat, loc, code, name, otype = (np.concatenate(c) for c in zip(*parts))
    else:
        ids = lon = lat = loc = code = name = otype = np.array([], dtype=object)
    cols = [
        ids,
        str(month),
        POLICE_UK_REPORTED_BY,
        POLICE_UK_REPORTED_BY,
        lon,
        lat,
        loc,
        code,
        name,
        otype,
    ]
    return columns_to_csv_text(OUTCOMES_COLUMNS, cols, len(ids))


def write_police_uk_sample(
    out_dir: Path,
    rng: np.random.Generator,
    geo: Geography,
    wm_monthly: pd.DataFrame,
    census_counts: pd.DataFrame,
    *,
    scale: float = 1.0,
    start: str = "2010-04",
    end: str = "2016-03",
) -> list[Path]:
    """Write the street, outcomes and stop-and-search months.

    Parameters
    ----------
    out_dir : Path
        The sample folder; files go to ``out_dir/synthetic-police-uk/YYYY-MM/``.
    rng : numpy.random.Generator
        The ``police_uk`` stream.
    geo : Geography
        From :func:`~wmp_analysis.synth.geography.build_geography`.
    wm_monthly : DataFrame
        West Midlands rows of :func:`~wmp_analysis.synth.ons.monthly_series`.
    census_counts : DataFrame
        :func:`~wmp_analysis.synth.census.ethnic_counts` (search denominators).
    scale : float
        Multiplies every volume (1.0 = about 15,000 crimes, 8,000 ASB and 2,000
        searches a month).
    start, end : str
        Inclusive months ``YYYY-MM``.

    Returns
    -------
    list of Path
        Every file written.
    """
    root = Path(out_dir) / FOLDER
    wm = wm_monthly[wm_monthly["offence"] != FRAUD]
    by_month = {m: dict(zip(g["offence"], g["count"])) for m, g in wm.groupby("month", sort=True)}
    group_probs = _group_probs(census_counts)

    paths: list[Path] = []
    outcome_parts: dict[pd.Period, list[list[np.ndarray]]] = {}
    all_months = months(start, end)
    for month in all_months:
        if month not in by_month:
            raise ValueError(f"no ONS monthly series for {month}")
        recs = _month_crimes(rng, geo, month, by_month[month], scale)
        folder = root / str(month)
        stem = f"{month}-{POLICE_UK_FORCE_SLUG}"
        if month < FIRST_12_COL:
            street = _street_2010(month, recs, geo)
        else:
            street = _street_12(rng, geo, month, recs, all_months[-1], outcome_parts)
        paths.append(write_text(folder / f"{stem}-street.csv", street))
        ss_text = stop_search_text(rng, geo, month, scale, group_probs)
        paths.append(write_text(folder / f"{stem}-stop-and-search.csv", ss_text))
    for month in all_months:
        if month < FIRST_OUTCOMES:
            continue
        text = _outcomes_text(month, outcome_parts.get(month, []))
        paths.append(
            write_text(root / str(month) / f"{month}-{POLICE_UK_FORCE_SLUG}-outcomes.csv", text)
        )
    return sorted(paths)
