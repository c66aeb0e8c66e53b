"""Series and seasonal profiles. Functions return Figures and never touch files."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..periods import Period  # noqa: E402


def series_figure(series: pd.DataFrame, *, title: str = "", baseline: Period | None = None) -> plt.Figure:
    """Line chart of tidy series (one line per geography); gaps stay gaps (NaN).

    Proxy series are drawn dashed and labelled "(proxy)".
    """
    fig, ax = plt.subplots(figsize=(9, 4))
    for geo, g in series.groupby("geography", sort=False):
        g = g.sort_values("period_end")
        proxy = bool(g["proxy"].iloc[0])
        ax.plot(g["period_end"], g["value"], marker=".", linestyle="--" if proxy else "-",
                label=f"{geo}{' (proxy)' if proxy else ''}")
    if baseline is not None:
        ax.axvspan(baseline.start, baseline.end, color="0.9", zorder=0, label=f"baseline {baseline.label}")
    src = ", ".join(sorted(set(series["source"]))) if len(series) else ""
    ax.set_title(title or "Series")
    ax.set_xlabel("end of period")
    ax.set_ylabel("offences in period")
    ax.legend(fontsize=7, loc="best")
    fig.text(0.01, 0.01, f"Source: {src}", fontsize=7, color="0.3")
    fig.tight_layout()
    return fig


def seasonal_figure(profile: pd.DataFrame, *, title: str = "") -> plt.Figure:
    """Bar chart of baseline seasonal shares (percent of the year) per position."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    geos = list(dict.fromkeys(profile["geography"]))
    width = 0.8 / max(1, len(geos))
    for i, geo in enumerate(geos):
        g = profile[profile["geography"] == geo]
        ax.bar(g["position"] + i * width - 0.4 + width / 2, 100 * g["share"], width=width, label=geo)
    unit = profile["unit"].iloc[0] if len(profile) else "month"
    n = 12 if unit == "month" else 4
    even = 100 / n
    ax.axhline(even, color="k", lw=0.8, ls=":", label="even share")
    ax.set_xlabel("financial-year month (1 = April)" if unit == "month" else "financial quarter (1 = Apr-Jun)")
    ax.set_ylabel("% of the year's count")
    years = profile["years_used"].iloc[0] if len(profile) else ""
    ax.set_title((title or "Seasonal profile") + (f" (years: {years})" if years else ""))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
