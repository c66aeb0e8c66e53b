"""police.uk file formats: published headers per kind, internal column names, output columns.

Also the bounding boxes a location must fall in, the columns parsed as floats or read as
dictionaries, and the rejections table's columns (see the package docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

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
STOP_SEARCH_2014_COLUMNS = STOP_SEARCH_COLUMNS[:13]

#: Accepted formats per kind (first = current).
FORMATS: dict[str, dict[str, list[str]]] = {
    "street": {"street": STREET_COLUMNS, "street-2010": STREET_2010_COLUMNS},
    "outcomes": {"outcomes": OUTCOMES_COLUMNS},
    "stop-and-search": {
        "stop-and-search": STOP_SEARCH_COLUMNS,
        "stop-and-search-2014": STOP_SEARCH_2014_COLUMNS,
    },
}

_INTERNAL = {
    "Crime ID": "crime_id",
    "Month": "month_text",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Easting": "easting",
    "Northing": "northing",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome",
    "Context": "context",
    "Outcome type": "outcome_type",
    "Type": "type",
    "Date": "date_text",
    "Part of a policing operation": "part_of_policing_operation",
    "Policing operation": "policing_operation",
    "Gender": "gender",
    "Age range": "age_range",
    "Self-defined ethnicity": "self_defined_ethnicity",
    "Officer-defined ethnicity": "officer_defined_ethnicity",
    "Legislation": "legislation",
    "Object of search": "object_of_search",
    "Outcome": "outcome",
    "Outcome linked to object of search": "outcome_linked_to_object",
    "Removal of more than just outer clothing": "removal_of_more_than_outer_clothing",
}
_FIELD = {v: k for k, v in _INTERNAL.items()}

#: Output columns, in order (docs/CONTRACTS.md).
STREET_OUT = [
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "easting",
    "northing",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "category",
    "category_stable",
    "last_outcome",
    "context",
    "district",
    "district_method",
    "source_format",
    "source_file",
    "synthetic",
]
OUTCOMES_OUT = [
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "outcome_type",
    "district",
    "source_file",
    "synthetic",
]
STOP_SEARCH_OUT = [
    "type",
    "datetime",
    "month",
    "part_of_policing_operation",
    "policing_operation",
    "latitude",
    "longitude",
    "gender",
    "age_range",
    "self_defined_ethnicity",
    "self_defined_group",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_linked_to_object",
    "removal_of_more_than_outer_clothing",
    "force",
    "source_file",
    "synthetic",
]
TABLE_NAMES = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}

#: Stop-and-search fields checked against ``police_uk_values.csv``, in this order (a row
#: failing several is listed once, under the first).
_STOP_SEARCH_FIELDS = (
    "Type",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
)

#: Bounding box of England and Wales in decimal degrees (WGS84), generous by about
#: 0.1 degree: latitude from the Isles of Scilly (49.86 N) to Berwick-upon-Tweed
#: (55.81 N), longitude from the Isles of Scilly (6.45 W) to Lowestoft (1.76 E).
#: A point outside (a swapped latitude/longitude lands far outside) is a location rejection.
EW_LAT_LON_BOX = {"latitude": (49.8, 55.9), "longitude": (-6.5, 1.8)}
#: The same for the OSGB36 metres of the 2010-11 format (British National Grid:
#: England and Wales lie within easting 0-700 km, northing 0-700 km).
EW_OSGB_BOX = {"easting": (0.0, 700_000.0), "northing": (0.0, 700_000.0)}

_STR = pd.StringDtype("pyarrow", na_value=np.nan)
#: Columns parsed as float64 (decimal degrees or OSGB36 metres).
FLOAT_COLUMNS = frozenset({"longitude", "latitude", "easting", "northing"})
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_FLOAT_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"

#: Columns read from the CSV as dictionaries (few distinct values; cheap to check and write).
DICT_COLUMNS = frozenset({"month_text", "reported_by", "falls_within", "crime_type"})
_DICT = pa.dictionary(pa.int32(), pa.string())
_DICT_COLUMNS = {"street": DICT_COLUMNS, "outcomes": DICT_COLUMNS, "stop-and-search": frozenset()}

#: Output columns per kind.
OUT_COLUMNS = {"street": STREET_OUT, "outcomes": OUTCOMES_OUT, "stop-and-search": STOP_SEARCH_OUT}
#: Columns of a rejections table.
REJECTION_COLUMNS = ["path", "line", "field", "value", "reason"]


def empty_rejections() -> pd.DataFrame:
    """An empty rejections table with the documented columns and dtypes."""
    return pd.DataFrame(
        {
            "path": pd.Series([], dtype=_STR),
            "line": pd.Series([], dtype="int64"),
            "field": pd.Series([], dtype=_STR),
            "value": pd.Series([], dtype=_STR),
            "reason": pd.Series([], dtype=_STR),
        }
    )


_EMPTY_REJECTIONS: pd.DataFrame | None = None


def _no_rejections() -> pd.DataFrame:
    """:func:`empty_rejections`, built once and copied (it is asked
    for once per month and file)."""
    global _EMPTY_REJECTIONS
    if _EMPTY_REJECTIONS is None:
        _EMPTY_REJECTIONS = empty_rejections()
    return _EMPTY_REJECTIONS.copy()
