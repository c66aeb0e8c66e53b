"""The pack's headline page ``index.html``: scorecards, equality headline, sections and sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wmp_analysis.report.outputs import SYNTHETIC_NOTE
from wmp_analysis.report.page_html import (
    _UNJUDGED,
    SECTIONS,
    _env,
    _fmt,
    _text,
    _truthy,
    _version,
    resource_text,
    section_label,
)
from wmp_analysis.report.pdf import pdf_enabled
from wmp_analysis.report.scorecard import PLAN_TITLES, scorecard_part, scorecards
from wmp_analysis.report.target_rows import status_counts, target_status_rows


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


def _proxy_notes(rows: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """One footnote per proxy measure: ``[{measure, note}]`` in first-seen order."""
    seen: dict[str, str] = {}
    for r in rows:
        if r["proxy"] and r["measure"] not in seen:
            seen[r["measure"]] = r["proxy_note"]
    return [{"measure": m, "note": n} for m, n in seen.items()]


def _single_scorecard(
    targets: list[dict[str, Any]] | None, plan: str, baseline: str, target_period: str
) -> dict[str, Any]:
    """One scorecard for *plan* from the status rows alone (no registry facts)."""
    parts: dict[str, list] = {"measured": [], "needs_data": [], "commitment": [], "figure": []}
    for r in targets or []:
        parts[scorecard_part(dict(r, value="-"), {})].append(
            dict(r, value="-", would="", period="")
        )
    return {
        "plan": plan,
        "title": PLAN_TITLES.get(plan, plan),
        "periods": f"{target_period} against {baseline}",
        "measured": parts["measured"],
        "needs_data": parts["needs_data"],
        "commitments": parts["commitment"],
        "figures": parts["figure"],
        "counts": status_counts(parts["measured"]),
    }


def _section_links(run_dir: Path, names: Sequence[str]) -> list[dict[str, Any]]:
    """The index's section links; a section whose page is absent is marked not produced."""
    return [
        {
            "href": f"{s}.html",
            "label": section_label(s),
            "present": (run_dir / f"{s}.html").is_file() or "briefing" in s,
        }
        for s in names
    ]


def _force_note(comparison: pd.DataFrame | None, force: str) -> str:
    """Said above the status table when it shows the force-wide rows only."""
    if (
        comparison is not None
        and "geography" in comparison.columns
        and (comparison["geography"].astype(str) == force).any()
    ):
        return f"Force-wide results for {force}; district results are in the Targets section."
    return ""


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
        scorecards = [_single_scorecard(targets, plan, baseline, target_period)]
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
    note = _force_note(comparison, cfg.force)
    gaps = _gap_rows(equality_headline(read_table(run_dir, "equality_gaps"), n_gaps))
    sec = _section_links(run_dir, names)
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
