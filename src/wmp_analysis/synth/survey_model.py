"""The model of the synthetic survey sample: its parameters and their calibration.

SYNTHETIC. Census mix of the districts, assumed age mixes and effects, the published
levels each measure is calibrated to (:data:`LEVELS`), the age effects fitted by
iterative proportional fitting and the logit shifts solved by Brent's method; see the
model in :mod:`wmp_analysis.synth.survey`. :func:`expected_proportions` gives the
population value the sample estimates.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from wmp_analysis.ingest.survey import CENSUS_CATEGORIES, NOT_STATED

_DISTRICTS = (
    "Birmingham",
    "Coventry",
    "Dudley",
    "Sandwell",
    "Solihull",
    "Walsall",
    "Wolverhampton",
)


#: 2011 Census residents by the 18 categories (QS201EW, order of CENSUS_CATEGORIES),
#: from ../shared/data/population/la-ethnic-groups.csv (ONS via Resistance Lab).
_CENSUS_2011 = {
    "Birmingham": (
        570217,
        22021,
        408,
        28990,
        24720,
        3223,
        11186,
        8476,
        64621,
        144627,
        32532,
        12712,
        31148,
        29991,
        47641,
        18728,
        10910,
        10894,
    ),
    "Coventry": (
        211188,
        7305,
        151,
        15385,
        3672,
        943,
        2388,
        1227,
        27751,
        9510,
        2951,
        3728,
        7658,
        12836,
        3317,
        1611,
        2020,
        3319,
    ),
    "Dudley": (
        277050,
        1170,
        352,
        3035,
        3477,
        250,
        1277,
        754,
        5737,
        10339,
        397,
        876,
        1593,
        1402,
        2658,
        611,
        1259,
        688,
    ),
    "Sandwell": (
        202822,
        2045,
        141,
        10463,
        6163,
        515,
        2043,
        1478,
        31400,
        13952,
        6588,
        839,
        6479,
        4396,
        11382,
        2579,
        901,
        3877,
    ),
    "Solihull": (
        177248,
        3935,
        70,
        2991,
        2395,
        247,
        1156,
        606,
        7098,
        3413,
        633,
        906,
        1511,
        852,
        1930,
        457,
        358,
        868,
    ),
    "Walsall": (
        207238,
        1181,
        287,
        3763,
        4312,
        321,
        1754,
        837,
        16502,
        14289,
        5194,
        993,
        4044,
        1999,
        3197,
        1173,
        222,
        2017,
    ),
    "Wolverhampton": (
        160945,
        1526,
        209,
        7002,
        8495,
        554,
        2160,
        1575,
        32162,
        4415,
        432,
        1376,
        6575,
        4081,
        9507,
        3721,
        359,
        4376,
    ),
}


_CATEGORIES = [(g, c) for g, cats in CENSUS_CATEGORIES.items() for c in cats]


_PREFIX = {
    "White": "White",
    "Mixed": "Mixed/multiple ethnic group",
    "Asian": "Asian/Asian British",
    "Black": "Black/African/Caribbean/Black British",
    "Other": "Other ethnic group",
}


#: Share of respondents who do not state their ethnicity (assumption).
NOT_STATED_ETHNICITY = 0.02


_AGES = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+", NOT_STATED)


#: Assumed age mix of each survey's respondents.
AGE_MIX = {
    "contact_counts_crime": (0.16, 0.20, 0.19, 0.18, 0.13, 0.12, 0.02),
    "contact_counts_asb": (0.10, 0.17, 0.20, 0.20, 0.16, 0.15, 0.02),
    "feeling_the_difference": (0.16, 0.18, 0.17, 0.16, 0.14, 0.18, 0.01),
}


#: Crime satisfaction by age in 2011-12 (percent). 16-24 and 65+ from the plan
#: (83%; "exceeding 90%", set at 92); the others are interpolated assumptions.
AGE_TARGETS_2011_12 = {
    "16-24": 83.0,
    "25-34": 84.5,
    "35-44": 85.5,
    "45-54": 86.5,
    "55-64": 88.5,
    "65+": 92.0,
    NOT_STATED: 86.0,
}


#: Ethnic-group effects on the logit scale (assumed; every BME group below White).
ETHNIC_EFFECT = {
    "White": 0.12,
    "Mixed": -0.30,
    "Asian": -0.25,
    "Black": -0.40,
    "Other": -0.30,
    NOT_STATED: 0.0,
}


#: District effects on the logit scale (assumed).
DISTRICT_EFFECT = {
    "Birmingham": -0.08,
    "Coventry": 0.0,
    "Dudley": 0.06,
    "Sandwell": -0.04,
    "Solihull": 0.12,
    "Walsall": 0.02,
    "Wolverhampton": -0.02,
}


#: Survey, its measures, interviews per month at scale 1, answer scale, positive threshold.
SURVEYS = {
    "contact_counts_crime": {
        "measures": ("crime_satisfaction",),
        "per_month": 260,
        "scale": 7,
        "threshold": 5,
        "prefix": "CCC",
        "allocation": "proportional",
    },
    "contact_counts_asb": {
        "measures": ("asb_satisfaction",),
        "per_month": 130,
        "scale": 7,
        "threshold": 5,
        "prefix": "CCA",
        "allocation": "proportional",
    },
    # 16,800 interviews a year in two waves (PCP 2014-15, footnote 2) = 1,400 a month.
    "feeling_the_difference": {
        "measures": ("confidence", "good_job"),
        "per_month": 1400,
        "scale": 5,
        "threshold": 4,
        "prefix": "FTD",
        "allocation": "equal",
    },
}


#: Population level (percent) of each measure in windows of months (inclusive).
#: Rows marked "plan" are published figures; the others are assumptions that join them.
LEVELS: dict[str, list[tuple[str, str, float, str]]] = {
    "crime_satisfaction": [
        ("2010-04", "2011-03", 85.5, "assumed"),
        ("2011-04", "2012-03", 86.0, "plan: SPP 2012-15, 'To improve the quality of our services'"),
        ("2012-04", "2013-01", 87.0, "assumed (PCP: fell 3 points to 83.9)"),
        ("2013-02", "2014-01", 83.9, "plan: PCP 2014-15 s4.8, 12 months to January 2014"),
        ("2014-02", "2015-03", 85.0, "assumed"),
        ("2015-04", "2016-03", 85.5, "assumed"),
    ],
    "asb_satisfaction": [
        ("2010-04", "2011-03", 74.0, "assumed (SPP: up 2 points to 76)"),
        ("2011-04", "2012-03", 76.0, "plan: SPP 2012-15, 'To improve the quality of our services'"),
        ("2012-04", "2013-01", 78.7, "assumed (PCP: fell 1.7 points to 77)"),
        ("2013-02", "2014-01", 77.0, "plan: PCP 2014-15 s4.8, 12 months to January 2014"),
        ("2014-02", "2015-03", 78.0, "assumed"),
        ("2015-04", "2016-03", 78.5, "assumed"),
    ],
    "confidence": [
        ("2010-04", "2011-03", 85.0, "assumed (SPP: 'fallen slightly')"),
        (
            "2011-04",
            "2012-03",
            84.0,
            "plan: SPP 2012-15, 'To improve trust and confidence in policing'",
        ),
        ("2012-04", "2013-01", 83.0, "assumed"),
        (
            "2013-02",
            "2014-01",
            82.0,
            "plan: PCP 2014-15 s4.1, 'currently at 82 per cent' (Feb 2014)",
        ),
        ("2014-02", "2016-03", 82.5, "assumed"),
    ],
    "good_job": [
        ("2010-04", "2011-03", 86.0, "assumed ('fairly constant')"),
        ("2011-04", "2012-03", 86.0, "plan: SPP 2012-15, '86% ... doing a good job'"),
        ("2012-04", "2016-03", 86.0, "assumed ('fairly constant')"),
    ],
}


_MEASURE_SURVEY = {m: s for s, spec in SURVEYS.items() for m in spec["measures"]}


#: Share of blank (no valid answer) responses.
BLANK_SHARE = 0.005


#: Sigma of the log-normal weight noise.
WEIGHT_SIGMA = 0.25


@cache
def _population_cells_cached(survey: str) -> pd.DataFrame:
    """Every (district, category, age) cell with its population share for *survey*."""
    rows = []
    total = sum(sum(v) for v in _CENSUS_2011.values())
    for d in _DISTRICTS:
        counts = np.array(_CENSUS_2011[d], dtype=float)
        dshare = counts.sum() / total
        for (g, c), k in zip(_CATEGORIES, counts):
            rows.append((d, g, c, dshare * (1 - NOT_STATED_ETHNICITY) * k / counts.sum()))
        rows.append((d, NOT_STATED, NOT_STATED, dshare * NOT_STATED_ETHNICITY))
    eth = pd.DataFrame(rows, columns=["district", "ethnic_group", "category", "share"])
    ages = pd.DataFrame({"age_band": _AGES, "age_share": AGE_MIX[survey]})
    cells = eth.merge(ages, how="cross")
    cells["share"] = cells["share"] * cells["age_share"]
    return cells.drop(columns="age_share")


def _population_cells(survey: str) -> pd.DataFrame:
    return _population_cells_cached(survey).copy()


@lru_cache(maxsize=1)
def _age_effects_cached() -> tuple[tuple[str, float], ...]:
    return tuple(_fit_age_effects().items())


def _age_effects() -> dict[str, float]:
    return dict(_age_effects_cached())


def _fit_age_effects() -> dict[str, float]:
    """Fit A[age] so that 2011-12 crime satisfaction by age matches the targets (IPF on logits)."""
    cells = _population_cells("contact_counts_crime")
    base = cells["ethnic_group"].map(ETHNIC_EFFECT) + cells["district"].map(DISTRICT_EFFECT)
    a = {age: float(logit(AGE_TARGETS_2011_12[age] / 100)) for age in _AGES}
    for _ in range(50):
        p = expit(cells["age_band"].map(a) + base)
        marg = (p * cells["share"]).groupby(cells["age_band"]).sum() / cells.groupby("age_band")[
            "share"
        ].sum()
        for age in _AGES:
            a[age] += float(logit(AGE_TARGETS_2011_12[age] / 100) - logit(marg[age]))
    return a


def _linear_predictor(cells: pd.DataFrame, age_fx: dict[str, float]) -> pd.Series:
    return (
        cells["age_band"].map(age_fx)
        + cells["ethnic_group"].map(ETHNIC_EFFECT)
        + cells["district"].map(DISTRICT_EFFECT)
    ).astype(float)


def _shifts(
    measure: str, age_fx: dict[str, float]
) -> list[tuple[pd.Period, pd.Period, float, float]]:
    """(first month, last month, level %, logit shift) per window of :data:`LEVELS`."""
    cells = _population_cells(_MEASURE_SURVEY[measure])
    eta = _linear_predictor(cells, age_fx).to_numpy()
    w = cells["share"].to_numpy() / cells["share"].sum()
    out = []
    for start, end, level, _src in LEVELS[measure]:
        target = level / 100
        s = brentq(lambda x, t=target: float(np.sum(w * expit(eta + x))) - t, -10, 10, xtol=1e-12)
        out.append((pd.Period(start, "M"), pd.Period(end, "M"), level, s))
    return out


def expected_proportions(measure: str, months: list[str], by: str | None = None) -> pd.Series:
    """Population (model) proportion, percent, of *measure* over *months*, optionally by a cell column.

    This is the value the synthetic sample estimates without error; the tests use
    it to check the calibration. *by* is ``None``, ``"age_band"``, ``"ethnic_group"``
    or ``"district"``. The months are averaged with equal weight (the sample has
    the same number of interviews each month).
    """
    age_fx = _age_effects()
    shifts = _shifts(measure, age_fx)
    cells = _population_cells(_MEASURE_SURVEY[measure])
    eta = _linear_predictor(cells, age_fx)
    acc = None
    for m in months:
        per = pd.Period(m, "M")
        s = next(sh for a, b, _lvl, sh in shifts if a <= per <= b)
        p = expit(eta + s) * cells["share"]
        acc = p if acc is None else acc + p
    acc = acc / len(months)
    if by is None:
        return pd.Series({"All": 100 * acc.sum() / cells["share"].sum()})
    return 100 * acc.groupby(cells[by]).sum() / cells.groupby(by)["share"].sum()
