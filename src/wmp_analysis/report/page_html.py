"""Shared HTML helpers of the pack's pages: templates, section labels, badges, display text."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from wmp_analysis.analysis.status import Status
from wmp_analysis.report.outputs import SYNTHETIC_NOTE

#: The suite's sections in order: notebook stem -> label used in links.
SECTIONS: dict[str, str] = {
    "01_ingest": "Data and ingest",
    "02_baseline": "Baselines",
    "03_target_comparison": "Targets",
    "04_equality_breakdowns": "Equality",
    "06_national_view": "National view",
    "05_briefing_summary": "Summary notebook",
}


#: Cell tags whose cells are left out of the HTML pages entirely.
REMOVE_CELL_TAGS = ("remove-cell", "remove_cell", "injected-parameters")


#: Placeholder written instead of the (run-specific) staging folder path.
RUN_FOLDER_PLACEHOLDER = "[run folder]"


def resource_text(name: str) -> str:
    """Text of a file in ``wmp_analysis/resources`` (templates, CSS)."""
    return files("wmp_analysis").joinpath("resources", name).read_text(encoding="utf-8")


def _env() -> jinja2.Environment:
    from wmp_analysis.report.tables import badge_html

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(resource_text),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["badge"] = lambda status: markupsafe.Markup(badge_html(status))  # escapes its text
    env.globals["unjudged_statuses"] = _UNJUDGED  # listed apart, with no badge
    return env


def _version() -> str:
    from wmp_analysis import __version__

    return __version__


def section_label(name: str) -> str:
    """Link label for a notebook stem (falls back to the stem itself)."""
    return SECTIONS.get(name, name)


def origin_badge(origin: dict[str, Any] | None) -> dict[str, str] | None:
    """The badge of a page made of *origin* (:func:`wmp_analysis.provenance.section_origin`).

    Returns ``{"label": "REAL DATA" | "SYNTHETIC" | "MIXED", "class": ..., "text": sources}``,
    or None when the page uses no source.
    """
    from wmp_analysis.provenance import MIXED, REAL, _source_names

    if origin is None or origin.get("origin") is None:
        return None
    kind = origin["origin"]
    label = {REAL: "REAL DATA", MIXED: "MIXED"}.get(kind, "SYNTHETIC")
    parts = []
    if origin.get("real"):
        parts.append(f"real: {_source_names(origin['real'])}")
    if origin.get("synthetic"):
        parts.append(f"synthetic: {_source_names(origin['synthetic'])}")
    return {"label": label, "class": f"data-{kind}", "text": "; ".join(parts)}


def synthetic_banner_text(origin: dict[str, Any] | None) -> str:
    """The red banner's words for a page with synthetic inputs (the sources named when mixed)."""
    from wmp_analysis.provenance import _source_names

    if origin is None or not origin.get("real"):
        return SYNTHETIC_NOTE
    return (
        f"{SYNTHETIC_NOTE}, in the parts of this page marked synthetic (from "
        f"{_source_names(origin['synthetic'])}); the rest is real public data"
    )


def section_nav(sections: Sequence[str], current: str | None = None) -> list[dict[str, Any]]:
    """Navigation links: the briefing index, then each section page."""
    nav = [{"href": "index.html", "label": "Briefing", "current": current is None}]
    nav += [
        {"href": f"{s}.html", "label": section_label(s), "current": s == current} for s in sections
    ]
    return nav


def _fmt(value: Any, spec: str = "{:,.1f}") -> str:
    if value is None:
        return "-"
    try:
        if isinstance(value, str):
            if value.strip() == "":
                return "-"
            value = float(value)
        if isinstance(value, float) and math.isnan(value):
            return "-"
        return spec.format(value)
    except (TypeError, ValueError):
        return str(value)


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y")
    try:
        if isinstance(value, float) and math.isnan(value):
            return False
    except TypeError:
        pass
    return bool(value)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _p_text(value: Any) -> str:
    """A p-value for reading (``< 0.001``, ``0.004``, ``0.41``) or ``-``."""
    from wmp_analysis.report.readings import _num
    from wmp_analysis.report.tables import format_p_cell

    x = _num(value)
    return "-" if x is None else format_p_cell(x)


def _status_class(status: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", status.strip().lower()).strip("-") or "unknown"


#: Statuses that are not a judgement of a target (listed apart on the index).
_UNJUDGED = (Status.NOT_MEASURABLE, Status.NO_RESULT)
