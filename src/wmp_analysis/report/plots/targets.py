"""Target comparison, district caterpillar and peer-force figures. Return Figures only."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from wmp_analysis.analysis.status import Status
from wmp_analysis.report.plots.style import STATUS_STYLE

#: Status colours of the house style (Okabe-Ito; plots.style.STATUS_STYLE).
_STATUS_COLOUR = {k: v["color"] for k, v in STATUS_STYLE.items()}


def target_figure(comparison: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Per target: change needed (target) against change achieved, with the RR 95% CI.

    x = percentage change (rate ratio - 1, in percent, with its CI as a bar);
    the target's required change is a vertical tick. Proxy measures are labelled.
    """
    d = comparison[comparison["rate_ratio"].notna()].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.5 * max(3, len(d)) + 1.2))
    if d.empty:
        ax.text(0.5, 0.5, "No target could be measured", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(d))[::-1]
    pc = 100 * (d["rate_ratio"] - 1)
    lo = 100 * (d["rr_ci_low"] - 1)
    hi = 100 * (d["rr_ci_high"] - 1)
    colours = [_STATUS_COLOUR.get(s, "0.5") for s in d["status"]]
    ax.errorbar(pc, y, xerr=[pc - lo, hi - pc], fmt="none", ecolor="0.3", capsize=3)
    ax.scatter(pc, y, c=colours, s=40, zorder=3)
    for yi, tv in zip(y, d["target_value"]):
        if pd.notna(tv):
            ax.plot([tv, tv], [yi - 0.3, yi + 0.3], color="k", lw=2)
    labels = [
        f"{r.target_id} / {r.geography}{' (proxy)' if r.proxy else ''}" for r in d.itertuples()
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel("change in rate, % (dot: actual with 95% CI; black tick: target)")
    ax.set_title(title or "Targets: actual change against target")
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=c, label=s)
        for s, c in _STATUS_COLOUR.items()
        if s in set(d["status"])
    ]
    ax.legend(handles=handles, fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def caterpillar_figure(ranked: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Districts ordered by rate ratio with 95% CIs, against the force-wide RR (dashed)."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(3, len(ranked)) + 1.2))
    if ranked.empty:
        ax.text(0.5, 0.5, "No district data", ha="center", va="center")
        ax.set_axis_off()
        return fig
    d = ranked.sort_values("rate_ratio").reset_index(drop=True)
    y = np.arange(len(d))
    ax.errorbar(
        d["rate_ratio"],
        y,
        xerr=[d["rate_ratio"] - d["rr_ci_low"], d["rr_ci_high"] - d["rate_ratio"]],
        fmt="o",
        color="k",
        capsize=3,
    )
    ax.set_yticks(
        y, [f"{g}{' (proxy)' if p else ''}" for g, p in zip(d["geography"], d["proxy"])], fontsize=8
    )
    if d["force_rate_ratio"].notna().any():
        ax.axvline(
            float(d["force_rate_ratio"].iloc[0]),
            color=STATUS_STYLE[Status.NOT_MET]["color"],
            ls="--",
            lw=1,
            label="force-wide RR",
        )
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("rate ratio, target year / baseline (95% CI)")
    ax.set_title(
        title or "Districts: rate ratio with 95% CI (overlapping intervals: not distinguishable)"
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def peer_figure(
    peers: pd.DataFrame, *, title: str = "", highlight: str | None = None
) -> plt.Figure:
    """Rate ratio with 95% CI for the force and similar forces, one panel row per measure."""
    d = peers[peers["rate_ratio"].notna()].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(4, len(d)) + 1.2))
    if d.empty:
        ax.text(0.5, 0.5, "No peer data", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(d))[::-1]
    colours = ["#E69F00" if f == highlight else "k" for f in d["force"]]
    for yi, r, c in zip(y, d.itertuples(), colours):
        ax.errorbar(
            r.rate_ratio,
            yi,
            xerr=[[r.rate_ratio - r.rr_ci_low], [r.rr_ci_high - r.rate_ratio]],
            fmt="o",
            color=c,
            capsize=3,
        )
    ax.set_yticks(
        y,
        [f"{r.measure_id}{' (proxy)' if r.proxy else ''}: {r.force}" for r in d.itertuples()],
        fontsize=7,
    )
    ax.axvline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("rate ratio, target year / baseline (95% CI)")
    ax.set_title(title or "The force against similar forces (context, not targets)")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- house-style charts (issue 12)
def _num(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def target_level(row) -> float:
    """The value the target asks for, in the measure's units.

    ``pct_change``: ``baseline * (1 + target_value / 100)`` (``target_value`` is signed,
    -8 = an 8% fall); ``level``: ``target_value`` itself; otherwise NaN.
    """
    kind, tv, b = (
        str(row.get("target_kind", "")),
        _num(row.get("target_value")),
        _num(row.get("baseline_value")),
    )
    if kind == "pct_change":
        return b * (1 + tv / 100)
    if kind == "level":
        return tv
    return float("nan")


def _actual_interval(row) -> tuple[float, float]:
    """95% interval of the actual value: the baseline times the rate ratio's interval."""
    b = _num(row.get("baseline_value"))
    return b * _num(row.get("rr_ci_low")), b * _num(row.get("rr_ci_high"))


def _change_words(row) -> str:
    b, a = _num(row.get("baseline_value")), _num(row.get("actual_value"))
    if np.isnan(b) or np.isnan(a) or b == 0:
        return "no change measured"
    pct = 100 * (a / b - 1)
    return f"{'fell' if pct < 0 else 'rose'} {abs(pct):.1f}%"


def _target_words(row) -> str:
    kind, tv = str(row.get("target_kind", "")), _num(row.get("target_value"))
    if kind == "pct_change" and not np.isnan(tv):
        return f"a {'fall' if tv < 0 else 'rise'} of {abs(tv):g}%"
    if kind == "level" and not np.isnan(tv):
        return f"a level of {tv:g}"
    return "no numeric target"


def target_chart(
    row,
    series: pd.DataFrame | None = None,
    *,
    name: str,
    source: str,
    definition: str = "",
    unit: str = "recorded offences",
) -> plt.Figure:
    """One measured target: baseline against actual with its interval and the target line,
    and (when *series* is given) the yearly series with the target trajectory.

    Parameters
    ----------
    row : mapping
        One row of ``target_comparison`` (``baseline_period, target_period,
        baseline_value, actual_value, rr_ci_low, rr_ci_high, target_kind,
        target_value, status``).
    series : DataFrame, optional
        ``year`` (financial-year label) and ``value`` of the same measure.
    name : str
        The measure in words ("Burglary of homes").
    source, definition : str
        For the caption.

    Returns
    -------
    Figure
        One panel (or two with a series). The target line has gid ``target-line``
        and the trajectory ``target-trajectory``; alt text and caption are attached
        (:mod:`wmp_analysis.report.plots.style`).
    """
    from wmp_analysis.report.plots import style

    b, a = _num(row.get("baseline_value")), _num(row.get("actual_value"))
    lo, hi = _actual_interval(row)
    level = target_level(row)
    bp, tp = str(row.get("baseline_period", "baseline")), str(row.get("target_period", "target"))
    status = str(row.get("status", ""))
    has_series = series is not None and len(series) > 0
    with style.house_style():
        fig, axes = plt.subplots(
            1, 2 if has_series else 1, figsize=(9 if has_series else 5, 3.6), squeeze=False
        )
        _baseline_panel(axes[0][0], b, a, lo, hi, level, bp, tp, status, unit)
        s = _series_panel(axes[0][1], series, b, level, bp, tp) if has_series else None
    title = f"{name} {_change_words(row)} from {bp} to {tp} against a target of {_target_words(row)}: {status}"
    caption = ((definition + " ") if definition else "") + (
        "Interval: 95% interval of the actual value (baseline times the exact Poisson interval of the "
        "rate ratio). Dashed line: the value the target asks for."
    )
    alt = _target_chart_alt(title, b, a, lo, hi, level, bp, tp, s)
    return style.finish(fig, title=title, caption=caption, alt=alt, source=source)


def _baseline_panel(ax, b, a, lo, hi, level, bp: str, tp: str, status: str, unit: str) -> None:
    """Draw the first panel: baseline and actual (with its interval) and the target line."""
    from wmp_analysis.report.plots import style

    ax.plot([0], [b], marker="s", ls="", color=style.BASELINE, label=f"baseline {bp}")
    st = style.STATUS_STYLE.get(status, {"marker": "o"})
    if not (np.isnan(lo) or np.isnan(hi)):
        ax.errorbar(
            [1],
            [a],
            yerr=[[a - lo], [hi - a]],
            fmt=st["marker"],
            color=style.ACTUAL,
            capsize=4,
            label=f"actual {tp} (95% interval)",
        )
    else:
        ax.plot([1], [a], marker=st["marker"], ls="", color=style.ACTUAL, label=f"actual {tp}")
    if not np.isnan(level):
        ax.axhline(
            level,
            color=style.TARGET,
            ls="--",
            lw=1.5,
            label=f"target {level:,.0f}",
            gid="target-line",
        )
    ax.set_xticks([0, 1], [bp, tp])
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylabel(unit)
    ax.set_title("Baseline against actual")
    ax.legend(loc="best")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _series_panel(ax, series: pd.DataFrame, b, level, bp: str, tp: str) -> pd.DataFrame:
    """Draw the yearly series with the target trajectory; returns the series sorted by year."""
    from wmp_analysis.report.plots import style

    s = series.sort_values("year")
    years = list(s["year"].astype(str))
    x = np.arange(len(years))
    ax.plot(x, s["value"].astype(float), marker="o", color=style.ACTUAL, label="recorded")
    if not np.isnan(level) and bp in years and tp in years:
        ax.plot(
            [years.index(bp), years.index(tp)],
            [b, level],
            color=style.TARGET,
            ls="--",
            lw=1.5,
            marker="x",
            label="target trajectory",
            gid="target-trajectory",
        )
    ax.set_xticks(x, years, rotation=0)
    ax.set_title("Each financial year, with the target trajectory")
    ax.legend(loc="best")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return s


def _target_chart_alt(title: str, b, a, lo, hi, level, bp: str, tp: str, s) -> str:
    """Alt text of :func:`target_chart`: baseline, actual and interval, target, and the series."""
    alt = (
        f"{title}. Baseline {b:,.0f} in {bp}; actual {a:,.0f} in {tp}"
        + (f" (95% interval {lo:,.0f} to {hi:,.0f})" if not np.isnan(lo) else "")
        + (f"; target {level:,.0f}" if not np.isnan(level) else "")
        + "."
    )
    if s is not None:
        alt += (
            " Series: "
            + "; ".join(
                f"{y} {float(v):,.0f}" for y, v in zip(s["year"], s["value"]) if pd.notna(v)
            )
            + "."
        )
    return alt


def district_small_multiples(
    rows: pd.DataFrame, *, name: str, source: str, ncols: int = 4, unit: str = "recorded offences"
) -> plt.Figure:
    """One panel per district on one shared y scale: baseline, actual (95% interval), target line.

    *rows*: the ``target_comparison`` rows of one target for its districts
    (``geography, baseline_value, actual_value, rr_ci_low, rr_ci_high,
    target_kind, target_value, status``). Panels share the y axis (``sharey``).
    """
    from wmp_analysis.report.plots import style

    d = rows[rows["baseline_value"].notna()].sort_values("geography").reset_index(drop=True)
    n = max(1, len(d))
    nc = min(ncols, n)
    nr = int(np.ceil(n / nc))
    with style.house_style():
        fig, axes = plt.subplots(
            nr, nc, figsize=(2.3 * nc + 0.8, 2.2 * nr + 0.6), sharey=True, squeeze=False
        )
        flat = axes.ravel()
        for ax, r in zip(flat, d.to_dict("records")):
            b, a = _num(r["baseline_value"]), _num(r["actual_value"])
            lo, hi = _actual_interval(r)
            ax.plot([0], [b], marker="s", ls="", color=style.BASELINE)
            st = style.STATUS_STYLE.get(str(r.get("status")), {"marker": "o"})
            yerr = None if np.isnan(lo) else [[a - lo], [hi - a]]
            ax.errorbar([1], [a], yerr=yerr, fmt=st["marker"], color=style.ACTUAL, capsize=3)
            lev = target_level(r)
            if not np.isnan(lev):
                ax.axhline(lev, color=style.TARGET, ls="--", lw=1.2, gid="target-line")
            ax.set_xticks([0, 1], ["baseline", "actual"])
            ax.set_xlim(-0.6, 1.6)
            ax.set_title(
                str(r["geography"]) + (" (proxy)" if bool(r.get("proxy", False)) else ""),
                fontsize=9,
            )
        for ax in flat[len(d) :]:
            ax.set_axis_off()
        flat[0].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        for rr in range(nr):
            axes[rr][0].set_ylabel(unit)
    title = f"{name} by district: baseline against actual, all on one scale"
    caption = (
        "Square: baseline; dot: actual with its 95% interval (baseline times the exact Poisson interval of "
        "the rate ratio); dashed line: the district's value if it met the force's target. Same y scale "
        "in every panel, so panels compare directly."
    )
    alt = (
        f"{title}. "
        + "; ".join(
            f"{r['geography']}: baseline {_num(r['baseline_value']):,.0f}, actual {_num(r['actual_value']):,.0f}"
            for r in d.to_dict("records")
        )
        + "."
    )
    return style.finish(fig, title=title, caption=caption, alt=alt, source=source)


def comparator_chart(
    peers: pd.DataFrame, *, name: str, force: str, source: str, target_value: float | None = None
) -> plt.Figure:
    """The force against its comparator forces: % change with 95% interval, one row per force.

    *peers*: rows of ``peer_comparison`` for one measure (``force, pct_change,
    rate_ratio, rr_ci_low, rr_ci_high``). The force is drawn in the highlight colour,
    the others in grey; a signed % *target_value* is a dashed line (gid ``target-line``).
    """
    from wmp_analysis.report.plots import style

    d = peers[peers["rate_ratio"].notna()].sort_values("pct_change").reset_index(drop=True)
    with style.house_style():
        fig, ax = plt.subplots(figsize=(7, 0.45 * max(3, len(d)) + 1.4))
        if d.empty:
            ax.text(
                0.5,
                0.5,
                "No force has a measured change for this measure",
                ha="center",
                va="center",
            )
            ax.set_axis_off()
        y = np.arange(len(d))
        for yi, r in zip(y, d.to_dict("records")):
            pc = 100 * (r["rate_ratio"] - 1)
            lo, hi = 100 * (r["rr_ci_low"] - 1), 100 * (r["rr_ci_high"] - 1)
            c = style.HIGHLIGHT if r["force"] == force else style.CONTEXT
            ax.errorbar(
                [pc],
                [yi],
                xerr=[[pc - lo], [hi - pc]],
                fmt="o",
                color=c,
                capsize=3,
                ms=7 if r["force"] == force else 5,
            )
        ax.set_yticks(y, [f"{f} (this force)" if f == force else f for f in d["force"]])
        ax.axvline(0, color="#555555", lw=0.8)
        if target_value is not None and not np.isnan(_num(target_value)):
            ax.axvline(
                float(target_value),
                color=style.TARGET,
                ls="--",
                lw=1.5,
                gid="target-line",
                label=f"{force}'s target {float(target_value):g}%",
            )
            ax.legend(loc="best")
        ax.set_xlabel("change, % (95% interval)")
    title = f"{name}: {force} against its comparator forces, change from baseline to target year"
    caption = (
        "Dot: % change in recorded offences with the 95% interval of the rate ratio (exact Poisson). "
        "Context only: no target applies to the other forces."
    )
    alt = (
        f"{title}. "
        + "; ".join(
            f"{r['force']} {100 * (r['rate_ratio'] - 1):+.1f}%" for r in d.to_dict("records")
        )
        + "."
    )
    return style.finish(fig, title=title, caption=caption, alt=alt, source=source)


# --------------------------------------------------------------------------- the section's figures
def _first_sentences(measures: pd.DataFrame) -> pd.Series:
    """``measure_id -> the first sentence of its definition`` (no final full stop)."""
    return (
        measures.set_index("measure_id")["definition"]
        .astype(str)
        .str.split(". ", regex=False)
        .str[0]
        .str.rstrip(".")
    )


def target_charts(
    force_rows: pd.DataFrame, series: pd.DataFrame | None, measures: pd.DataFrame
) -> Iterator[tuple[str, tuple[plt.Figure, bool]]]:
    """``{"target_<target_id>": (target_chart, synthetic)}`` for each measured force target.

    *series*: :func:`wmp_analysis.analysis.compare.measure_series` rows (None without the
    ONS file); *measures* gives each measure's name and definition (first sentence).
    """
    names = measures.set_index("measure_id")["name"]
    first = _first_sentences(measures)
    for r in force_rows[force_rows["rate_ratio"].notna()].to_dict("records"):
        ser = None if series is None else series[series["measure_id"] == r["measure_id"]]
        fig = target_chart(
            r,
            ser,
            name=names.get(r["measure_id"], r["measure_id"]),
            source=f"{r['source']} ({r['data']} data)",
            definition=first.get(r["measure_id"], "") + ".",
        )
        yield f"target_{r['target_id']}", (fig, r["data"] == "synthetic")


def caterpillar_figures(ranked: pd.DataFrame) -> Iterator[tuple[str, plt.Figure]]:
    """``{"districts_<target_id>": caterpillar_figure}`` for each target of *ranked*."""
    return (
        (f"districts_{tid}", caterpillar_figure(r, title=f"{tid}: districts"))
        for tid, r in ranked.groupby("target_id", sort=False)
    )


def district_multiples(
    result: pd.DataFrame, force: str, names
) -> Iterator[tuple[str, tuple[plt.Figure, bool]]]:
    """``{"district_multiples_<target_id>": (small multiples, synthetic)}`` per target with districts."""
    rows_all = result[(result["geography"] != force) & result["rate_ratio"].notna()]
    for tid, rows in rows_all.groupby("target_id", sort=False):
        mid = rows["measure_id"].iloc[0]
        fig = district_small_multiples(
            rows,
            name=names.get(mid, mid),
            source=f"{rows['source'].iloc[0]} ({rows['data'].iloc[0]} data)",
        )
        yield f"district_multiples_{tid}", (fig, bool(rows["data"].eq("synthetic").any()))


def comparator_charts(
    peers: pd.DataFrame, force_rows: pd.DataFrame, names, *, force: str, source: str
) -> Iterator[tuple[str, plt.Figure]]:
    """``{"comparators_<measure_id>_<target period>": comparator_chart}`` per measured peer pair.

    The force's percentage-change target for the same measure and period, if any, is drawn.
    """
    pct = force_rows[force_rows["target_kind"] == "pct_change"]
    for (mid, tper), p in peers[peers["rate_ratio"].notna()].groupby(
        ["measure_id", "target_period"], sort=False
    ):
        tv = pct.loc[(pct["measure_id"] == mid) & (pct["target_period"] == tper), "target_value"]
        yield (
            f"comparators_{mid}_{tper}",
            comparator_chart(
                p,
                name=f"{names.get(mid, mid)}, {tper}",
                force=force,
                source=source,
                target_value=float(tv.iloc[0]) if len(tv) else None,
            ),
        )
