"""Synthetic geography of the West Midlands sample: LSOA weights and map points.

Real: the 1,680 LSOA 2011 codes and the district each belongs to. Invented: LSOA
names (``"<District> NNNX"``), each LSOA's centroid (a random point in a disc around an
approximate district centre), eight anonymised "map points" per LSOA with synthetic
street names (police.uk publishes crimes at anonymised map points "On or near" a
street), each LSOA's relative crime weight (gamma distributed, so a few hot spots),
and each district's share of every offence group (population x a crime-rate factor,
perturbed per group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmp_analysis.synth._common import DISTRICTS, en_to_lonlat, lsoa_codes, synthetic_lsoa_names
from wmp_analysis.synth.ons import WM_LEVELS

POINTS_PER_LSOA = 8

_STREET_STEMS = (
    "Church",
    "Station",
    "Park",
    "Mill",
    "High",
    "Victoria",
    "Albert",
    "Queens",
    "Kings",
    "Oak",
    "Elm",
    "Ash",
    "Grove",
    "Hill",
    "Green",
    "Manor",
    "Stratford",
    "Warwick",
    "Hagley",
    "Soho",
    "Lichfield",
    "Chester",
    "Moor",
    "Bridge",
    "School",
    "Canal",
    "Farm",
    "Beech",
    "Willow",
    "Cedar",
    "Holly",
    "Meadow",
    "Forge",
    "Brook",
    "Castle",
    "Priory",
    "Abbey",
    "Windsor",
    "York",
    "Nelson",
)
_STREET_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent")
_PLACES = (
    "Supermarket",
    "Parking Area",
    "Petrol Station",
    "Shopping Area",
    "Sports/Recreation Area",
    "Nightclub",
    "Hospital",
    "Police Station",
    "Further/Higher Educational Building",
    "Theatre/Concert Hall",
)


@dataclass(frozen=True)
class Geography:
    """Arrays describing the synthetic geography (index i = LSOA i, 0..1679).

    Attributes
    ----------
    lsoa_code, lsoa_name : ndarray of str
    lsoa_district : ndarray of int   index into ``DISTRICTS``
    lsoa_weight : ndarray of float   relative crime weight within its district
    point_easting, point_northing : ndarray (n_lsoa, 8) of float, metres (OSGB-like)
    point_lon, point_lat : ndarray (n_lsoa, 8) of float, degrees
    point_location : ndarray (n_lsoa, 8) of str   ``"On or near ..."``
    point_lon_s, point_lat_s, point_easting_s, point_northing_s : ndarray (n_lsoa, 8) of str
        The same coordinates formatted as police.uk writes them (``-1.873514``,
        ``52.497637``, ``408811.0``).
    group_shares : dict offence group -> ndarray (7,) district shares (sum 1)
    asb_shares : ndarray (7,)
    """

    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    lsoa_district: np.ndarray
    lsoa_weight: np.ndarray
    point_easting: np.ndarray
    point_northing: np.ndarray
    point_lon: np.ndarray
    point_lat: np.ndarray
    point_location: np.ndarray
    point_lon_s: np.ndarray
    point_lat_s: np.ndarray
    point_easting_s: np.ndarray
    point_northing_s: np.ndarray
    group_shares: dict[str, np.ndarray]
    asb_shares: np.ndarray

    def lsoas_of(self, district: int) -> np.ndarray:
        return np.flatnonzero(self.lsoa_district == district)


def _fmt(values: np.ndarray, fmt: str) -> np.ndarray:
    return np.char.mod(fmt, values).astype(object)


def build_geography(rng: np.random.Generator) -> Geography:
    """Draw the synthetic geography from the ``geo`` stream."""
    codes_by = lsoa_codes()
    codes, names, dist = [], [], []
    for i, d in enumerate(DISTRICTS):
        c = codes_by[d.name]
        codes += c
        names += synthetic_lsoa_names(d.name, len(c))
        dist += [i] * len(c)
    dist_a = np.array(dist)
    n = len(codes)
    weight = rng.gamma(1.3, 1.0, size=n)
    radius = np.array([DISTRICTS[i].radius_m for i in dist_a])
    r = radius * np.sqrt(rng.random(n))
    theta = rng.random(n) * 2 * np.pi
    ce = np.array([DISTRICTS[i].centre_en[0] for i in dist_a]) + r * np.cos(theta)
    cn = np.array([DISTRICTS[i].centre_en[1] for i in dist_a]) + r * np.sin(theta)
    pe = np.round(ce[:, None] + rng.normal(0, 220, size=(n, POINTS_PER_LSOA)))
    pn = np.round(cn[:, None] + rng.normal(0, 220, size=(n, POINTS_PER_LSOA)))
    lon, lat = en_to_lonlat(pe, pn)
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    streets = np.array([f"{s} {t}" for s in _STREET_STEMS for t in _STREET_TYPES] + list(_PLACES))
    p_street = np.r_[np.full(len(streets) - len(_PLACES), 1.0), np.full(len(_PLACES), 4.0)]
    idx = rng.choice(len(streets), size=(n, POINTS_PER_LSOA), p=p_street / p_street.sum())
    location = np.char.add("On or near ", streets[idx]).astype(object)

    base = np.array([d.population * d.crime_factor for d in DISTRICTS], dtype=float)
    shares = {}
    for g in WM_LEVELS:
        s = base * np.exp(rng.normal(0.0, 0.08, size=len(base)))
        shares[g] = s / s.sum()
    asb = base * np.exp(rng.normal(0.0, 0.08, size=len(base)))
    return Geography(
        lsoa_code=np.array(codes, dtype=object),
        lsoa_name=np.array(names, dtype=object),
        lsoa_district=dist_a,
        lsoa_weight=weight,
        point_easting=pe,
        point_northing=pn,
        point_lon=lon,
        point_lat=lat,
        point_location=location,
        point_lon_s=_fmt(lon, "%.6f"),
        point_lat_s=_fmt(lat, "%.6f"),
        point_easting_s=_fmt(pe, "%.1f"),
        point_northing_s=_fmt(pn, "%.1f"),
        group_shares=shares,
        asb_shares=asb / asb.sum(),
    )
