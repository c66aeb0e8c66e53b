"""The briefing pack's HTML: section pages from executed notebooks, and ``index.html``.

Every page is self-contained: the stylesheet is inlined, images are data URIs,
and nothing is loaded from another host (no CDN scripts, fonts or stylesheets).
Text that comes from data or configs is escaped by Jinja2's autoescaping, so a
street name such as ``<script>...`` shows as text and never runs.

Pages are deterministic: nothing that varies between runs (run id, timestamps,
durations, random cell ids, the staging folder's path) reaches the HTML, so the
same config and inputs give byte-identical pages.

Public functions
----------------
export_notebook_html   executed notebook -> one HTML page without code cells
build_index            write ``index.html`` (the headline page) for a run folder
target_status_rows     rows of the target status table (pure)
equality_headline      the largest unsuppressed gaps (pure)
external_references    loaded resources that point at another host (for checks)
"""

from __future__ import annotations

import base64
import copy
import math
import re
from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import nbformat
import pandas as pd

from wmp_analysis.report.outputs import SYNTHETIC_NOTE
from wmp_analysis.report.pdf import pdf_enabled
from wmp_analysis.report.readings import target_reading

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


# --------------------------------------------------------------------------- templates
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
    return env


def _version() -> str:
    from wmp_analysis import __version__

    return __version__


def section_label(name: str) -> str:
    """Link label for a notebook stem (falls back to the stem itself)."""
    return SECTIONS.get(name, name)


# --------------------------------------------------------------------------- notebook pages
def normalise_notebook(
    nb: nbformat.NotebookNode, replace: Iterable[str] = ()
) -> nbformat.NotebookNode:
    """A copy of an executed notebook with everything run-specific removed.

    Drops papermill/execution metadata (start and end times, durations), the
    injected-parameters cell and cells tagged ``remove-cell``, stderr streams
    (warnings stay in the executed notebook, not in the briefing), gives cells
    stable ids and replaces each string in *replace* (e.g. the staging folder) by
    :data:`RUN_FOLDER_PLACEHOLDER` in every output.
    """
    nb = copy.deepcopy(nb)
    nb.metadata = nbformat.from_dict(
        {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    )
    keep = []
    subs = sorted({s for s in replace if s}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for s in subs:
            text = text.replace(s, RUN_FOLDER_PLACEHOLDER)
        return text

    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(REMOVE_CELL_TAGS):
            continue
        cell.metadata = nbformat.from_dict({"tags": sorted(tags)} if tags else {})
        if cell.cell_type == "code":
            cell.execution_count = None
            outs = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue
                out = copy.deepcopy(out)
                if "execution_count" in out:
                    out["execution_count"] = None
                if out.get("output_type") == "stream":
                    out["text"] = scrub(out.get("text", ""))
                elif "data" in out:
                    for mime, val in list(out["data"].items()):
                        if mime.startswith("text/") or mime in (
                            "image/svg+xml",
                            "application/json",
                        ):
                            if isinstance(val, str):
                                out["data"][mime] = scrub(val)
                            elif isinstance(val, list):
                                out["data"][mime] = [scrub(v) for v in val]
                elif out.get("output_type") == "error":
                    out["evalue"] = scrub(out.get("evalue", ""))
                    out["traceback"] = [scrub(t) for t in out.get("traceback", [])]
                outs.append(out)
            cell.outputs = outs
        keep.append(cell)
    for i, cell in enumerate(keep):
        cell["id"] = f"cell-{i}"
    nb.cells = keep
    return nb


def _nbconvert_body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


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


def render_page(
    body_html: str,
    *,
    title: str,
    page_title: str,
    synthetic: bool,
    nav: Sequence[dict[str, Any]] = (),
    figures: Sequence[dict[str, str]] = (),
    origin: dict[str, Any] | None = None,
) -> str:
    """Wrap an HTML fragment in the pack's page template (inline CSS, badge, banner, nav).

    *figures* (``{"name", "data"}`` with base64 PNG data) are appended as a gallery.
    *origin* (:func:`wmp_analysis.provenance.section_origin`) gives the page's REAL DATA /
    SYNTHETIC / MIXED badge; with it, the red banner is shown exactly when the page has
    a synthetic input (*synthetic* is then ignored).
    """
    if origin is not None:
        synthetic = bool(origin.get("synthetic"))
    tpl = _env().get_template("page.html.j2")
    return tpl.render(
        body=body_html,
        title=title,
        page_title=page_title,
        synthetic=bool(synthetic),
        synthetic_note=synthetic_banner_text(origin) if synthetic else SYNTHETIC_NOTE,
        nav=list(nav),
        css=resource_text("pack.css"),
        version=_version(),
        figures=list(figures),
        badge=origin_badge(origin),
    )


def _has_images(nb: nbformat.NotebookNode) -> bool:
    return any(
        any(m.startswith("image/") for m in out.get("data", {}))
        for c in nb.cells
        if c.cell_type == "code"
        for out in c.get("outputs", [])
    )


def section_nav(sections: Sequence[str], current: str | None = None) -> list[dict[str, Any]]:
    """Navigation links: the briefing index, then each section page."""
    nav = [{"href": "index.html", "label": "Briefing", "current": current is None}]
    nav += [
        {"href": f"{s}.html", "label": section_label(s), "current": s == current} for s in sections
    ]
    return nav


def export_notebook_html(
    nb: nbformat.NotebookNode | str | Path,
    *,
    title: str,
    name: str,
    synthetic: bool,
    sections: Sequence[str] = (),
    replace: Iterable[str] = (),
    figures: Sequence[str | Path] = (),
    origin: dict[str, Any] | None = None,
) -> str:
    """One self-contained HTML page for an executed notebook, without code cells.

    Parameters
    ----------
    nb : NotebookNode or path
        The executed notebook.
    title : str
        The run's title (from the config), shown under the page heading.
    name : str
        The notebook stem, e.g. ``"03_target_comparison"``.
    synthetic : bool
        Show the synthetic-data banner.
    sections : sequence of str
        All section stems, for the navigation bar.
    replace : iterable of str
        Run-specific strings (staging folder paths) to replace by a placeholder.
    figures : sequence of path
        PNG files the notebook saved; when the notebook displayed no image itself
        they are embedded in a "Figures" gallery at the end (in the given order).
    origin : dict, optional
        :func:`wmp_analysis.provenance.section_origin` of the section: its badge, and the
        banner only when it has a synthetic input.

    Returns
    -------
    str
        The page; deterministic for the same notebook outputs.
    """
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    clean = normalise_notebook(nb, replace)
    body = _nbconvert_body(clean)
    gallery = []
    if not _has_images(clean):
        gallery = [
            {
                "name": Path(f).stem,
                "data": base64.b64encode(Path(f).read_bytes()).decode("ascii"),
                "alt": _png_description(f),
            }
            for f in figures
        ]
    return render_page(
        body,
        title=title,
        page_title=section_label(name),
        synthetic=synthetic,
        nav=section_nav(sections, current=name),
        figures=gallery,
        origin=origin,
    )


def _png_description(path) -> str | None:
    """The alt text a figure was saved with (PNG ``Description`` chunk; plots.style.finish)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.text.get("Description") if hasattr(im, "text") else None
    except (OSError, ValueError):
        return None


_TAG_ATTR = re.compile(
    r"<(?P<tag>script|link|img|iframe|frame|embed|object|source|video|audio|track|input|image|use)\b"
    r"(?P<attrs>[^>]*)>",
    re.IGNORECASE,
)
_ATTR = re.compile(
    r"""\b(?:src|href|xlink:href|data|poster|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(
    r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.IGNORECASE
)


def external_references(html: str) -> list[str]:
    """Resources a browser would load from another host.

    Looks at ``src``/``href``/``srcset``/``data``/``poster`` attributes of tags that
    load something (``script``, ``link``, ``img``, ``iframe``, ``source``, SVG
    ``image``/``use``...) and at CSS ``url(...)``/``@import``. Plain ``<a href>``
    links are not loaded and are not reported.

    Returns
    -------
    list of str
        Each offending reference, e.g. ``'script src=https://cdn...'``; empty
        when the page is self-contained.
    """
    found = []
    for m in _TAG_ATTR.finditer(html):
        for a in _ATTR.finditer(m.group("attrs")):
            val = next(v for v in a.groups() if v is not None).strip()
            if re.match(r"^(?:https?:)?//", val, re.IGNORECASE) or re.search(
                r"(?:^|,\s*)(?:https?:)?//", val
            ):
                found.append(f"{m.group('tag').lower()} {val}")
    found += [f"css {u}" for u in _CSS_URL.findall(html)]
    return found


# --------------------------------------------------------------------------- index page
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
    df = comparison.copy()
    if plan is not None and "plan" in df.columns:
        df = df[df["plan"].astype(str) == plan]
    if (
        force is not None
        and "geography" in df.columns
        and (df["geography"].astype(str) == force).any()
    ):
        df = df[df["geography"].astype(str) == force]
    texts: dict[str, str] = {}
    reg = None
    if registry is not None and "target_id" in registry.columns:
        reg = registry
        if plan is not None and "plan" in reg.columns:
            reg = reg[reg["plan"].astype(str) == plan]
        col = next((c for c in _TARGET_TEXT_COLUMNS if c in reg.columns), None)
        for _, r in reg.iterrows():
            texts[str(r["target_id"])] = _text(r[col]) if col else ""
    if "target_id" in df.columns:
        df = df.sort_values(
            [c for c in ("target_id", "measure_id", "geography") if c in df.columns], kind="stable"
        )
    reasons: dict[str, str] = {}
    if reg is not None:
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
    rows: list[dict[str, Any]] = []
    for _, r in df.iterrows():
        tid = _text(r.get("target_id"))
        label = f"{tid}: {texts[tid]}" if texts.get(tid) else tid
        status = _text(r.get("status")) or "no result"
        lo, hi, rr = r.get("rr_ci_low"), r.get("rr_ci_high"), r.get("rate_ratio")
        interval = (
            "-"
            if _fmt(rr, "{:.3f}") == "-"
            else f"{_fmt(rr, '{:.3f}')} ({_fmt(lo, '{:.3f}')} to {_fmt(hi, '{:.3f}')})"
        )
        kind = _text(r.get("target_kind"))
        percent_level = _text(r.get("source")).startswith("survey")
        if (
            percent_level
        ):  # survey proportions (compare marks their source): percent, change in points
            baseline, actual = (
                _fmt(r.get("baseline_value"), "{:.1f}%"),
                _fmt(r.get("actual_value"), "{:.1f}%"),
            )
            change = _fmt(r.get("abs_change"), "{:+.1f} pts")
        else:
            baseline, actual = (
                _fmt(r.get("baseline_value"), "{:,.6g}"),
                _fmt(r.get("actual_value"), "{:,.6g}"),
            )
            change = _fmt(r.get("pct_change"), "{:+.1f}%")
        target = _fmt(
            r.get("target_value"),
            "{:+g}%" if kind == "pct_change" else "{:g}%" if percent_level else "{:,g}",
        )
        if kind in ("direction", "qualitative") and target == "-":
            target = _text(r.get("direction")) or kind
        rows.append(
            {
                "target": label,
                "target_id": tid,
                "measure": _text(r.get("measure_id")),
                "geography": _text(r.get("geography")),
                "baseline": baseline,
                "actual": actual,
                "change": change,
                "target_value": target,
                "interval": interval,
                "p": _p_text(r.get("p_value")),
                "p_adjusted": _p_text(r.get("p_adjusted")),
                "reading": target_reading(r, (names or {}).get(_text(r.get("measure_id")))),
                "status": status,
                "status_class": _status_class(status),
                "proxy": _truthy(r.get("proxy")),
                "proxy_note": _text(r.get("proxy_note")),
                "reason": reasons.get(tid) or _text(r.get("note")),
                "kind": kind,
                "data": _text(r.get("data")),
                "periods": (
                    f"{_text(r.get('target_period'))} against {_text(r.get('baseline_period'))}"
                    if _text(r.get("baseline_period"))
                    else ""
                ),
            }
        )
    rank = {"met": 0, "not met": 1, "not measurable": 3, "no result": 4}
    rows.sort(
        key=lambda r: rank.get(r["status"].strip().lower(), 2)
    )  # stable: target order kept within
    if reg is not None:
        seen = set(df["target_id"].astype(str)) if "target_id" in df.columns else set()
        for tid in sorted(set(texts) - seen):
            label = f"{tid}: {texts[tid]}" if texts[tid] else tid
            rows.append(
                {
                    "target": label,
                    "target_id": tid,
                    "measure": "",
                    "geography": "",
                    "baseline": "-",
                    "actual": "-",
                    "change": "-",
                    "target_value": "-",
                    "interval": "-",
                    "p": "-",
                    "p_adjusted": "-",
                    "reading": "",
                    "status": "no result",
                    "status_class": "no-result",
                    "proxy": False,
                    "proxy_note": "",
                    "reason": reasons.get(tid, ""),
                    "kind": "",
                    "data": "",
                    "periods": "",
                }
            )
    return rows


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


def status_counts(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{status, n}]`` in first-seen order."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return [{"status": k, "n": v} for k, v in counts.items()]


def equality_headline(gaps: pd.DataFrame | None, n: int = 5) -> pd.DataFrame | None:
    """The *n* largest unsuppressed gaps by absolute size.

    Parameters
    ----------
    gaps : DataFrame or None
        ``tables/equality_gaps.csv`` (group, reference, measure, period, estimate,
        reference_estimate, gap, gap_ci_low, gap_ci_high, significant, base_n,
        suppressed). Gaps are in the units of the measure (e.g. proportions).
    n : int
        How many to keep.

    Returns
    -------
    DataFrame or None
        Sorted by ``|gap|`` descending (ties by group, measure); ``None`` if *gaps*
        is None. Rows with ``suppressed`` true or a missing gap are dropped.
    """
    if gaps is None:
        return None
    df = gaps.copy()
    if "suppressed" in df.columns:
        df = df[
            ~df["suppressed"].map(_truthy).astype(bool)
        ]  # bool even when empty (else a column selection)
    df = df[pd.to_numeric(df["gap"], errors="coerce").notna()].copy()
    df["_abs"] = pd.to_numeric(df["gap"]).abs()
    keys = ["_abs"] + [c for c in ("group", "measure", "period") if c in df.columns]
    df = df.sort_values(keys, ascending=[False] + [True] * (len(keys) - 1), kind="stable")
    return df.drop(columns="_abs").head(n).reset_index(drop=True)


def _gap_rows(df: pd.DataFrame | None) -> list[dict[str, str]] | None:
    if df is None:
        return None
    out = []
    for _, r in df.iterrows():
        out.append(
            {
                "group": _text(r.get("group")),
                "reference": _text(r.get("reference")),
                "measure": _text(r.get("measure")),
                "period": _text(r.get("period")),
                "estimate": _fmt(r.get("estimate"), "{:.3g}"),
                "reference_estimate": _fmt(r.get("reference_estimate"), "{:.3g}"),
                "gap": f"{_fmt(r.get('gap'), '{:+.3g}')} ({_fmt(r.get('gap_ci_low'), '{:+.3g}')} to {_fmt(r.get('gap_ci_high'), '{:+.3g}')})",
                "significant": "yes" if _truthy(r.get("significant")) else "no",
                "base_n": _fmt(r.get("base_n"), "{:,.0f}"),
            }
        )
    return out


def find_table(run_dir: str | Path, name: str) -> Path | None:
    """``tables/<name>.csv`` in *run_dir* itself or in one of its section folders."""
    run_dir = Path(run_dir)
    direct = run_dir / "tables" / f"{name}.csv"
    if direct.is_file():
        return direct
    hits = sorted(run_dir.glob(f"*/tables/{name}.csv"))
    return hits[0] if hits else None


def read_table(run_dir: str | Path, name: str) -> pd.DataFrame | None:
    """A run table as a DataFrame, or ``None`` when it was not produced."""
    p = find_table(run_dir, name)
    return None if p is None else pd.read_csv(p, keep_default_na=True)


def pack_is_synthetic(cfg) -> bool:
    """:func:`wmp_analysis.provenance.pack_is_synthetic` (kept here for its callers)."""
    from wmp_analysis.provenance import pack_is_synthetic as _pack_is_synthetic

    return _pack_is_synthetic(cfg)


def _registry(cfg) -> pd.DataFrame | None:
    try:
        from wmp_analysis.measures.targets import load_registry
    except ImportError:
        return None
    src = cfg.sources.get("registry")
    return load_registry(src) if src is not None else load_registry()


def _measure_names() -> dict[str, str]:
    """``measure_id -> name`` from the project's ``measures.csv`` (empty if unreadable)."""
    try:
        from wmp_analysis.measures.targets import load_measures

        m = load_measures()
    except Exception:
        return {}
    return {str(k): str(v) for k, v in zip(m["measure_id"], m["name"])}


def sources_rows(cfg) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) describing the data sources and their periods.

    Uses ``load_processed(cfg).sources_summary()`` when ingest has run; otherwise
    lists the configured sources (paths relative to the project root).
    """
    try:
        from wmp_analysis.ingest.pipeline import load_processed

        processed = load_processed(cfg)
        summary = processed.sources_summary()
    except Exception:
        summary = None
    if summary is not None:
        df = summary if isinstance(summary, pd.DataFrame) else pd.DataFrame(list(summary))
        cols = [str(c) for c in df.columns]
        rows = [[_text(v) for v in row] for row in df.itertuples(index=False)]
        from wmp_analysis.availability import NOT_SUPPLIED, SOURCE_USES

        for key, entry in sorted((processed.manifest.get("sources") or {}).items()):
            if (
                entry.get("status") == NOT_SUPPLIED and key in SOURCE_USES
            ):  # listed, never silently absent
                rows.append(
                    [
                        NOT_SUPPLIED
                        if c == "path"
                        else key
                        if c == "source"
                        else SOURCE_USES[key][0]
                        if c == "description"
                        else ""
                        for c in cols
                    ]
                )
        return cols, rows
    from wmp_analysis.provenance import is_synthetic

    rows = []
    for key, p in sorted(cfg.sources.items()):
        if p is None:
            rows.append([key, "not supplied", ""])
            continue
        try:
            shown = str(Path(p).resolve().relative_to(Path(cfg.root).resolve()))
        except ValueError:
            shown = Path(p).name
        rows.append([key, shown, "synthetic" if is_synthetic(p) else ""])
    return ["source", "file", "note"], rows


_UNJUDGED = ("not measurable", "no result")


def _proxy_notes(rows: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """One footnote per proxy measure: ``[{measure, note}]`` in first-seen order."""
    seen: dict[str, str] = {}
    for r in rows:
        if r["proxy"] and r["measure"] not in seen:
            seen[r["measure"]] = r["proxy_note"]
    return [{"measure": m, "note": n} for m, n in seen.items()]


def render_index(
    *,
    title: str,
    force: str,
    plan: str,
    baseline: str,
    target_period: str,
    synthetic: bool,
    targets: list[dict[str, Any]] | None,
    gaps: list[dict[str, str]] | None,
    sections: Sequence[dict[str, Any]],
    source_columns: Sequence[str],
    sources: Sequence[Sequence[str]],
    target_note: str = "",
    gaps_note: str = "",
    pdf: bool = True,
    scorecards: Sequence[dict[str, Any]] | None = None,
    origin_sentence: str = "",
    gaps_synthetic: bool = False,
) -> str:
    """Render ``index.html`` from display-ready values (all text is escaped).

    *scorecards* (:func:`scorecards`) are the plans' scorecards; without them the *targets*
    rows make one card for *plan*. *synthetic* shows the red banner over the whole page
    (every input synthetic); *gaps_synthetic* shows it over the equality headline only.
    """
    if scorecards is None:
        parts: dict[str, list] = {"measured": [], "needs_data": [], "commitment": [], "figure": []}
        for r in targets or []:
            parts[scorecard_part(dict(r, value="-"), {})].append(
                dict(r, value="-", would="", period="")
            )
        scorecards = [
            {
                "plan": plan,
                "title": PLAN_TITLES.get(plan, plan),
                "periods": f"{target_period} against {baseline}",
                "measured": parts["measured"],
                "needs_data": parts["needs_data"],
                "commitments": parts["commitment"],
                "figures": parts["figure"],
                "counts": status_counts(parts["measured"]),
            }
        ]
    tpl = _env().get_template("index.html.j2")
    return tpl.render(
        scorecards=list(scorecards),
        origin_sentence=origin_sentence,
        gaps_synthetic=bool(gaps_synthetic),
        title=title,
        force=force,
        plan=plan,
        baseline=baseline,
        target_period=target_period,
        synthetic=bool(synthetic),
        synthetic_note=SYNTHETIC_NOTE,
        targets=targets,
        gaps=gaps,
        judged=[t for t in targets or [] if t["status"] not in _UNJUDGED],
        unjudged=[t for t in targets or [] if t["status"] in _UNJUDGED],
        proxies=_proxy_notes(targets or []),
        counts=status_counts(targets) if targets else [],
        sections=list(sections),
        source_columns=list(source_columns),
        sources=[list(r) for r in sources],
        target_note=target_note,
        gaps_note=gaps_note,
        css=resource_text("pack.css"),
        version=_version(),
        pdf=bool(pdf),
    )


def build_index(
    cfg, run_dir: str | Path, *, sections: Sequence[str] | None = None, n_gaps: int = 5
) -> Path:
    """Write ``<run_dir>/index.html``, the briefing pack's headline page.

    Parameters
    ----------
    cfg : RunConfig
    run_dir : path
        The run folder; tables are looked up in ``tables/`` and ``*/tables/``.
    sections : sequence of str, optional
        Section stems to link (default: :data:`SECTIONS`). A section whose page is
        absent is marked "section not produced" (the briefing summary's own page is
        exported after this runs, so it always counts as present).
    n_gaps : int
        Number of equality gaps in the headline.

    Returns
    -------
    Path
        The written file.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    names = list(sections) if sections is not None else list(SECTIONS)
    from wmp_analysis.provenance import SYNTHETIC, origin_of, origin_sentence, source_origins

    origins = source_origins(cfg)  # raises when an input's origin cannot be told (never guessed)
    comparison = read_table(run_dir, "target_comparison")
    registry = _registry(cfg) if comparison is not None else None
    mnames = _measure_names()
    rows = target_status_rows(comparison, registry, plan=cfg.plan, force=cfg.force, names=mnames)
    cards = None
    if comparison is not None:
        from wmp_analysis.measures.targets import load_measures

        cards = scorecards(cfg, comparison, registry, load_measures(), mnames)
    note = ""
    if (
        comparison is not None
        and "geography" in comparison.columns
        and (comparison["geography"].astype(str) == cfg.force).any()
    ):
        note = f"Force-wide results for {cfg.force}; district results are in the Targets section."
    gaps = _gap_rows(equality_headline(read_table(run_dir, "equality_gaps"), n_gaps))
    sec = [
        {
            "href": f"{s}.html",
            "label": section_label(s),
            "present": (run_dir / f"{s}.html").is_file() or "briefing" in s,
        }
        for s in names
    ]
    cols, srows = sources_rows(cfg)
    from wmp_analysis.availability import missing_sources, not_supplied_note

    gaps_note = not_supplied_note("survey") if missing_sources(cfg, ["survey"]) else ""
    html = render_index(
        title=cfg.title,
        force=cfg.force,
        plan=cfg.plan,
        baseline=f"{cfg.baseline.start:%Y-%m-%d} to {cfg.baseline.end:%Y-%m-%d}",
        target_period=f"{cfg.target_period.start:%Y-%m-%d} to {cfg.target_period.end:%Y-%m-%d}",
        synthetic=origin_of(origins) == SYNTHETIC,
        targets=rows,
        gaps=gaps,
        sections=sec,
        source_columns=cols,
        sources=srows,
        target_note=note,
        gaps_note=gaps_note,
        pdf=pdf_enabled(cfg),
        scorecards=cards,
        origin_sentence=origin_sentence(origins),
        gaps_synthetic=origins.get("survey") == SYNTHETIC and bool(gaps),
    )
    out = run_dir / "index.html"
    out.write_text(html, encoding="utf-8", newline="\n")
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
