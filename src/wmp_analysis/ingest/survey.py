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

The value sets and ethnicity mapping are in :mod:`~wmp_analysis.ingest.survey_categories`,
the two contracts' checks in :mod:`~wmp_analysis.ingest.survey_respondent` and
:mod:`~wmp_analysis.ingest.survey_aggregated` (shared checks:
:mod:`~wmp_analysis.ingest.survey_checks`); every public name is importable from here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wmp_analysis.errors import SchemaError
from wmp_analysis.ingest.survey_aggregated import validate_aggregated
from wmp_analysis.ingest.survey_categories import (  # noqa: F401 - re-exported (callers import them from here)
    AGE_BANDS,
    BME_GROUPS,
    CENSUS_CATEGORIES,
    ETHNIC_GROUPS,
    MEASURES,
    NOT_STATED,
    SEXES,
    SURVEY_MEASURES,
    map_ethnicity,
)
from wmp_analysis.ingest.survey_respondent import validate_respondent
from wmp_analysis.ingest.textio import decode_utf8, read_bytes, read_csv_strict
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
        out = validate_respondent(raw, path)
    else:
        expected = (
            AGGREGATED_COLUMNS
            if "weighted_proportion" in header
            else [c for c in AGGREGATED_COLUMNS if c != "weighted_proportion"]
        )
        raw = read_csv_strict(path, expected, text=text)
        out = validate_aggregated(raw, path)
    out["contract"] = contract
    out["synthetic"] = bool(is_synthetic(path))
    out.attrs["contract"] = contract
    return out
