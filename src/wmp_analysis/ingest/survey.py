"""Survey input contracts: respondent-level extracts and aggregated (published) tables.

The force's satisfaction surveys ('Contact Counts', victims of crime and of
anti-social behaviour) and its public-confidence survey ('Feeling the Difference')
are not public. An analyst supplies an extract meeting one of two contracts, both
documented in ``docs/survey_contract.md``:

* **respondent level**: one row per respondent and measure, header (``wave``
  optional)::

      respondent_id,survey,fieldwork_month,wave,district,age_band,ethnicity,sex,
      measure,response,scale_points,positive_threshold,weight

* **aggregated**: one row per group, measure and period (published tables),
  header (``weighted_proportion`` optional)::

      group_type,group,measure,period_start,period_end,base_n,n_positive,weighted_proportion

:func:`read_survey` detects the contract from the header, validates every row and
raises the most specific :class:`~wmp_analysis.errors.InputError` subclass naming
the file, the line (header = line 1), the field and what was expected. The raw
file is only read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from wmp_analysis.errors import (
    DuplicatePeriodError,
    SchemaError,
    UnknownCategoryError,
    ValueFormatError,
)
from wmp_analysis.ingest.textio import decode_utf8, read_bytes, read_csv_strict
from wmp_analysis.periods import financial_year
from wmp_analysis.provenance import is_synthetic

#: Respondent-level header, in order. ``wave`` may be left out entirely.
RESPONDENT_COLUMNS = [
    "respondent_id",
    "survey",
    "fieldwork_month",
    "wave",
    "district",
    "age_band",
    "ethnicity",
    "sex",
    "measure",
    "response",
    "scale_points",
    "positive_threshold",
    "weight",
]
#: Aggregated header, in order. ``weighted_proportion`` may be left out entirely.
AGGREGATED_COLUMNS = [
    "group_type",
    "group",
    "measure",
    "period_start",
    "period_end",
    "base_n",
    "n_positive",
    "weighted_proportion",
]

#: Survey ids and the measures each may carry.
SURVEY_MEASURES = {
    "contact_counts_crime": ("crime_satisfaction",),
    "contact_counts_asb": ("asb_satisfaction",),
    "feeling_the_difference": ("confidence", "good_job"),
}
#: Measure ids (as in the target registry).
MEASURES = ("crime_satisfaction", "asb_satisfaction", "confidence", "good_job")

NOT_STATED = "Not stated"
#: Age bands, youngest first (``Not stated`` last).
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+", NOT_STATED)
#: Sex values accepted.
SEXES = ("Male", "Female", "Other", NOT_STATED)
#: The five 2011 Census ethnic groups, then ``Not stated``.
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", NOT_STATED)
#: Groups counted as black and minority ethnic (BME). All White categories
#: (including White Irish, Gypsy or Irish Traveller and Other White) count as White,
#: as in the Home Office SPI 1.2 White/BME split.
BME_GROUPS = ("Mixed", "Asian", "Black", "Other")

#: The 18 categories of the 2011 Census ethnic group question (QS201EW), by group.
CENSUS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "White": (
        "English/Welsh/Scottish/Northern Irish/British",
        "Irish",
        "Gypsy or Irish Traveller",
        "Other White",
    ),
    "Mixed": (
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Other Mixed",
    ),
    "Asian": ("Indian", "Pakistani", "Bangladeshi", "Chinese", "Other Asian"),
    "Black": ("African", "Caribbean", "Other Black"),
    "Other": ("Arab", "Any other ethnic group"),
}

# Aliases for category names as written by different publishers (police.uk uses
# "Any other White background", Nomis "Other White", ...). Keys are normalised.
_CATEGORY_ALIASES = {
    "any other white background": "Other White",
    "any other mixed/multiple ethnic background": "Other Mixed",
    "any other mixed background": "Other Mixed",
    "any other asian background": "Other Asian",
    "any other black/african/caribbean background": "Other Black",
    "any other black background": "Other Black",
    "other ethnic group": "Any other ethnic group",
    "any other": "Any other ethnic group",
}
_GROUP_PREFIXES = (
    ("white", "White"),
    ("mixed", "Mixed"),
    ("asian", "Asian"),
    ("black", "Black"),
    ("other", "Other"),
    ("chinese", "Asian"),
)
_NOT_STATED_WORDS = {
    "not stated",
    "not recorded",
    "not known",
    "unknown",
    "prefer not to say",
    "refused",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def _build_ethnicity_lookup() -> dict[str, tuple[str, str]]:
    """Normalised label -> (category, group). Category equals group for group-only labels."""
    lookup: dict[str, tuple[str, str]] = {}
    for group, cats in CENSUS_CATEGORIES.items():
        lookup[_norm(group)] = (group, group)
        for cat in cats:
            lookup[_norm(cat)] = (cat, group)
    for alias, cat in _CATEGORY_ALIASES.items():
        group = next(g for g, cats in CENSUS_CATEGORIES.items() if cat in cats)
        lookup.setdefault(alias, (cat, group))
    lookup["bme"] = ("BME", "BME")  # rejected below: a respondent needs a group
    return lookup


_ETH_LOOKUP = _build_ethnicity_lookup()


def map_ethnicity(label: str) -> tuple[str, str] | None:
    """Map an ethnicity label to ``(category, ethnic_group)``.

    Accepts the five group names, the 18 census category names on their own, and
    the prefixed forms used by Nomis (``"Asian/Asian British: Indian"``) and
    police.uk (``"Asian/Asian British - Indian"``), case-insensitively. Any
    'not stated' form gives ``("Not stated", "Not stated")``. Returns ``None`` for
    anything else (the caller raises).
    """
    text = _norm(label)
    if not text or text in _NOT_STATED_WORDS or text.endswith("not stated"):
        return (NOT_STATED, NOT_STATED)
    if text in _ETH_LOOKUP and text != "bme":
        return _ETH_LOOKUP[text]
    m = re.match(r"^(.*?)\s*(?::| - )\s*(.+)$", text)
    if m:
        prefix, sub = m.group(1), m.group(2)
        group = next((g for p, g in _GROUP_PREFIXES if prefix.startswith(p)), None)
        hit = _ETH_LOOKUP.get(sub)
        if group and hit and hit[1] == group:
            return hit
        if group and sub.startswith("any other") and sub.endswith("background"):
            return (f"Other {group}" if group != "Other" else "Any other ethnic group", group)
    return None


#: Column types of the respondent-level table :func:`read_survey` returns (and the
#: ingest stores as ``survey``), in order.
RESPONDENT_DTYPES: dict[str, str] = {
    "respondent_id": "str",
    "survey": "str",
    "fieldwork_month": "datetime64[ns]",
    "financial_year": "str",
    "wave": "str",
    "district": "str",
    "age_band": "str",
    "ethnicity": "str",
    "ethnicity_category": "str",
    "ethnic_group": "str",
    "bme": "boolean",
    "sex": "str",
    "measure": "str",
    "response": "Int64",
    "scale_points": "int64",
    "positive_threshold": "int64",
    "weight": "float64",
    "positive": "boolean",
    "line": "int64",
    "contract": "str",
    "synthetic": "bool",
}


def empty_survey() -> pd.DataFrame:
    """A respondent-level survey table with no rows and the column types of :func:`read_survey`.

    Stands in for a survey that was not supplied, so that every function taking a
    survey gets the columns and types it expects (e.g. ``fieldwork_month`` is
    datetime64, not object) and returns its own empty, typed result.
    """
    out = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in RESPONDENT_DTYPES.items()})
    out.attrs["contract"] = "respondent"
    return out


def _detect(path: Path, first_line: str) -> str:
    cols = [c.strip().strip('"') for c in first_line.split(",")]
    if "respondent_id" in cols:
        return "respondent"
    if "group_type" in cols:
        return "aggregated"
    raise SchemaError(
        "header matches neither survey contract",
        path=path,
        row=1,
        expected=(
            f"respondent-level columns {RESPONDENT_COLUMNS} (wave optional) or aggregated "
            f"columns {AGGREGATED_COLUMNS} (weighted_proportion optional); see docs/survey_contract.md"
        ),
    )


def read_survey(path: str | Path) -> pd.DataFrame:
    """Read and validate a survey extract (either contract).

    Parameters
    ----------
    path : path-like
        CSV (``.csv`` or ``.csv.gz``, UTF-8) meeting the respondent-level or the
        aggregated contract (see ``docs/survey_contract.md``).

    Returns
    -------
    DataFrame
        For the respondent contract: ``respondent_id, survey, fieldwork_month``
        (datetime64, first day of the month), ``financial_year`` ("2011-12"),
        ``wave`` (str, "" if not given), ``district, age_band, ethnicity`` (as
        supplied), ``ethnicity_category`` (one of the 18 census categories, the
        group name when only the group was given, or "Not stated"),
        ``ethnic_group`` (White/Mixed/Asian/Black/Other/Not stated), ``bme``
        (nullable boolean; NA when not stated), ``sex, measure, response``
        (Int64; NA = no valid answer), ``scale_points, positive_threshold``
        (int64), ``weight`` (float64 > 0), ``positive`` (nullable boolean:
        response >= positive_threshold; NA when the response is blank),
        ``contract`` ("respondent"), ``line``, ``synthetic``.

        For the aggregated contract: ``group_type, group, measure,
        period_start, period_end`` (datetime64, inclusive), ``base_n,
        n_positive`` (int64), ``weighted_proportion`` (float64 in 0..1 or NaN),
        ``contract`` ("aggregated"), ``line``, ``synthetic``.

        ``df.attrs["contract"]`` is set to the contract name.

    Raises
    ------
    SchemaError
        Empty file, or a header matching neither contract (exact order required).
    ValueFormatError
        A value that cannot be parsed or is out of range (bad month, response off
        the scale, weight <= 0, n_positive > base_n, duplicate respondent...).
    UnknownCategoryError
        A survey, measure, age band, ethnicity or sex outside the documented sets.
    EncodingError, ArchiveError
        Not UTF-8; broken gzip.
    """
    path = Path(path)
    text = decode_utf8(read_bytes(path), path)
    if not text.strip():
        raise SchemaError("file is empty", path=path, row=1, expected="a survey contract header")
    first = text.split("\n", 1)[0].rstrip("\r")
    contract = _detect(path, first)
    header = [c.strip().strip('"') for c in first.split(",")]
    if contract == "respondent":
        expected = (
            RESPONDENT_COLUMNS
            if "wave" in header
            else [c for c in RESPONDENT_COLUMNS if c != "wave"]
        )
        raw = read_csv_strict(path, expected, text=text)
        out = _validate_respondent(raw, path)
    else:
        expected = (
            AGGREGATED_COLUMNS
            if "weighted_proportion" in header
            else [c for c in AGGREGATED_COLUMNS if c != "weighted_proportion"]
        )
        raw = read_csv_strict(path, expected, text=text)
        out = _validate_aggregated(raw, path)
    out["contract"] = contract
    out["synthetic"] = bool(is_synthetic(path))
    out.attrs["contract"] = contract
    return out


def _fail_where(
    df: pd.DataFrame, bad: pd.Series, col: str, path, msg: str, expected: str, cls=ValueFormatError
):
    if bool(bad.any()):
        i = bad.idxmax()
        raise cls(
            f"{df.at[i, col]!r} {msg}",
            path=path,
            row=int(df.at[i, "_line"]),
            field=col,
            expected=expected,
        )


def _ints(df: pd.DataFrame, col: str, path, *, allow_blank: bool = False) -> pd.Series:
    raw = df[col].str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    blank = raw == ""
    bad = (num.isna() & ~(blank & allow_blank)) | (num.notna() & (num.round() != num))
    _fail_where(
        df,
        bad,
        col,
        path,
        "is not a whole number",
        "an integer" + (" or blank" if allow_blank else ""),
    )
    return num.astype("Int64") if allow_blank else num.astype("int64")


def _category(df, col, path, allowed, *, canonical=None) -> pd.Series:
    """Case-insensitive match against *allowed*; returns the canonical spelling."""
    lookup = {_norm(a): a for a in allowed}
    lookup.update(canonical or {})
    uniq = {v: lookup.get(_norm(v)) for v in df[col].unique()}
    out = df[col].map(uniq)
    _fail_where(
        df,
        out.isna(),
        col,
        path,
        "is not a known value",
        "one of " + ", ".join(allowed),
        cls=UnknownCategoryError,
    )
    return out.astype("str")


def _validate_respondent(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    if "wave" not in df.columns:
        df["wave"] = ""
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
    month_txt = df["fieldwork_month"].str.strip()
    month = pd.to_datetime(month_txt, format="%Y-%m", errors="coerce")
    _fail_where(
        df, month.isna(), "fieldwork_month", path, "is not a month", "YYYY-MM, e.g. 2011-04"
    )
    district = df["district"].str.strip()
    _fail_where(
        df, district == "", "district", path, "is blank", "a district name (or 'Not stated')"
    )
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
    positive = (resp >= thr).astype("boolean")
    bme = group.map({"White": False, **{g: True for g in BME_GROUPS}}).astype("boolean")
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
            "age_band": age,
            "ethnicity": df["ethnicity"].str.strip().astype("str"),
            "ethnicity_category": category,
            "ethnic_group": group,
            "bme": bme,
            "sex": sex,
            "measure": measure,
            "response": resp,
            "scale_points": scale,
            "positive_threshold": thr,
            "weight": weight.astype("float64"),
            "positive": positive,
            "line": df["_line"].astype("int64"),
        }
    )
    return out.reset_index(drop=True)


def _validate_aggregated(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    if "weighted_proportion" not in df.columns:
        df["weighted_proportion"] = ""
    gtype = df["group_type"].str.strip()
    _fail_where(
        df,
        gtype == "",
        "group_type",
        path,
        "is blank",
        "a grouping such as all, ethnic_group, bme, age_band, district",
    )
    group = df["group"].str.strip()
    _fail_where(
        df, group == "", "group", path, "is blank", "a group label (use 'All' for everyone)"
    )
    measure = _category(df, "measure", path, list(MEASURES))
    starts, ends = [], []
    for col, store in (("period_start", starts), ("period_end", ends)):
        d = pd.to_datetime(df[col].str.strip(), format="%Y-%m-%d", errors="coerce")
        _fail_where(df, d.isna(), col, path, "is not a date", "an ISO date YYYY-MM-DD")
        store.append(d)
    start, end = starts[0], ends[0]
    _fail_where(
        df, end < start, "period_end", path, "is before period_start", "period_end >= period_start"
    )
    base = _ints(df, "base_n", path)
    _fail_where(
        df,
        base <= 0,
        "base_n",
        path,
        "is not a positive count",
        "base_n >= 1 (unweighted respondents)",
    )
    npos = _ints(df, "n_positive", path)
    _fail_where(
        df,
        (npos < 0) | (npos > base),
        "n_positive",
        path,
        "is outside 0..base_n",
        "0 <= n_positive <= base_n",
    )
    wp_txt = df["weighted_proportion"].str.strip()
    wp = pd.to_numeric(wp_txt, errors="coerce")
    _fail_where(
        df,
        (wp_txt != "") & (wp.isna() | (wp < 0) | (wp > 1)),
        "weighted_proportion",
        path,
        "is not a proportion",
        "a number in 0..1 or blank",
    )
    out = pd.DataFrame(
        {
            "group_type": gtype.astype("str"),
            "group": group.astype("str"),
            "measure": measure,
            "period_start": start,
            "period_end": end,
            "base_n": base,
            "n_positive": npos,
            "weighted_proportion": wp.astype("float64"),
            "line": df["_line"].astype("int64"),
        }
    )
    dup = out.duplicated(
        ["group_type", "group", "measure", "period_start", "period_end"], keep="first"
    )
    if dup.any():
        i = dup.idxmax()
        raise DuplicatePeriodError(
            f"second row for {out.at[i, 'group_type']}/{out.at[i, 'group']}/{out.at[i, 'measure']} "
            "in the same period",
            path=path,
            row=int(out.at[i, "line"]),
            field="group",
            expected="one row per group_type, group, measure and period",
        )
    return out.reset_index(drop=True)
