"""Series and seasonal profiles. Functions return Figures and never touch files."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import pandas as pd

from wmp_analysis.periods import Period
from wmp_analysis.report.plots import style

#: Caption (definition) of :func:`series_panels`.
SERIES_CAPTION = (
    "Recorded offences in each period. Force: ONS rolling 12-month totals (consecutive points "
    "overlap by nine months); districts: discrete quarters (Home Office CSP) or months (police.uk, "
    "a proxy, dashed). Shaded: the baseline. A gap is a period with no data, never a zero."
)
#: Caption (definition) of :func:`seasonal_figure`.
SEASONAL_CAPTION = (
    "Share of each baseline year's recorded offences falling in each month or quarter, averaged "
    "over the baseline years (percent of the year). Dotted line: an even share (100/12 or 100/4)."
)


def source_label(rows: pd.DataFrame) -> str:
    """The sources of *rows* for a caption: each ``source`` value, with its ``data`` origin.

    ``"ONS PFA (real data); Home Office CSP (synthetic data)"`` when *rows* has a ``data``
    column (``"real"``/``"synthetic"`` per row), else the sources alone; ``""`` for no rows.
    """
    if not len(rows) or "source" not in rows.columns:
        return ""
    if "data" not in rows.columns:
        return "; ".join(sorted(set(rows["source"].astype(str))))
    pairs = rows[["source", "data"]].astype(str).drop_duplicates()
    return "; ".join(
        f"{s} ({d} data)" if d else s for s, d in sorted(pairs.itertuples(index=False))
    )


def series_figure(
    series: pd.DataFrame, *, title: str = "", baseline: Period | None = None
) -> plt.Figure:
    """Line chart of tidy series (one line per geography); gaps stay gaps (NaN).

    Proxy series are drawn dashed and labelled "(proxy)".
    """
    fig, ax = plt.subplots(figsize=(9, 4))
    for geo, g in series.groupby("geography", sort=False):
        g = g.sort_values("period_end")
        proxy = bool(g["proxy"].iloc[0])
        ax.plot(
            g["period_end"],
            g["value"],
            marker=".",
            linestyle="--" if proxy else "-",
            label=f"{geo}{' (proxy)' if proxy else ''}",
        )
    if baseline is not None:
        ax.axvspan(
            baseline.start, baseline.end, color="0.9", zorder=0, label=f"baseline {baseline.label}"
        )
    src = ", ".join(sorted(set(series["source"]))) if len(series) else ""
    ax.set_title(title or "Series")
    ax.set_xlabel("end of period")
    ax.set_ylabel("offences in period")
    ax.legend(fontsize=7, loc="best")
    fig.text(0.01, 0.01, f"Source: {src}", fontsize=7, color="0.3")
    fig.tight_layout()
    return fig


def series_panels(
    series: pd.DataFrame, *, force: str, title: str = "", baseline: Period | None = None
) -> plt.Figure:
    """The force's series above its districts' series, each on its own scale.

    Force figures (ONS rolling 12-month totals) and district figures (quarters or
    months) count different things, so they never share an axis. Gaps stay gaps.
    The figure has the house caption (:data:`SERIES_CAPTION`, with the sources and their
    origin from :func:`source_label`) and alt text (:func:`wmp_analysis.report.plots.style.finish`).
    """
    force_rows = series[series["geography"] == force]
    district_rows = series[series["geography"] != force]
    panels = [(f"{force}", force_rows)] + (
        [("Districts", district_rows)] if len(district_rows) else []
    )
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 3.2 * len(panels)), squeeze=False)
    for ax, (label, rows) in zip(axes[:, 0], panels):
        for geo, g in rows.groupby("geography", sort=False):
            g = g.sort_values("period_end")
            proxy = bool(g["proxy"].iloc[0])
            ax.plot(
                g["period_end"],
                g["value"],
                marker=".",
                ms=3,
                lw=1,
                linestyle="--" if proxy else "-",
                label=f"{geo}{' (proxy)' if proxy else ''}",
            )
        if baseline is not None:
            ax.axvspan(
                baseline.start,
                baseline.end,
                color="0.9",
                zorder=0,
                label=f"baseline {baseline.label}",
            )
        unit = ", ".join(sorted(set(rows["source"]))) if len(rows) else ""
        ax.set_title(f"{label} ({unit})" if unit else label, fontsize=9)
        ax.set_ylabel("offences in period", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="upper right", ncol=2)
    title = title or f"Recorded offences, {force} and its districts"
    return style.finish(
        fig,
        title=title,
        caption=SERIES_CAPTION,
        alt=f"{title}. " + _series_alt(force_rows, district_rows),
        source=source_label(series) or None,
    )


def _series_alt(force_rows: pd.DataFrame, district_rows: pd.DataFrame) -> str:
    """Alt text of :func:`series_panels`: the force's first and last values, the districts named."""
    parts = []
    f = force_rows.dropna(subset=["value"]).sort_values("period_end")
    if len(f):
        a, b = f.iloc[0], f.iloc[-1]
        parts.append(
            f"Force: {len(f)} periods, {float(a['value']):,.0f} in the period to "
            f"{pd.Timestamp(a['period_end']):%Y-%m-%d}, {float(b['value']):,.0f} in the period "
            f"to {pd.Timestamp(b['period_end']):%Y-%m-%d}."
        )
    if len(district_rows):
        geos = list(dict.fromkeys(district_rows["geography"].astype(str)))
        parts.append(f"Districts ({len(geos)}): {', '.join(geos)}.")
    return " ".join(parts) or "No data."


def seasonal_figure(profile: pd.DataFrame, *, title: str = "", source: str = "") -> plt.Figure:
    """Bar chart of baseline seasonal shares (percent of the year) per position.

    *profile*: :func:`wmp_analysis.analysis.baseline.seasonal_profile` rows (``share`` a
    0-1 fraction of the year). House caption :data:`SEASONAL_CAPTION`, *source* first.
    """
    fig, ax = plt.subplots(figsize=(7, 3.5))
    geos = list(dict.fromkeys(profile["geography"]))
    width = 0.8 / max(1, len(geos))
    for i, geo in enumerate(geos):
        g = profile[profile["geography"] == geo]
        ax.bar(
            g["position"] + i * width - 0.4 + width / 2, 100 * g["share"], width=width, label=geo
        )
    unit = profile["unit"].iloc[0] if len(profile) else "month"
    n = 12 if unit == "month" else 4
    even = 100 / n
    ax.axhline(even, color="k", lw=0.8, ls=":", label="even share")
    ax.set_xlabel(
        "financial-year month (1 = April)" if unit == "month" else "financial quarter (1 = Apr-Jun)"
    )
    ax.set_ylabel("% of the year's count")
    years = profile["years_used"].iloc[0] if len(profile) else ""
    ax.legend(fontsize=7)
    title = (title or "Seasonal profile") + (f" (years: {years})" if years else "")
    alt = f"{title}. " + " ".join(
        f"{geo}: "
        + ", ".join(f"{int(p)} {100 * float(v):.1f}%" for p, v in zip(g["position"], g["share"]))
        + "."
        for geo, g in profile.groupby("geography", sort=False)
    )
    return style.finish(fig, title=title, caption=SEASONAL_CAPTION, alt=alt, source=source or None)


def series_figures(
    series: pd.DataFrame, names, *, force: str, baseline: Period | None = None
) -> Iterator[tuple[str, plt.Figure]]:
    """``{"series_<measure_id>": series_panels}`` for each measure of *series*, in order.

    *names* maps ``measure_id`` to the measure's name (for the title).
    """
    return (
        (
            f"series_{mid}",
            series_panels(
                s,
                force=force,
                baseline=baseline,
                title=f"{names.get(mid, mid)}: recorded offences, {force} and its districts",
            ),
        )
        for mid, s in series.groupby("measure_id", sort=False)
    )


def seasonal_figures(
    profile: pd.DataFrame, names, *, sources=None
) -> Iterator[tuple[str, plt.Figure]]:
    """``{"seasonal_<measure_id>": seasonal_figure}`` for each measure of *profile*.

    *sources*: rows with ``measure_id``, ``source`` (and ``data``) naming each measure's
    sources in the caption (:func:`source_label`).
    """
    for mid, p in profile.groupby("measure_id", sort=False):
        src = "" if sources is None else source_label(sources[sources["measure_id"] == mid])
        yield (
            f"seasonal_{mid}",
            seasonal_figure(
                p,
                title=f"{names.get(mid, mid)}: share of the year's offences by month or quarter",
                source=src,
            ),
        )
