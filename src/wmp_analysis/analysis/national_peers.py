"""Each force beside its comparator forces, and the comparator group pooled.

Part of :mod:`wmp_analysis.analysis.national` (which re-exports :func:`beside_comparators`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wmp_analysis.analysis import stats as S


def beside_comparators(view: pd.DataFrame, force: str, comparators: Sequence[str]) -> pd.DataFrame:
    """The force's rows beside its comparators' and the national (all-forces) figure.

    Returns
    -------
    DataFrame
        Per milestone: one row per force of {force} + comparators (in that order),
        then ``"Comparators (pooled)"`` and ``"All 43 territorial forces (pooled)"``
        with summed counts and populations (rates of the pooled area). Columns
        ``target_id, measure_id, force, role, baseline_count, target_count, pct_change,
        rate_ratio, rr_ci_low, rr_ci_high, baseline_rate_per_1000,
        target_rate_per_1000, rank_change, rank_rate, n_forces, proxy``.
    """
    cols = [
        "target_id",
        "measure_id",
        "force",
        "role",
        "baseline_count",
        "target_count",
        "pct_change",
        "rate_ratio",
        "rr_ci_low",
        "rr_ci_high",
        "baseline_rate_per_1000",
        "target_rate_per_1000",
        "rank_change",
        "rank_rate",
        "n_forces",
        "proxy",
    ]
    order = [force, *[c for c in comparators if c != force]]
    frames = []
    for _tid, d in view.groupby("target_id", sort=False):
        sel = (
            d[d["force"].isin(order)]
            .set_index("force")
            .reindex([f for f in order if f in set(d["force"])])
        )
        parts = [sel.reset_index()[cols]]
        for label, sub in (
            ("Comparators (pooled)", d[d["force"].isin(order[1:])]),
            (f"All {len(d)} territorial forces (pooled)", d),
        ):
            if sub.empty:
                continue
            parts.append(pd.DataFrame([_pooled(sub, label)])[cols])
        frames.append(pd.concat(parts, ignore_index=True))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _pooled(sub: pd.DataFrame, label: str) -> dict:
    """Summed counts and populations of several forces (NaN if any part is missing)."""

    def total(col):
        v = sub[col]
        return float(v.sum()) if v.notna().all() else np.nan

    bc, tc, bpop, tpop = (
        total(c)
        for c in ("baseline_count", "target_count", "baseline_population", "target_population")
    )
    rt = S.poisson_rate_ratio_test(tc, 12, bc, 12)
    return {
        "target_id": sub["target_id"].iloc[0],
        "measure_id": sub["measure_id"].iloc[0],
        "force": label,
        "role": "pooled",
        "baseline_count": bc,
        "target_count": tc,
        "pct_change": S.pct_change(bc, tc),
        "rate_ratio": rt["rate_ratio"],
        "rr_ci_low": rt["ci_low"],
        "rr_ci_high": rt["ci_high"],
        "baseline_rate_per_1000": bc / bpop * 1000 if bpop > 0 else np.nan,
        "target_rate_per_1000": tc / tpop * 1000 if tpop > 0 else np.nan,
        "rank_change": np.nan,
        "rank_rate": np.nan,
        "n_forces": len(sub),
        "proxy": bool(sub["proxy"].iloc[0]),
    }
