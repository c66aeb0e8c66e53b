"""data.police.uk monthly CSVs: street crime, outcomes and stop-and-search.

Formats (header must match exactly, in order; see ``docs/police_uk.md``)
----------------------------------------------------------------------
``street`` (current, 12 columns)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,
    LSOA name,Crime type,Last outcome category,Context

``street-2010`` (December 2010 to mid 2011 releases, 8 columns, OSGB36 metres)::

    Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context

``outcomes`` (10 columns)::

    Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,
    LSOA name,Outcome type

``stop-and-search`` (15 columns)::

    Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,
    Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,
    Object of search,Outcome,Outcome linked to object of search,
    Removal of more than just outer clothing

``stop-and-search-2014`` (13 columns: the above without the last two). Accepted
defensively for early releases; not verified against a real published file.

Reading is vectorised: each file is parsed by ``pyarrow.csv`` with every column
as a string, then validated with array operations (no Python loop over rows).
Line numbers in errors are exact (header = line 1), also when a file has blank
lines or quoted line breaks. LF, CRLF and CR-only line endings are read alike; a
CR that is not part of a CRLF ends a line (as in ``ingest/textio.py``), so a stray
CR inside the header or an unquoted field is a :class:`SchemaError` on its line.

Categorical fields are checked against reference tables of every value the
publisher has used (street ``Crime type``: ``data/raw/reference/police_uk_categories.csv``;
every other categorical field of every kind: ``data/raw/reference/police_uk_values.csv``,
:mod:`wmp_analysis.ingest.police_uk_reference`). A row with a value outside the
table is *rejected* (dropped, and listed in the rejections with file, line, field,
value and reason), never silently kept; and when one field's unknown values pass
``max_unknown_share`` of a file's rows (default 0.5%) the file stops the ingest
with an :class:`~wmp_analysis.errors.UnknownCategoryError` naming the file, the
field and the most frequent unknown values with their counts - a thinned table
never reaches a rate. A blank cell is data where the table has a row for it
(person fields, legislation, object of search, outcome of a search, last outcome
category): kept, and counted in ``not_recorded``. A blank ``Outcome type`` or
``Crime type`` is an unknown value.

Months: a file with a header and no rows is a *missing* month of its kind (listed
in ``missing_months`` and ``empty_files``), never a month of zero. Records: a
repeated ``Crime ID`` within a street file (or a repeated ``Crime ID`` + ``Outcome
type`` within an outcomes file) is a counted rejection (the first is kept; blank
Crime IDs, normal for anti-social behaviour, are never duplicates). A location
outside England and Wales (:data:`EW_LAT_LON_BOX`, :data:`EW_OSGB_BOX`), NaN, or
with only one coordinate is a counted rejection of the *location only*: the
coordinates become null and the record stays.

The checks run over each column's distinct values (its dictionary), not over rows.

The one entry point for the ingest pipeline is :func:`read_police_uk`.

Modules (one job each)
----------------------
schema       published headers per kind, internal names, output columns, boxes
forces       force names -> police.uk slugs
parse        one CSV in memory -> Arrow text columns with exact line numbers
validate     month, force, numbers, categorical values, duplicates, locations
build        one builder per kind (the one module importing ``harmonise``)
stop_search  stop-and-search date-times, groups and booleans after concatenation
prefetch     the read loop (files read and hashed in order, parsed two at a time)
read         :func:`read_police_uk`, :func:`iter_police_uk_months`, missing months
result       :class:`PoliceUkReport`, :class:`PoliceUkResult`, :class:`MonthResult`

The published values of the person fields live with the value table
(:mod:`wmp_analysis.ingest.police_uk_reference`).
"""

from __future__ import annotations

from wmp_analysis.ingest.police_uk.arrays import tidy_dictionaries
from wmp_analysis.ingest.police_uk.forces import force_slug
from wmp_analysis.ingest.police_uk.parse import USE_THREADS, Lines, parse_csv
from wmp_analysis.ingest.police_uk.prefetch import is_synthetic_file
from wmp_analysis.ingest.police_uk.read import (
    iter_police_uk_months,
    missing_months_of,
    read_police_uk,
)
from wmp_analysis.ingest.police_uk.result import MonthResult, PoliceUkReport, PoliceUkResult
from wmp_analysis.ingest.police_uk.schema import (
    DICT_COLUMNS,
    EW_LAT_LON_BOX,
    EW_OSGB_BOX,
    FLOAT_COLUMNS,
    FORMATS,
    OUT_COLUMNS,
    OUTCOMES_COLUMNS,
    OUTCOMES_OUT,
    REJECTION_COLUMNS,
    STOP_SEARCH_2014_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STOP_SEARCH_OUT,
    STREET_2010_COLUMNS,
    STREET_COLUMNS,
    STREET_OUT,
    TABLE_NAMES,
    empty_rejections,
)
from wmp_analysis.ingest.police_uk_reference import (
    AGE_RANGES,
    GENDERS,
    OFFICER_DEFINED_ETHNICITIES,
    SELF_DEFINED_GROUPS,
)

__all__ = [
    "AGE_RANGES",
    "DICT_COLUMNS",
    "EW_LAT_LON_BOX",
    "EW_OSGB_BOX",
    "FLOAT_COLUMNS",
    "FORMATS",
    "GENDERS",
    "OFFICER_DEFINED_ETHNICITIES",
    "OUTCOMES_COLUMNS",
    "OUTCOMES_OUT",
    "OUT_COLUMNS",
    "REJECTION_COLUMNS",
    "SELF_DEFINED_GROUPS",
    "STOP_SEARCH_2014_COLUMNS",
    "STOP_SEARCH_COLUMNS",
    "STOP_SEARCH_OUT",
    "STREET_2010_COLUMNS",
    "STREET_COLUMNS",
    "STREET_OUT",
    "TABLE_NAMES",
    "USE_THREADS",
    "Lines",
    "MonthResult",
    "PoliceUkReport",
    "PoliceUkResult",
    "empty_rejections",
    "force_slug",
    "is_synthetic_file",
    "iter_police_uk_months",
    "missing_months_of",
    "parse_csv",
    "read_police_uk",
    "tidy_dictionaries",
]
