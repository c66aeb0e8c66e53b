"""National view figures: every force against a milestone. Return Figures only."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wmp_analysis.report.plots import style

#: Caption (definition) of :func:`national_figure`, by *value*.
NATIONAL_CAPTION = {
    "change": (
        "Percentage change in recorded offences (ONS rolling 12-month totals to 31 March) from the "
        "milestone's baseline year, with the 95% interval of the rate ratio (exact Poisson); "
        "dashed line: the milestone. Every territorial force of England and Wales in the table."
    ),
    "rate": (
        "Recorded offences in the milestone's target year per 1,000 residents (ONS mid-year "
        "population), with the exact Poisson 95% interval. A force without a population has no rate."
    ),
}

_FORCE, _COMPARATOR, _OTHER = (
    "#D55E00",
    "#0072B2",
    "0.55",
)  # house style: Okabe-Ito vermillion, blue; grey


def national_figure(
    view: pd.DataFrame,
    force: str = "",
    comparators: Sequence[str] = (),
    *,
    value: str = "change",
    title: str = "",
    source: str = "",
) -> plt.Figure:
    """One panel per milestone: every force, ordered, with its 95% interval.

    Parameters
    ----------
    view : DataFrame
        From :func:`wmp_analysis.analysis.national.national_view`.
    force, comparators : str, sequence of str
        Highlighted in red (force) and orange (comparators); other forces grey.
    value : {"change", "rate"}
        ``"change"``: percentage change from the baseline year (rate ratio - 1, in
        percent) with the rate-ratio interval, and the milestone as a dashed line;
        ``"rate"``: target-year offences per 1,000 residents with the exact interval.
    title : str
        Figure title.
    source : str
        The data set(s) and their origin, first in the house caption (:data:`NATIONAL_CAPTION`).
    """
    if value not in ("change", "rate"):
        raise ValueError(f"value must be 'change' or 'rate', not {value!r}")
    groups = list(view.groupby("target_id", sort=False)) if len(view) else []
    if not groups:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "No force could be measured", ha="center", va="center")
        ax.set_axis_off()
        return fig
    n_forces = max(len(g) for _, g in groups)
    ncol = min(3, len(groups))
    nrow = int(np.ceil(len(groups) / ncol))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(4.2 * ncol, 0.16 * n_forces * nrow + 1.2 * nrow + 0.6), squeeze=False
    )
    comps = set(comparators)
    for ax, (tid, g) in zip(axes.ravel(), groups):
        _panel(ax, tid, g, force, comps, value)
    for ax in axes.ravel()[len(groups) :]:
        ax.set_axis_off()
    title = title or (
        "Every territorial force against the milestones"
        if value == "change"
        else "Every territorial force: rate per 1,000 residents"
    )
    handles = _legend_handles(force, value)
    style.figure_legend(fig, handles, [h.get_label() for h in handles], ncol=len(handles))
    return style.finish(
        fig,
        title=title,
        caption=NATIONAL_CAPTION[value],
        alt=f"{title}. " + _national_alt(groups, force, value),
        source=source or None,
        bottom=0.03,
    )


def _panel(ax, tid, g: pd.DataFrame, force: str, comps: set, value: str) -> None:
    """Draw one milestone's panel: each force's value and interval, ordered, the milestone line."""
    if value == "change":
        x, lo, hi = g["pct_change"], 100 * (g["rr_ci_low"] - 1), 100 * (g["rr_ci_high"] - 1)
        xlabel = f"% change, {g['target_period'].iloc[0]} on {g['baseline_period'].iloc[0]}"
    else:
        x, lo, hi = g["target_rate_per_1000"], g["target_rate_ci_low"], g["target_rate_ci_high"]
        xlabel = f"offences per 1,000 residents, {g['target_period'].iloc[0]}"
    d = (
        pd.DataFrame(
            {
                "force": g["force"].to_numpy(),
                "x": x.to_numpy(),
                "lo": lo.to_numpy(),
                "hi": hi.to_numpy(),
            }
        )
        .dropna(subset=["x"])
        .sort_values("x", kind="mergesort")
    )
    y = np.arange(len(d))[::-1]
    colours = [
        _FORCE if f == force else (_COMPARATOR if f in comps else _OTHER) for f in d["force"]
    ]
    ax.hlines(y, d["lo"], d["hi"], colors=colours, lw=1.2)
    ax.scatter(d["x"], y, c=colours, s=14, zorder=3)
    ax.set_yticks(y, d["force"], fontsize=5.5)
    for lab in ax.get_yticklabels():
        if lab.get_text() == force:
            lab.set_color(_FORCE)
            lab.set_fontweight("bold")
        elif lab.get_text() in comps:
            lab.set_color(_COMPARATOR)
    tv = g["target_value"].iloc[0]
    if value == "change":
        ax.axvline(0, color="0.6", lw=0.7)
        if pd.notna(tv):
            ax.axvline(
                -abs(tv) if str(g["direction"].iloc[0]) == "down" else tv,
                color="k",
                ls="--",
                lw=1,
            )
    proxy = " (PROXY)" if bool(g["proxy"].iloc[0]) else ""
    ax.set_title(
        f"{tid}{proxy}\nmilestone {tv:+g}%" if pd.notna(tv) else f"{tid}{proxy}", fontsize=8
    )
    ax.set_xlabel(xlabel, fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_ylim(-1, len(d))


def _legend_handles(force: str, value: str) -> list:
    """The legend entries: force, comparators, other forces (and the milestone for changes)."""
    handles = [
        plt.Line2D([], [], marker="o", ls="-", color=c, label=lab)
        for c, lab in (
            (_FORCE, force or "force"),
            (_COMPARATOR, "comparators"),
            (_OTHER, "other forces"),
        )
    ]
    if value == "change":
        handles.append(plt.Line2D([], [], ls="--", color="k", label="milestone"))
    return handles


def _national_alt(groups, force: str, value: str) -> str:
    """Alt text of :func:`national_figure`: per milestone, the force's value and rank."""
    col = "pct_change" if value == "change" else "target_rate_per_1000"
    rank = "rank_change" if value == "change" else "rank_rate"
    fmt = "{:+.1f}%" if value == "change" else "{:.1f} per 1,000"
    parts = []
    for tid, g in groups:
        n = int(g[col].notna().sum())
        row = g[g["force"] == force]
        if len(row) and pd.notna(row[col].iloc[0]):
            r = row[rank].iloc[0] if rank in row.columns else np.nan
            at = f", rank {int(r)} of {n}" if pd.notna(r) else ""
            parts.append(f"{tid}: {force} {fmt.format(float(row[col].iloc[0]))}{at}.")
        else:
            parts.append(f"{tid}: {n} forces measured.")
    return " ".join(parts)
