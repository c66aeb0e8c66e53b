"""Synthetic police.uk street records: crime types by era, volumes, places and last outcomes.

Each month's crimes are a binomial thinning (keep rate :data:`KEEP_RATE` x scale) of the
sample's West Midlands monthly ONS series excluding fraud, plus about
:data:`ASB_PER_MONTH` anti-social behaviour incidents; districts by the shared district
shares of each offence group, LSOAs by gamma weights within the district
(:mod:`wmp_analysis.synth.police_uk` writes them as files).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wmp_analysis.synth._common import DISTRICTS, draw_categories, seasonal
from wmp_analysis.synth.geography import POINTS_PER_LSOA, Geography

FIRST_ERA_2 = pd.Period("2011-09", "M")


FIRST_ERA_3 = pd.Period("2013-05", "M")


#: Share of ONS-recorded crimes (excluding fraud) that appear on police.uk (synthetic).
KEEP_RATE = 0.95


ASB_PER_MONTH = 8_000


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
