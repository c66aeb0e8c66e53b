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
    draw_categories,
    months,
    seasonal,
    write_text,
)
from wmp_analysis.synth.census import CATEGORIES
from wmp_analysis.synth.geography import POINTS_PER_LSOA, Geography
from wmp_analysis.synth.ons import FRAUD

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
STOP_SEARCH_COLUMNS = [
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]

FIRST_12_COL = pd.Period("2011-04", "M")
FIRST_ERA_2 = pd.Period("2011-09", "M")
FIRST_ERA_3 = pd.Period("2013-05", "M")
FIRST_OUTCOMES = pd.Period("2011-05", "M")

#: Share of ONS-recorded crimes (excluding fraud) that appear on police.uk (synthetic).
KEEP_RATE = 0.95
ASB_PER_MONTH = 8_000
SEARCHES_PER_MONTH = 2_000
#: Built-in search rate per resident relative to White (synthetic "truth").
SEARCH_RATE_RATIO = {"White": 1.0, "Mixed": 1.8, "Asian": 1.5, "Black": 3.0, "Other": 1.2}
ASB = "Anti-social behaviour"

_VIOLENCE = (
    "Violence with injury",
    "Violence without injury",
    "Sexual offences",
    "Homicide",
    "Stalking and harassment",
    "Death or serious injury caused by illegal driving",
)


def crime_type(offence: str, month: pd.Period) -> str:
    """police.uk crime type of an ONS offence group in *month* (real category eras)."""
    if offence in ("Domestic burglary", "Non-domestic burglary"):
        return "Burglary"
    if offence == "Robbery":
        return "Robbery"
    if offence == "Vehicle offences":
        return "Vehicle crime"
    if offence in _VIOLENCE:
        return "Violence and sexual offences" if month >= FIRST_ERA_3 else "Violent crime"
    if month < FIRST_ERA_2:
        return "Other crime"
    simple = {
        "Criminal damage and arson": "Criminal damage and arson",
        "Shoplifting": "Shoplifting",
        "Drug offences": "Drugs",
        "Miscellaneous crimes against society": "Other crime",
        "All other theft offences": "Other theft",
    }
    if offence in simple:
        return simple[offence]
    if month < FIRST_ERA_3:
        if offence in ("Bicycle theft", "Theft from the person"):
            return "Other theft"
        if offence in ("Public order offences", "Possession of weapons offences"):
            return "Public disorder and weapons"
    else:
        era3 = {
            "Bicycle theft": "Bicycle theft",
            "Theft from the person": "Theft from the person",
            "Public order offences": "Public order",
            "Possession of weapons offences": "Possession of weapons",
        }
        if offence in era3:
            return era3[offence]
    raise KeyError(offence)  # pragma: no cover - every ONS group is mapped above


#: Last outcome categories, their probabilities for volume (acquisitive/damage) crime
#: and for other crime, and the outcome type recorded in the outcomes file (None = no record).
LAST_OUTCOMES: tuple[tuple[str, float, float, str | None], ...] = (
    (
        "Investigation complete; no suspect identified",
        0.62,
        0.15,
        "Investigation complete; no suspect identified",
    ),
    ("Unable to prosecute suspect", 0.10, 0.30, "Unable to prosecute suspect"),
    ("Under investigation", 0.05, 0.06, None),
    ("Offender given a caution", 0.03, 0.10, "Offender given a caution"),
    ("Local resolution", 0.03, 0.08, "Local resolution"),
    ("Awaiting court outcome", 0.02, 0.05, "Suspect charged"),
    ("Offender sent to prison", 0.04, 0.05, "Offender sent to prison"),
    ("Offender given community sentence", 0.03, 0.06, "Offender given community sentence"),
    ("Offender fined", 0.02, 0.06, "Offender fined"),
    ("Court result unavailable", 0.02, 0.03, "Court result unavailable"),
    (
        "Offender given suspended prison sentence",
        0.01,
        0.02,
        "Offender given suspended prison sentence",
    ),
    ("Offender given conditional discharge", 0.01, 0.02, "Offender given conditional discharge"),
    (
        "Further investigation is not in the public interest",
        0.02,
        0.01,
        "Formal action is not in the public interest",
    ),
    ("Offender given penalty notice", 0.00, 0.01, "Offender given penalty notice"),
)
_VOLUME_TYPES = frozenset(
    {
        "Burglary",
        "Vehicle crime",
        "Other theft",
        "Bicycle theft",
        "Theft from the person",
        "Criminal damage and arson",
        "Robbery",
    }
)

#: police.uk self-defined ethnicity strings by census group (in the census subcategory order).
SELF_DEFINED = {
    "White": (
        "White - English/Welsh/Scottish/Northern Irish/British",
        "White - Irish",
        "White - Gypsy or Irish Traveller",
        "White - Any other White background",
    ),
    "Mixed": (
        "Mixed/Multiple ethnic groups - White and Black Caribbean",
        "Mixed/Multiple ethnic groups - White and Black African",
        "Mixed/Multiple ethnic groups - White and Asian",
        "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
    ),
    "Asian": (
        "Asian/Asian British - Indian",
        "Asian/Asian British - Pakistani",
        "Asian/Asian British - Bangladeshi",
        "Asian/Asian British - Chinese",
        "Asian/Asian British - Any other Asian background",
    ),
    "Black": (
        "Black/African/Caribbean/Black British - African",
        "Black/African/Caribbean/Black British - Caribbean",
        "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    ),
    "Other": ("Other ethnic group - Arab", "Other ethnic group - Any other ethnic group"),
}
NOT_STATED = "Other ethnic group - Not stated"
OFFICER_DEFINED = ("White", "Black", "Asian", "Other")
AGE_RANGES = (
    ("under 10", 0.002),
    ("10-17", 0.18),
    ("18-24", 0.38),
    ("25-34", 0.25),
    ("over 34", 0.178),
    ("", 0.01),
)
SEARCH_OUTCOMES = (
    "A no further action disposal",
    "Arrest",
    "Community resolution",
    "Khat or Cannabis warning",
    "Summons / charged by post",
    "Penalty Notice for Disorder",
    "Caution (simple or conditional)",
)
#: Arrest share of searches by self-defined group (synthetic; lower where search rates are higher).
ARREST_RATE = {"White": 0.17, "Mixed": 0.15, "Asian": 0.14, "Black": 0.13, "Other": 0.15}


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """*n* random 64-character lower-case hex ids."""
    if n == 0:
        return np.array([], dtype=object)
    return (
        np.frombuffer(rng.bytes(32 * n).hex().encode("ascii"), dtype="S64")
        .astype(str)
        .astype(object)
    )


def _x_years(p: pd.Period) -> float:
    return ((p.year - 2011) * 12 + (p.month - 10)) / 12.0


def _choose_places(
    rng: np.random.Generator, geo: Geography, district: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """LSOA index (weighted within each district) and map-point index of each record."""
    lsoa = np.empty(len(district), dtype=np.int64)
    for d in range(len(DISTRICTS)):
        mask = district == d
        k = int(mask.sum())
        if k:
            ids = geo.lsoas_of(d)
            w = geo.lsoa_weight[ids]
            lsoa[mask] = ids[draw_categories(rng, k, w)]
    point = rng.integers(0, POINTS_PER_LSOA, size=len(district))
    return lsoa, point


def _month_crimes(
    rng: np.random.Generator,
    geo: Geography,
    month: pd.Period,
    ons_month: dict[str, int],
    scale: float,
) -> dict[str, np.ndarray]:
    """One month's records: ``crime_type, district, lsoa, point`` (crimes then ASB, shuffled)."""
    types, dists = [], []
    for offence in sorted(ons_month):
        n = rng.binomial(max(int(ons_month[offence]), 0), min(KEEP_RATE * scale, 1.0))
        per_d = rng.multinomial(n, geo.group_shares[offence])
        types.append(np.full(n, crime_type(offence, month), dtype=object))
        dists.append(np.repeat(np.arange(len(DISTRICTS)), per_d))
    lam = (
        ASB_PER_MONTH
        * scale
        * seasonal(np.array([month.month]), 0.15, 7)[0]
        * np.exp(-0.05 * _x_years(month))
    )
    n_asb = rng.poisson(lam)
    types.append(np.full(n_asb, ASB, dtype=object))
    dists.append(np.repeat(np.arange(len(DISTRICTS)), rng.multinomial(n_asb, geo.asb_shares)))
    ctype = np.concatenate(types)
    district = np.concatenate(dists)
    order = rng.permutation(len(ctype))
    ctype, district = ctype[order], district[order]
    lsoa, point = _choose_places(rng, geo, district)
    return {"crime_type": ctype, "district": district, "lsoa": lsoa, "point": point}


def _last_outcomes(rng: np.random.Generator, ctype: np.ndarray) -> np.ndarray:
    """Index into :data:`LAST_OUTCOMES` (-1 for ASB)."""
    out = np.full(len(ctype), -1, dtype=np.int64)
    volume = np.isin(ctype, list(_VOLUME_TYPES))
    other = (~volume) & (ctype != ASB)
    out[volume] = draw_categories(
        rng, int(volume.sum()), np.array([v for _, v, _, _ in LAST_OUTCOMES])
    )
    out[other] = draw_categories(
        rng, int(other.sum()), np.array([o for _, _, o, _ in LAST_OUTCOMES])
    )
    return out


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


def _stop_search(
    rng: np.random.Generator,
    geo: Geography,
    month: pd.Period,
    scale: float,
    group_probs: dict[str, np.ndarray],
) -> str:
    """One month of stop-and-search records as CSV text."""
    x = _x_years(month)
    trend = np.exp(-0.02 * x - 0.30 * max(x - 2.5, 0.0))
    n = int(
        rng.poisson(
            SEARCHES_PER_MONTH * scale * trend * seasonal(np.array([month.month]), 0.05, 7)[0]
        )
    )
    stype = np.array(
        ["Person search", "Person and Vehicle search", "Vehicle search"], dtype=object
    )[draw_categories(rng, n, np.array([0.86, 0.11, 0.03]))]
    person = stype != "Vehicle search"
    # date and time within the month; BST (+01:00) from the last Sunday of March to the last Sunday of October
    start = np.datetime64(f"{month}-01T00:00:00", "s")
    ts = start + np.sort(rng.integers(0, month.days_in_month * 1440, size=n)).astype(
        "timedelta64[m]"
    )
    year = month.year
    bst_start = pd.Timestamp(year, 3, 31) - pd.Timedelta(
        days=(pd.Timestamp(year, 3, 31).weekday() + 1) % 7
    )
    bst_end = pd.Timestamp(year, 10, 31) - pd.Timedelta(
        days=(pd.Timestamp(year, 10, 31).weekday() + 1) % 7
    )
    lo = np.datetime64(bst_start + pd.Timedelta(hours=1), "s")
    hi = np.datetime64(bst_end + pd.Timedelta(hours=1), "s")
    in_bst = (ts >= lo) & (ts < hi)
    date = np.char.add(
        np.datetime_as_string(ts, unit="s"), np.where(in_bst, "+01:00", "+00:00")
    ).astype(object)

    district = draw_categories(rng, n, np.array([d.population for d in DISTRICTS], dtype=float))
    lsoa, point = _choose_places(rng, geo, district)
    lat = geo.point_lat_s[lsoa, point]
    lon = geo.point_lon_s[lsoa, point]
    no_loc = rng.random(n) < 0.10
    lat[no_loc] = ""
    lon[no_loc] = ""

    groups = list(SELF_DEFINED)
    gw = np.array([group_probs[g].sum() * SEARCH_RATE_RATIO[g] for g in groups])
    gidx = draw_categories(rng, n, gw)
    self_def = np.empty(n, dtype=object)
    for gi, g in enumerate(groups):
        mask = gidx == gi
        self_def[mask] = np.array(SELF_DEFINED[g], dtype=object)[
            draw_categories(rng, int(mask.sum()), group_probs[g])
        ]
    u = rng.random(n)
    self_def[u < 0.10] = NOT_STATED
    self_def[(u >= 0.10) & (u < 0.13)] = ""
    # officer-defined: the true group, Mixed seen as Black/White/Asian/Other, 5% misclassified, 4% blank
    officer_of_group = {"White": 0, "Black": 1, "Asian": 2, "Other": 3}
    off = np.array([officer_of_group.get(g, -1) for g in groups])[gidx]
    mixed = off < 0
    off[mixed] = draw_categories(rng, int(mixed.sum()), np.array([0.3, 0.5, 0.1, 0.1]))
    flip = rng.random(n) < 0.05
    off[flip] = rng.integers(0, 4, size=int(flip.sum()))
    officer = np.array(OFFICER_DEFINED, dtype=object)[off]
    officer[rng.random(n) < 0.04] = ""

    gender = np.array(["Male", "Female", "Other"], dtype=object)[
        draw_categories(rng, n, np.array([0.9, 0.095, 0.005]))
    ]
    age = np.array([a for a, _ in AGE_RANGES], dtype=object)[
        draw_categories(rng, n, np.array([p for _, p in AGE_RANGES]))
    ]

    legis = np.array(
        [
            "Police and Criminal Evidence Act 1984 (section 1)",
            "Misuse of Drugs Act 1971 (section 23)",
            "Criminal Justice and Public Order Act 1994 (section 60)",
            "Firearms Act 1968 (section 47)",
        ],
        dtype=object,
    )
    lidx = draw_categories(rng, n, np.array([0.70, 0.27, 0.02, 0.01]))
    pace_objects = np.array(
        [
            "Stolen goods",
            "Offensive weapons",
            "Article for use in theft",
            "Articles for use in criminal damage",
            "Anything to threaten or harm anyone",
            "Evidence of offences under the Act",
        ],
        dtype=object,
    )
    obj = pace_objects[draw_categories(rng, n, np.array([0.35, 0.25, 0.20, 0.05, 0.05, 0.10]))]
    obj[lidx == 1] = "Controlled drugs"
    obj[lidx == 2] = "Offensive weapons"
    obj[lidx == 3] = "Firearms"

    arrest = np.array([ARREST_RATE[g] for g in groups])[gidx]
    u = rng.random(n)
    other_out = draw_categories(rng, n, np.array([0.06, 0.05, 0.02, 0.02, 0.01]))
    oidx = np.where(u < arrest, 1, np.where(u < arrest + 0.16, 2 + other_out, 0))
    outcome = np.array(SEARCH_OUTCOMES, dtype=object)[oidx]
    u = rng.random(n)
    linked = np.where(
        oidx == 0,
        np.where(u < 0.5, "", "False"),
        np.where(u < 0.55, "True", np.where(u < 0.80, "False", "")),
    ).astype(object)
    u = rng.random(n)
    removal = np.where(u < 0.90, "False", np.where(u < 0.92, "True", "")).astype(object)
    u = rng.random(n)
    op = np.where(u < 0.65, "False", np.where(u < 0.70, "True", "")).astype(object)

    for arr in (gender, age, self_def, officer, removal):
        arr[~person] = ""
    cols = [
        stype,
        date,
        op,
        "",
        lat,
        lon,
        gender,
        age,
        self_def,
        officer,
        legis[lidx],
        obj,
        outcome,
        linked,
        removal,
    ]
    return columns_to_csv_text(STOP_SEARCH_COLUMNS, cols, n)


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
    wm_census = census_counts[census_counts["lad_name"].isin([d.name for d in DISTRICTS])]
    # residents of each census subcategory (same order as SELF_DEFINED)
    group_probs = {
        g: np.array([wm_census[f"{g}: {s}"].sum() for s, _ in subs], dtype=float)
        for g, _, subs in CATEGORIES
    }

    paths: list[Path] = []
    outcome_parts: dict[pd.Period, list[list[np.ndarray]]] = {}
    all_months = months(start, end)
    outcome_types = np.array([t or "" for _, _, _, t in LAST_OUTCOMES] + [""], dtype=object)
    last_texts = np.array([o for o, _, _, _ in LAST_OUTCOMES] + [""], dtype=object)
    for month in all_months:
        if month not in by_month:
            raise ValueError(f"no ONS monthly series for {month}")
        recs = _month_crimes(rng, geo, month, by_month[month], scale)
        n = len(recs["lsoa"])
        folder = root / str(month)
        stem = f"{month}-{POLICE_UK_FORCE_SLUG}"
        if month < FIRST_12_COL:
            paths.append(write_text(folder / f"{stem}-street.csv", _street_2010(month, recs, geo)))
        else:
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
                last_texts[last],
                "",
            ]
            paths.append(
                write_text(
                    folder / f"{stem}-street.csv", columns_to_csv_text(STREET_COLUMNS, cols, n)
                )
            )
            # outcome records: one per crime with a recorded outcome, 0-6 months after the crime month
            otype = outcome_types[last]
            lag = np.minimum(rng.geometric(0.5, size=n) - 1, 6)
            sel = np.flatnonzero(otype != "")
            for k in range(7):
                om = month + k
                rows = sel[lag[sel] == k]
                if om < FIRST_OUTCOMES or om > all_months[-1] or len(rows) == 0:
                    continue
                outcome_parts.setdefault(om, []).append(
                    [ids[rows], *(c[rows] for c in place), otype[rows]]
                )
        ss_text = _stop_search(rng, geo, month, scale, group_probs)
        paths.append(write_text(folder / f"{stem}-stop-and-search.csv", ss_text))
    for month in all_months:
        if month < FIRST_OUTCOMES:
            continue
        parts = outcome_parts.get(month, [])
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
        text = columns_to_csv_text(OUTCOMES_COLUMNS, cols, len(ids))
        paths.append(
            write_text(root / str(month) / f"{month}-{POLICE_UK_FORCE_SLUG}-outcomes.csv", text)
        )
    return sorted(paths)
