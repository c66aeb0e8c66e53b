"""The respondent-level survey contract: one row per respondent and measure.

:func:`validate_respondent` checks every column of the table ``read_csv_strict`` gives
(``docs/survey_contract.md``) and returns the typed table of
:func:`~wmp_analysis.ingest.survey.read_survey`. The checks run column by column in the
header's order, so the first failing column is the one reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.errors import UnknownCategoryError
from wmp_analysis.ingest.survey_categories import (
    AGE_BANDS,
    BME_GROUPS,
    MEASURES,
    SEXES,
    SURVEY_MEASURES,
    map_ethnicity,
)
from wmp_analysis.ingest.survey_checks import _category, _fail_where, _ints
from wmp_analysis.periods import financial_year


def _survey_and_measure(df: pd.DataFrame, path) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Respondent id (not blank), survey, and a measure that belongs to that survey."""
    rid = df["respondent_id"].str.strip()
    _fail_where(df, rid == "", "respondent_id", path, "is blank", "a respondent id")
    survey = _category(df, "survey", path, list(SURVEY_MEASURES))
    measure = _category(df, "measure", path, list(MEASURES))
    allowed_pairs = [f"{s}|{m}" for s, ms in SURVEY_MEASURES.items() for m in ms]
    mismatch = ~(survey + "|" + measure).isin(allowed_pairs)
    if mismatch.any():
        i = mismatch.idxmax()
        raise UnknownCategoryError(
            f"measure {measure[i]!r} does not belong to survey {survey[i]!r}",
            path=path,
            row=int(df.at[i, "_line"]),
            field="measure",
            expected=f"one of {list(SURVEY_MEASURES[survey[i]])} for that survey",
        )
    return rid, survey, measure


def _month_and_district(df: pd.DataFrame, path) -> tuple[pd.Series, pd.Series]:
    """Fieldwork month (``YYYY-MM`` -> first day of the month) and district (not blank)."""
    month_txt = df["fieldwork_month"].str.strip()
    month = pd.to_datetime(month_txt, format="%Y-%m", errors="coerce")
    _fail_where(
        df, month.isna(), "fieldwork_month", path, "is not a month", "YYYY-MM, e.g. 2011-04"
    )
    district = df["district"].str.strip()
    _fail_where(
        df, district == "", "district", path, "is blank", "a district name (or 'Not stated')"
    )
    return month, district


def _demographics(df: pd.DataFrame, path) -> dict[str, pd.Series]:
    """Age band, sex, and ethnicity mapped to its census category and group."""
    age = _category(
        df,
        "age_band",
        path,
        list(AGE_BANDS),
        canonical={"65 and over": "65+", "65 +": "65+", "over 65": "65+"},
    )
    sex = _category(df, "sex", path, list(SEXES), canonical={"m": "Male", "f": "Female"})
    mapped = df["ethnicity"].map({v: map_ethnicity(v) for v in df["ethnicity"].unique()})
    _fail_where(
        df,
        mapped.isna(),
        "ethnicity",
        path,
        "is not a known ethnicity",
        "one of the 18 2011 Census categories, White/Mixed/Asian/Black/Other, or 'Not stated'",
        cls=UnknownCategoryError,
    )
    category = mapped.map(lambda t: t[0]).astype("str")
    group = mapped.map(lambda t: t[1]).astype("str")
    return {"age_band": age, "sex": sex, "ethnicity_category": category, "ethnic_group": group}


def _answers(df: pd.DataFrame, path) -> dict[str, pd.Series]:
    """Scale, positive threshold, response (blank: no valid answer) and weight."""
    scale = _ints(df, "scale_points", path)
    _fail_where(df, scale < 2, "scale_points", path, "is too small", "a scale of at least 2 points")
    thr = _ints(df, "positive_threshold", path)
    _fail_where(
        df,
        (thr < 1) | (thr > scale),
        "positive_threshold",
        path,
        "is not on the scale",
        "1 <= positive_threshold <= scale_points",
    )
    resp = _ints(df, "response", path, allow_blank=True)
    off = resp.notna() & ((resp < 1) | (resp > scale))
    _fail_where(
        df,
        off.fillna(False).astype(bool),
        "response",
        path,
        "is off the scale",
        "1 <= response <= scale_points, or blank for no valid answer",
    )
    weight = pd.to_numeric(df["weight"].str.strip(), errors="coerce")
    _fail_where(
        df,
        weight.isna() | ~np.isfinite(weight) | (weight <= 0),
        "weight",
        path,
        "is not a positive number",
        "a survey weight > 0",
    )
    return {"response": resp, "scale_points": scale, "positive_threshold": thr, "weight": weight}


def validate_respondent(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Check and type a respondent-level extract.

    Parameters
    ----------
    df : DataFrame
        The file as text columns with ``_line`` (``read_csv_strict``); ``wave`` may be
        missing (then ``""``).
    path : Path
        The file, for messages.

    Returns
    -------
    DataFrame
        The respondent columns of :func:`~wmp_analysis.ingest.survey.read_survey` (without
        ``contract`` and ``synthetic``): ``positive`` is ``response >= positive_threshold``
        (NA when the response is blank), ``bme`` NA when the ethnicity is not stated.

    Raises
    ------
    ValueFormatError, UnknownCategoryError
        The first bad value, naming its line and column.
    """
    if "wave" not in df.columns:
        df["wave"] = ""
    rid, survey, measure = _survey_and_measure(df, path)
    month, district = _month_and_district(df, path)
    people = _demographics(df, path)
    ans = _answers(df, path)
    key = pd.DataFrame({"r": rid, "s": survey, "m": measure})
    dup = key.duplicated(keep="first")
    _fail_where(
        df,
        dup,
        "respondent_id",
        path,
        "appears twice for the same survey and measure",
        "one row per respondent, survey and measure",
    )
    positive = (ans["response"] >= ans["positive_threshold"]).astype("boolean")
    bme = (
        people["ethnic_group"]
        .map({"White": False, **{g: True for g in BME_GROUPS}})
        .astype("boolean")
    )
    out = pd.DataFrame(
        {
            "respondent_id": rid.astype("str"),
            "survey": survey,
            "fieldwork_month": month,
            "financial_year": month.map({m: financial_year(m) for m in month.unique()}).astype(
                "str"
            ),
            "wave": df["wave"].str.strip().astype("str"),
            "district": district.astype("str"),
            "age_band": people["age_band"],
            "ethnicity": df["ethnicity"].str.strip().astype("str"),
            "ethnicity_category": people["ethnicity_category"],
            "ethnic_group": people["ethnic_group"],
            "bme": bme,
            "sex": people["sex"],
            "measure": measure,
            "response": ans["response"],
            "scale_points": ans["scale_points"],
            "positive_threshold": ans["positive_threshold"],
            "weight": ans["weight"].astype("float64"),
            "positive": positive,
            "line": df["_line"].astype("int64"),
        }
    )
    return out.reset_index(drop=True)
