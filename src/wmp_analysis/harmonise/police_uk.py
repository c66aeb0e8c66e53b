"""Harmonising police.uk records: crime categories over time, and districts.

Crime categories
----------------
police.uk changed its crime types twice. The early releases (December 2010 to
August 2011) had six: Anti-social behaviour, Burglary, Robbery, Vehicle crime,
Violent crime and Other crime. In September 2011 criminal damage and arson,
shoplifting, other theft, drugs, and public disorder and weapons were split out of
Other crime. In May 2013 Violent crime became Violence and sexual offences, Public
disorder and weapons was split into Public order and Possession of weapons, and
bicycle theft and theft from the person were split out of Other theft.

The mapping is one table, ``data/raw/reference/police_uk_categories.csv``:
``crime_type, first_month, last_month, category, category_stable, note``. Each
published crime type gets

* ``category``: its name in the current scheme where the type alone determines
  it; where a type meant something broader before a split (Other crime before
  September 2011, Other theft and Public disorder and weapons before May 2013) the
  category is a label that says so, e.g. ``"Other crime (2010-11 broad group)"``;
* ``category_stable``: one of the six 2010-11 categories (:data:`STABLE_CATEGORIES`),
  the only grouping comparable across the whole series.

A type with several rows (Other crime, Other theft) is mapped by the row whose
``first_month`` is the latest one not after the record's month (the first row for
months before any window). A type not in the table is *rejected*: the row is
dropped from the table and listed in the rejections with file, line and value.

Outcome types
-------------
``data/raw/reference/police_uk_outcomes.csv`` (``outcome_type, note``) lists the
published ``Outcome type`` values of the outcomes files (:func:`load_outcome_types`);
:func:`wmp_analysis.ingest.arrowtools.known_mask` tests a column against such a set over its distinct values.

Districts
---------
:func:`district_codes` gives each record the local authority district (LAD name)
of its LSOA: by ``lsoa_code`` in the LSOA lookup (``district_method =
"lsoa_code"``); failing that by ``lsoa_name`` (``"lsoa_name"``): the exact name in
the lookup, or the name's prefix (``"Birmingham 001A"`` -> ``"Birmingham"``) when it
equals a LAD name; otherwise ``district = "unassigned"`` and ``district_method =
"none"``. The 2010-11 format has Easting/Northing but no LSOA; the project holds
no boundary polygons, so those records are unassigned (honestly, not guessed).
Unassigned rows are kept and counted (``district_assignment`` in the ingest manifest),
never dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wmp_analysis.errors import SchemaError
from wmp_analysis.ingest.arrowtools import as_dictionary_chunks, to_arrow
from wmp_analysis.ingest.police_uk_reference import default_category_map_path

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype

#: The six categories of the 2010-11 scheme, to which every later type maps.
STABLE_CATEGORIES = (
    "Anti-social behaviour",
    "Burglary",
    "Robbery",
    "Vehicle crime",
    "Violent crime",
    "Other crime",
)
#: District value for records that could not be placed.
UNASSIGNED = "unassigned"
#: Columns of the category mapping table.
MAP_COLUMNS = ["crime_type", "first_month", "last_month", "category", "category_stable", "note"]


def load_category_map(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the police.uk crime-type mapping table.

    Parameters
    ----------
    path : path-like, optional
        Defaults to :func:`default_category_map_path`.

    Returns
    -------
    DataFrame
        ``crime_type, first_month, last_month, category, category_stable, note``
        (all ``str``; ``last_month`` missing for types still published), sorted by
        crime type and first month.

    Raises
    ------
    SchemaError
        Wrong header, a stable category outside :data:`STABLE_CATEGORIES`, a bad
        month, or overlapping windows for one type.
    """
    path = Path(path) if path is not None else default_category_map_path()
    return _load_category_map(str(path)).copy()


@lru_cache(maxsize=4)
def _load_category_map(path: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(df.columns) != MAP_COLUMNS:
        raise SchemaError("wrong header", path=path, row=1, expected=f"columns {MAP_COLUMNS}")
    for i, r in df.iterrows():
        line = int(i) + 2
        if r["category_stable"] not in STABLE_CATEGORIES:
            raise SchemaError(
                f"unknown stable category {r['category_stable']!r}",
                path=path,
                row=line,
                field="category_stable",
                expected=f"one of {STABLE_CATEGORIES}",
            )
        for col in ("first_month", "last_month"):
            if r[col] and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", r[col]):
                raise SchemaError(
                    f"{r[col]!r} is not a month", path=path, row=line, field=col, expected="YYYY-MM"
                )
        if not r["first_month"] or not r["crime_type"] or not r["category"]:
            raise SchemaError(
                "empty required value",
                path=path,
                row=line,
                expected="crime_type, first_month and category filled",
            )
    df["last_month"] = df["last_month"].replace("", np.nan)
    df = df.sort_values(["crime_type", "first_month"], kind="mergesort").reset_index(drop=True)
    for ctype, grp in df.groupby("crime_type", sort=False):
        lasts = grp["last_month"].tolist()
        firsts = grp["first_month"].tolist()
        for a in range(len(grp) - 1):
            if not isinstance(lasts[a], str) or lasts[a] >= firsts[a + 1]:
                raise SchemaError(
                    f"overlapping month windows for {ctype!r}",
                    path=path,
                    field="first_month",
                    expected="non-overlapping windows per crime type",
                )
    return df.astype({c: _STR for c in MAP_COLUMNS})


#: Columns of the outcome-type reference table.
OUTCOME_COLUMNS = ["outcome_type", "note"]


def default_outcome_types_path() -> Path:
    """``data/raw/reference/police_uk_outcomes.csv`` in the project."""
    return (
        Path(__file__).resolve().parents[3]
        / "data"
        / "raw"
        / "reference"
        / "police_uk_outcomes.csv"
    )


def load_outcome_types(path: str | Path | None = None) -> frozenset[str]:
    """The published police.uk outcome types (``Outcome type`` of the outcomes files).

    Parameters
    ----------
    path : path-like, optional
        A CSV with columns ``outcome_type, note``; defaults to
        :func:`default_outcome_types_path`.

    Returns
    -------
    frozenset of str
        Every ``outcome_type`` of the table, exactly as police.uk writes it.

    Raises
    ------
    SchemaError
        Wrong header, an empty or duplicated outcome type.
    """
    path = Path(path) if path is not None else default_outcome_types_path()
    return _load_outcome_types(str(path))


@lru_cache(maxsize=4)
def _load_outcome_types(path: str) -> frozenset[str]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(df.columns) != OUTCOME_COLUMNS:
        raise SchemaError("wrong header", path=path, row=1, expected=f"columns {OUTCOME_COLUMNS}")
    seen: set[str] = set()
    for i, value in enumerate(df["outcome_type"].tolist()):
        if not value.strip() or value != value.strip():
            raise SchemaError(
                f"outcome type {value!r} is empty or padded",
                path=path,
                row=i + 2,
                field="outcome_type",
                expected="an outcome type as police.uk writes it",
            )
        if value in seen:
            raise SchemaError(
                f"outcome type {value!r} listed twice",
                path=path,
                row=i + 2,
                field="outcome_type",
                expected="each outcome type once",
            )
        seen.add(value)
    return frozenset(seen)


def category_lookup(
    month: str, category_map: pd.DataFrame | None = None
) -> dict[str, tuple[str, str]]:
    """``crime_type -> (category, category_stable)`` for records of one month.

    The rule of the module docstring (the window whose ``first_month`` is the latest
    one not after *month*; the first window for earlier months), applied to the few
    published types instead of to rows.

    Parameters
    ----------
    month : str
        ``"YYYY-MM"``.
    category_map : DataFrame, optional
        From :func:`load_category_map` (the default table if omitted).
    """
    cmap = (
        _load_category_map(str(default_category_map_path()))
        if category_map is None
        else category_map
    )
    out: dict[str, tuple[str, str]] = {}
    for ctype, first, cat, stable in zip(
        cmap["crime_type"].tolist(),
        cmap["first_month"].tolist(),
        cmap["category"].tolist(),
        cmap["category_stable"].tolist(),
    ):
        # rows are sorted by crime type and first month: a later window not after *month* wins
        if ctype not in out or first <= month:
            out[ctype] = (cat, stable)
    return out


def category_labels(category_map: pd.DataFrame | None = None) -> list[str]:
    """Every ``category`` of the mapping table, sorted (the dictionary of the column)."""
    cmap = (
        _load_category_map(str(default_category_map_path()))
        if category_map is None
        else category_map
    )
    return sorted(set(cmap["category"].tolist()))


@lru_cache(maxsize=1024)
def _default_mapping(month: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """:func:`category_lookup` and :func:`category_labels` of the default table for *month*
    (cached: read-only by the caller)."""
    return category_lookup(month), category_labels()


def harmonise_street_arrow(
    crime_type: pa.ChunkedArray,
    month: str,
    category_map: pd.DataFrame | None = None,
) -> tuple[pa.ChunkedArray, pa.ChunkedArray, np.ndarray]:
    """``category`` and ``category_stable`` for the street records of one month (Arrow).

    Work per row is one integer ``take``: the mapping is decided for the distinct
    crime types (the dictionary) only.

    Parameters
    ----------
    crime_type : pyarrow.ChunkedArray
        Published crime types (string or dictionary).
    month : str
        ``"YYYY-MM"`` of every record.
    category_map : DataFrame, optional
        From :func:`load_category_map`.

    Returns
    -------
    (ChunkedArray, ChunkedArray, numpy.ndarray)
        ``category`` and ``category_stable`` as dictionary arrays (null where the type
        is missing or unknown; dictionaries :func:`category_labels` and the sorted
        :data:`STABLE_CATEGORIES`), and the boolean mask of rows with a known type.
    """
    if category_map is None:  # the default table: decided once per month, not once per file
        lookup, cat_labels = _default_mapping(month)
    else:
        lookup, cat_labels = category_lookup(month, category_map), category_labels(category_map)
    stable_labels = sorted(STABLE_CATEGORIES)
    cat_pos = {c: i for i, c in enumerate(cat_labels)}
    stable_pos = {c: i for i, c in enumerate(stable_labels)}
    cat_dict = pa.array(cat_labels, type=pa.string())
    stable_dict = pa.array(stable_labels, type=pa.string())
    cats, stables, known = [], [], []
    for chunk in as_dictionary_chunks(crime_type):
        keys = chunk.dictionary.to_pylist()
        hit = [lookup.get(k) for k in keys]
        c_map = pa.array([cat_pos[h[0]] if h else None for h in hit] or [None], type=pa.int32())
        s_map = pa.array([stable_pos[h[1]] if h else None for h in hit] or [None], type=pa.int32())
        idx = chunk.indices
        c_idx = pc.take(c_map, idx) if len(keys) else pa.nulls(len(chunk), pa.int32())
        s_idx = pc.take(s_map, idx) if len(keys) else pa.nulls(len(chunk), pa.int32())
        cats.append(pa.DictionaryArray.from_arrays(c_idx, cat_dict))
        stables.append(pa.DictionaryArray.from_arrays(s_idx, stable_dict))
        known.append(c_idx.is_valid().to_numpy(zero_copy_only=False))
    dtype = pa.dictionary(pa.int32(), pa.string())
    return (
        pa.chunked_array(cats, type=dtype),
        pa.chunked_array(stables, type=dtype),
        np.concatenate(known) if known else np.zeros(0, dtype=bool),
    )


def _lsoa_prefix(name: str) -> str:
    return re.sub(r"\s+\d{3}[A-Z]$", "", name.strip())


#: Labels of ``district_method`` (codes 0, 1, 2).
DISTRICT_METHODS = ("lsoa_code", "lsoa_name", "none")


class DistrictLookup:
    """An LSOA lookup prepared for :func:`district_codes` (built once, used per file).

    Attributes
    ----------
    labels : list of str
        ``"unassigned"`` (code 0) then the LAD names, sorted.
    """

    def __init__(self, lsoa_lookup: pd.DataFrame | None) -> None:
        self.labels: list[str] = [UNASSIGNED]
        self.empty = lsoa_lookup is None
        if lsoa_lookup is None:
            return
        missing = [
            c for c in ("lsoa_code", "lsoa_name", "lad_name") if c not in lsoa_lookup.columns
        ]
        if missing:
            raise SchemaError(
                f"LSOA lookup lacks columns {missing}",
                field=", ".join(missing),
                expected="lsoa_code, lsoa_name, lad_code, lad_name",
            )
        lk_codes = lsoa_lookup["lsoa_code"].astype(str).tolist()
        lk_names = lsoa_lookup["lsoa_name"].astype(str).tolist()
        lk_lads = lsoa_lookup["lad_name"].astype(str).tolist()
        self.labels += sorted(set(lk_lads))
        self.lad_pos = {lad: i for i, lad in enumerate(self.labels)}
        # last entry: not found
        self.row_lad = np.array([self.lad_pos[x] for x in lk_lads] + [0], dtype=np.int32)
        self.codes = pa.array(lk_codes, type=pa.large_string())
        self.n_codes = len(lk_codes)
        self.by_name = dict(zip(lk_names, lk_lads))
        self._name_cache: dict[str, int] = {}

    def name_code(self, name: str) -> int:
        """District code of an LSOA name (exact name, else its LAD prefix; 0 if neither)."""
        got = self._name_cache.get(name)
        if got is None:
            lab = self.by_name.get(name)
            if lab is None:
                pre = _lsoa_prefix(name)
                lab = pre if pre in self.lad_pos else None
            got = self.lad_pos[lab] if lab is not None else 0
            self._name_cache[name] = got
        return got


def district_codes(
    lsoa_code, lsoa_name, lookup: DistrictLookup, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """District and method codes of *n* records (vectorised).

    Parameters
    ----------
    lsoa_code, lsoa_name : pyarrow array, pandas Series or None
        The records' LSOA code and name (``None`` when the format has none).
    lookup : DistrictLookup
    n : int
        Number of records.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int32 codes into ``lookup.labels`` (0 = unassigned) and into
        :data:`DISTRICT_METHODS`.
    """
    method_codes = np.full(n, 2, dtype=np.int32)
    dist_codes = np.zeros(n, dtype=np.int32)
    if lookup.empty or not n:
        return dist_codes, method_codes
    if lsoa_code is not None:
        arr = to_arrow(lsoa_code)
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(pa.large_string())
        idx = pc.index_in(arr, value_set=lookup.codes.cast(arr.type))
        idx = idx.combine_chunks() if isinstance(idx, pa.ChunkedArray) else idx
        idx = pc.fill_null(idx, lookup.n_codes).to_numpy(zero_copy_only=False)
        dist_codes = lookup.row_lad[idx]
        method_codes[dist_codes > 0] = 0
    if lsoa_name is not None:
        names = to_arrow(lsoa_name)
        valid = pc.is_valid(names)
        valid = (valid.combine_chunks() if isinstance(valid, pa.ChunkedArray) else valid).to_numpy(
            zero_copy_only=False
        )
        todo = (dist_codes == 0) & valid
        if todo.any():
            rows = np.flatnonzero(todo)
            sub = pc.take(names, pa.array(rows))
            sub = sub.combine_chunks() if isinstance(sub, pa.ChunkedArray) else sub
            enc = sub if pa.types.is_dictionary(sub.type) else pc.dictionary_encode(sub)
            per_unique = np.array(
                [lookup.name_code(u) for u in enc.dictionary.to_pylist()] + [0], dtype=np.int32
            )
            codes = pc.fill_null(enc.indices, len(per_unique) - 1).to_numpy(zero_copy_only=False)
            got = per_unique[codes]
            dist_codes = dist_codes.copy()
            dist_codes[rows] = got
            method_codes[rows[got > 0]] = 1
    return dist_codes, method_codes
