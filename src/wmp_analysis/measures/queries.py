"""DuckDB SQL over the partitioned police.uk dataset: aggregates without loading the tables.

The processed police.uk data are a hive-partitioned Parquet dataset
(:mod:`wmp_analysis.ingest.dataset`: ``police_uk/<table>/force=<slug>/month=YYYY-MM/part-0.parquet``).
The functions here run ``GROUP BY`` queries over it with DuckDB, embedded in the
process (no server): only the columns a query names are read, partitions outside a
``force`` filter are never opened, and the result - monthly counts, a few thousand
rows - is all that reaches pandas. Memory therefore stays flat as months and forces
grow (``benchmarks/RESULTS.md``).

A *source* is one of: a :class:`~wmp_analysis.ingest.pipeline.ProcessedData` (the
partitions its manifest lists), a processed folder (every partition under it), or a
list of partition files. The results equal the pandas path's on the same rows
(``tests/test_queries.py`` computes both).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Most threads DuckDB may use (it never exceeds the machine's CPUs).
MAX_THREADS = 4


def connect(threads: int | None = None, memory_limit: str | None = None):
    """A fresh in-memory DuckDB connection, its threads limited to the machine.

    Parameters
    ----------
    threads : int, optional
        Worker threads; default ``min(os.cpu_count(), MAX_THREADS)``.
    memory_limit : str, optional
        DuckDB memory limit (e.g. ``"1GB"``); DuckDB's default (80% of RAM) otherwise.
        Aggregations spill to disk past it rather than fail.
    """
    import duckdb

    n = max(1, min(os.cpu_count() or 1, MAX_THREADS if threads is None else int(threads)))
    con = duckdb.connect(":memory:", config={"threads": n})
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def partition_files(source: Any, table: str) -> list[str]:
    """The partition files of *table* in *source* (see the module docstring)."""
    if hasattr(source, "dataset_files"):
        return [str(p) for p in source.dataset_files(table)]
    if isinstance(source, (str, Path)):
        from wmp_analysis.ingest.dataset import table_root

        root = table_root(source, table)
        return (
            [str(p) for p in sorted(root.glob("force=*/month=*/*.parquet"))]
            if root.is_dir()
            else []
        )
    return [str(p) for p in source]


def query(
    source: Any, table: str, sql: str, *, params: dict | None = None, con=None
) -> pd.DataFrame:
    """Run *sql* with the view ``t`` = *table* of *source* (hive columns ``force``, ``month``).

    Returns an empty DataFrame (no columns) when the table has no partitions.
    """
    files = partition_files(source, table)
    if not files:
        return pd.DataFrame()
    own = con is None
    con = con or connect()
    try:
        listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM read_parquet({listing}, hive_partitioning = true, "
            "hive_types = {'force': VARCHAR, 'month': VARCHAR})"
        )
        return con.execute(sql, params or {}).df()
    finally:
        if own:
            con.close()


def _text(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    for c in cols:
        if c in df:
            df[c] = df[c].astype("str")
    return df


def monthly_counts(
    source: Any,
    *,
    table: str = "street",
    by: Sequence[str] = ("force", "district", "category"),
    forces: Sequence[str] | None = None,
    con=None,
) -> pd.DataFrame:
    """Records per month and each of *by* (e.g. force, district, category), by DuckDB.

    Parameters
    ----------
    source : ProcessedData, path or list of files
    table : str
        ``street``, ``outcomes`` or ``stop_search``.
    by : sequence of str
        Grouping columns besides ``month`` (any column of the table, or ``force``: the
        police.uk slug from the path).
    forces : sequence of str, optional
        Only these force slugs (partition pruning: other forces' files are not opened).

    Returns
    -------
    DataFrame
        ``month`` (``YYYY-MM`` text), the *by* columns (text), ``n`` (int64 records);
        sorted by all columns. Months with no records have no row (never zero).
    """
    cols = ", ".join(['"month"', *[f'"{c}"' for c in by]])
    where = ""
    params: dict = {}
    if forces is not None:
        where = "WHERE force IN (SELECT unnest($forces))"
        params["forces"] = list(forces)
    out = query(
        source,
        table,
        f"SELECT {cols}, count(*) AS n FROM t {where} GROUP BY ALL ORDER BY ALL",
        params=params,
        con=con,
    )
    if out.empty:
        return pd.DataFrame(
            {c: pd.Series([], dtype="str") for c in ("month", *by)}
            | {"n": pd.Series([], dtype="int64")}
        )
    return _text(out, ["month", *by]).astype({"n": "int64"})


def street_month_counts(source: Any, *, con=None) -> pd.DataFrame:
    """What the police.uk measures need: street records per month, district and category.

    Returns
    -------
    DataFrame
        ``month_code`` (int64, year * 12 + month - 1), ``district``, ``category_stable``,
        ``category`` (text; null stays null), ``n`` (int64); sorted by all columns. The
        same table :func:`wmp_analysis.measures.series.street_month_counts` computes in pandas.
    """
    out = query(
        source,
        "street",
        """
        SELECT CAST(substr(month, 1, 4) AS BIGINT) * 12 + CAST(substr(month, 6, 2) AS BIGINT) - 1 AS month_code,
               district, category_stable, category, count(*) AS n
        FROM t GROUP BY ALL ORDER BY ALL""",
        con=con,
    )
    from wmp_analysis.measures.series import empty_street_counts

    if out.empty:
        return empty_street_counts()
    out = _text(out, ["district", "category_stable", "category"]).astype(
        {"month_code": "int64", "n": "int64"}
    )
    return out.reset_index(drop=True)


def search_counts(source: Any, *, con=None) -> pd.DataFrame:
    """:func:`wmp_analysis.analysis.stopsearch.search_counts` by DuckDB over the ``stop_search`` partitions.

    Searches by self-defined group, officer-defined ethnicity and age range (a blank or
    missing value counted as ``"Not stated"`` / ``"Not recorded"``), with the share of
    all searches in percent.
    """
    from wmp_analysis.ingest.police_uk_reference import NOT_RECORDED, NOT_STATED

    parts = []
    for dim, missing in (
        ("self_defined_group", NOT_STATED),
        ("officer_defined_ethnicity", NOT_RECORDED),
        ("age_range", NOT_RECORDED),
    ):
        parts.append(f"""SELECT '{dim}' AS dimension,
            CASE WHEN "{dim}" IS NULL OR trim("{dim}") = '' THEN '{missing}' ELSE "{dim}" END AS category,
            count(*) AS searches FROM t GROUP BY ALL""")
    out = query(source, "stop_search", " UNION ALL ".join(parts), con=con)
    cols = ["dimension", "category", "searches", "share_pct"]
    if out.empty:
        return pd.DataFrame(
            {
                "dimension": pd.Series([], dtype="str"),
                "category": pd.Series([], dtype="str"),
                "searches": pd.Series([], dtype="int64"),
                "share_pct": pd.Series([], dtype="float64"),
            }
        )
    frames = []
    for dim in ("self_defined_group", "officer_defined_ethnicity", "age_range"):
        c = out[out["dimension"] == dim].copy()
        total = c["searches"].sum()
        c["share_pct"] = 100 * c["searches"] / total if total else np.nan
        frames.append(c.sort_values("category", kind="mergesort"))
    res = pd.concat(frames, ignore_index=True)[cols]
    return res.astype({"searches": "int64", "category": "str", "dimension": "str"})


def stop_search_counts(
    source: Any, by: Sequence[str] = ("self_defined_group",), *, con=None
) -> pd.DataFrame:
    """Searches per month and each of *by* (missing values stay null), by DuckDB.

    Returns ``month`` (``YYYY-MM``), the *by* columns, ``searches`` (int64); sorted.
    """
    out = monthly_counts(source, table="stop_search", by=by, con=con)
    return out.rename(columns={"n": "searches"})


def national_monthly(
    folder: str | Path, *, category: str = "category_stable", con=None
) -> pd.DataFrame:
    """Street records per force, month and *category* over a whole (national) dataset folder."""
    return monthly_counts(folder, table="street", by=("force", category), con=con)
