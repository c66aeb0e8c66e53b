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

Modules: :mod:`~wmp_analysis.report.page_html` (shared HTML helpers),
:mod:`~wmp_analysis.report.page_export` (the section pages),
:mod:`~wmp_analysis.report.target_rows` (the status table's rows),
:mod:`~wmp_analysis.report.scorecard` (the plans' scorecards) and
:mod:`~wmp_analysis.report.pack_index` (``index.html``); every name is re-exported here
(the pipeline and notebook 05 import them from this module).
"""

# _measure_names and _registry: read by notebook 05 (the briefing summary)
from wmp_analysis.report.pack_index import (  # noqa: F401
    _measure_names,
    _registry,
    build_index,
    equality_headline,
    find_table,
    pack_is_synthetic,
    read_table,
    render_index,
    sources_rows,
)
from wmp_analysis.report.page_export import (
    export_notebook_html,
    external_references,
    normalise_notebook,
    render_page,
)
from wmp_analysis.report.page_html import (
    REMOVE_CELL_TAGS,
    RUN_FOLDER_PLACEHOLDER,
    SECTIONS,
    origin_badge,
    resource_text,
    section_label,
    section_nav,
    synthetic_banner_text,
)
from wmp_analysis.report.scorecard import (
    PLAN_FIGURE_KINDS,
    PLAN_TITLES,
    SCORECARD_PARTS,
    scorecard_frame,
    scorecard_part,
    scorecards,
)
from wmp_analysis.report.target_rows import (
    status_counts,
    target_status_rows,
)

__all__ = [
    "PLAN_FIGURE_KINDS",
    "PLAN_TITLES",
    "REMOVE_CELL_TAGS",
    "RUN_FOLDER_PLACEHOLDER",
    "SCORECARD_PARTS",
    "SECTIONS",
    "build_index",
    "equality_headline",
    "export_notebook_html",
    "external_references",
    "find_table",
    "normalise_notebook",
    "origin_badge",
    "pack_is_synthetic",
    "read_table",
    "render_index",
    "render_page",
    "resource_text",
    "scorecard_frame",
    "scorecard_part",
    "scorecards",
    "section_label",
    "section_nav",
    "sources_rows",
    "status_counts",
    "synthetic_banner_text",
    "target_status_rows",
]
