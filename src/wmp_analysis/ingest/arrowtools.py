"""Vectorised helpers over Arrow string columns (the readers' and the harmonising step's).

Set tests and mappings run over the distinct values of a column (its dictionary), never
over rows in Python. Nothing here knows a source: :mod:`wmp_analysis.ingest.police_uk`
checks values with :func:`known_mask` and maps groups with :func:`map_strings`;
:mod:`wmp_analysis.harmonise.police_uk` maps crime types and districts with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def as_dictionary_chunks(values: pa.ChunkedArray) -> list[pa.DictionaryArray]:
    chunks = []
    for chunk in values.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        chunks.append(chunk)
    return chunks


def known_mask(values: pa.ChunkedArray | pa.Array, allowed, *, allow_null: bool) -> np.ndarray:
    """Boolean mask of rows whose value is in *allowed* (or null, if *allow_null*).

    The set test runs over the distinct values of each chunk (its dictionary; a
    plain string chunk is dictionary-encoded first); per row there is one
    integer ``take``. Comparison is exact (case and spaces matter).

    Parameters
    ----------
    values : pyarrow.ChunkedArray or Array
        Strings or dictionary-encoded strings.
    allowed : iterable of str
        The published values.
    allow_null : bool
        Whether a missing value (null) counts as known.

    Returns
    -------
    numpy.ndarray of bool
        One entry per row.
    """
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    allowed = frozenset(allowed)
    out = []
    for chunk in as_dictionary_chunks(values):
        keys = chunk.dictionary.to_pylist()
        ok = pa.array([k in allowed for k in keys] or [False], type=pa.bool_())
        hit = pc.take(ok, chunk.indices) if len(keys) else pa.nulls(len(chunk), pa.bool_())
        out.append(pc.fill_null(hit, allow_null).to_numpy(zero_copy_only=False))
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def to_arrow(values) -> pa.ChunkedArray:
    """A string Series as a pyarrow ChunkedArray (zero-copy for pandas' ``str`` dtype)."""
    if isinstance(values, pa.ChunkedArray):
        return values
    arr = values.array if isinstance(values, pd.Series) else values
    if hasattr(arr, "__arrow_array__"):
        out = arr.__arrow_array__()
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return pa.chunked_array(
        [pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True)]
    )


def encode(values: pd.Series) -> tuple[np.ndarray, list]:
    """Dictionary-encode a string Series: ``(codes, uniques)``, code -1 for missing.

    Vectorised (pyarrow); used so that mappings run over the few distinct values,
    never over rows.
    """
    arr = to_arrow(values)
    enc = pc.dictionary_encode(arr).combine_chunks()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    if enc.indices.null_count:
        codes = np.where(enc.indices.is_valid().to_numpy(zero_copy_only=False), codes, -1)
    return codes.astype(np.int32, copy=False), enc.dictionary.to_pylist()


def lookup_codes(values, keys: list) -> np.ndarray:
    """Position of each value in *keys* (int32; -1 for missing or not found). Vectorised."""
    arr = to_arrow(values)
    idx = pc.index_in(
        arr, value_set=pa.array(list(keys), type=arr.type if len(keys) else pa.large_string())
    )
    idx = idx.combine_chunks() if isinstance(idx, pa.ChunkedArray) else idx
    out = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)
    return out.astype(np.int32, copy=False)


def from_codes(codes: np.ndarray, labels: list, index=None) -> pd.Series:
    """A ``str`` Series taking ``labels[code]`` (missing where code is -1)."""
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes), type=pa.int32(), mask=mask if mask.any() else None)
    out = pc.take(pa.array(list(labels) or [""], type=pa.large_string()), idx)
    return pd.Series(_STR.__from_arrow__(out), index=index, copy=False)


def map_strings(values: pd.Series, mapping: dict) -> pd.Series:
    """``values.map(mapping)`` for strings (missing where unmapped), vectorised."""
    keys = list(mapping)
    codes = lookup_codes(values, keys)
    return from_codes(codes, [mapping[k] for k in keys], index=values.index)
