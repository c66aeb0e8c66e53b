"""Arrow/pandas building blocks of the police.uk tables (constant columns, dictionaries, empty tables)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wmp_analysis.ingest.police_uk.schema import _DICT, _STR


def _const_dict(value: str, n: int) -> pa.DictionaryArray:
    """*value* repeated n times, as a dictionary array (one dictionary entry)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], type=pa.string())
    )


def _const_str(value: str, n: int) -> pa.Array:
    """A large_string array repeating *value* n times, built from raw buffers (fast)."""
    raw = value.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw * n)]
    )


def _column_or_null(table: pa.Table, name: str, typ=None):
    typ = pa.large_string() if typ is None else typ
    if name in table.column_names:
        return table.column(name)
    return pa.nulls(table.num_rows, typ)


def _as_dict(col) -> pa.ChunkedArray:
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    if pa.types.is_dictionary(col.type):
        return col
    return (
        pa.chunked_array([pc.dictionary_encode(c) for c in col.chunks], type=_DICT)
        if col.num_chunks
        else pa.chunked_array([], type=_DICT)
    )


def _month_array(month: str, n: int) -> pa.Array:
    return pa.array(np.full(n, np.datetime64(month + "-01", "ns")))


def _dict_codes(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, type=pa.int32()), pa.array(list(labels), type=pa.string())
    )


def tidy_dictionaries(table: pa.Table) -> pa.Table:
    """One dictionary per dictionary column, holding only values that occur, sorted.

    Files are parsed separately, so each chunk has its own dictionary; this unifies
    them so that the Parquet file and the pandas ``category`` dtype read from it
    list each value once (and no value with zero rows).
    """
    table = table.unify_dictionaries()
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if not pa.types.is_dictionary(col.type) or not col.num_chunks:
            cols[name] = col
            continue
        dictionary = col.chunk(0).dictionary
        counts = np.zeros(len(dictionary) + 1, dtype=np.int64)
        for chunk in col.chunks:
            idx = pc.fill_null(chunk.indices, len(dictionary)).to_numpy(zero_copy_only=False)
            counts += np.bincount(idx, minlength=len(dictionary) + 1)
        used = np.flatnonzero(counts[:-1] > 0)
        values = dictionary.to_pylist()
        keep = sorted(used.tolist(), key=lambda i: values[i])
        if keep == list(range(len(values))):
            cols[name] = col
            continue
        remap = np.zeros(len(dictionary), dtype=np.int32)
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        new_dict = pa.array([values[i] for i in keep], type=dictionary.type)
        remap_arr = pa.array(remap)
        cols[name] = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(pc.take(remap_arr, c.indices), new_dict)
                for c in col.chunks
            ],
            type=col.type,
        )
    return pa.table(cols)


def _to_pandas(t: pa.Table) -> pd.DataFrame:
    """All text as pandas' ``str`` (the in-memory API of :func:`read_police_uk`)."""
    cols = {}
    for name in t.column_names:
        col = t.column(name)
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            col = pc.cast(col, pa.large_string())  # pandas' str dtype holds large_string
        cols[name] = col
    t = pa.table(cols)
    del cols
    return t.to_pandas(types_mapper={pa.large_string(): _STR}.get, self_destruct=True)


def _pandas_to_arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def _empty_table(columns: list[str]) -> pd.DataFrame:
    floats = {"longitude", "latitude", "easting", "northing"}
    data = {}
    for c in columns:
        if c in floats:
            data[c] = pd.Series([], dtype="float64")
        elif c in ("month", "datetime"):
            data[c] = pd.Series([], dtype="datetime64[ns]")
        elif c == "synthetic":
            data[c] = pd.Series([], dtype="bool")
        elif c in (
            "part_of_policing_operation",
            "outcome_linked_to_object",
            "removal_of_more_than_outer_clothing",
        ):
            data[c] = pd.Series([], dtype="boolean")
        else:
            data[c] = pd.Series([], dtype=_STR)
    return pd.DataFrame(data)


def _empty_arrow(columns: list[str]) -> pa.Table:
    return pa.Table.from_pandas(_empty_table(columns), preserve_index=False)
