"""police.uk street-level crime: monthly counts of a measure per district (a labelled proxy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.measures.series_tidy import _empty, _finish, _require, _text, split_list
from wmp_analysis.periods import Period


def empty_street_counts() -> pd.DataFrame:
    """The empty table of :func:`street_month_counts`."""
    return pd.DataFrame(
        {
            "month_code": pd.Series([], dtype="int64"),
            "district": pd.Series([], dtype="str"),
            "category_stable": pd.Series([], dtype="str"),
            "category": pd.Series([], dtype="str"),
            "n": pd.Series([], dtype="int64"),
        }
    )


#: The name under which a mapping of processed tables may carry street counts already
#: computed (:func:`street_counts`), so the street records need not be loaded.
STREET_COUNTS = "street_counts"


def street_counts(processed: Any) -> pd.DataFrame | None:
    """Street records per month, district and category, from whatever *processed* holds.

    Parameters
    ----------
    processed : ProcessedData, mapping of name -> DataFrame, or None
        Processed data with the partitioned police.uk dataset: counted by DuckDB over
        the partitions (:func:`wmp_analysis.measures.queries.street_month_counts`; the
        street records are never loaded). A mapping: its ``"street_counts"`` entry
        when present (counts computed once and shared), else its ``"street"`` records
        counted by pandas (:func:`street_month_counts`).

    Returns
    -------
    DataFrame or None
        ``month_code, district, category_stable, category, n`` as
        :func:`street_month_counts`; None when there is no street table (never an
        empty table standing for "no data").
    """
    if processed is None:
        return None
    if isinstance(processed, Mapping):
        if STREET_COUNTS in processed:
            return processed[STREET_COUNTS]
        street = processed.get("street")
        return None if street is None else street_month_counts(street)
    if not processed.has("street"):
        return None
    if hasattr(processed, "dataset_files"):
        from wmp_analysis.measures.queries import street_month_counts as sql_counts

        return sql_counts(processed)
    return street_month_counts(processed.table("street"))


def _codes(col: pd.Series | None, n: int) -> tuple[np.ndarray, list]:
    """Integer codes (0 = missing) and their labels (index 0 = NaN) of a text or category column."""
    if col is None:
        return np.zeros(n, dtype=np.int64), [np.nan]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy(dtype=np.int64) + 1
        return codes, [np.nan, *[str(c) for c in col.cat.categories]]
    codes, uniques = pd.factorize(col.astype("str"), use_na_sentinel=True)
    return codes.astype(np.int64) + 1, [np.nan, *[str(u) for u in uniques]]


def street_month_counts(street_df: pd.DataFrame) -> pd.DataFrame:
    """Street records per month, district and category (pandas).

    Returns
    -------
    DataFrame
        ``month_code`` (int64, year * 12 + month - 1), ``district``, ``category_stable``,
        ``category`` (text; null stays null), ``n`` (int64 records); sorted by all
        columns (nulls last). :func:`wmp_analysis.measures.queries.street_month_counts` computes
        the same table by DuckDB over the partitioned dataset.

    Notes
    -----
    Counted on integer codes (category codes, or factorised text) with one ``np.unique``
    over a combined int64 key, so that a call on millions of rows stays well under a second.
    """
    if street_df is None or street_df.empty:
        return empty_street_counts()
    n = len(street_df)
    mdt = pd.to_datetime(street_df["month"])
    code = (mdt.dt.year.to_numpy() * 12 + mdt.dt.month.to_numpy() - 1).astype("int64")
    lo = int(code.min())
    key = code - lo
    parts = []
    for c in ("district", "category_stable", "category"):
        codes, labels = _codes(street_df.get(c), n)
        key = key * len(labels) + codes
        parts.append((c, labels))
    uniq, counts = np.unique(key, return_counts=True)
    cols: dict[str, Any] = {}
    rest = uniq
    for c, labels in reversed(parts):
        cols[c] = np.asarray(labels, dtype=object)[rest % len(labels)]
        rest = rest // len(labels)
    out = pd.DataFrame(
        {
            "month_code": (rest + lo).astype("int64"),
            "district": cols["district"],
            "category_stable": cols["category_stable"],
            "category": cols["category"],
            "n": counts.astype("int64"),
        }
    )
    out = out.astype({"district": "str", "category_stable": "str", "category": "str"})
    out = out.sort_values(
        ["month_code", "district", "category_stable", "category"],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    return out.astype({"month_code": "int64", "n": "int64"})


def police_uk_monthly(
    street_df: pd.DataFrame,
    measure: Mapping[str, Any],
    districts: list[str] | None,
    *,
    months: Period | None = None,
    scheme: str = "stable",
    force_label: str = "force",
) -> pd.DataFrame:
    """Monthly counts of a measure per district from police.uk street-level crime.

    Always labelled a proxy: police.uk categories are not the Home Office counting
    rules' offence groups, locations are anonymised to map points, and records are
    revised. With ``scheme="stable"`` (default) the measure's ``police_uk_stable``
    categories are matched against ``category_stable`` (the six 2010-11
    categories, the only scheme that spans 2010-2016, so a series does not jump
    when police.uk adds categories); with ``scheme="harmonised"`` its
    ``police_uk_categories`` are matched against ``category``.

    ``districts=None`` gives one force-wide series (every row, including
    "unassigned" districts) labelled *force_label*.

    Months in *months* (default: the range of months present in *street_df*) with
    no rows at all are gaps (NaN, noted); a month with rows but none in the
    measure's categories is 0.

    The counting is :func:`street_month_counts` then :func:`police_uk_monthly_from_counts`;
    the pipeline's partitioned data take the same second step on counts computed by
    DuckDB (:func:`wmp_analysis.measures.queries.street_month_counts`).
    """
    if scheme not in ("stable", "harmonised"):
        raise ValueError(f"scheme must be 'stable' or 'harmonised', not {scheme!r}")
    stable = scheme == "stable"
    cats = split_list(measure.get("police_uk_stable" if stable else "police_uk_categories"))
    if not cats or street_df is None or street_df.empty:
        return _empty()
    _require(
        street_df, ["month", "category_stable" if stable else "category", "district"], "street"
    )
    return police_uk_monthly_from_counts(
        street_month_counts(street_df),
        measure,
        districts,
        months=months,
        scheme=scheme,
        force_label=force_label,
    )


def _month_rows(expected: list[int], present: set, cmap: Mapping[int, int]) -> list[dict]:
    """One row per expected month code: its records (*cmap*, 0 when none), NaN when absent."""
    rows = []
    for c in expected:
        start = pd.Timestamp(c // 12, c % 12 + 1, 1)
        end = start + pd.offsets.MonthEnd(0)
        if c not in present:
            rows.append(
                {
                    "period_start": start,
                    "period_end": end,
                    "value": np.nan,
                    "note": "month missing from police.uk data (gap)",
                }
            )
        else:
            rows.append(
                {
                    "period_start": start,
                    "period_end": end,
                    "value": float(cmap.get(c, 0)),
                    "note": "",
                }
            )
    return rows


def police_uk_monthly_from_counts(
    counts: pd.DataFrame,
    measure: Mapping[str, Any],
    districts: list[str] | None,
    *,
    months: Period | None = None,
    scheme: str = "stable",
    force_label: str = "force",
) -> pd.DataFrame:
    """:func:`police_uk_monthly` from records per month, district and category.

    Parameters
    ----------
    counts : DataFrame
        ``month_code`` (year * 12 + month - 1), ``district``, ``category_stable``,
        ``category``, ``n`` (records), as :func:`street_month_counts` or
        :func:`wmp_analysis.measures.queries.street_month_counts` return it. A month is
        present when it has any row.
    measure, districts, months, scheme, force_label
        As :func:`police_uk_monthly`.
    """
    if scheme not in ("stable", "harmonised"):
        raise ValueError(f"scheme must be 'stable' or 'harmonised', not {scheme!r}")
    stable = scheme == "stable"
    cats = split_list(measure.get("police_uk_stable" if stable else "police_uk_categories"))
    if not cats or counts is None or counts.empty:
        return _empty()
    col = "category_stable" if stable else "category"
    code = counts["month_code"].to_numpy(dtype="int64")
    n = counts["n"].to_numpy(dtype="int64")
    present = set(np.unique(code).tolist())
    if months is not None:
        expected = [m.year * 12 + m.month - 1 for m in months.months]
    else:
        expected = list(range(int(code.min()), int(code.max()) + 1))
    hit = counts[col].astype("str").isin(cats).to_numpy()
    dist = counts["district"].astype("str").to_numpy()
    note_bits = [
        f"police.uk proxy ({scheme} categories: {', '.join(cats)}), not Home Office offence groups"
    ]
    for extra in (_text(measure.get("police_uk_note")), _text(measure.get("proxy_note"))):
        if extra:
            note_bits.append(extra)
    frames = []
    targets = (
        [(d, dist == d) for d in districts]
        if districts is not None
        else [(force_label, np.ones(len(dist), bool))]
    )
    for district, in_d in targets:
        sel = hit & in_d
        cmap = pd.Series(n[sel]).groupby(code[sel]).sum().to_dict() if sel.any() else {}
        out = pd.DataFrame(_month_rows(expected, present, cmap))
        frames.append(_finish(out, measure, district, "police.uk", True, "; ".join(note_bits)))
    return pd.concat(frames, ignore_index=True) if frames else _empty()
