"""One self-contained HTML page per executed notebook (no code cells, nothing from another host).

Pages are deterministic: :func:`normalise_notebook` removes everything run-specific.
"""

from __future__ import annotations

import base64
import copy
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from wmp_analysis.report.outputs import SYNTHETIC_NOTE
from wmp_analysis.report.page_html import (
    REMOVE_CELL_TAGS,
    RUN_FOLDER_PLACEHOLDER,
    _env,
    _version,
    origin_badge,
    resource_text,
    section_label,
    section_nav,
    synthetic_banner_text,
)


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
    if origin is not None:
        synthetic = bool(origin.get("synthetic"))
    clean = page_cells(clean, banner=synthetic)
    body = page_links(_nbconvert_body(clean))
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


def _is_notebook_banner(out: dict[str, Any]) -> bool:
    """True for the synthetic banner a notebook shows itself (:meth:`Section.banner`)."""
    from wmp_analysis.report.section import BANNER_STYLE

    text = (
        out.get("data", {}).get("text/html") if out.get("output_type") == "display_data" else None
    )
    if isinstance(text, list):
        text = "".join(text)
    return isinstance(text, str) and text.startswith(
        f"<p style='{BANNER_STYLE}'><b>{html.escape(SYNTHETIC_NOTE)}"
    )


_TITLE_LINE = re.compile(r"\A\s*# [^\n]*(\n|\Z)")


def page_cells(nb: nbformat.NotebookNode, *, banner: bool) -> nbformat.NotebookNode:
    """The cells of a page: one heading and, on a synthetic page, one synthetic statement.

    The page template draws the page's heading (the section's label, as in the navigation)
    and, when *banner*, the synthetic banner; so the notebook's own title (the ``# ...``
    line opening its first markdown cell) and the banner the notebook shows in JupyterLab
    (:meth:`wmp_analysis.report.section.Section.banner`) are left out of the page. The rest
    of the first markdown cell (what the section does) stays. *nb* is not changed.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _TITLE_LINE.sub("", cell.source, count=1)
            break
    if banner:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if not _is_notebook_banner(o)]
    return nb


_NOTEBOOK_CSV = re.compile(r'(<a href=")\.\./([^"/]+/tables/[^"/]+\.csv")')


def page_links(body: str) -> str:
    """Links of the tables to their CSVs, made relative to the page.

    In the executed notebook (the run folder's ``notebooks/``) they read
    ``../<section>/tables/<name>.csv`` (:meth:`wmp_analysis.report.outputs.RunContext.csv_href`);
    the page is one folder up.
    """
    return _NOTEBOOK_CSV.sub(r"\1\2", body)


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
