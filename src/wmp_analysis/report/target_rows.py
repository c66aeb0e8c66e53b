"""The rows of the target status table (display-ready strings), pure over the comparison table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wmp_analysis.analysis.status import Status
from wmp_analysis.report.page_html import (
    _fmt,
    _p_text,
    _status_class,
    _text,
    _truthy,
)
from wmp_analysis.report.readings import target_reading

_TARGET_TEXT_COLUMNS = (
    "wording",
    "target_text",
    "text",
    "description",
    "target",
    "title",
    "wording",
    "summary",
)


def _rows_in_scope(comparison: pd.DataFrame, plan: str | None, force: str | None) -> pd.DataFrame:
    """The comparison rows of *plan*, force-wide when the force has rows, in target order."""
    df = comparison.copy()
    if plan is not None and "plan" in df.columns:
        df = df[df["plan"].astype(str) == plan]
    if (
        force is not None
        and "geography" in df.columns
        and (df["geography"].astype(str) == force).any()
    ):
        df = df[df["geography"].astype(str) == force]
    if "target_id" in df.columns:
        df = df.sort_values(
            [c for c in ("target_id", "measure_id", "geography") if c in df.columns], kind="stable"
        )
    return df


def _registry_texts(
    registry: pd.DataFrame | None, plan: str | None
) -> tuple[pd.DataFrame | None, dict[str, str], dict[str, str]]:
    """The registry rows of *plan*, each target's wording and why it is not measurable.

    Returns ``(registry or None, {target_id: wording}, {target_id: reason})``.
    """
    texts: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if registry is None or "target_id" not in registry.columns:
        return None, texts, reasons
    reg = registry
    if plan is not None and "plan" in reg.columns:
        reg = reg[reg["plan"].astype(str) == plan]
    col = next((c for c in _TARGET_TEXT_COLUMNS if c in reg.columns), None)
    for _, r in reg.iterrows():
        texts[str(r["target_id"])] = _text(r[col]) if col else ""
    for _, r in reg.iterrows():
        why = " - ".join(
            x
            for x in (
                _text(r.get("not_measurable_reason")).rstrip("."),
                _text(r.get("would_measure_with"))
                and f"Would be measured with: {_text(r.get('would_measure_with'))}.",
            )
            if x
        )
        reasons[str(r["target_id"])] = why
    return reg, texts, reasons


def _row_values(r) -> dict[str, str]:
    """Baseline, actual, change and target of one comparison row, as display strings.

    Survey proportions (``source`` survey...) are percent with the change in points; other
    values are levels with the change in percent.
    """
    kind = _text(r.get("target_kind"))
    percent_level = _text(r.get("source")).startswith("survey")
    if percent_level:
        baseline = _fmt(r.get("baseline_value"), "{:.1f}%")
        actual = _fmt(r.get("actual_value"), "{:.1f}%")
        change = _fmt(r.get("abs_change"), "{:+.1f} pts")
    else:
        baseline = _fmt(r.get("baseline_value"), "{:,.6g}")
        actual = _fmt(r.get("actual_value"), "{:,.6g}")
        change = _fmt(r.get("pct_change"), "{:+.1f}%")
    target = _fmt(
        r.get("target_value"),
        "{:+g}%" if kind == "pct_change" else "{:g}%" if percent_level else "{:,g}",
    )
    if kind in ("direction", "qualitative") and target == "-":
        target = _text(r.get("direction")) or kind
    return {"baseline": baseline, "actual": actual, "change": change, "target_value": target}


def _status_row(r, texts: dict, reasons: dict, names: dict | None) -> dict[str, Any]:
    """One row of the status table from a comparison row (display-ready strings)."""
    tid = _text(r.get("target_id"))
    status = _text(r.get("status")) or Status.NO_RESULT
    lo, hi, rr = r.get("rr_ci_low"), r.get("rr_ci_high"), r.get("rate_ratio")
    interval = (
        "-"
        if _fmt(rr, "{:.3f}") == "-"
        else f"{_fmt(rr, '{:.3f}')} ({_fmt(lo, '{:.3f}')} to {_fmt(hi, '{:.3f}')})"
    )
    return {
        "target": f"{tid}: {texts[tid]}" if texts.get(tid) else tid,
        "target_id": tid,
        "measure": _text(r.get("measure_id")),
        "geography": _text(r.get("geography")),
        **_row_values(r),
        "interval": interval,
        "p": _p_text(r.get("p_value")),
        "p_adjusted": _p_text(r.get("p_adjusted")),
        "reading": target_reading(r, (names or {}).get(_text(r.get("measure_id")))),
        "status": status,
        "status_class": _status_class(status),
        "proxy": _truthy(r.get("proxy")),
        "proxy_note": _text(r.get("proxy_note")),
        "reason": reasons.get(tid) or _text(r.get("note")),
        "kind": _text(r.get("target_kind")),
        "data": _text(r.get("data")),
        "periods": (
            f"{_text(r.get('target_period'))} against {_text(r.get('baseline_period'))}"
            if _text(r.get("baseline_period"))
            else ""
        ),
    }


def _no_result_row(tid: str, texts: dict, reasons: dict) -> dict[str, Any]:
    """The row of a registry target with no comparison row (status ``no result``)."""
    dash = dict.fromkeys(
        ("baseline", "actual", "change", "target_value", "interval", "p", "p_adjusted"), "-"
    )
    return {
        "target": f"{tid}: {texts[tid]}" if texts[tid] else tid,
        "target_id": tid,
        "measure": "",
        "geography": "",
        **dash,
        "reading": "",
        "status": Status.NO_RESULT,
        "status_class": "no-result",
        "proxy": False,
        "proxy_note": "",
        "reason": reasons.get(tid, ""),
        "kind": "",
        "data": "",
        "periods": "",
    }


def target_status_rows(
    comparison: pd.DataFrame | None,
    registry: pd.DataFrame | None = None,
    *,
    plan: str | None = None,
    force: str | None = None,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]] | None:
    """Rows of the headline target status table.

    Parameters
    ----------
    comparison : DataFrame or None
        ``tables/target_comparison.csv`` (columns plan, target_id, measure_id,
        geography, baseline_value, actual_value, pct_change (percent), status,
        p_value, rate_ratio, rr_ci_low, rr_ci_high, proxy, proxy_note...). ``None``
        when the table was not produced.
    registry : DataFrame, optional
        The target registry; targets of *plan* without any comparison row are
        listed as ``"no result"`` so that every target appears.
    plan : str, optional
        Keep rows (comparison and registry) of this plan only.
    force : str, optional
        When rows exist for this geography, keep only those (district rows stay in
        the section page).
    names : dict, optional
        ``measure_id -> name`` (``measures.csv``) for the one-line reading of each row
        (:func:`wmp_analysis.report.readings.target_reading`).

    Returns
    -------
    list of dict or None
        One dict per row with display-ready strings; ``None`` if *comparison* is None.
    """
    if comparison is None:
        return None
    df = _rows_in_scope(comparison, plan, force)
    reg, texts, reasons = _registry_texts(registry, plan)
    rows = [_status_row(r, texts, reasons, names) for _, r in df.iterrows()]
    rank = {Status.MET: 0, Status.NOT_MET: 1, Status.NOT_MEASURABLE: 3, Status.NO_RESULT: 4}
    rows.sort(
        key=lambda r: rank.get(r["status"].strip().lower(), 2)
    )  # stable: target order kept within
    if reg is not None:
        seen = set(df["target_id"].astype(str)) if "target_id" in df.columns else set()
        rows += [_no_result_row(tid, texts, reasons) for tid in sorted(set(texts) - seen)]
    return rows


def status_counts(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{status, n}]`` in first-seen order."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return [{"status": k, "n": v} for k, v in counts.items()]
