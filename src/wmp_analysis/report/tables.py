"""Tables as a reader sees them: the one display format for every DataFrame in the pack.

:func:`table_html` turns a DataFrame into readable HTML (pandas ``Styler``):

* no index column (a meaningful index - e.g. the statuses of ``value_counts()`` - becomes
  an ordinary first column);
* headers in words with units (:data:`HEADERS`, else ``snake_case`` in sentence case);
* numbers with thousands separators; percentages to one decimal; rate ratios to three
  decimals; p-values as ``< 0.001`` / ``0.012``; booleans as yes / no;
* statuses as labelled badges whose symbol and border pattern read without colour;
* missing values as a dash, explained in a footnote under the table;
* every column shown (nothing cut); a long table (more than :data:`MAX_ROWS` rows) becomes a
  short summary (:func:`summary_view`: the force-level rows where the table also holds
  districts, at most :data:`SUMMARY_ROWS` of them, plus a count per status where there is a
  status column) under a visible link to the full CSV, "Full table: <name>.csv, 122 rows".

Only the display is formatted: saved CSVs keep full precision (see
:func:`wmp_analysis.report.outputs.write_table_csv`). Output is deterministic (fixed Styler
uuid, no random ids), so pages stay byte-identical on a re-run.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from wmp_analysis.analysis.status import Status
from wmp_analysis.report.table_headers import HEADERS
from wmp_analysis.report.table_summary import summary_columns

#: The longest table shown whole, in rows. A longer one is shown as a short summary (at most
#: :data:`SUMMARY_ROWS` rows, see :func:`summary_view`) with a link to its full CSV, which keeps
#: every row: 25 rows is about what a phone screen (390 px) shows in a few swipes.
MAX_ROWS = 25
#: The most rows a summarised table shows (:func:`summary_view`).
SUMMARY_ROWS = 10
#: Columns naming the area of a row: a summary keeps the force-level rows (:func:`summary_view`).
AREA_COLUMNS = ("geography", "force", "area")
#: The dash shown for a missing value, and its footnote.
DASH = "\u2013"
DASH_NOTE = (
    f"{DASH} no value: not measured, not applicable to this row, or not available in the data "
    "supplied (a missing value is never shown as zero)."
)
SUPPRESSED_NOTE = (
    f"{DASH} in a suppressed row: the estimate rests on too few respondents to publish "
    "(see the section's note on the minimum base)."
)

#: Statuses and their badge: (symbol, css modifier). Symbol and border style carry the
#: meaning without colour (grey-scale printing, colour-blind readers).
BADGES: dict[str, tuple[str, str]] = {
    Status.MET: ("\u2714", "good"),
    Status.ON_TRACK: ("\u2197", "good"),
    Status.CONSISTENT_WITH_PLAN: ("\u2714", "good"),
    Status.NOT_MET: ("\u2716", "bad"),
    Status.OFF_TRACK: ("\u2198", "bad"),
    Status.DIFFERS_FROM_PLAN: ("\u2716", "bad"),
    Status.NOT_MEASURABLE: ("\u25cb", "none"),
    Status.INSUFFICIENT_DATA: ("\u25cc", "none"),
    Status.NO_RESULT: ("\u25cc", "none"),
    "not supplied": ("\u25cb", "none"),  # a source's state, not a target's
}
_BADGE_STYLE = {
    "good": "color:#14532d;background:#e6f4ea;border:2px solid #14532d",
    "bad": "color:#7f0000;background:#fde8e8;border:2px dashed #7f0000",
    "none": "color:#3d3d3d;background:#f1f1f1;border:2px dotted #3d3d3d",
}
_BADGE_BASE = (
    "display:inline-block;padding:0 .35em;border-radius:3px;font-weight:bold;white-space:nowrap"
)


#: One small stylesheet per table (JupyterLab has no pack.css): readable cells, no index.
_TABLE_STYLES = [
    {"selector": "", "props": "border-collapse:collapse;font-size:0.85em"},
    {
        "selector": "th",
        "props": "text-align:left;vertical-align:bottom;background:#f1f3f6;"
        "border:1px solid #ccc;padding:0.2em 0.45em;min-width:4.5em;overflow-wrap:normal",
    },
    {
        "selector": "td",
        "props": "text-align:left;vertical-align:top;border:1px solid #ccc;"
        "padding:0.2em 0.45em;min-width:4.5em;max-width:30em;overflow-wrap:break-word",
    },
    {
        "selector": "td.num",
        "props": "text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums;"
        "overflow-wrap:normal;min-width:0",
    },
    {
        "selector": "td.wide",
        "props": "min-width:16em",
    },  # long text: a readable column (a page shows a table too wide for its box as cards)
]


def badge_html(status: Any) -> str:
    """A status as a labelled badge: symbol + words, colour and border pattern.

    Unknown statuses get a plain (grey, dotted) badge with their own words.
    """
    text = "" if status is None else str(status).strip()
    symbol, kind = BADGES.get(text.lower(), ("\u25cc", "none"))
    css = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"
    return (
        f'<span class="badge badge-{kind} status-{css}" style="{_BADGE_BASE};{_BADGE_STYLE[kind]}">'
        f'<span aria-hidden="true">{symbol}</span> {html.escape(text)}</span>'
    )


def header_text(column: Any) -> str:
    """Header in words for a column name (:data:`HEADERS`, else sentence case)."""
    if isinstance(column, tuple):
        column = " ".join(str(c) for c in column if str(c))
    col = str(column)
    if col in HEADERS:
        return HEADERS[col]
    words = col.replace("_", " ").strip()
    if not words:
        return ""
    words = re.sub(r"\bpct\b", "(%)", words)
    words = re.sub(r"\bper 1000\b", "per 1,000", words)
    return words[0].upper() + words[1:] if words[:1].islower() else words


def format_p_cell(p: float) -> str:
    """``< 0.001``, ``0.004``, ``0.41``."""
    if p < 0.001:
        return "< 0.001"
    if p < 0.01:
        return f"{p:.3f}"
    return f"{p:.2f}"


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == "" or v.strip().lower() == "nan"
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _kind(col: str, s: pd.Series) -> str:
    """How a column is shown: status, p, pct, fraction, ratio, bool, int, float, text.

    ``pct`` columns hold percentages already (``pct_change``, ``share_pct``, ``estimate``,
    ``arrest_rate``); ``fraction`` columns (``share``, ``*_share``, ``share_*``) hold 0-1
    fractions and are shown multiplied by 100.
    """
    c = col.lower()
    if c == "status" or c.endswith("_status"):
        return "status"
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if (
        s.dtype == object
        and len(s.dropna())
        and s.dropna().map(lambda v: isinstance(v, (bool, np.bool_))).all()
    ):
        return "bool"
    if not pd.api.types.is_numeric_dtype(s):
        return "text"
    if c in ("p", "p_value", "p_adjusted") or c.startswith("p_value") or c.endswith("_p"):
        return "p"
    if c in ("gap", "gap_ci_low", "gap_ci_high"):
        return "points"
    if c in ("estimate", "reference_estimate", "ci_low", "ci_high"):
        return "pct"
    if re.search(r"(^|_)(pct|percent)(_|$)", c):
        return "pct"
    if c == "share" or c.endswith("_share") or c.startswith("share_"):
        return "fraction"  # a 0-1 fraction (e.g. the ingest's district share): shown x 100
    if c.endswith("_rate") and "per" not in c:
        return "pct"
    if (
        c in ("rate_ratio", "rr_ci_low", "rr_ci_high", "rr_vs_white")
        or c.startswith("rr_")
        or "ratio" in c
    ):
        return "ratio"
    if c in ("line", "row", "year", "quarter", "rank", "order", "month_number"):
        return "plain_int"
    vals = pd.to_numeric(s, errors="coerce").dropna()
    if len(vals) and np.all(np.isclose(vals, np.round(vals))) and pd.api.types.is_integer_dtype(s):
        return "int"
    return "float"


def _num_text(x: float) -> str:
    """A number for reading: thousands separators, precision by size."""
    ax = abs(x)
    if float(x).is_integer() and ax >= 1:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    if ax == 0:
        return "0"
    return f"{x:.3g}"


def _formatter(kind: str):
    def fmt(v: Any) -> str:
        if _is_missing(v):
            return DASH
        if kind == "status":
            return badge_html(v)
        if kind == "bool":
            return "yes" if bool(v) else "no"
        if kind == "date":
            ts = pd.Timestamp(v)
            return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")
        if kind == "text":
            return html.escape(str(v))
        return html.escape(_number(kind, float(v)))

    return fmt


def _number(kind: str, x: float) -> str:
    """A number in the way its column is read (see :func:`_kind`)."""
    if math.isinf(x):
        return "\u221e" if x > 0 else "-\u221e"
    if kind == "p":
        return format_p_cell(x)
    if kind == "pct":
        return f"{x:,.1f}%"
    if kind == "fraction":
        return f"{100 * x:,.1f}%"
    if kind == "points":
        return f"{x:+.1f} pts"
    if kind == "ratio":
        return f"{x:.3f}"
    if kind == "plain_int":
        return f"{x:.0f}"
    if kind == "int":
        return f"{x:,.0f}"
    return _num_text(x)


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The frame to show: a meaningful index becomes columns; columns flattened; unique names.

    An unnamed integer index (0..n-1, or what is left of it after filtering) is dropped;
    any other index (e.g. the statuses of ``value_counts()``) becomes ordinary columns.
    """
    out = df.reset_index(drop=True) if _is_default_like(df.index) else df.reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" ".join(str(c) for c in tup if str(c)) for tup in out.columns]
    seen: dict[str, int] = {}
    fixed = []
    for c in (str(c) for c in out.columns):
        k = seen.get(c, 0)
        fixed.append(c if k == 0 else f"{c} ({k + 1})")
        seen[c] = k + 1
    out.columns = fixed
    return out


def _is_default_like(index: pd.Index) -> bool:
    """An unnamed integer index 0..n-1 in any order (e.g. after filtering): not worth showing."""
    return (
        index.nlevels == 1
        and index.name is None
        and (isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index))
    )


def _force_rows(values: pd.Series) -> np.ndarray:
    """True where a value names a police force area (``data/raw/reference/forces.csv``)."""
    from wmp_analysis.errors import InputError
    from wmp_analysis.names import force_index, normalise_name

    known = force_index()

    def is_force(v: Any) -> bool:
        if _is_missing(v):
            return False
        try:
            return normalise_name(str(v)) in known
        except InputError:  # not a printable name (a control character): not a force
            return False

    return np.array([is_force(v) for v in values], dtype=bool)


def summary_view(full: pd.DataFrame, n: int = SUMMARY_ROWS) -> tuple[pd.DataFrame, str]:
    """The rows a summarised table shows, and what they are in words.

    One rule for every long table of the pack: when the table has an area column
    (:data:`AREA_COLUMNS`) holding both police force areas and smaller areas (districts),
    the force-level rows are kept; then the first *n* rows in the table's own order (the
    analysis modules order their tables: plan, target, force before districts, rank). A
    wide table keeps only its key columns
    (:func:`wmp_analysis.report.table_summary.summary_columns`).

    Parameters
    ----------
    full : DataFrame
        The table as shown (:func:`prepare`d).
    n : int
        The most rows returned.

    Returns
    -------
    (DataFrame, str)
        At most *n* rows of *full*, and a phrase such as ``"the first 10 of the 31
        force-level rows"`` or ``"the first 10 rows"``.
    """
    rows, kind = full, ""
    for col in AREA_COLUMNS:
        if col in full.columns:
            force = _force_rows(full[col])
            if force.any() and not force.all():
                rows, kind = full[force], " force-level"
                break
    cols = summary_columns(full)
    of_cols = (
        ""
        if len(cols) == len(full.columns)
        else f", {len(cols)} of its {len(full.columns)} columns"
    )
    if len(rows) <= n:
        return rows[cols], f"the {len(rows):,}{kind} rows{of_cols}"
    return rows.head(n)[cols], f"the first {n:,} of the {len(rows):,}{kind} rows{of_cols}"


def _summary_line(full: pd.DataFrame, what: str, csv_href: str | None, csv_name: str | None) -> str:
    """``Full table: <a>name.csv</a>, 122 rows. Shown: ... Status of the 122 rows: ...``."""
    total = len(full)
    if csv_href:
        link = f'<a href="{html.escape(csv_href)}">'
        link += f"{html.escape(csv_name or csv_href)}</a>"
        head = f"<b>Full table: {link}, {total:,} rows</b> (every row and column, full precision)."
    else:
        head = f"<b>Full table: {total:,} rows</b>, in the executed notebook in the run folder."
    text = f"{head} Shown here: {html.escape(what)}."
    if "status" in full.columns:
        counts = full["status"].fillna(Status.NO_RESULT).astype(str).value_counts(sort=False)
        text += f" Status of all {total:,} rows: "
        text += "; ".join(f"{badge_html(k)} {v:,}" for k, v in counts.items()) + "."
    return f'<p class="table-summary">{text}</p>'


def _footnotes(shown: pd.DataFrame, summarised: bool, csv_href: str | None, csv_name: str | None):
    notes = []
    has_missing = bool(shown.map(_is_missing).to_numpy().any()) if len(shown) else False
    if has_missing:
        sup = (
            "suppressed" in shown.columns
            and shown["suppressed"].map(lambda v: str(v).lower() in ("true", "1")).any()
        )
        notes.append(html.escape(DASH_NOTE + (" " + SUPPRESSED_NOTE if sup else "")))
    if csv_href and not summarised:  # a summarised table names its CSV above the rows
        notes.append(
            f'Machine-readable copy (full precision): <a href="{html.escape(csv_href)}">'
            f"{html.escape(csv_name or csv_href)}</a>."
        )
    return notes


def _styled_table(shown: pd.DataFrame, table_id: str) -> str:
    """The ``<table>`` of the rows shown: formatted cells, numbers right-aligned, wide text wrapped."""
    styler = shown.style
    styler.set_uuid(re.sub(r"[^A-Za-z0-9_-]", "-", table_id))
    formats = {c: _formatter(_kind(c, shown[c])) for c in shown.columns}
    styler.format(formats, escape=None)
    styler.format_index(lambda c: html.escape(header_text(c)), axis=1)
    styler.hide(axis="index")
    numeric = [_kind(c, shown[c]) not in ("text", "status", "bool", "date") for c in shown.columns]
    styler.set_table_attributes('class="dataframe wmp"')
    wide = [
        _kind(c, shown[c]) == "text" and shown[c].astype(str).str.len().max() > 40
        for c in shown.columns
    ]
    classes = ["num" if k else "wide" if w else "" for k, w in zip(numeric, wide)]
    styler.set_td_classes(
        pd.DataFrame([classes] * len(shown), index=shown.index, columns=shown.columns)
    )
    styler.set_table_styles(_TABLE_STYLES)
    out = styler.to_html(
        exclude_styles=False, sparse_index=False, sparse_columns=False, doctype_html=False
    )
    return label_cells(out, [header_text(c) for c in shown.columns])


#: A body cell of a Styler table: ``<td id="T_<uuid>_row<r>_col<c>" class="data ...`` (pandas'
#: own ids; the uuid is ours, :func:`_styled_table`).
_STYLER_TD = re.compile(r'<td (id="T_[A-Za-z0-9_-]*_row\d+_col(\d+)")')


def label_cells(table: str, headers: list[str]) -> str:
    """Give every body cell of a Styler table its column's header as ``data-label``.

    On a page, a table too wide for its box even when set tighter is shown as one card per row
    (``resources/fit_tables.html`` marks the box, ``pack.css`` ``.cards``), each cell on its own
    line after its header (``td::before { content: attr(data-label) }``), so no table scrolls
    sideways at any window width; in print and in JupyterLab the attribute changes nothing.

    Parameters
    ----------
    table : str
        HTML from :meth:`pandas.io.formats.style.Styler.to_html` (index hidden).
    headers : list of str
        The shown header of each column, in order (plain text; escaped here).
    """

    def sub(m: re.Match) -> str:
        col = int(m.group(2))
        label = headers[col] if col < len(headers) else ""
        return f'<td {m.group(1)} data-label="{html.escape(label, quote=True)}"'

    return _STYLER_TD.sub(sub, table)


def table_html(
    df: pd.DataFrame,
    *,
    csv_href: str | None = None,
    csv_name: str | None = None,
    max_rows: int = MAX_ROWS,
    summary_rows: int = SUMMARY_ROWS,
    table_id: str = "t",
) -> str:
    """Readable HTML for *df* (see the module docstring for the rules).

    Parameters
    ----------
    df : DataFrame
        Any table; it is not changed.
    csv_href, csv_name : str, optional
        Link (relative to the page, or to the notebook in JupyterLab) and file name of the
        saved CSV holding the table at full precision (every row): named under a short
        table, and above a summarised one ("Full table: <name>.csv, 122 rows").
    max_rows : int
        More rows than this and the table is summarised: at most *summary_rows* rows
        (:func:`summary_view`), a count per status when the table has a ``status``
        column, and the link.
    summary_rows : int
        The most rows a summarised table shows.
    table_id : str
        Deterministic id for the Styler (no random uuids in the pages).

    Returns
    -------
    str
        ``<div class="wmp-table">`` holding the table and its footnotes. On a page, a table too
        wide for the div is set tighter, then shown as cards (:func:`label_cells`); without
        scripts (and in JupyterLab) the div scrolls sideways on its own, so the page never does.
    """
    full = prepare(df)
    total = len(full)
    summarised = total > max_rows and len(full.columns) > 0
    shown, what = summary_view(full, summary_rows) if summarised else (full, "")
    parts = ['<div class="wmp-table" style="max-width:100%;overflow-x:auto">']
    if summarised:
        parts.append(_summary_line(full, what, csv_href, csv_name))
    if len(full.columns) == 0:
        parts.append('<p class="table-empty">(no columns)</p>')
    elif total == 0:
        parts.append(
            '<p class="table-empty">No rows. Columns: '
            + html.escape(", ".join(header_text(c) for c in full.columns))
            + ".</p>"
        )
    else:
        parts.append(_styled_table(shown, table_id))
    notes = _footnotes(shown, summarised, csv_href, csv_name) if len(full.columns) else []
    if notes:
        parts.append(
            '<p class="table-note" style="font-size:.8em;color:#444">' + "<br>".join(notes) + "</p>"
        )
    parts.append("</div>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- reader's views
#: The columns of the national view's milestones shown to the reader (06_national_view).
MILESTONE_VIEW = [
    "plan",
    "target_id",
    "measure_id",
    "target_value",
    "baseline_period",
    "target_period",
    "proxy",
    "citation_sentence",
]
#: The columns of the force's own rows of the national view shown to the reader.
FORCE_NATIONAL_VIEW = [
    "target_id",
    "baseline_count",
    "target_count",
    "pct_change",
    "status",
    "rank_change",
    "rank_change_best",
    "rank_change_worst",
    "target_rate_per_1000",
    "rank_rate",
    "n_forces",
    "proxy",
]
