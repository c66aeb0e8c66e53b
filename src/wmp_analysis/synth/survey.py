"""Synthetic respondent-level survey sample, calibrated to the plans' published figures.

SYNTHETIC DATA. The force's surveys are not public; this module writes a
respondent-level extract in the contract of :mod:`wmp_analysis.ingest.survey` so that the
suite runs end to end. Every figure in it is generated; the file name says
``synthetic`` and every output built from it is labelled by
:class:`~wmp_analysis.report.outputs.RunContext`.

Model
-----
For respondent *i* in month *t* answering measure *m*::

    P(positive) = expit(A[age] + E[ethnic group] + D[district] + shift[m, window(t)])

* ``A`` (age) is fitted by iterative proportional fitting so that, in 2011-12,
  crime-satisfaction by age matches :data:`AGE_TARGETS_2011_12` (16-24 = 83%, the
  plan's figure; 65+ = 92%, "exceeding 90%"; the bands between are interpolated
  assumptions); the same age effects are used for every measure;
* ``E`` (ethnicity) puts every BME group below White (the plan says BME
  respondents are "less likely" to be satisfied; no figure is published);
* ``D`` (district) is a small assumed effect;
* ``shift`` is solved (Brent's method) per measure and per window of months in
  :data:`LEVELS` so that the **population** proportion, i.e. the expectation
  over the population composition (2011 Census ethnic mix of each district, the
  district populations, an assumed age mix of each survey), equals the level.
  The published figures are levels of their windows, so they are reproduced in
  expectation; the drawn sample reproduces them within sampling error (tested at
  scale 1 in ``tests/test_survey.py``).

Sampling and weights: Contact Counts samples are drawn in proportion to district
population with a log-normal post-stratification-like weight (sigma 0.25) that is
independent of the answer; Feeling the Difference allocates its interviews equally
across the seven districts (district-level estimates) and weights each interview by
population share / sample share of its district, times the same kind of noise.
The weighted proportion is therefore unbiased for the population figure while
n_eff < n, as in a real weighted survey. 0.5% of answers are blank (no valid
answer) and are excluded from bases.

The model's parameters and calibration are in :mod:`~wmp_analysis.synth.survey_model`
(names re-exported here); this module draws the interviews and writes the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from wmp_analysis.ingest.survey import NOT_STATED
from wmp_analysis.synth.survey_model import (  # noqa: F401 - re-exported (callers import them from here)
    _AGES,
    _CATEGORIES,
    _CENSUS_2011,
    _DISTRICTS,
    AGE_MIX,
    AGE_TARGETS_2011_12,
    BLANK_SHARE,
    DISTRICT_EFFECT,
    ETHNIC_EFFECT,
    LEVELS,
    NOT_STATED_ETHNICITY,
    SURVEYS,
    WEIGHT_SIGMA,
    _age_effects,
    _shifts,
    expected_proportions,
)

#: File written under ``out_dir/survey/``.
FILE_NAME = "synthetic-survey-respondents.csv"

#: First and last fieldwork months.
FIRST_MONTH, LAST_MONTH = "2010-04", "2016-03"


def _districts_and_ethnicity(survey: str, rng: np.random.Generator, n: int):
    """District and census category index of each interview, and the districts' population
    and sample shares (proportional, or equal for Feeling the Difference)."""
    spec = SURVEYS[survey]
    pop = np.array([sum(_CENSUS_2011[d]) for d in _DISTRICTS], dtype=float)
    pop_share = pop / pop.sum()
    samp_share = (
        pop_share
        if spec["allocation"] == "proportional"
        else np.full(len(_DISTRICTS), 1 / len(_DISTRICTS))
    )
    d_idx = rng.choice(len(_DISTRICTS), size=n, p=samp_share)
    # ethnicity within district (2011 Census mix), with a share not stated
    cat_idx = np.empty(n, dtype=int)
    for j, d in enumerate(_DISTRICTS):
        sel = d_idx == j
        counts = np.array(_CENSUS_2011[d], dtype=float)
        probs = np.append((1 - NOT_STATED_ETHNICITY) * counts / counts.sum(), NOT_STATED_ETHNICITY)
        cat_idx[sel] = rng.choice(len(probs), size=int(sel.sum()), p=probs)
    return d_idx, cat_idx, pop_share, samp_share


def _ethnicity_labels(survey: str, cat_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ethnic group of each interview and the label written (category names for Feeling
    the Difference, group names for Contact Counts)."""
    cats = _CATEGORIES + [(NOT_STATED, NOT_STATED)]
    group = np.array([cats[i][0] for i in cat_idx], dtype=object)
    if survey == "feeling_the_difference":
        # the 18 census categories, by name (the contract also accepts "Group: Category")
        label = np.array([c for _g, c in cats], dtype=object)
    else:
        label = np.array([g for g, _c in cats], dtype=object)
    return group, label[cat_idx]


def _waves(survey: str, months: pd.PeriodIndex) -> np.ndarray:
    """Wave label of each month (``2011-12 W1`` April-September, ``W2`` after; ``""`` for
    the surveys without waves)."""
    fy_start = np.array([m.year - (1 if m.month < 4 else 0) for m in months])
    if survey == "feeling_the_difference":
        return np.array(
            [
                f"{y}-{(y + 1) % 100:02d} W{1 if 4 <= m.month <= 9 else 2}"
                for y, m in zip(fy_start, months)
            ],
            dtype=object,
        )
    return np.full(len(months), "", dtype=object)


def _responses(rng: np.random.Generator, p: np.ndarray, scale_pts: int, thr: int) -> np.ndarray:
    """Answers on the 1..*scale_pts* scale, positive (>= *thr*) with probability *p*; a
    share :data:`BLANK_SHARE` blank."""
    n = len(p)
    pos = rng.random(n) < p
    hi = thr + rng.choice(scale_pts - thr + 1, size=n)
    lo = 1 + rng.choice(thr - 1, size=n)
    resp = np.where(pos, hi, lo).astype(object)
    blank = rng.random(n) < BLANK_SHARE
    resp[blank] = ""
    return resp


def _draw_survey(survey: str, rng: np.random.Generator, scale: float, age_fx) -> pd.DataFrame:
    spec = SURVEYS[survey]
    months = pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")
    n_month = max(1, int(round(spec["per_month"] * scale)))
    n = n_month * len(months)
    month = np.repeat(np.arange(len(months)), n_month)
    d_idx, cat_idx, pop_share, samp_share = _districts_and_ethnicity(survey, rng, n)
    group, eth_label = _ethnicity_labels(survey, cat_idx)
    age = np.array(_AGES, dtype=object)[rng.choice(len(_AGES), size=n, p=AGE_MIX[survey])]
    sex = np.array(["Male", "Female", NOT_STATED], dtype=object)[
        rng.choice(3, size=n, p=[0.485, 0.505, 0.01])
    ]
    districts = np.array(_DISTRICTS, dtype=object)[d_idx]
    noise = rng.lognormal(0.0, WEIGHT_SIGMA, size=n)
    weight = (pop_share[d_idx] / samp_share[d_idx]) * noise
    eta = (
        pd.Series(age).map(age_fx).to_numpy()
        + pd.Series(group).map(ETHNIC_EFFECT).to_numpy()
        + pd.Series(districts).map(DISTRICT_EFFECT).to_numpy()
    ).astype(float)
    month_labels = np.array([str(m) for m in months], dtype=object)
    wave_of = _waves(survey, months)
    frames = []
    ids = np.array([f"{spec['prefix']}-{i + 1:07d}" for i in range(n)], dtype=object)
    scale_pts, thr = spec["scale"], spec["threshold"]
    for measure in spec["measures"]:
        shifts = _shifts(measure, age_fx)
        shift_of_month = np.array(
            [next(sh for a, b, _l, sh in shifts if a <= m <= b) for m in months]
        )
        resp = _responses(rng, expit(eta + shift_of_month[month]), scale_pts, thr)
        frames.append(
            pd.DataFrame(
                {
                    "respondent_id": ids,
                    "survey": survey,
                    "fieldwork_month": month_labels[month],
                    "wave": wave_of[month],
                    "district": districts,
                    "age_band": age,
                    "ethnicity": eth_label,
                    "sex": sex,
                    "measure": measure,
                    "response": resp,
                    "scale_points": scale_pts,
                    "positive_threshold": thr,
                    "weight": np.round(weight, 4),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_survey_sample(
    out_dir: Path, rng: np.random.Generator, *, scale: float = 1.0
) -> list[Path]:
    """Write the synthetic respondent-level survey extract.

    Parameters
    ----------
    out_dir : Path
        Root of the synthetic sample; the file goes to
        ``out_dir/survey/synthetic-survey-respondents.csv``.
    rng : numpy.random.Generator
        Source of randomness (the caller seeds it; same seed, same bytes).
    scale : float, default 1.0
        Multiplies the interviews per month (1.0: about 3,100 crime-victim and
        1,600 ASB interviews and 16,800 Feeling the Difference interviews a year).

    Returns
    -------
    list of Path
        The file written.
    """
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    age_fx = _age_effects()
    df = pd.concat([_draw_survey(s, rng, scale, age_fx) for s in SURVEYS], ignore_index=True)
    path = Path(out_dir) / "survey" / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")
    return [path]


#: The plans the published figures are quoted from (seed texts of the corpus).
_SPP = "seeds/000_ebc194bc38b034ec.txt"
_PCP = "seeds/001_80b6ad282e6b1277.txt"
#: Published figures: measure, group type, group, window (``fy`` = 2011-12, ``jan14`` =
#: 12 months to January 2014), percent, comparison, source.
_PUBLISHED = [
    (
        "crime_satisfaction",
        "all",
        "All",
        "fy",
        86.0,
        "=",
        f"{_SPP} 'How do we do now?': 'high at 86%'",
    ),
    (
        "crime_satisfaction",
        "all",
        "All",
        "jan14",
        83.9,
        "=",
        f"{_PCP} s4.8: 'fallen by 3 per cent to 83.9'",
    ),
    ("asb_satisfaction", "all", "All", "fy", 76.0, "=", f"{_SPP} 'How do we do now?': 'to 76%'"),
    (
        "asb_satisfaction",
        "all",
        "All",
        "jan14",
        77.0,
        "=",
        f"{_PCP} s4.8: 'reduced by 1.7 per cent to 77'",
    ),
    (
        "confidence",
        "all",
        "All",
        "fy",
        84.0,
        "=",
        f"{_SPP}: '84% of the public have overall confidence'",
    ),
    ("confidence", "all", "All", "jan14", 82.0, "=", f"{_PCP} s4.1: 'currently at 82 per cent'"),
    (
        "good_job",
        "all",
        "All",
        "fy",
        86.0,
        "=",
        f"{_SPP}: '86% of the public think we are doing a good job'",
    ),
    (
        "crime_satisfaction",
        "age_band",
        "16-24",
        "fy",
        83.0,
        "=",
        f"{_SPP}: 'at 83% among those aged 16 to 24'",
    ),
    (
        "crime_satisfaction",
        "age_band",
        "65+",
        "fy",
        90.0,
        ">",
        f"{_SPP}: 'exceeding 90% among those aged over 65'",
    ),
]


def published_figures() -> pd.DataFrame:
    """The published figures the sample is calibrated to (percent), with their source.

    Columns: ``measure, group_type, group, first_month, last_month, published_pct,
    model_pct, comparison, source``. ``comparison`` is ``"="`` or ``">"`` (for
    "exceeding 90%"); ``model_pct`` is the model's population value.
    """
    fy = [str(m) for m in pd.period_range("2011-04", "2012-03", freq="M")]
    jan14 = [str(m) for m in pd.period_range("2013-02", "2014-01", freq="M")]
    window = {"fy": fy, "jan14": jan14}
    out = []
    for measure, gtype, group, which, pct, cmp_, src in _PUBLISHED:
        months = window[which]
        by = None if gtype == "all" else gtype
        model = expected_proportions(measure, months, by=by)
        out.append(
            {
                "measure": measure,
                "group_type": gtype,
                "group": group,
                "first_month": months[0],
                "last_month": months[-1],
                "published_pct": pct,
                "model_pct": float(model[group]),
                "comparison": cmp_,
                "source": src,
            }
        )
    return pd.DataFrame(out)
