"""Synthetic data.police.uk stop-and-search months (``YYYY-MM-west-midlands-stop-and-search.csv``).

About :data:`SEARCHES_PER_MONTH` searches a month at scale 1 (falling from 2014-15), with
self-defined ethnicity drawn from the 18 census-based police.uk strings in proportion to
the synthetic census population of each group times a built-in relative search rate
(:data:`SEARCH_RATE_RATIO`), so the equality analysis has a known disproportionality to
find. Every column is drawn from the one ``police_uk`` stream in a fixed order (the steps
below run in the order of :func:`stop_search_text`), so the output is byte-identical for a
seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.synth._common import DISTRICTS, columns_to_csv_text, draw_categories, seasonal
from wmp_analysis.synth.geography import Geography
from wmp_analysis.synth.police_uk_crimes import _choose_places, _x_years

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


SEARCHES_PER_MONTH = 2_000


#: Built-in search rate per resident relative to White (synthetic "truth").
SEARCH_RATE_RATIO = {"White": 1.0, "Mixed": 1.8, "Asian": 1.5, "Black": 3.0, "Other": 1.2}


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


def _search_types(rng: np.random.Generator, month: pd.Period, scale: float) -> np.ndarray:
    """The month's searches (their number and each one's ``Type``), trend and season applied."""
    x = _x_years(month)
    trend = np.exp(-0.02 * x - 0.30 * max(x - 2.5, 0.0))
    n = int(
        rng.poisson(
            SEARCHES_PER_MONTH * scale * trend * seasonal(np.array([month.month]), 0.05, 7)[0]
        )
    )
    return np.array(["Person search", "Person and Vehicle search", "Vehicle search"], dtype=object)[
        draw_categories(rng, n, np.array([0.86, 0.11, 0.03]))
    ]


def _search_dates(rng: np.random.Generator, month: pd.Period, n: int) -> np.ndarray:
    """ISO date-times within the month with their UK offset (``+01:00`` in summer time)."""
    # BST (+01:00) from the last Sunday of March to the last Sunday of October
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
    return np.char.add(
        np.datetime_as_string(ts, unit="s"), np.where(in_bst, "+01:00", "+00:00")
    ).astype(object)


def _search_places(rng: np.random.Generator, geo: Geography, n: int):
    """Latitude and longitude texts (districts by population; 10% without a location)."""
    district = draw_categories(rng, n, np.array([d.population for d in DISTRICTS], dtype=float))
    lsoa, point = _choose_places(rng, geo, district)
    lat = geo.point_lat_s[lsoa, point]
    lon = geo.point_lon_s[lsoa, point]
    no_loc = rng.random(n) < 0.10
    lat[no_loc] = ""
    lon[no_loc] = ""
    return lat, lon


def _ethnicities(rng: np.random.Generator, n: int, group_probs: dict[str, np.ndarray]):
    """Index of each search's true group, its self-defined and officer-defined ethnicity."""
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
    return gidx, self_def, officer


def _legislation_and_objects(rng: np.random.Generator, n: int):
    """Legislation of each search and the object searched for (drugs, weapons, firearms, ...)."""
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
    return legis[lidx], obj


def _outcomes(rng: np.random.Generator, n: int, gidx: np.ndarray):
    """Outcome (arrests at :data:`ARREST_RATE` of the group), linked to the object, removal
    of more than outer clothing, and part of a policing operation."""
    groups = list(SELF_DEFINED)
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
    return outcome, linked, removal, op


def stop_search_text(
    rng: np.random.Generator,
    geo: Geography,
    month: pd.Period,
    scale: float,
    group_probs: dict[str, np.ndarray],
) -> str:
    """One month of synthetic stop-and-search records as police.uk CSV text.

    Parameters
    ----------
    rng : numpy.random.Generator
        The ``police_uk`` stream (drawn from in a fixed order).
    geo : Geography
        Places (:func:`~wmp_analysis.synth.geography.build_geography`).
    month : pandas.Period
        The month (``M``).
    scale : float
        Multiplies the volume (1.0 = about :data:`SEARCHES_PER_MONTH` a month).
    group_probs : dict of str to ndarray
        Residents of each census subcategory by group, in :data:`SELF_DEFINED` order.

    Returns
    -------
    str
        The file's text, header :data:`STOP_SEARCH_COLUMNS`; person fields are blank for
        vehicle-only searches.
    """
    stype = _search_types(rng, month, scale)
    n = len(stype)
    person = stype != "Vehicle search"
    date = _search_dates(rng, month, n)
    lat, lon = _search_places(rng, geo, n)
    gidx, self_def, officer = _ethnicities(rng, n, group_probs)
    gender = np.array(["Male", "Female", "Other"], dtype=object)[
        draw_categories(rng, n, np.array([0.9, 0.095, 0.005]))
    ]
    age = np.array([a for a, _ in AGE_RANGES], dtype=object)[
        draw_categories(rng, n, np.array([p for _, p in AGE_RANGES]))
    ]
    legislation, obj = _legislation_and_objects(rng, n)
    outcome, linked, removal, op = _outcomes(rng, n, gidx)
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
        legislation,
        obj,
        outcome,
        linked,
        removal,
    ]
    return columns_to_csv_text(STOP_SEARCH_COLUMNS, cols, n)
