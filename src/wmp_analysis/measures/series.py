"""Series per measure and geography, from the processed tables.

Each measure (burglary of homes, robbery, total crime ...) is defined once per
source in ``data/raw/targets/measures.csv``: ONS offence groups, Home Office CSP
offence codes, police.uk categories. The functions here turn the processed tables
into one tidy layout::

    measure_id, geography, period_start, period_end, value, source, proxy,
    proxy_note, note

* ``period_start`` / ``period_end``: inclusive dates of the window the value counts
  (a 12-month rolling year for ONS, a financial quarter for CSP, a month for
  police.uk).
* ``value``: offences recorded in the window (float; NaN = missing, never 0 for
  missing).
* ``proxy``: True when the series only approximates the plan's measure; the note
  says how.

ONS file quirks handled here (see :func:`ons_zero_flags`): an offence group that
has not started or has stopped is published as 0 (e.g. "Residential burglary" is 0
before June 2017, "Domestic burglary" is 0 from March 2018). Such zeros are
treated as *not published*, not as real zeros, and are reported in ``note``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.errors import SchemaError, UnknownCategoryError
from wmp_analysis.periods import Period

TIDY_COLUMNS = [
    "measure_id",
    "geography",
    "period_start",
    "period_end",
    "value",
    "source",
    "proxy",
    "proxy_note",
    "note",
]

#: A zero in a force's series of an offence group whose typical (median non-zero)
#: count is at least this is implausible as a real count (Poisson P(0 | 10) < 5e-5)
#: and is treated as "not published".
IMPLAUSIBLE_ZERO_MIN_TYPICAL = 10


def split_list(value: Any) -> list[str]:
    """Split a ``;``-separated field of the measures table (empty/NaN -> [])."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def _truthy(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    return str(value).strip().lower() in {"true", "1", "yes", "y"}


def join_notes(*notes: str) -> str:
    """Join notes with ``"; "``, keeping each distinct note once.

    Notes gathered from the registry, the measures table and a series often repeat
    one another; a note already contained in an earlier one is dropped.
    """
    kept: list[str] = []
    for n in notes:
        n = (n or "").strip()
        if n and not any(n in k for k in kept):
            kept = [k for k in kept if k not in n] + [n]
    return "; ".join(kept)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def measure_row(measures: pd.DataFrame, measure_id: str) -> Mapping[str, Any]:
    """The row of the measures table for *measure_id*.

    Raises
    ------
    UnknownCategoryError
        If the measure is not in the table.
    """
    hit = measures[measures["measure_id"] == measure_id]
    if hit.empty:
        raise UnknownCategoryError(
            f"measure {measure_id!r} is not in the measures table",
            field="measure_id",
            expected="an id from data/raw/targets/measures.csv",
        )
    return hit.iloc[0].to_dict()


def _empty() -> pd.DataFrame:
    out = pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "str") for c in TIDY_COLUMNS}
    )
    out["period_start"] = pd.Series(dtype="datetime64[ns]")
    out["period_end"] = pd.Series(dtype="datetime64[ns]")
    out["proxy"] = pd.Series(dtype=bool)
    return out


def _require(df: pd.DataFrame, cols, table: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(
            f"processed table {table!r} lacks columns {missing}",
            field=missing[0],
            expected=f"columns {list(cols)}",
        )


# --------------------------------------------------------------------------- ONS


def ons_zero_flags(ons_df: pd.DataFrame) -> pd.DataFrame:
    """Classify every ONS row: real value, or a zero that is not a real count.

    Returns *ons_df* with a ``zero_kind`` column: ``""`` (a value to use),
    ``"not published"`` (a zero in a leading or trailing run of zeros of a force's
    offence-group series whose typical count is >= :data:`IMPLAUSIBLE_ZERO_MIN_TYPICAL`:
    the group had not started or had stopped) or ``"implausible zero"`` (such a zero
    between non-zero values: treated as missing).
    """
    _require(ons_df, ["force", "offence", "period_end", "count"], "ons_pfa")
    df = ons_df.sort_values(["force", "offence", "period_end"], kind="mergesort").copy()
    kinds = np.array([""] * len(df), dtype=object)
    pos = 0
    for _, g in df.groupby(["force", "offence"], sort=False):
        c = g["count"].to_numpy()
        n = len(c)
        nz = c[c != 0]
        typical = float(np.median(np.abs(nz))) if len(nz) else 0.0
        if typical >= IMPLAUSIBLE_ZERO_MIN_TYPICAL:
            zero = c == 0
            nzi = np.flatnonzero(~zero)
            first, last = (nzi[0], nzi[-1]) if len(nzi) else (n, -1)
            for i in np.flatnonzero(zero):
                kinds[pos + i] = "not published" if (i < first or i > last) else "implausible zero"
        pos += n
    df["zero_kind"] = kinds
    return df


def ons_rolling_year(ons_df: pd.DataFrame, measure: Mapping[str, Any], force: str) -> pd.DataFrame:
    """12-months-ending totals of a measure for one force, per ONS period end.

    The value is the sum of the measure's ONS offence groups (``ons_offences``).
    For each period:

    * a group outside the force's published run of that group (before it starts,
      after it stops, including the ONS file's zero placeholders) is left out and
      named in ``note`` (the definition changes, e.g. domestic -> residential
      burglary);
    * a group inside its run but absent (no row, or an implausible zero) makes the
      value NaN (a gap, not zero), named in ``note``;
    * a negative published count (fraud adjustment in 2013) is kept and noted.

    Parameters
    ----------
    ons_df : DataFrame
        Processed ``ons_pfa`` table (any number of forces).
    measure : mapping
        A row of the measures table.
    force : str
        PFA name as in the file.

    Returns
    -------
    DataFrame
        :data:`TIDY_COLUMNS`; ``geography`` = *force*, ``source = "ONS PFA"``,
        ``period_start`` = the day after the period end one year earlier.
    """
    groups = split_list(measure.get("ons_offences"))
    if not groups:
        return _empty()
    flagged = ons_zero_flags(ons_df[(ons_df["force"] == force) & ons_df["offence"].isin(groups)])
    periods = sorted(ons_df.loc[ons_df["force"] == force, "period_end"].unique())
    usable = flagged[flagged["zero_kind"] == ""]
    agg = usable.groupby("offence")["period_end"].agg(["min", "max"])
    spans = {grp: (lo, hi) for grp, lo, hi in zip(agg.index, agg["min"], agg["max"])}
    # (offence, period end) -> (zero kind, count): plain dict look-ups in the loop below
    vals = {
        (grp, pd.Timestamp(pe)): (kind, cnt)
        for grp, pe, kind, cnt in zip(
            flagged["offence"], flagged["period_end"], flagged["zero_kind"], flagged["count"]
        )
    }
    if len(vals) != len(flagged):
        raise SchemaError(
            f"processed table 'ons_pfa' holds an offence group twice for one period end of {force}",
            field="period_end",
            expected="one row per force, offence and period end",
        )
    rows = []
    for pe in periods:
        pe = pd.Timestamp(pe)
        total = 0.0
        notes: list[str] = []
        gap = False
        used = 0
        for grp in groups:
            if grp not in spans or pe < spans[grp][0] or pe > spans[grp][1]:
                notes.append(f"{grp} not published for this period")
                continue
            key = (grp, pe)
            if key not in vals:
                notes.append(f"{grp} missing (gap)")
                gap = True
                continue
            kind, cnt = vals[key]
            if kind:
                notes.append(f"{grp} published as 0 inside its run: treated as missing")
                gap = True
                continue
            cnt = float(cnt)
            if cnt < 0:
                notes.append(f"{grp} negative as published ({int(cnt)})")
            total += cnt
            used += 1
        if used == 0 and not gap:
            continue  # none of the measure's groups exist for this period
        rows.append({"period_end": pe, "value": np.nan if gap else total, "note": "; ".join(notes)})
    if not rows:
        return _empty()
    out = pd.DataFrame(rows)
    # month end one year earlier + 1 day (leap-year safe)
    out["period_start"] = (out["period_end"] - pd.offsets.MonthEnd(12)) + pd.Timedelta(days=1)
    return _finish(
        out,
        measure,
        force,
        "ONS PFA",
        _truthy(measure.get("proxy")),
        _text(measure.get("proxy_note")),
    )


def _finish(
    out: pd.DataFrame, measure, geography: str, source: str, proxy: bool, proxy_note: str
) -> pd.DataFrame:
    out = out.assign(
        measure_id=str(measure.get("measure_id")),
        geography=geography,
        source=source,
        proxy=bool(proxy),
        proxy_note=proxy_note,
    )
    if "note" not in out:
        out["note"] = ""
    out["value"] = out["value"].astype("float64")
    for c in ("measure_id", "geography", "source", "proxy_note", "note"):
        out[c] = out[c].fillna("").astype("str")
    return out[TIDY_COLUMNS].sort_values("period_end", kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- CSP


def _district_match(names: pd.Series, district: str) -> pd.Series:
    d = district.strip().lower()
    n = names.astype("str").str.strip().str.lower()
    return (n == d) | n.str.startswith(d + " ") | n.str.startswith(d + ",")


def csp_quarterly(
    csp_df: pd.DataFrame, measure: Mapping[str, Any], districts: list[str]
) -> pd.DataFrame:
    """Financial-quarter counts of a measure per district from Home Office CSP data.

    A district is matched to a CSP by name (``csp_name`` equal to the district, or
    starting with it). A quarter with no CSP rows at all for the district is a gap
    (NaN, noted); a quarter with rows but none for the measure's offence codes is 0
    with a note (the publisher omits empty codes).

    Returns
    -------
    DataFrame
        :data:`TIDY_COLUMNS` with ``source = "Home Office CSP"``.
    """
    codes = split_list(measure.get("csp_offence_codes"))
    if not codes or csp_df is None or csp_df.empty:
        return _empty()
    _require(csp_df, ["quarter_end", "csp_name", "offence_code", "count"], "csp")
    if codes == ["*"]:
        # every code except fraud (see the measures table's csp_note)
        grp = (
            csp_df["offence_group"].astype("str")
            if "offence_group" in csp_df
            else pd.Series("", index=csp_df.index)
        )
        codes = sorted(
            set(csp_df.loc[~grp.str.lower().str.contains("fraud"), "offence_code"].astype("str"))
        )
    quarters = sorted(pd.to_datetime(csp_df["quarter_end"]).unique())
    frames = []
    note_extra = _text(measure.get("csp_note"))
    for district in districts:
        sub = csp_df[_district_match(csp_df["csp_name"], district)]
        if sub.empty:
            continue
        present = set(pd.to_datetime(sub["quarter_end"]))
        hit = sub[sub["offence_code"].astype("str").isin(codes)]
        sums = hit.groupby(pd.to_datetime(hit["quarter_end"]))["count"].sum()
        rows = []
        for q in quarters:
            q = pd.Timestamp(q)
            if q not in present:
                rows.append(
                    {"period_end": q, "value": np.nan, "note": "quarter missing for this CSP (gap)"}
                )
            elif q in sums.index:
                rows.append({"period_end": q, "value": float(sums[q]), "note": ""})
            else:
                rows.append(
                    {
                        "period_end": q,
                        "value": 0.0,
                        "note": "no rows for the measure's codes in a published quarter: 0",
                    }
                )
        out = pd.DataFrame(rows)
        out["period_start"] = out["period_end"] - pd.offsets.MonthEnd(3) + pd.Timedelta(days=1)
        frames.append(
            _finish(
                out,
                measure,
                district,
                "Home Office CSP",
                _truthy(measure.get("proxy")),
                join_notes(_text(measure.get("proxy_note")), note_extra),
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else _empty()


# --------------------------------------------------------------------------- police.uk


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
        out = pd.DataFrame(rows)
        frames.append(_finish(out, measure, district, "police.uk", True, "; ".join(note_bits)))
    return pd.concat(frames, ignore_index=True) if frames else _empty()


# --------------------------------------------------------------------------- one period


def measure_value(
    series: pd.DataFrame, period: Period, *, geography: str | None = None
) -> dict[str, Any]:
    """Value of a tidy series over *period* (e.g. a financial year).

    * A rolling-year series (ONS) gives the row whose window is exactly *period*.
    * A quarterly or monthly series is summed over the windows inside *period*;
      every month of the period must be covered by a non-missing window, else the
      value is NaN and ``note`` names what is missing.

    Returns
    -------
    dict
        ``value`` (float or NaN), ``complete`` (bool), ``months_covered`` (int),
        ``note`` (str), ``source``, ``proxy``, ``proxy_note``.
    """
    s = series if geography is None else series[series["geography"] == geography]
    base = {
        "value": np.nan,
        "complete": False,
        "months_covered": 0,
        "note": "",
        "source": "",
        "proxy": False,
        "proxy_note": "",
    }
    if s.empty:
        base["note"] = "no data for this measure and geography"
        return base
    base.update(
        source=str(s["source"].iloc[0]),
        proxy=bool(s["proxy"].iloc[0]),
        proxy_note=str(s["proxy_note"].iloc[0]),
    )
    exact = s[(s["period_start"] == period.start) & (s["period_end"] == period.end)]
    if not exact.empty:
        r = exact.iloc[0]
        ok = not pd.isna(r["value"])
        base.update(
            value=float(r["value"]),
            complete=ok,
            months_covered=period.n_months if ok else 0,
            note=str(r["note"]),
        )
        return base
    inside = s[(s["period_start"] >= period.start) & (s["period_end"] <= period.end)]
    # windows must be shorter than the period to be summed (quarters or months)
    inside = inside[(inside["period_end"] - inside["period_start"]).dt.days < 100]
    if inside.empty:
        base["note"] = f"no window of the series falls inside {period.label}"
        return base
    good = inside.dropna(subset=["value"])
    covered = set()
    for r in good.itertuples():
        covered |= {p for p in pd.period_range(r.period_start, r.period_end, freq="M")}
    missing = [str(m) for m in period.months if m not in covered]
    base["months_covered"] = len(covered & set(period.months))
    notes = sorted({n for n in inside["note"] if n})
    if missing:
        base["note"] = "; ".join([f"missing months {', '.join(missing)}"] + notes)
        base["value"] = np.nan
        base["partial_value"] = float(good["value"].sum())
        return base
    base.update(value=float(good["value"].sum()), complete=True, note="; ".join(notes))
    return base
