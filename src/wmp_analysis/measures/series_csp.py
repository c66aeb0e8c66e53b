"""Home Office recorded crime by community safety partnership: financial-quarter counts per district."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.measures.series_tidy import (
    _empty,
    _finish,
    _require,
    _text,
    _truthy,
    join_notes,
    split_list,
)


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
