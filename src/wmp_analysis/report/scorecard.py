"""The plans' scorecards: each target row placed as measured, needing data, a commitment or a plan figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wmp_analysis.report.page_html import (
    _UNJUDGED,
    _fmt,
    _text,
)
from wmp_analysis.report.target_rows import status_counts, target_status_rows

#: The plans' names as a reader knows them.
PLAN_TITLES = {
    "spp-2012-15": "Strategic Policing Plan 2012-15",
    "pcp-2014-15": "Police and Crime Plan 2014-15",
}


#: Measure kinds (measures.csv ``kind``) whose numbers are the plan's own context figures
#: (budgets, staffing, savings), not crime or service targets.
PLAN_FIGURE_KINDS = ("workforce", "finance")


def _registry_facts(
    registry: pd.DataFrame | None, measures: pd.DataFrame | None
) -> dict[str, dict[str, str]]:
    """``target_id -> {kind, measure_kind, measure_id, value, unit, period, would}`` from the registry."""
    mkind = (
        {}
        if measures is None
        else {str(k): str(v) for k, v in zip(measures["measure_id"], measures["kind"])}
    )
    out: dict[str, dict[str, str]] = {}
    if registry is None:
        return out
    for r in registry.to_dict("records"):
        mid = _text(r.get("measure_id"))
        value = _fmt(r.get("target_value"), "{:,.10g}")
        unit = _text(r.get("target_unit"))
        out[str(r["target_id"])] = {
            "kind": _text(r.get("target_kind")),
            "measure_id": mid,
            "measure_kind": mkind.get(mid, ""),
            "value": value
            if value == "-" or not unit
            else (f"{value}%" if unit in ("percent", "percent_change") else f"{value} ({unit})"),
            "numeric": value != "-",
            "period": _text(r.get("target_period")),
            "would": _text(r.get("would_measure_with")),
        }
    return out


def scorecard_part(row: dict[str, Any], facts: dict[str, Any]) -> str:
    """Where a target row goes on its plan's scorecard.

    * ``"figure"``: a figure the plan quotes for context (``target_kind`` reported_figure, a
      plan context figure, or a budget / staffing / savings number: measure kind workforce or
      finance) - shown as a plan figure, never counted as a target;
    * ``"measured"``: judged from the data (a status other than not measurable / no result);
    * ``"commitment"``: no number to measure (``qualitative``, or a direction on a
      commitment with no measure);
    * ``"needs_data"``: a numeric or directional target no public source measures (the
      force holds the data).
    """
    kind, mkind, mid = (
        facts.get("kind") or row.get("kind", ""),
        facts.get("measure_kind", ""),
        facts.get("measure_id", ""),
    )
    if (
        kind == "reported_figure"
        or mid == "plan_context_figure"
        or (mkind in PLAN_FIGURE_KINDS and kind != "qualitative")
    ):
        return "figure"
    if row["status"] not in _UNJUDGED:
        return "measured"
    if (
        kind == "qualitative"
        or mid in ("", "other_plan_commitment")
        or (kind == "level" and not facts.get("numeric"))
    ):
        return "commitment"
    return "needs_data"


def scorecards(
    cfg,
    comparison: pd.DataFrame | None,
    registry: pd.DataFrame | None,
    measures: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One scorecard per assessment of *cfg* (the index opens with them).

    Returns
    -------
    list of dict
        ``{plan, title, periods, measured, needs_data, commitments, figures, counts}``: the rows
        of :func:`target_status_rows` for the plan (force-wide), split by
        :func:`scorecard_part`; ``counts`` counts the statuses of the measured targets only.
    """
    facts = _registry_facts(registry, measures)
    out = []
    for a in cfg.assessments:
        rows = (
            target_status_rows(comparison, registry, plan=a.plan, force=cfg.force, names=names)
            or []
        )
        parts: dict[str, list] = {"measured": [], "needs_data": [], "commitment": [], "figure": []}
        for r in rows:
            f = facts.get(r["target_id"], {})
            r = dict(
                r, value=f.get("value", "-"), would=f.get("would", ""), period=f.get("period", "")
            )
            parts[scorecard_part(r, f)].append(r)
        out.append(
            {
                "plan": a.plan,
                "title": PLAN_TITLES.get(a.plan, a.plan),
                "periods": f"{a.target_period.label} against {a.baseline.label}",
                "measured": parts["measured"],
                "needs_data": parts["needs_data"],
                "commitments": parts["commitment"],
                "figures": parts["figure"],
                "counts": status_counts(parts["measured"]),
            }
        )
    return out


#: Reader's names of the scorecard parts (:func:`scorecard_part`).
SCORECARD_PARTS = {
    "measured": "measured",
    "needs_data": "needs data the force holds",
    "commitments": "commitment with no number",
    "figures": "plan figure (not a target)",
}


def scorecard_frame(cards: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The scorecards (:func:`scorecards`) as one table: one row per target or plan figure.

    Columns: plan, part (:data:`SCORECARD_PARTS`), target, data (real / synthetic / empty:
    no data read), baseline, actual, change, target_value, interval, p_adjusted, status,
    reading, would_measure_with - display strings, as on the index.
    """
    cols = [
        "plan",
        "part",
        "target",
        "data",
        "baseline",
        "actual",
        "change",
        "target_value",
        "interval",
        "p_adjusted",
        "status",
        "reading",
        "would_measure_with",
    ]
    rows = []
    for c in cards:
        for key, label in SCORECARD_PARTS.items():
            for r in c[key]:
                rows.append(
                    {
                        "plan": c["title"],
                        "part": label,
                        "target": r["target"],
                        "data": r["data"],
                        "baseline": r["baseline"],
                        "actual": r["actual"],
                        "change": r["change"],
                        "target_value": r["value"]
                        if key in ("figures", "needs_data")
                        else r["target_value"],
                        "interval": r["interval"],
                        "p_adjusted": r["p_adjusted"],
                        "status": r["status"],
                        "reading": r["reading"],
                        "would_measure_with": r["would"],
                    }
                )
    return pd.DataFrame(rows, columns=cols)
