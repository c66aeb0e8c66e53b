"""Control chart figure. Returns a Figure; never touches files."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import pandas as pd

from wmp_analysis.report.plots import style

#: Caption (definition) of :func:`spc_grid`.
SPC_CAPTION = (
    "Centre line and control limits come from the baseline points only (shaded) and are applied "
    "to every later point: XmR chart (limits: mean +/- 2.66 x the mean moving range) for the "
    "force's rolling-year totals, whose consecutive points overlap, so runs and trends are "
    "descriptive only; c-chart (limits: c +/- 3 sqrt(c)) for district months or quarters. "
    "Markers: special-cause rules."
)

_RULE_STYLE = {
    "rule_beyond_limits": ("o", "#D55E00", "beyond limits", 150),
    "rule_run": ("s", "#E69F00", "run on one side", 90),
    "rule_trend": ("^", "#CC79A7", "trend", 55),
    "rule_two_of_three": ("D", "#0072B2", "2 of 3 beyond 2 sigma", 25),
}


def spc_figure(chart: pd.DataFrame, *, title: str = "", ylabel: str = "offences") -> plt.Figure:
    """Plot an SPC DataFrame from :mod:`wmp_analysis.analysis.spc` with limits and special causes.

    Baseline points are shaded; the centre line and limits (computed from them)
    are drawn across the whole chart; each special-cause rule has its own marker.
    """
    fig, ax = plt.subplots(figsize=(9, 4))
    _draw_spc(ax, chart, title=title, ylabel=ylabel)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def spc_grid(
    charts: dict,
    *,
    title: str = "",
    ylabel: str = "offences",
    ncols: int = 2,
    source: str = "",
) -> plt.Figure:
    """Small multiples: one SPC panel per geography (``{geography: chart}``).

    Used for a measure's force and district charts together, so that a pack has one
    figure per measure rather than one per measure and district. House caption
    :data:`SPC_CAPTION` (with *source* first) and alt text (the points beyond the limits
    in each panel).
    """
    n = max(len(charts), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 2.6 * nrows + 0.6), squeeze=False)
    for ax, (geo, chart) in zip(axes.ravel(), charts.items()):
        _draw_spc(ax, chart, title=str(geo), ylabel=ylabel, compact=True)
    for ax in axes.ravel()[len(charts) :]:
        ax.set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    style.figure_legend(fig, handles, labels, ncol=min(len(labels), 4))
    title = title or "Control charts"
    alt = f"{title}. " + " ".join(
        f"{geo}: {len(c)} points, centre {float(c['centre'].iloc[0]):,.0f}, "
        f"{int(c['rule_beyond_limits'].sum())} beyond the limits."
        for geo, c in charts.items()
        if len(c)
    )
    return style.finish(
        fig, title=title, caption=SPC_CAPTION, alt=alt, source=source or None, bottom=0.05
    )


def _draw_spc(ax, chart: pd.DataFrame, *, title: str, ylabel: str, compact: bool = False) -> None:
    x = chart.index
    ax.plot(x, chart["value"], color="0.3", marker=".", lw=1, label="value")
    ax.plot(x, chart["centre"], color="k", lw=1, label="centre (baseline)")
    ax.plot(x, chart["ucl"], color="0.5", lw=1, ls="--", label="control limits")
    ax.plot(x, chart["lcl"], color="0.5", lw=1, ls="--")
    base = chart[chart["in_baseline"]]
    if len(base):
        ax.axvspan(base.index.min(), base.index.max(), color="0.92", zorder=0, label="baseline")
    for col, (marker, colour, label, size) in _RULE_STYLE.items():
        hit = chart[chart[col]]
        if len(hit):
            ax.scatter(
                hit.index,
                hit["value"],
                marker=marker,
                s=size,
                facecolors="none",
                edgecolors=colour,
                linewidths=1.5,
                label=label,
                zorder=3,
            )
    kind = {"xmr": "XmR chart", "c": "c-chart"}.get(chart.attrs.get("chart"), "control chart")
    ax.set_title(f"{title} - {kind}" if title else kind, fontsize=9 if compact else None)
    ax.set_ylabel(ylabel, fontsize=8 if compact else None)
    if compact:
        ax.tick_params(labelsize=7)


def spc_figures(
    charts: dict, names, *, baseline_label: str, sources=None
) -> Iterator[tuple[str, plt.Figure]]:
    """``{"spc_<measure_id>": spc_grid}``: one grid per measure of ``{(measure_id, geography): chart}``.

    *names* maps ``measure_id`` to its name; *sources* (rows with ``measure_id``,
    ``source`` and ``data``) name each measure's sources in the caption.
    """
    from wmp_analysis.report.plots.trends import source_label

    by_measure: dict = {}
    for (mid, geo), chart in charts.items():
        by_measure.setdefault(mid, {})[geo] = chart
    return (
        (
            f"spc_{mid}",
            spc_grid(
                grid,
                title=f"{names.get(mid, mid)}: control charts, limits from the baseline {baseline_label}",
                source=""
                if sources is None
                else source_label(sources[sources["measure_id"] == mid]),
            ),
        )
        for mid, grid in by_measure.items()
    )
