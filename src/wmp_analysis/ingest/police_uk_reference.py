"""Reference tables of every value data.police.uk has published in a categorical field.

One table, ``data/raw/reference/police_uk_values.csv``, holds the fields of every
kind except the street ``Crime type`` (whose month-dependent mapping is
``police_uk_categories.csv``, :mod:`wmp_analysis.harmonise.police_uk`)::

    kind,field,value,group,first_month,last_month,source,note

* ``kind`` - ``street``, ``outcomes`` or ``stop-and-search``; ``field`` - the column
  as published (``Self-defined ethnicity``, ``Last outcome category``, ...);
* ``value`` - exactly as the publisher wrote it (case and spaces matter). An empty
  ``value`` is the row for a *blank cell*: where it exists a blank is data (kept and
  counted, e.g. ``Not recorded``); where it does not a blank is an unknown value;
* ``group`` - the stable group the value maps to (for self-defined ethnicity the
  five 2011 Census groups plus ``Not stated``, as the census denominators use);
* ``first_month``/``last_month`` - the period the spelling was used in (``YYYY-MM``;
  a blank ``last_month`` = still current). Informational: a value outside its
  period still maps (the archive re-publishes old months), it is not rejected;
* ``source``/``note`` - where the value is documented (keys in ``docs/police_uk.md``).

Where a self-defined ethnicity label carries a census code in brackets
(``Asian or Asian British - Pakistani (A2)``) the code decides the group, and
:func:`load_value_table` refuses a row whose group disagrees with its code
(:data:`CENSUS_CODE_GROUPS`; ``O1``/``01`` Chinese -> Asian as in the 2011 Census).

:func:`check_unknown_share` is the threshold rule: a field whose unknown values
exceed ``max_unknown_share`` of a file's rows stops the ingest.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from wmp_analysis.errors import SchemaError, UnknownCategoryError, shorten

#: Columns of the value table.
VALUE_COLUMNS = ["kind", "field", "value", "group", "first_month", "last_month", "source", "note"]
#: Fields the table must cover, per kind (published name -> internal column of the reader).
FIELDS: dict[tuple[str, str], str] = {
    ("street", "Last outcome category"): "last_outcome",
    ("outcomes", "Outcome type"): "outcome_type",
    ("stop-and-search", "Type"): "type",
    ("stop-and-search", "Gender"): "gender",
    ("stop-and-search", "Age range"): "age_range",
    ("stop-and-search", "Self-defined ethnicity"): "self_defined_ethnicity",
    ("stop-and-search", "Officer-defined ethnicity"): "officer_defined_ethnicity",
    ("stop-and-search", "Legislation"): "legislation",
    ("stop-and-search", "Object of search"): "object_of_search",
    ("stop-and-search", "Outcome"): "outcome",
}
#: Group of a blank person field.
NOT_RECORDED = "Not recorded"
#: Group of a search whose self-defined ethnicity is blank or "Not stated" (no census group).
NOT_STATED = "Not stated"
#: Default threshold: share of a file's rows whose value in one field may be unknown.
DEFAULT_MAX_UNKNOWN_SHARE = 0.005
#: Group decided by a census code in brackets (2001-census style labels). ``O1`` is
#: Chinese, counted as Asian by the 2011 Census (QS201EW) that the denominators use.
CENSUS_CODE_GROUPS = {
    "W": "White",
    "M": "Mixed",
    "A": "Asian",
    "B": "Black",
    "O": "Other",
    "NS": "Not stated",
}
#: The 18 census 2011 categories as police.uk writes them, and their group.
SELF_DEFINED_GROUPS: dict[str, str] = {
    "White - English/Welsh/Scottish/Northern Irish/British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Any other White background": "White",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "Mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "Mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "Mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "Mixed",
    "Asian/Asian British - Indian": "Asian",
    "Asian/Asian British - Pakistani": "Asian",
    "Asian/Asian British - Bangladeshi": "Asian",
    "Asian/Asian British - Chinese": "Asian",
    "Asian/Asian British - Any other Asian background": "Asian",
    "Black/African/Caribbean/Black British - African": "Black",
    "Black/African/Caribbean/Black British - Caribbean": "Black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": "Black",
    "Other ethnic group - Arab": "Other",
    "Other ethnic group - Any other ethnic group": "Other",
    "Other ethnic group - Not stated": "Not stated",
}
#: Published values of the other person fields of a search (a blank is allowed:
#: missing, counted downstream, not rejected; any other value is a rejection).
GENDERS = ("Male", "Female", "Other")
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
OFFICER_DEFINED_ETHNICITIES = ("White", "Black", "Asian", "Other", "Mixed")
_CODE_RE = re.compile(r"\(([WMABO0]\d|NS)\)\s*$")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def census_code_group(label: str) -> str | None:
    """Group decided by the census code at the end of *label*, or None when it has none.

    ``"Asian or Asian British - Pakistani (A2)"`` -> ``"Asian"``; ``(O1)``/``(01)``
    (Chinese) -> ``"Asian"``; other ``O``/``0`` codes -> ``"Other"``; ``(NS)`` ->
    ``"Not stated"``.
    """
    m = _CODE_RE.search(label or "")
    if not m:
        return None
    code = m.group(1).replace("0", "O", 1) if m.group(1)[0] == "0" else m.group(1)
    if code == "NS":
        return CENSUS_CODE_GROUPS["NS"]
    if code == "O1":
        return "Asian"
    return CENSUS_CODE_GROUPS[code[0]]


@dataclass(frozen=True)
class FieldValues:
    """The published values of one field.

    Attributes
    ----------
    kind, field : str
        e.g. ``"stop-and-search"``, ``"Gender"``.
    groups : dict of str -> str
        Published value -> group (non-blank values only).
    blank_group : str or None
        Group of a blank cell, or None when a blank is an unknown value.
    """

    kind: str
    field: str
    groups: dict
    blank_group: str | None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self.groups)


def default_category_map_path() -> Path:
    """``data/raw/reference/police_uk_categories.csv`` in the project (the street ``Crime type``
    mapping, read by :mod:`wmp_analysis.harmonise.police_uk`)."""
    return (
        Path(__file__).resolve().parents[3]
        / "data"
        / "raw"
        / "reference"
        / "police_uk_categories.csv"
    )


def default_value_table_path() -> Path:
    """``data/raw/reference/police_uk_values.csv`` in the project."""
    return (
        Path(__file__).resolve().parents[3] / "data" / "raw" / "reference" / "police_uk_values.csv"
    )


def load_value_table(path: str | Path | None = None) -> dict[tuple[str, str], FieldValues]:
    """Load and validate the value table.

    Parameters
    ----------
    path : path-like, optional
        Defaults to :func:`default_value_table_path`.

    Returns
    -------
    dict of (kind, field) -> FieldValues
        One entry for every field of :data:`FIELDS`.

    Raises
    ------
    SchemaError
        Wrong header; an unknown kind/field; a padded or duplicated value; an empty
        group; a bad month; a census-coded label whose group disagrees with its code;
        a field of :data:`FIELDS` with no row.
    """
    p = Path(path) if path is not None else default_value_table_path()
    return _load(str(p))


@lru_cache(maxsize=4)
def _load(path: str) -> dict[tuple[str, str], FieldValues]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(df.columns) != VALUE_COLUMNS:
        raise SchemaError("wrong header", path=path, row=1, expected=f"columns {VALUE_COLUMNS}")
    groups: dict[tuple[str, str], dict[str, str]] = {k: {} for k in FIELDS}
    blank: dict[tuple[str, str], str | None] = {k: None for k in FIELDS}
    seen: set[tuple[str, str, str]] = set()
    for i, r in enumerate(df.to_dict("records")):
        line = i + 2
        key = (r["kind"], r["field"])
        if key not in FIELDS:
            raise SchemaError(
                f"unknown kind/field {shorten(r['kind'])}/{shorten(r['field'])}",
                path=path,
                row=line,
                field="field",
                expected=f"one of {sorted(FIELDS)}",
            )
        value, group = r["value"], r["group"]
        if value != value.strip():
            raise SchemaError(
                f"value {shorten(value)} is padded",
                path=path,
                row=line,
                field="value",
                expected="the value exactly as published, without surrounding spaces",
            )
        if (key + (value,)) in seen:
            raise SchemaError(
                f"value {shorten(value)} listed twice for {key[1]}",
                path=path,
                row=line,
                field="value",
                expected="each value once per field",
            )
        seen.add(key + (value,))
        if not group.strip():
            raise SchemaError(
                "empty group", path=path, row=line, field="group", expected="the group of the value"
            )
        for col in ("first_month", "last_month"):
            if r[col] and not _MONTH.fullmatch(r[col]):
                raise SchemaError(
                    f"{shorten(r[col])} is not a month",
                    path=path,
                    row=line,
                    field=col,
                    expected="YYYY-MM or blank",
                )
        if key[1] == "Self-defined ethnicity" and value:
            by_code = census_code_group(value)
            if by_code is not None and by_code != group:
                raise SchemaError(
                    f"{shorten(value)} is mapped to {group!r} but its census code means {by_code!r}",
                    path=path,
                    row=line,
                    field="group",
                    expected=by_code,
                )
        if value:
            groups[key][value] = group
        else:
            blank[key] = group
    for key in FIELDS:
        if not groups[key]:
            raise SchemaError(
                f"no values for {key[0]} {key[1]!r}",
                path=path,
                field="field",
                expected="every categorical field of every police.uk kind",
            )
    return {k: FieldValues(k[0], k[1], groups[k], blank[k]) for k in FIELDS}


def field_values(kind: str, field: str) -> FieldValues:
    """:class:`FieldValues` of one field from the default table."""
    return load_value_table()[(kind, field)]


def check_unknown_share(
    display: str, field: str, unknown_values: list, n_rows: int, max_share: float, table: str
) -> None:
    """Stop the ingest when a field's unknown values exceed *max_share* of the file's rows.

    Parameters
    ----------
    display : str
        File name for the message.
    field : str
        Published field name.
    unknown_values : list
        The unknown value of each rejected row (None for a blank).
    n_rows : int
        Data rows in the file.
    max_share : float
        Largest allowed share (0.005 = 0.5%); at most ``floor(max_share * n_rows)``
        unknown rows are rejections, more stop the ingest.
    table : str
        Name of the reference table, for the message.

    Raises
    ------
    UnknownCategoryError
        Naming the file, the field, the five most frequent unknown values (quoted
        with :func:`wmp_analysis.errors.shorten`) and their counts.
    """
    n_bad = len(unknown_values)
    if not n_bad or n_bad <= max_share * n_rows:
        return
    counts = Counter("" if v is None else v for v in unknown_values).most_common()
    top = ", ".join(f"{shorten(v)} ({c})" for v, c in counts[:5])
    more = f" and {len(counts) - 5} other values" if len(counts) > 5 else ""
    raise UnknownCategoryError(
        f"{n_bad} of {n_rows} rows ({n_bad / n_rows:.1%}) have a value not in {table}, more than the "
        f"{max_share:.1%} allowed (ingest.max_unknown_share); most frequent: {top}{more}",
        path=display,
        field=field,
        expected=f"values listed in data/raw/reference/{table} (add a new spelling there with its group and period)",
    )
