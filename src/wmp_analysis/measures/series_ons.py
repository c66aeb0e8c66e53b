"""ONS recorded crime by police force area: a measure's 12-months-ending totals per force.

ONS file quirks handled here (see :func:`ons_zero_flags`): an offence group that has not
started or has stopped is published as 0 (e.g. "Residential burglary" is 0 before June 2017,
"Domestic burglary" is 0 from March 2018). Such zeros are treated as *not published*, not as
real zeros, and are reported in ``note``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.errors import SchemaError
from wmp_analysis.measures.series_tidy import _empty, _finish, _require, _text, _truthy, split_list

#: A zero in a force's series of an offence group whose typical (median non-zero)
#: count is at least this is implausible as a real count (Poisson P(0 | 10) < 5e-5)
#: and is treated as "not published".
IMPLAUSIBLE_ZERO_MIN_TYPICAL = 10


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


def _period_total(pe: pd.Timestamp, groups: list[str], spans: dict, vals: dict) -> dict | None:
    """One period end's total of the measure's offence groups (None: no group exists then).

    *spans*: each group's first and last usable period end; *vals*: (group, period end) ->
    (zero kind, count). A group outside its span is left out and noted; one inside its span
    but absent or an implausible zero makes the value NaN (a gap, not zero).
    """
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
        return None  # none of the measure's groups exist for this period
    return {"period_end": pe, "value": np.nan if gap else total, "note": "; ".join(notes)}


def ons_rolling_year(
    ons_df: pd.DataFrame,
    measure: Mapping[str, Any],
    force: str,
    *,
    flagged: pd.DataFrame | None = None,
) -> pd.DataFrame:
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
    flagged : DataFrame, optional
        :func:`ons_zero_flags` of a table holding at least *force*'s rows of *ons_df*
        (e.g. the whole file, flagged once for many forces and measures); by default
        *ons_df* is flagged here. Each force and offence group is flagged on its own, so
        the result is the same either way.

    Returns
    -------
    DataFrame
        :data:`TIDY_COLUMNS`; ``geography`` = *force*, ``source = "ONS PFA"``,
        ``period_start`` = the day after the period end one year earlier.
    """
    groups = split_list(measure.get("ons_offences"))
    if not groups:
        return _empty()
    if flagged is None:
        flagged = ons_zero_flags(
            ons_df[(ons_df["force"] == force) & ons_df["offence"].isin(groups)]
        )
    else:
        flagged = flagged[(flagged["force"] == force) & flagged["offence"].isin(groups)]
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
    totals = [_period_total(pd.Timestamp(pe), groups, spans, vals) for pe in periods]
    rows = [r for r in totals if r is not None]
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
